"""A2A v1.0 wire shapes (SPEC §9.7): the v0.3 objects of a2a_mapping in the v1.0 JSON (ProtoJSON) spelling.

v1.0 names states `TASK_STATE_COMPLETED` and roles `ROLE_USER`, drops every `kind`, spells a text part
`{"text": …}`, wraps a SendMessage result as `{"task": …}` and each stream event as `{"task"|"statusUpdate"|
"artifactUpdate": …}`; a status update carries no `final` flag (the stream ends instead).
"""

from typing import Any

from goclaw_actors.http.a2a_mapping import V1_STATE_PREFIX

ROLES = {"user": "ROLE_USER", "agent": "ROLE_AGENT"}


def task(v03_task: dict[str, Any], include_artifacts: bool = True) -> dict[str, Any]:
    """A v1.0 Task (artifacts left out unless `include_artifacts`, as ListTasks does by default)."""
    converted = {"id": v03_task["id"], "contextId": v03_task["contextId"], "status": status(v03_task["status"]),
                 "history": [message(item) for item in v03_task.get("history", [])],
                 "metadata": v03_task.get("metadata", {})}
    if include_artifacts:
        converted["artifacts"] = [artifact(item) for item in v03_task.get("artifacts", [])]
    return converted


def status(v03_status: dict[str, Any]) -> dict[str, Any]:
    """A v1.0 TaskStatus: `TASK_STATE_<STATE>`, timestamp, and the status message if any."""
    converted = {"state": V1_STATE_PREFIX + v03_status["state"].upper().replace("-", "_"),
                 "timestamp": v03_status["timestamp"]}
    if v03_status.get("message"):
        converted["message"] = message(v03_status["message"])
    return converted


def message(v03_message: dict[str, Any]) -> dict[str, Any]:
    """A v1.0 Message: `ROLE_USER` / `ROLE_AGENT`, text parts as `{"text": …}`."""
    return {"messageId": v03_message["messageId"], "contextId": v03_message["contextId"],
            "taskId": v03_message["taskId"], "role": ROLES[v03_message["role"]],
            "parts": [text_part(part) for part in v03_message["parts"]]}


def artifact(v03_artifact: dict[str, Any]) -> dict[str, Any]:
    """A v1.0 Artifact."""
    return {"artifactId": v03_artifact["artifactId"], "name": v03_artifact["name"],
            "parts": [text_part(part) for part in v03_artifact["parts"]]}


def text_part(v03_part: dict[str, Any]) -> dict[str, Any]:
    """`{"text": …}` (v1.0 parts have no `kind`)."""
    return {"text": v03_part["text"]}


def stream_event(v03_event: dict[str, Any]) -> dict[str, Any]:
    """A v0.3 stream result (task, status-update, artifact-update) as a v1.0 StreamResponse."""
    kind = v03_event["kind"]
    if kind == "task":
        return {"task": task(v03_event)}
    if kind == "status-update":
        return {"statusUpdate": {"taskId": v03_event["taskId"], "contextId": v03_event["contextId"],
                                 "status": status(v03_event["status"])}}
    return {"artifactUpdate": {"taskId": v03_event["taskId"], "contextId": v03_event["contextId"],
                               "artifact": artifact(v03_event["artifact"]), "append": v03_event["append"],
                               "lastChunk": v03_event["lastChunk"]}}
