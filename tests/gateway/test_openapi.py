"""The OpenAPI 3.1 description at /openapi.json: it covers exactly the router's routes, is served without a
credential, and schemathesis, generating requests from it against the live daemon, finds no server error, no
undocumented status, media type or body, and no operation reachable without its declared credential.
"""

from collections import Counter

import pytest
import requests
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.specs.openapi import checks as openapi_checks

from goclaw_actors.http.openapi import ANY_METHODS, OPENAPI_PATH, openapi_document, openapi_path, route_key, \
    undocumented_routes
from goclaw_actors.http.openapi_operations import OPERATIONS
from goclaw_actors.http.route_access import declared_access
from tests.gateway.rest_fixtures import AUTH, running_daemon
from tests.hypothesis_profiles import examples

CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance,
          openapi_checks.ignored_auth]
JSON_RPC_PATHS = {"/a2a"}  # errors travel in 200 answers: schema-invalid requests are not refused with 4xx
# Refused credentials are rate limited per address (the probe sends many): a bucket it does not empty.
CONFIG = "agents:\n  - agent_id: coder\ngateway:\n  rate_limit: {requests_per_minute: 100000, burst_size: 100000}\n"
EXAMPLES = examples(12)  # per operation and generation mode


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with running_daemon(tmp_path_factory.mktemp("openapi"), CONFIG) as api:
        yield api


def test_the_description_covers_every_route_and_nothing_else(api):
    routes = api.daemon.runtime.app.routes
    assert undocumented_routes(routes) == []
    assert set(OPERATIONS) == {route_key(route) for route in routes.routes}  # no entry outlives its route
    document = openapi_document(routes)
    served = {(openapi_path(route.rule), method) for route in routes.routes
              for method in (ANY_METHODS if route.method == "ANY" else (route.method.lower(),))}
    described = {(path, method) for path, item in document["paths"].items() for method in item}
    assert described == served
    for route in routes.routes:
        for method in (ANY_METHODS if route.method == "ANY" else (route.method.lower(),)):
            operation = document["paths"][openapi_path(route.rule)][method]
            assert (operation["security"] == []) == declared_access(route).open, route_key(route)


def test_it_is_served_open_and_is_valid_openapi(api):
    response = requests.get(api.base + OPENAPI_PATH, timeout=10)  # no credential
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/json")
    document = response.json()
    assert document == openapi_document(api.daemon.runtime.app.routes)
    assert document["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(document).validate()  # a well-formed OpenAPI 3.1 document
    assert requests.post(api.base + OPENAPI_PATH, timeout=10).status_code == 405


def test_schemathesis_against_the_live_daemon(api):
    """Every operation of the served description, with bounded generated requests (valid and not)."""
    schema = schemathesis.openapi.from_url(api.base + OPENAPI_PATH)
    schema.config.update(base_url=api.base)
    schema.config.generation.update(allow_x00=True, codec="utf-8")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= len(OPERATIONS)
    statuses: Counter[int] = Counter()
    for operation in operations:
        @EXAMPLES
        @given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                              operation.as_strategy(GenerationMode.NEGATIVE)))
        def probe(case):
            statuses[case.call_and_validate(headers=dict(AUTH), checks=checks_for, timeout=30).status_code] += 1

        checks_for = CHECKS if operation.path in JSON_RPC_PATHS else [*CHECKS, openapi_checks.negative_data_rejection]

        probe()
    assert statuses[200] and sum(statuses.values()) > 5 * len(operations), statuses
    assert requests.get(api.base + "/healthz", timeout=10).json()["healthy"] is True


def test_a_path_parameter_the_router_refuses_is_a_documented_404(api):
    """Found by schemathesis: `/api/sessions/<rest:path>` does not match a line break, so the router answers
    404, which the description must list."""
    response = api.get("/api/sessions/%0Ax")
    assert response.status_code == 404
    operation = openapi_document(api.daemon.runtime.app.routes)["paths"]["/api/sessions/{rest}"]["get"]
    assert "404" in operation["responses"]
