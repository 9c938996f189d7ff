"""The gateway's security settings (SPEC §2.3 `gateway.*`, §9.2), parsed and checked from a Config.

    settings = SettingsSource(ctx.config)
    settings().rate_limit.requests_per_minute  # 60 unless configured
"""

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

from goclaw_actors.config.defaults import DEFAULT_MAX_REQUEST_SIZE
from goclaw_actors.errors import ConfigError
from goclaw_actors.http.request_framing import DEFAULT_HEAD_TIMEOUT_SECONDS
from goclaw_actors.logs.system_log import get_logger

DEFAULT_REQUESTS_PER_MINUTE = 60
DEFAULT_BURST_SIZE = 10
DEFAULT_CORS_METHODS = "GET, POST, OPTIONS"
DEFAULT_CORS_HEADERS = "Content-Type, Authorization, X-API-Key"
DEFAULT_CORS_MAX_AGE = 3600

log = get_logger("gateway")


@dataclass(frozen=True)
class ApiKey:
    """One configured gateway API key; `key_id` names it without revealing it (logs, rate-limit buckets)."""

    key: str
    key_id: str
    description: str = ""
    agent_ids: frozenset[str] = frozenset()  # empty: every agent
    rate_limit: int = 0  # requests per minute; 0: the global rate


@dataclass(frozen=True)
class RateLimitSettings:
    """`gateway.rate_limit`: token buckets of `burst_size` refilled at `requests_per_minute`."""

    enabled: bool = False
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
    burst_size: int = DEFAULT_BURST_SIZE


@dataclass(frozen=True)
class CorsSettings:
    """`gateway.cors`: which origins may read responses, and what preflights answer."""

    enabled: bool = False
    allowed_origins: tuple[str, ...] = ()
    allowed_methods: str = DEFAULT_CORS_METHODS
    allowed_headers: str = DEFAULT_CORS_HEADERS
    max_age: int = DEFAULT_CORS_MAX_AGE

    def allows(self, origin: str) -> bool:
        """Whether responses to `origin` get CORS headers (listed, or `*` listed)."""
        return self.enabled and bool(origin) and ("*" in self.allowed_origins or origin in self.allowed_origins)


@dataclass(frozen=True)
class SecuritySettings:
    """Everything the security middleware reads from the configuration."""

    max_request_size: int = DEFAULT_MAX_REQUEST_SIZE
    auth_enabled: bool = False
    api_keys: tuple[ApiKey, ...] = ()
    rate_limit: RateLimitSettings = field(default_factory=RateLimitSettings)
    cors: CorsSettings = field(default_factory=CorsSettings)
    request_head_timeout: float = DEFAULT_HEAD_TIMEOUT_SECONDS  # s for a request line, and for its headers

    def key_by_id(self, key_id: str) -> ApiKey | None:
        """The configured key called `key_id`, or None."""
        return next((key for key in self.api_keys if key.key_id == key_id), None)


def key_id_of(key: str) -> str:
    """A stable, non-secret name for an API key (a short SHA-256 prefix)."""
    return "key-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def security_settings(config: Any) -> SecuritySettings:
    """Parse the `gateway.*` keys of `config` (a Config); raises ConfigError naming a bad key."""
    return SecuritySettings(
        max_request_size=_positive_int(config.get("gateway.max_request_size", DEFAULT_MAX_REQUEST_SIZE),
                                       "gateway.max_request_size"),
        auth_enabled=_flag(config.get("gateway.auth.enabled", False), "gateway.auth.enabled"),
        api_keys=_api_keys(config.get("gateway.auth.keys") or []),
        rate_limit=RateLimitSettings(
            enabled=_flag(config.get("gateway.rate_limit.enabled", False), "gateway.rate_limit.enabled"),
            requests_per_minute=_positive_int(
                config.get("gateway.rate_limit.requests_per_minute", DEFAULT_REQUESTS_PER_MINUTE),
                "gateway.rate_limit.requests_per_minute"),
            burst_size=_positive_int(config.get("gateway.rate_limit.burst_size", DEFAULT_BURST_SIZE),
                                     "gateway.rate_limit.burst_size"),
        ),
        cors=CorsSettings(
            enabled=_flag(config.get("gateway.cors.enabled", False), "gateway.cors.enabled"),
            allowed_origins=tuple(_strings(config.get("gateway.cors.allowed_origins") or [],
                                           "gateway.cors.allowed_origins")),
            allowed_methods=_header_list(config.get("gateway.cors.allowed_methods", DEFAULT_CORS_METHODS),
                                         "gateway.cors.allowed_methods"),
            allowed_headers=_header_list(config.get("gateway.cors.allowed_headers", DEFAULT_CORS_HEADERS),
                                         "gateway.cors.allowed_headers"),
            max_age=_positive_int(config.get("gateway.cors.max_age", DEFAULT_CORS_MAX_AGE), "gateway.cors.max_age",
                                  allow_zero=True),
        ),
        request_head_timeout=float(config.get("gateway.request_head_timeout_seconds",
                                              DEFAULT_HEAD_TIMEOUT_SECONDS)),  # bounded at load (config/bounds.py)
    )


class SettingsSource:
    """The settings of the configuration in force, re-parsed when `config()` returns a new Config.

    A reloaded configuration with bad gateway keys keeps the previous settings (logged).
    """

    def __init__(self, config: Callable[[], Any]):
        self._config = config
        self._seen: Any = None
        self._settings: SecuritySettings | None = None

    def __call__(self) -> SecuritySettings:
        config = self._config()
        if config is not self._seen:
            try:
                self._settings = security_settings(config)
            except ConfigError as exc:
                if self._settings is None:
                    raise
                log.error("gateway settings not reloaded; keeping the previous ones", error=str(exc))
            self._seen = config
        return self._settings


def _api_keys(entries: Any) -> tuple[ApiKey, ...]:
    if not isinstance(entries, list):
        raise ConfigError("gateway.auth.keys must be a list of {key, description, agent_ids, rate_limit}")
    keys = []
    for index, entry in enumerate(entries):
        where = f"gateway.auth.keys[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a mapping")
        key = entry.get("key")
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f"{where}.key must be a non-empty string")
        keys.append(ApiKey(
            key=key.strip(), key_id=key_id_of(key.strip()), description=str(entry.get("description") or ""),
            agent_ids=frozenset(_strings(entry.get("agent_ids") or [], f"{where}.agent_ids")),
            rate_limit=_positive_int(entry.get("rate_limit") or 0, f"{where}.rate_limit", allow_zero=True)))
    return tuple(keys)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return value


def _positive_int(value: Any, name: str, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} whole number, "
                          f"got {value!r}")
    return value


def _strings(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{name} must be a list of strings")
    return [item.strip() for item in value if item.strip()]


def _header_list(value: Any, name: str) -> str:
    """A header value from either a comma-separated string or a list of names."""
    if isinstance(value, str):
        return ", ".join(part.strip() for part in value.split(",") if part.strip())
    return ", ".join(_strings(value, name))
