"""Gateway middleware: the daemon token and gateway API keys (SPEC §9.1, §9.2).

The caller's identity is left in the environ as a Principal (goclaw_actors/http/principal.py).
"""

import hmac
from typing import Any, Callable
from urllib.parse import parse_qs

from goclaw_actors.http.access import Access, access_of, is_openai_path
from goclaw_actors.http.principal import ANONYMOUS, ENVIRON_KEY, TOKEN, Principal
from goclaw_actors.http.security_settings import SecuritySettings
from goclaw_actors.http.wsgi_responses import respond, respond_json

UNAUTHORIZED = "unauthorized\n"
OPENAI_INVALID_KEY = {"error": {"message": "Invalid API key", "type": "authentication_error", "param": None,
                                "code": "invalid_api_key"}}
MISSING_KEY = {"error": "missing API key"}
INVALID_KEY = {"error": "invalid API key"}

# Why a request was refused (the reason written to the audit trail).
INVALID_TOKEN = "invalid_token"
MISSING_API_KEY = "missing_api_key"
INVALID_API_KEY = "invalid_api_key"

OnDeny = Callable[[str, dict[str, Any]], None]


def bearer_token(environ: dict[str, Any]) -> str:
    """The credential of an `Authorization: Bearer <x>` header, or ""."""
    scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def presented_credential(environ: dict[str, Any]) -> str:
    """The first credential given: `Authorization: Bearer`, then `X-API-Key`, then `?api_key=`; "" if none."""
    credential = bearer_token(environ) or environ.get("HTTP_X_API_KEY", "").strip()
    if credential:
        return credential
    values = parse_qs(environ.get("QUERY_STRING", "")).get("api_key") or [""]
    return values[0].strip()


def _same(presented: str, expected: str) -> bool:
    return bool(presented) and bool(expected) and hmac.compare_digest(presented.encode("utf-8"),
                                                                       expected.encode("utf-8"))


class Auth:
    """Admits a request that presents what its path needs; refuses the others in the contract's formats.

    `on_deny(reason, environ)` is told about every refusal (for the audit trail).
    """

    def __init__(self, app: Callable, token: str, settings: Callable[[], SecuritySettings],
                 on_deny: OnDeny | None = None):
        self.app = app
        self.token = token
        self.settings = settings
        self.on_deny = on_deny

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        principal, refusal = self.authenticate(environ)
        if refusal is not None:
            reason, code, body = refusal
            if self.on_deny is not None:
                self.on_deny(reason, environ)
            if isinstance(body, str):
                return respond(start_response, code, body)
            return respond_json(start_response, code, body)
        environ[ENVIRON_KEY] = principal
        return self.app(environ, start_response)

    def authenticate(self, environ: dict[str, Any]) -> tuple[Principal | None, tuple[str, int, Any] | None]:
        """(principal, None) when admitted, else (None, (reason, status, body))."""
        path = environ.get("PATH_INFO") or "/"
        access = access_of(path)
        if access in (Access.OPEN, Access.UNLISTED):
            return ANONYMOUS, None
        settings = self.settings()
        if access is Access.TOKEN_ONLY or not settings.auth_enabled:
            if _same(bearer_token(environ), self.token):
                return TOKEN, None
            body = OPENAI_INVALID_KEY if is_openai_path(path) else UNAUTHORIZED
            return None, (INVALID_TOKEN, 401, body)
        credential = presented_credential(environ)
        if not credential:
            return None, (MISSING_API_KEY, 401, MISSING_KEY)
        if _same(credential, self.token):
            return TOKEN, None
        matched = None
        for key in settings.api_keys:  # compare with every key: the time taken does not tell which matched
            if _same(credential, key.key):
                matched = key
        if matched is None:
            return None, (INVALID_API_KEY, 403, INVALID_KEY)
        return Principal("api_key", matched.key_id, matched.agent_ids), None
