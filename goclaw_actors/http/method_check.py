"""Gateway middleware: a path called with the wrong method gets its 405 before any authentication."""

from typing import Any, Callable

import bottle


class MethodCheck:
    """Asks the bottle router first: when the path exists only for other methods, the routes answer (405)."""

    def __init__(self, app: Callable, routes: bottle.Bottle):
        self.app = app
        self.routes = routes

    def __call__(self, environ: dict[str, Any], start_response: Callable):
        if self.wrong_method(environ):
            return self.routes(environ, start_response)
        return self.app(environ, start_response)

    def wrong_method(self, environ: dict[str, Any]) -> bool:
        """True when some route serves this path, but not with this method."""
        path = environ.get("PATH_INFO") or "/"
        try:  # bottle matches on the UTF-8 path, WSGI hands it over as latin-1
            path = path.encode("latin1").decode("utf8")
        except UnicodeError:
            pass
        try:
            self.routes.router.match({"REQUEST_METHOD": environ.get("REQUEST_METHOD", "GET"), "PATH_INFO": path})
        except bottle.HTTPError as error:
            return error.status_code == 405
        return False
