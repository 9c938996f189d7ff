"""Which credentials a gateway path needs (SPEC §9.1, §9.2)."""

import enum

OPEN_PATHS = frozenset({"/healthz", "/.well-known/agent.json", "/.well-known/agent-card.json"})
TOKEN_ONLY_PATHS = frozenset({"/metrics", "/metrics/prometheus"})  # the daemon token; API keys are not checked
PROTECTED_PATHS = frozenset({"/ws", "/a2a"})
PROTECTED_PREFIXES = ("/api/", "/v1/")


class Access(enum.Enum):
    """What a path asks of its caller."""

    OPEN = "open"  # nothing (health, agent cards)
    TOKEN_ONLY = "token_only"  # the daemon token (metrics)
    PROTECTED = "protected"  # the daemon token, or an API key when gateway.auth is enabled
    UNLISTED = "unlisted"  # no rule names it (e.g. a dashboard page): open, but rate limited


def access_of(path: str) -> Access:
    """The access rule of request path `path`."""
    if path in OPEN_PATHS:
        return Access.OPEN
    if path in TOKEN_ONLY_PATHS:
        return Access.TOKEN_ONLY
    if path in PROTECTED_PATHS or path.startswith(PROTECTED_PREFIXES) or path in ("/api", "/v1"):
        return Access.PROTECTED
    return Access.UNLISTED


def is_rate_limited(path: str) -> bool:
    """Whether rate limiting applies to `path` (it skips the same paths as API keys: health, metrics, cards)."""
    return access_of(path) in (Access.PROTECTED, Access.UNLISTED)


def is_openai_path(path: str) -> bool:
    """Whether `path` belongs to the OpenAI-compatible API (its errors use OpenAI's format)."""
    return path == "/v1" or path.startswith("/v1/")
