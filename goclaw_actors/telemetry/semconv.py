"""Attribute and instrument names of the daemon's telemetry (SPEC §11.3): the OpenTelemetry GenAI semantic
conventions as currently named, HTTP/RPC server conventions, and the daemon's own `goclaw.*` keys."""

# GenAI semantic conventions (spans and metrics).
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
GEN_AI_AGENT_ID = "gen_ai.agent.id"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
GEN_AI_TOKEN_TYPE = "gen_ai.token.type"
CHAT = "chat"
EXECUTE_TOOL = "execute_tool"
INVOKE_AGENT = "invoke_agent"
ERROR_TYPE = "error.type"
# Request parameters recorded on chat spans: task sampling field -> attribute.
GEN_AI_REQUEST_PARAMS = {
    "max_tokens": "gen_ai.request.max_tokens",
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "top_k": "gen_ai.request.top_k",
    "stop": "gen_ai.request.stop_sequences",
}

# The daemon's own attributes.
AGENT_ID = "goclaw.agent.id"
TASK_ID = "goclaw.task.id"
SESSION_ID = "goclaw.session.id"
TOOL_NAME = "goclaw.tool.name"
LLM_MODEL = "goclaw.llm.model"
LLM_PROVIDER = "goclaw.llm.provider"
TASK_ATTEMPT = "goclaw.task.attempt"
TASK_TYPE = "goclaw.task.type"
RUN_ID = "goclaw.run.id"
OUTCOME = "goclaw.outcome"

# Provider names as the GenAI conventions spell them where they differ from the daemon's (SPEC §4.2).
GEN_AI_PROVIDERS = {"google": "gcp.gemini"}

# Histogram buckets the GenAI conventions advise for their two metrics.
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)


def gen_ai_provider(name: str) -> str:
    """`gen_ai.provider.name` of one of the daemon's providers (`google` is `gcp.gemini`)."""
    return GEN_AI_PROVIDERS.get(name, name)
