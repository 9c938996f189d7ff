"""The daemon's own secrets, by value, and their removal from text a model or a tool produces (SPEC §5.6).

Pattern redaction (goclaw_actors/redaction.py) catches what looks like a key; this catches the exact values
the daemon holds (the gateway token, provider and agent keys, gateway API keys, configured API keys), in
whatever text they turn up: a model echoing the key it was called with, a tool printing a file. Streams are
scrubbed too: a chunk ending in what may be the start of a secret is held back until the next one tells.
"""

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import yaml

from goclaw_actors.agent_secrets import SECRETS_FILE, SECTION
from goclaw_actors.home import TOKEN_ENV, TOKEN_FILE, read_auth_token
from goclaw_actors.redaction import REDACTED, is_secret_key
from goclaw_actors.tools.shell_env import MIN_SECRET_LENGTH, SECRET_SUFFIXES, is_secret_name

OnToken = Callable[[str], None]


def secret_values(config: Any, home: Path, environ: Mapping[str, str]) -> frozenset[str]:
    """Values no child process, stored text or answer may carry: the gateway token, secret-named environment
    variables (provider keys among them), configured API keys, gateway API keys and runtime agents' keys."""
    values = {value for name, value in environ.items() if holds_secret_value(name)}
    values.add(environ.get(TOKEN_ENV, "") or read_auth_token(home))
    values.add(str(config.get("gemini_api_key", "") or ""))
    values.update(str(value) for value in (config.get("api_keys") or {}).values() if value)
    values.update(str(entry.get("api_key")) for entry in (config.get("providers") or {}).values()
                  if isinstance(entry, dict) and entry.get("api_key"))
    keys = (config.get("gateway.auth.keys", None) or [])
    values.update(str(entry.get("key")) for entry in keys if isinstance(entry, dict) and entry.get("key"))
    values.update(_agent_keys(home))
    return frozenset(value.strip() for value in values if value and value.strip())


def holds_secret_value(name: str) -> bool:
    """Whether the environment variable `name` holds a secret (GOCLAW_HOME, GOCLAW_BIND_ADDR and the other
    settings are never passed to a child, but are no secrets: their values are not scrubbed from text)."""
    upper = name.upper()
    return is_secret_name(name) and (not upper.startswith("GOCLAW_") or upper == TOKEN_ENV
                                     or upper.endswith(SECRET_SUFFIXES) or is_secret_key(name.removeprefix("GOCLAW_")))


def _agent_keys(home: Path) -> list[str]:
    """The keys of runtime agents (secrets.yaml), read leniently: a bad file is reported where it is used."""
    try:
        data = yaml.safe_load((Path(home) / SECRETS_FILE).read_text(encoding="utf-8")) or {}
        keys = data.get(SECTION) or {}
        return [value for value in keys.values() if isinstance(value, str)]
    except Exception:  # noqa: BLE001 - missing or unreadable: nothing to add here
        return []


class SecretScrubber:
    """Replaces each known secret value (of at least MIN_SECRET_LENGTH characters) with [REDACTED]."""

    def __init__(self, secrets: Iterable[str]):
        self.secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """`text` without any known secret."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def scrub_value(self, value: Any) -> Any:
        """A JSON-like value with every string scrubbed."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {key: self.scrub_value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub_value(item) for item in value]
        return value

    def held_back(self, text: str) -> int:
        """How many trailing characters of `text` could begin a secret (they wait for the next chunk)."""
        longest = 0
        for secret in self.secrets:
            start = max(0, len(text) - len(secret) + 1)
            position = text.find(secret[0], start)
            while position != -1 and len(text) - position > longest:  # leftmost first: the longest candidate
                if secret.startswith(text[position:]):
                    longest = len(text) - position
                    break
                position = text.find(secret[0], position + 1)
        return longest

    def stream(self, on_token: OnToken) -> tuple[OnToken, Callable[[], None]]:
        """(on_token for the raw chunks, flush for the end): what reaches `on_token` is scrubbed."""
        pending = [""]

        def take(chunk: str) -> None:
            text = self.scrub(pending[0] + chunk)
            keep = self.held_back(text)
            pending[0] = text[len(text) - keep:] if keep else ""
            ready = text[:len(text) - keep]
            if ready:
                on_token(ready)

        def flush() -> None:
            if pending[0]:
                on_token(self.scrub(pending[0]))
                pending[0] = ""

        return take, flush


class ScrubberSource:
    """The scrubber of the secrets known now (`source()`), rebuilt only when what they come from changed:
    the configuration in force, auth.token or secrets.yaml. One per agent brain."""

    def __init__(self, config: Callable[[], Any], home: Path, environ: Mapping[str, str], extra: Iterable[str] = ()):
        self.config = config
        self.home = Path(home)
        self.environ = environ
        self.extra = frozenset(extra)
        self._config: Any = None
        self._stamps: tuple | None = None
        self._scrubber = SecretScrubber(())

    def __call__(self) -> SecretScrubber:
        config = self.config()
        stamps = (_stamp(self.home / TOKEN_FILE), _stamp(self.home / SECRETS_FILE))
        if config is not self._config or stamps != self._stamps:
            self._scrubber = SecretScrubber(secret_values(config, self.home, self.environ) | self.extra)
            self._config, self._stamps = config, stamps
        return self._scrubber


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size


def scrubbing_model(call_model: Callable, scrubbers: Callable[[], SecretScrubber]) -> Callable:
    """`call_model(request, on_token)` whose answer (text, streamed chunks, tool call arguments) carries no
    known secret: a model can be led to repeat one (a prompt injection, a tool result quoting a file).
    `scrubbers()` gives the scrubber of the secrets known at each call."""

    def call(request, on_token):
        scrubber = scrubbers()
        if not scrubber.secrets:
            return call_model(request, on_token)
        if on_token is None:
            response = call_model(request, None)
        else:
            take, flush = scrubber.stream(on_token)
            response = call_model(request, take)
            flush()
        return replace(response, content=scrubber.scrub(response.content or ""),
                       tool_calls=[replace(call, arguments=scrubber.scrub_value(call.arguments))
                                   for call in response.tool_calls])

    return call
