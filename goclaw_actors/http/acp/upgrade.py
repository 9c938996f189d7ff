"""Checks on the WebSocket upgrade request (SPEC §9.3): the daemon token, then the Origin."""

import fnmatch
import hmac
from typing import Any, Mapping
from urllib.parse import urlsplit

from goclaw_actors.http.principal import ENVIRON_KEY, TOKEN, Principal


def caller(environ: Mapping[str, Any], token: str) -> Principal | None:
    """Who opens the socket: the principal the auth middleware admitted, else the bearer of the daemon
    token; None when neither (answer 401).
    """
    principal = environ.get(ENVIRON_KEY)
    if isinstance(principal, Principal) and principal.kind != "anonymous":
        return principal
    scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
    presented = value.strip() if scheme.lower() == "bearer" else ""
    if presented and token and hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8")):
        return TOKEN
    return None


def origin_allowed(origin: str | None, host: str, allow_origins: list[str]) -> bool:
    """Absent Origin: allowed. Same host[:port] as the Host header: allowed. Otherwise it must glob-match an
    `allow_origins` entry; entries with `://` match `scheme://host[:port]`, others the host (or host:port).
    """
    if not origin:
        return True
    parts = urlsplit(origin.strip())
    netloc = parts.netloc.lower()
    if not parts.scheme or not netloc:
        return any(fnmatch.fnmatchcase(origin.strip().lower(), entry.strip().lower()) for entry in allow_origins)
    if netloc == host.strip().lower():
        return True
    full = f"{parts.scheme.lower()}://{netloc}"
    hostname = (parts.hostname or "").lower()
    for entry in allow_origins:
        pattern = entry.strip().lower()
        if "://" in pattern:
            if fnmatch.fnmatchcase(full, pattern.rstrip("/")):
                return True
        elif fnmatch.fnmatchcase(hostname, pattern) or fnmatch.fnmatchcase(netloc, pattern):
            return True
    return False
