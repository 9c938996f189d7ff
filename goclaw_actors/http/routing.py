"""Gateway middleware: find the route a request reaches, before anything is decided about it.

The path is decoded once (WSGI hands it over as latin-1 text of the raw bytes; it must be UTF-8, else
400), and the bottle router is asked which route serves that canonical path: bottle routes on exactly
this path later, so the access checked (goclaw_actors/http/route_access.py) is that of the route that
runs. A path served only for other methods is answered 405 by the routes before any authentication.
"""

from typing import Any, Callable

import bottle

from goclaw_actors.http.route_access import ACCESS_KEY, PATH_KEY, declared_access, unrouted_access
from goclaw_actors.http.wsgi_responses import respond_json

INVALID_PATH = {"error": "invalid request path"}


def canonical_path(environ: dict[str, Any]) -> str | None:
    """The request path as text (its bytes decoded as UTF-8), or None when they are not UTF-8."""
    raw = environ.get("PATH_INFO") or "/"
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None


class Routing:
    """Sets `environ[ACCESS_KEY]` (the matched route's access) and `environ[PATH_KEY]`, then calls `app`."""

    def __init__(self, app: Callable, routes: bottle.Bottle):
        self.app = app
        self.routes = routes

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        path = canonical_path(environ)
        if path is None:
            return respond_json(start_response, 400, INVALID_PATH, headers=[("Connection", "close")])
        environ[PATH_KEY] = path
        try:
            route, _ = self.routes.router.match({"REQUEST_METHOD": environ.get("REQUEST_METHOD", "GET"),
                                                 "PATH_INFO": path})
        except bottle.HTTPError as error:
            if error.status_code == 405:  # the routes answer it, with its Allow header
                return self.routes(environ, start_response)
            environ[ACCESS_KEY] = unrouted_access(path)
        else:
            environ[ACCESS_KEY] = declared_access(route)
        return self.app(environ, start_response)

