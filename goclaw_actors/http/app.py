"""The gateway's WSGI application: bottle with JSON errors and request size limits."""

import json

import bottle

from goclaw_actors.http.ops_routes import HealthSource, install_ops_routes

DEFAULT_MAX_REQUEST_SIZE = 10 * 1024 * 1024  # bytes (gateway.max_request_size)


def build_app(health: HealthSource, max_request_size: int = DEFAULT_MAX_REQUEST_SIZE) -> bottle.Bottle:
    """A bottle app with the ops routes; errors are JSON `{"error": …}` bodies."""
    bottle.BaseRequest.MEMFILE_MAX = max_request_size  # bottle's default JSON limit is 100 KB
    app = bottle.Bottle(autojson=True)
    install_ops_routes(app, health)

    def json_error(error: bottle.HTTPError) -> str:
        bottle.response.content_type = "application/json"
        return json.dumps({"error": error.body if isinstance(error.body, str) else error.status_line})

    for code in (400, 401, 403, 404, 405, 413, 429, 500, 503):
        app.error(code)(json_error)
    return app
