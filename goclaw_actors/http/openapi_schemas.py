"""The JSON Schemas of the OpenAPI description (goclaw_actors/http/openapi.py): request bodies, answers and
the error formats of SPEC §9. Objects stay open (more fields may be added) but name the fields clients rely on.
"""

from typing import Any

NULLABLE_STRING = {"type": ["string", "null"]}
TIME = {"type": "string", "description": "RFC 3339 time"}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """An object schema with `required` fields (name: schema) and `optional` ones."""
    return {"type": "object", "properties": {**required, **(optional or {})}, "required": list(required), **extra}


def ref(name: str) -> dict[str, str]:
    """A reference to the component schema `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: dict[str, Any]) -> dict[str, Any]:
    """An array of `items`."""
    return {"type": "array", "items": items}


SCHEMAS: dict[str, dict[str, Any]] = {
    # Errors (SPEC §9.2, §9.4, §9.5): REST and the middleware answer {"error": text}; /v1 answers OpenAI's format.
    "Error": obj({"error": {"type": "string"}}),
    "OpenAIError": obj({"error": obj({"message": {"type": "string"}, "type": {"type": "string"},
                                      "param": NULLABLE_STRING, "code": NULLABLE_STRING})}),
    "JsonRpcError": obj({"jsonrpc": {"const": "2.0"}, "id": {"type": ["string", "integer", "null"]},
                         "error": obj({"code": {"type": "integer"}, "message": {"type": "string"}})}),
    "JsonRpcResponse": obj({"jsonrpc": {"const": "2.0"}, "id": {"type": ["string", "integer", "null"]}},
                           {"result": {}, "error": obj({"code": {"type": "integer"},
                                                       "message": {"type": "string"}})}),
    "JsonRpcRequest": obj({"jsonrpc": {"const": "2.0"}, "id": {"type": ["string", "integer"]},
                           "method": {"type": "string", "enum": ["SendMessage", "SendStreamingMessage", "GetTask",
                                                                 "ListTasks", "CancelTask", "message/send",
                                                                 "message/stream", "tasks/get", "tasks/list",
                                                                 "tasks/cancel"]}},
                          {"params": {"type": "object"}}),
    # Health and metrics (SPEC §9.8)
    "Health": obj({"healthy": {"type": "boolean"}, "db_ok": {"type": "boolean"},
                   "version": {"type": "string"}},
                  {"policy_version": {"type": "string"}, "agent_count": {"type": "integer"}}),
    "Metrics": obj({"pending_tasks": {"type": "integer"}, "running_tasks": {"type": "integer"},
                    "agents": array({"type": "object"})}),
    "Supervision": {"type": "object"},
    # OpenAI-compatible API (SPEC §9.4)
    "ChatMessage": obj({"role": {"type": "string", "enum": ["system", "developer", "user", "assistant", "tool"]}},
                       {"content": {"type": ["string", "array", "null"]}, "tool_calls": {"type": "array"},
                        "tool_call_id": {"type": "string"}, "name": {"type": "string"}}),
    "ChatCompletionRequest": obj({"messages": array(ref("ChatMessage"))},
                                 {"model": {"type": "string", "description": "`agent:<id>` picks the agent"},
                                  "stream": {"type": "boolean"}, "user": {"type": "string"},
                                  "temperature": {"type": "number"}, "top_p": {"type": "number"},
                                  "top_k": {"type": "integer"}, "max_tokens": {"type": "integer"},
                                  "n": {"type": "integer"}, "stop": {"type": ["string", "array"]},
                                  "response_format": {"type": "object"}, "tools": {"type": "array"},
                                  "tool_choice": {"type": ["string", "object"]},
                                  "stream_options": {"type": "object"}}),
    "ChatCompletion": obj({"id": {"type": "string"}, "object": {"const": "chat.completion"},
                           "created": {"type": "integer"}, "model": {"type": "string"},
                           "choices": array(obj({"index": {"type": "integer"}, "message": {"type": "object"},
                                                 "finish_reason": NULLABLE_STRING})),
                           "usage": {"type": "object"}}),
    "Model": obj({"id": {"type": "string"}, "object": {"const": "model"}, "created": {"type": "integer"},
                  "owned_by": {"type": "string"}}),
    "ModelList": obj({"object": {"const": "list"}, "data": array(ref("Model"))}),
    # REST (SPEC §9.5)
    "Task": obj({"id": {"type": "string"}, "session_id": {"type": "string"}, "type": {"type": "string"},
                 "status": {"type": "string"}, "agent_id": {"type": "string"}, "created_at": TIME,
                 "updated_at": TIME}),
    "TaskList": obj({"tasks": array(ref("Task")), "total": {"type": "integer"}}),
    "Aborted": obj({"aborted": {"type": "boolean"}}),
    "SessionList": obj({"sessions": array(obj({"id": {"type": "string"}, "created_at": TIME}))}),
    "MessageList": obj({"messages": array(obj({"id": {"type": "integer"}, "role": {"type": "string"},
                                                "content": {"type": ["string", "null"]}}))}),
    "SkillList": obj({"skills": {"type": "array"}}),
    "ConfigFingerprint": obj({"config_hash": {"type": "string"}, "policy_version": {"type": "string"}}),
    "PlanList": obj({"plans": array(obj({"name": {"type": "string"}, "step_count": {"type": "integer"},
                                         "agent_ids": array({"type": "string"})}))}),
    "PlanExecuteRequest": obj({}, {"session_id": {"type": "string", "minLength": 1}}),
    "PlanStarted": obj({"execution_id": {"type": "string"}, "session_id": {"type": "string"},
                        "plan_name": {"type": "string"}, "status": {"const": "running"}}),
    "PlanExecution": obj({"steps": {"type": "array"}}),
    "ScheduleList": obj({"schedules": {"type": "array"}}),
    "EventList": obj({"events": {"type": "array"}}),
    "QueueCounts": {"type": "object"},
    "Usage": obj({"prompt_tokens": {"type": "integer"}, "completion_tokens": {"type": "integer"},
                  "total_tokens": {"type": "integer"}, "estimated_cost_usd": {"type": "number"},
                  "agents": {"type": "array"}}),
    "AgentMemory": {"type": "object"},
    # A2A (SPEC §9.7)
    "AgentCard": obj({"name": {"type": "string"}, "url": {"type": "string"}, "version": {"type": "string"},
                      "protocolVersion": {"type": "string"}, "capabilities": {"type": "object"},
                      "skills": {"type": "array"}}),
    "OpenApi": obj({"openapi": {"type": "string"}, "paths": {"type": "object"}}),
}
