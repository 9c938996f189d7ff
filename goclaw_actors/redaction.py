"""Secret redaction for logs, tool output and audit text (SPEC §5.6)."""

import re
from typing import Any

REDACTED = "[REDACTED]"

_TEXT_RULES = [
    # also the JSON forms `"api_key": "…"` and, inside a JSON string, `\"api_key\": \"…\"`
    (re.compile(r'(?i)((?:api_key|apikey|secret_key|auth_token|bearer)(?:\\?")?\s*[:=]\s*(?:\\?")?)'
                r'[A-Za-z0-9._\-+/=]{16,}'),
     r"\1" + REDACTED),
    (re.compile(r"Bearer [A-Za-z0-9._\-+/=]{16,}"), "Bearer " + REDACTED),
    (re.compile(r"AIza[A-Za-z0-9_\-]{30,}"), REDACTED),
    (re.compile(r"(?i)((?:token|secret)[:=])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
     r"\1" + REDACTED),
    # a Telegram bot token (`<bot id>:<secret>`), also inside a Bot API URL (`/bot<token>/getUpdates`)
    (re.compile(r"(?<![A-Za-z0-9])(bot)?[0-9]{5,20}:[A-Za-z0-9_-]{30,}"), r"\1" + REDACTED),
]
_SECRET_KEY_PARTS = ("token", "secret", "password", "authorization", "api_key", "apikey", "bearer")
_SECRET_VALUE_PARTS = ("bearer ", "api_key", "authorization:")


def redact_text(text: str) -> str:
    """`text` with every secret pattern of §5.6 replaced by [REDACTED]."""
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text


def is_secret_key(key: str) -> bool:
    """Whether a structured attribute called `key` holds a secret."""
    lowered = key.lower()
    return any(part in lowered for part in _SECRET_KEY_PARTS)


def redact_value(key: str, value: Any) -> Any:
    """A structured log attribute with secrets hidden (whole value for secret keys and values)."""
    if is_secret_key(key):
        return REDACTED
    if isinstance(value, str):
        if any(part in value.lower() for part in _SECRET_VALUE_PARTS):
            return REDACTED
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value("", v) for v in value]
    return value
