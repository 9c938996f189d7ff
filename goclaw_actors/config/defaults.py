"""Built-in defaults of config.yaml (SPEC §2.3) and the environment variables that override them."""

DEFAULT_AGENT_ID = "default"
DEFAULT_BIND_ADDR = "127.0.0.1:18789"
DEFAULT_MAX_REQUEST_SIZE = 10 * 1024 * 1024

DEFAULTS = {
    "worker_count": 16,
    "task_timeout_seconds": 600,
    "bind_addr": DEFAULT_BIND_ADDR,
    "log_level": "info",
    "max_queue_depth": 100,
    "drain_timeout_seconds": 5,
    "heartbeat_interval_minutes": 30,
    "delegation_timeout_seconds": 120,
    "approval_timeout_seconds": 60,
    "engine_tick_seconds": 10,
    "lease_seconds": 30,
    "retention_task_events_days": 90,
    "retention_audit_log_days": 365,
    "retention_messages_days": 90,
    "allow_origins": [],
    "gateway": {"max_request_size": DEFAULT_MAX_REQUEST_SIZE, "replay_max_events": 1000,
                "sse_heartbeat_seconds": 15, "request_head_timeout_seconds": 30},
}

# Environment variable -> top-level key it overrides (SPEC §2.5).
ENV_OVERRIDES = {
    "GOCLAW_BIND_ADDR": "bind_addr",
    "GOCLAW_WORKER_COUNT": "worker_count",
    "GOCLAW_TASK_TIMEOUT_SECONDS": "task_timeout_seconds",
    "GOCLAW_LOG_LEVEL": "log_level",
    "GOCLAW_DRAIN_TIMEOUT_SECONDS": "drain_timeout_seconds",
    "GOCLAW_HEARTBEAT_INTERVAL_MINUTES": "heartbeat_interval_minutes",
    "GOCLAW_AGENT_NAME": "agent_name",
    "GOCLAW_AGENT_EMOJI": "agent_emoji",
}

# Every top-level key config.yaml may hold; others are ignored with a warning.
KNOWN_KEYS = frozenset(DEFAULTS) | {
    "llm", "llm_provider", "gemini_model", "gemini_api_key", "api_keys", "providers", "agent_name",
    "agent_emoji", "preferred_search", "delegation_max_hops", "context_limits", "skills", "tools",
    "channels", "mcp", "agents", "plans", "a2a", "telemetry", "streaming", "storage",
}

LOG_LEVELS = ("debug", "info", "warn", "error")
