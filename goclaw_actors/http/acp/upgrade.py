"""Checks on the WebSocket upgrade request (SPEC §9.3): the daemon token, then the Origin."""

import fnmatch
from typing import Any, Mapping
from urllib.parse import urlsplit

from goclaw_actors.http.principal import Principal, current_principal


def caller(environ: Mapping[str, Any]) -> Principal | None:
    """Who opens the socket: the principal the auth middleware admitted; None when it admitted nobody
    (answer 401), e.g. when the route was reached without the middleware."""
    principal = current_principal(environ)
    return None if principal.kind == "anonymous" else principal


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
