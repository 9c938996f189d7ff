"""CORS and the request body limit on a real socket (SPEC §9.1, §9.2)."""

import requests

from tests.actors.daemon_fixture import daemon  # noqa: F401  (fixture)
from tests.gateway.security_client import (BEARER, add_probe_routes, base_url, daemon_config,  # noqa: F401
                                           get, post, with_config)

ORIGIN = "http://app.example"
CORS = f"""
gateway:
  cors:
    enabled: true
    allowed_origins: ["{ORIGIN}"]
    max_age: 600
"""
CORS_ANY = """
gateway:
  cors:
    enabled: true
    allowed_origins: ["*"]
    allowed_methods: [GET, POST, DELETE]
"""
SMALL_BODIES = """
gateway:
  max_request_size: 1024
"""
MIB = 1024 * 1024


def options(daemon, path: str, **kwargs) -> requests.Response:
    return requests.options(base_url(daemon) + path, timeout=30, **kwargs)


@with_config(CORS)
def test_preflight_is_answered_before_authentication(daemon):
    response = options(daemon, "/api/tasks", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type, Authorization, X-API-Key"
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert response.headers["Vary"] == "Origin"


@with_config(CORS)
def test_unlisted_origin_gets_no_cors_headers(daemon):
    response = options(daemon, "/v1/chat/completions", headers={"Origin": "http://evil.example"})
    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers
    response = get(daemon, "/healthz", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


@with_config(CORS)
def test_simple_requests_carry_cors_headers_even_when_refused(daemon):
    response = get(daemon, "/healthz", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Vary"] == "Origin"
    assert "Access-Control-Max-Age" not in response.headers
    response = get(daemon, "/metrics", headers={"Origin": ORIGIN})
    assert response.status_code == 401  # a browser can read why
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    response = get(daemon, "/metrics", headers={"Origin": ORIGIN, **BEARER})
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


@with_config(CORS_ANY)
def test_wildcard_echoes_the_origin(daemon):
    response = options(daemon, "/a2a", headers={"Origin": "http://anything.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://anything.example"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, POST, DELETE"
    assert response.headers["Access-Control-Max-Age"] == "3600"


def test_options_is_204_without_cors_headers_when_cors_is_off(daemon):
    response = options(daemon, "/api/tasks", headers={"Origin": ORIGIN})
    assert response.status_code == 204
    assert "Access-Control-Allow-Origin" not in response.headers


def test_body_over_ten_mib_is_413(daemon):
    body = b"x" * (11 * MIB)
    for headers in ({}, BEARER):  # outermost: decided before authentication
        response = post(daemon, "/v1/chat/completions", data=body, headers=headers)
        assert (response.status_code, response.text) == (413, "request body too large\n")


def test_chunked_body_over_ten_mib_is_413(daemon):
    def chunks():
        for _ in range(11):
            yield b"y" * MIB

    response = post(daemon, "/v1/chat/completions", data=chunks(), headers=BEARER)
    assert (response.status_code, response.text) == (413, "request body too large\n")


def test_chunked_body_under_the_limit_reaches_the_route_whole(daemon):
    add_probe_routes(daemon)

    def chunks():
        yield b"hello "
        yield b"w" * 100_000

    response = post(daemon, "/api/test/echo", data=chunks(), headers=BEARER)
    assert response.status_code == 200
    assert response.json() == {"length": 100_006, "head": "hello wwwwwwwwww", "transfer_encoding": ""}


@with_config(SMALL_BODIES)
def test_configured_limit_is_exact(daemon):
    add_probe_routes(daemon)
    assert post(daemon, "/api/test/echo", data=b"a" * 1024, headers=BEARER).json()["length"] == 1024
    assert post(daemon, "/api/test/echo", data=b"a" * 1025, headers=BEARER).status_code == 413
    assert post(daemon, "/api/test/echo", data=iter([b"a" * 1000, b"a" * 25]), headers=BEARER).status_code == 413
    assert post(daemon, "/api/test/echo", data=iter([b"a" * 1000, b"a" * 24]), headers=BEARER).status_code == 200
