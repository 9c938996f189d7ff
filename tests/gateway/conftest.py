"""Fixtures of the gateway tests: a running in-process daemon (`api`) and an ACP client after hello.

A module that needs another configuration defines its own `api` fixture; `client` then uses it.
"""

import pytest

from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import running_daemon


@pytest.fixture
def api(tmp_path):
    """The daemon with the default test configuration."""
    with running_daemon(tmp_path) as api:
        yield api


@pytest.fixture
def client(api):
    """An ACP WebSocket client that has said hello."""
    acp = AcpClient(port_of(api)).hello()
    yield acp
    acp.close()
