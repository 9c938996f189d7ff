"""Gateway middleware: CORS headers for listed origins, and every OPTIONS answered 204 (SPEC §9.2)."""

from typing import Any, Callable

from goclaw_actors.http.security_settings import CorsSettings, SecuritySettings
from goclaw_actors.http.wsgi_responses import respond


def cors_headers(cors: CorsSettings, origin: str, preflight: bool) -> list[tuple[str, str]]:
    """The CORS headers a response to `origin` carries (none when the origin is not allowed)."""
    if not cors.allows(origin):
        return []
    headers = [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Methods", cors.allowed_methods),
               ("Access-Control-Allow-Headers", cors.allowed_headers), ("Vary", "Origin")]
    if preflight:
        headers.append(("Access-Control-Max-Age", str(cors.max_age)))
    return headers


class Cors:
    """Answers OPTIONS itself (before authentication) and adds CORS headers to every other response."""

    def __init__(self, app: Callable, settings: Callable[[], SecuritySettings]):
        self.app = app
        self.settings = settings

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        origin = environ.get("HTTP_ORIGIN", "")
        preflight = environ.get("REQUEST_METHOD", "").upper() == "OPTIONS"
        extra = cors_headers(self.settings().cors, origin, preflight)
        if preflight:
            return respond(start_response, 204, headers=extra)
        if not extra:
            return self.app(environ, start_response)

        def start_with_cors(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            return start_response(status, _merged(headers, extra), exc_info)

        return self.app(environ, start_with_cors)


def _merged(headers: list[tuple[str, str]], extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` with the CORS ones; an existing `Vary` gains `Origin` instead of being repeated."""
    names = {name.lower() for name, _ in extra}
    merged = [(name, value) for name, value in headers if name.lower() not in names or name.lower() == "vary"]
    vary = [i for i, (name, _) in enumerate(merged) if name.lower() == "vary"]
    for name, value in extra:
        if name == "Vary" and vary:
            index = vary[0]
            current = merged[index][1]
            if "origin" not in current.lower():
                merged[index] = (merged[index][0], f"{current}, Origin")
        else:
            merged.append((name, value))
    return merged
