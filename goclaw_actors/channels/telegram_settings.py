"""`channels.telegram` of config.yaml (SPEC §2.3, §10), checked at load so a bad entry refuses the start (or the
hot reload) with an error naming the key; the token never appears in an error.

    settings = telegram_settings(config)   # None when the channel is disabled
"""

import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

from goclaw_actors.config.bounds import Bound, number
from goclaw_actors.errors import ConfigError

DEFAULT_API_BASE_URL = "https://api.telegram.org"
TOKEN_ENV = "TELEGRAM_TOKEN"
API_BASE_URL_ENV = "TELEGRAM_API_BASE_URL"
KEY = "channels.telegram"
TOKEN_RE = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,200}")  # `<bot id>:<secret>` as BotFather hands it out
USER_ID = Bound(1, 2**53)  # Telegram user ids fit in 52 bits
CHAT_ID = Bound(-(2**53), 2**53)  # group and channel chats have negative ids
MAX_IDS = 1000


@dataclass(frozen=True)
class TelegramSettings:
    """The channel's settings (only built when it is enabled)."""

    token: str
    allowed_ids: frozenset[int]
    api_base_url: str = DEFAULT_API_BASE_URL
    alert_chat_ids: tuple[int, ...] = ()  # where send_alert and approvals go: the allowed users unless set
    poll_timeout_seconds: int = 30  # getUpdates long-poll timeout
    edit_interval_seconds: float = 1.0  # at most one message or edit per chat per this (Bot API: 1/s)
    max_backoff_seconds: float = 60.0  # ceiling of the reconnect backoff

    @property
    def bot_id(self) -> str:
        """The bot's id (the token's public part): update ids are counted per bot."""
        return self.token.split(":", 1)[0]

    @property
    def channel(self) -> str:
        """The key of this bot's update offset."""
        return f"telegram:{self.bot_id}"

    @property
    def alert_chats(self) -> tuple[int, ...]:
        """The chats alerts and approvals are sent to."""
        return self.alert_chat_ids or tuple(sorted(self.allowed_ids))

    def __repr__(self) -> str:  # never show the token
        return f"TelegramSettings(bot_id={self.bot_id}, allowed_ids={sorted(self.allowed_ids)})"


def apply_telegram_env(merged: dict[str, Any], environ: Mapping[str, str], sources: dict[str, str]) -> None:
    """Put TELEGRAM_TOKEN and TELEGRAM_API_BASE_URL (when set) over config.yaml's values (SPEC §2.5)."""
    for variable, name in ((TOKEN_ENV, "token"), (API_BASE_URL_ENV, "api_base_url")):
        value = environ.get(variable, "").strip()
        if not value:
            continue
        channels = merged.setdefault("channels", {})
        if not isinstance(channels, dict):
            return  # reported by the loader's section check
        telegram = channels.get("telegram")
        if telegram is None:
            telegram = channels["telegram"] = {}
        if isinstance(telegram, dict):
            telegram[name] = value
            sources[f"{KEY}.{name}"] = f"{KEY}.{name} (from {variable})"


def telegram_settings(config: Any, sources: Mapping[str, str] | None = None) -> TelegramSettings | None:
    """The checked settings of a Config (or of its merged mapping), None when the channel is disabled;
    ConfigError naming the key otherwise."""
    raw = config.raw if hasattr(config, "raw") else config
    channels = raw.get("channels") or {}
    if not isinstance(channels, dict):
        raise ConfigError("channels must be a mapping")
    entry = channels.get("telegram")
    if entry is None:
        return None
    if not isinstance(entry, dict):
        raise ConfigError(f"{KEY} must be a mapping")
    enabled = entry.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{KEY}.enabled must be true or false")
    numbers = {name: number(entry.get(name, default), f"{KEY}.{name}", bound)
               for name, default, bound in (("poll_timeout_seconds", 30, Bound(0, 50)),
                                            ("edit_interval_seconds", 1.0, Bound(1, 60, whole=False)),
                                            ("max_backoff_seconds", 60.0, Bound(1, 3600, whole=False)))}
    allowed = _ids(entry.get("allowed_ids"), "allowed_ids", USER_ID)
    alerts = _ids(entry.get("alert_chat_ids"), "alert_chat_ids", CHAT_ID)
    base_url = _base_url(entry.get("api_base_url"), (sources or {}).get(f"{KEY}.api_base_url"))
    if not enabled:
        return None
    token = entry.get("token")
    token_key = (sources or {}).get(f"{KEY}.token", f"{KEY}.token (or {TOKEN_ENV})")
    if token in (None, ""):
        raise ConfigError(f"{token_key} is required when {KEY}.enabled is true")
    if not isinstance(token, str) or not TOKEN_RE.fullmatch(token.strip()):
        raise ConfigError(f"{token_key} must be a bot token as BotFather gives it (<bot id>:<secret>)")
    if not allowed:
        raise ConfigError(f"{KEY}.allowed_ids must list at least one Telegram user id when {KEY}.enabled is "
                          "true (only those users are served)")
    return TelegramSettings(token=token.strip(), allowed_ids=frozenset(allowed), api_base_url=base_url,
                            alert_chat_ids=tuple(dict.fromkeys(alerts)), **numbers)


def _ids(value: Any, name: str, bound: Bound) -> list[int]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{KEY}.{name} must be a list of Telegram ids")
    if len(value) > MAX_IDS:
        raise ConfigError(f"{KEY}.{name} must hold at most {MAX_IDS} ids")
    ids = [int(number(item, f"{KEY}.{name}[{index}]", bound)) for index, item in enumerate(value)]
    if 0 in ids:
        raise ConfigError(f"{KEY}.{name}[{ids.index(0)}] must not be 0")
    return ids


def _base_url(value: Any, source: str | None) -> str:
    key = source or f"{KEY}.api_base_url"
    if value in (None, ""):
        return DEFAULT_API_BASE_URL
    if not isinstance(value, str) or len(value) > 2048 or not value.isascii() or not value.isprintable():
        raise ConfigError(f"{key} must be an http(s) URL")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{key} must be an http(s) URL such as {DEFAULT_API_BASE_URL}")
    return value.strip().rstrip("/")
