"""Gateway middleware: the rate limit, per API key else per client IP (SPEC §9.2)."""

from typing import Any, Callable

from goclaw_actors.http.access import is_rate_limited
from goclaw_actors.http.principal import current_principal
from goclaw_actors.http.security_settings import SecuritySettings
from goclaw_actors.http.token_bucket import BucketTable
from goclaw_actors.http.wsgi_responses import respond_json

RATE_LIMITED = {"error": "rate limit exceeded"}
RETRY_AFTER_SECONDS = "1"


def caller_of(environ: dict[str, Any]) -> str:
    """The bucket a request draws from: its API key's, else its client address's."""
    principal = current_principal(environ)
    if principal.kind == "api_key":
        return f"key:{principal.key_id}"
    return f"ip:{environ.get('REMOTE_ADDR', '')}"


class RateLimit:
    """Refuses requests (429, `Retry-After: 1`) once their caller's bucket is empty."""

    def __init__(self, app: Callable, settings: Callable[[], SecuritySettings], buckets: BucketTable | None = None):
        self.app = app
        self.settings = settings
        self.buckets = buckets or BucketTable()

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        settings = self.settings()
        limit = settings.rate_limit
        if not limit.enabled or not is_rate_limited(environ.get("PATH_INFO") or "/"):
            return self.app(environ, start_response)
        caller = caller_of(environ)
        per_minute = limit.requests_per_minute
        if caller.startswith("key:"):
            key = settings.key_by_id(caller[len("key:"):])
            if key is not None and key.rate_limit:
                per_minute = key.rate_limit
        if not self.buckets.take(caller, per_minute, limit.burst_size):
            return respond_json(start_response, 429, RATE_LIMITED, headers=[("Retry-After", RETRY_AFTER_SECONDS)])
        return self.app(environ, start_response)
