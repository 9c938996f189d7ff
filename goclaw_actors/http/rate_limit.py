"""The gateway's rate limits (SPEC §9.2): requests per API key else per client IP, and refusals per
client IP.

Requests are limited when `gateway.rate_limit.enabled`; ACP calls on an open socket draw from the same
bucket as the request that opened it. Refusals (credentials missing or wrong, a scoped key on a
daemon-wide route) are always limited, at the same rates, in a bucket of their own per client address:
once it is empty the address gets 429 without its credential being looked at, so keys cannot be guessed
at line speed.
"""

from typing import Any, Callable

from goclaw_actors import telemetry
from goclaw_actors.http.principal import Principal, current_principal
from goclaw_actors.http.route_access import request_access
from goclaw_actors.http.security_settings import SecuritySettings
from goclaw_actors.http.token_bucket import BucketTable
from goclaw_actors.http.wsgi_responses import respond_json

RATE_LIMITED = {"error": "rate limit exceeded"}
RETRY_AFTER = [("Retry-After", "1")]
ADMIT_KEY = "goclaw.admit"  # environ entry: a callable taking one token of the caller's bucket (ACP calls)


def client_address(environ: dict[str, Any]) -> str:
    """The client IP of a request."""
    return environ.get("REMOTE_ADDR", "")


class Limiter:
    """The token buckets of the gateway, keyed by caller."""

    def __init__(self, settings: Callable[[], SecuritySettings], buckets: BucketTable | None = None):
        self.settings = settings
        self.buckets = buckets or BucketTable()

    def admit(self, principal: Principal, address: str) -> bool:
        """Take a token from the caller's bucket (its API key's, else its address's); True while the rate
        limit is off."""
        settings = self.settings()
        limit = settings.rate_limit
        if not limit.enabled:
            return True
        per_minute = limit.requests_per_minute
        if principal.kind == "api_key":
            caller = f"key:{principal.key_id}"
            key = settings.key_by_id(principal.key_id)
            if key is not None and key.rate_limit:
                per_minute = key.rate_limit
        else:
            caller = f"ip:{address}"
        return self.buckets.take(caller, per_minute, limit.burst_size)

    def may_try_credentials(self, address: str) -> bool:
        """Whether `address` has refusals left (a credential it presents is looked at)."""
        limit = self.settings().rate_limit
        return self.buckets.has_token(f"refused:{address}", limit.requests_per_minute, limit.burst_size)

    def refused(self, address: str) -> None:
        """Count one refusal of `address`."""
        limit = self.settings().rate_limit
        self.buckets.take(f"refused:{address}", limit.requests_per_minute, limit.burst_size)


def too_many(start_response: Callable) -> list[bytes]:
    """The 429 answer (`Retry-After: 1`, `{"error": "rate limit exceeded"}`)."""
    telemetry.rate_limited("http")
    return respond_json(start_response, 429, RATE_LIMITED, headers=RETRY_AFTER)


class RateLimit:
    """Refuses requests (429) once their caller's bucket is empty; health, metrics and cards are exempt.

    Leaves `environ[ADMIT_KEY]` for routes that serve more than one call per request (the ACP socket).
    """

    def __init__(self, app: Callable, limiter: Limiter):
        self.app = app
        self.limiter = limiter

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        principal, address = current_principal(environ), client_address(environ)
        if request_access(environ).rate_limited and not self.limiter.admit(principal, address):
            return too_many(start_response)
        environ[ADMIT_KEY] = lambda: self.limiter.admit(principal, address)
        return self.app(environ, start_response)
