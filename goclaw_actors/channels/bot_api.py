"""The Telegram Bot API over `requests` (SPEC §10): `POST <base>/bot<token>/<method>` with a JSON body, answered
`{"ok": true, "result": …}` or `{"ok": false, "error_code", "description", "parameters": {"retry_after"}}`.

Under gevent's monkey patching the long poll is a cooperative socket wait. The token is in every URL, so
every error text is scrubbed of it before it can reach a log line.

    api = BotApi("https://api.telegram.org", token)
    updates = api.call("getUpdates", {"offset": 5, "timeout": 30}, read_timeout=40)
"""

import random
from typing import Any, Callable

import requests
import requests.adapters

from goclaw_actors.redaction import REDACTED, redact_text

CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 30.0
SEND_ATTEMPTS = 5  # of one send before it is given up as failed
FIRST_BACKOFF_SECONDS = 0.5
NOT_MODIFIED = "message is not modified"
POOL_SIZE = 32  # connections kept to the Bot API (the long poll and the replies being delivered)


class BotApiError(Exception):
    """A Bot API call that failed: `status` None for a network error, else the HTTP status."""

    def __init__(self, method: str, status: int | None, description: str, retry_after: float | None = None):
        super().__init__(f"telegram {method}: " + (f"{status} " if status else "") + description)
        self.method = method
        self.status = status
        self.description = description
        self.retry_after = retry_after

    @property
    def retriable(self) -> bool:
        """Network errors, 429 (with retry_after) and 5xx are worth another try."""
        return self.status is None or self.status == 429 or self.status >= 500

    @property
    def token_rejected(self) -> bool:
        """401 (bad token) or 404 (no such bot: the token is wrong) on a bot method."""
        return self.status in (401, 404)

    @property
    def not_modified(self) -> bool:
        """An edit that would change nothing (the text is already shown): not a failure."""
        return self.status == 400 and NOT_MODIFIED in self.description.lower()


class BotApi:
    """One bot's Bot API endpoint."""

    def __init__(self, base_url: str, token: str, session: requests.Session | None = None):
        self._base = f"{base_url.rstrip('/')}/bot{token}/"
        self._token = token
        self._session = session or _pooled_session()

    def __repr__(self) -> str:  # never show the token
        return "BotApi(<redacted>)"

    def scrub(self, text: str) -> str:
        """`text` without the token (and other secrets)."""
        return redact_text(text.replace(self._token, REDACTED))

    def call(self, method: str, params: dict[str, Any] | None = None,
             read_timeout: float = READ_TIMEOUT_SECONDS) -> Any:
        """The method's `result`; raises BotApiError."""
        try:
            response = self._session.post(self._base + method, json=params or {},
                                          timeout=(CONNECT_TIMEOUT_SECONDS, read_timeout))
        except requests.RequestException as exc:
            raise BotApiError(method, None, self.scrub(f"{type(exc).__name__}: {exc}")) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        description, retry_after = response.reason or "error", None
        if isinstance(body, dict):
            description = str(body.get("description") or description)
            parameters = body.get("parameters")
            if isinstance(parameters, dict) and isinstance(parameters.get("retry_after"), (int, float)):
                retry_after = float(parameters["retry_after"])
        status = response.status_code if response.status_code != 200 else 500  # 200 without ok: treat as 5xx
        raise BotApiError(method, status, self.scrub(description[:500]), retry_after)

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()


def _pooled_session() -> requests.Session:
    """A session keeping enough connections for the long poll and concurrent replies."""
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def backoff_seconds(failures: int, ceiling: float) -> float:
    """Exponential backoff after `failures` consecutive failures (0.5 s, 1 s, 2 s, … up to `ceiling`), ±20 %."""
    base = min(FIRST_BACKOFF_SECONDS * 2 ** max(0, failures - 1), ceiling)
    return min(ceiling, base * random.uniform(0.8, 1.2))


def call_retrying(api: BotApi, method: str, params: dict[str, Any], sleep: Callable[[float], None],
                  ceiling: float = 60.0, attempts: int = SEND_ATTEMPTS,
                  on_retry_after: Callable[[float], None] | None = None) -> Any:
    """`api.call` retried on retriable errors (waiting `retry_after` when the Bot API says so, else backing
    off); raises the last BotApiError. `on_retry_after(seconds)` hears every 429, so pacing can slow down."""
    for attempt in range(1, attempts + 1):
        try:
            return api.call(method, params)
        except BotApiError as exc:
            if not exc.retriable or attempt == attempts:
                raise
            if exc.retry_after is not None and on_retry_after is not None:
                on_retry_after(exc.retry_after)
            sleep(min(ceiling, exc.retry_after) if exc.retry_after is not None else backoff_seconds(attempt, ceiling))
    raise AssertionError("unreachable")
