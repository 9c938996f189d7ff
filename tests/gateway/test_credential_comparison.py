"""Credentials are compared in constant time: every credential the gateway checks (the daemon token in
`Authorization`, API keys in `Authorization`, `X-API-Key` and `?api_key=`, the token opening an ACP socket)
goes through `hmac.compare_digest`, and the gateway's code has no `==` on a credential (names ending in `_id`
name a key without being one)."""

import ast
import hmac
from pathlib import Path

import pytest

from tests.gateway.rest_fixtures import TOKEN, running_daemon
from tests.gateway.wsgi_client import call

KEY = "comparison-key-0123456789"
CONFIG = f"""
gateway:
  auth:
    enabled: true
    keys:
      - key: {KEY}
"""
GATEWAY_CODE = Path(__file__).resolve().parents[2] / "goclaw_actors" / "http"
CREDENTIAL_NAMES = ("token", "key", "api_key", "credential", "secret", "bearer", "presented", "expected")


@pytest.fixture
def compared(monkeypatch):
    """The byte strings handed to hmac.compare_digest while the test runs."""
    seen: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def recording(a, b):
        seen.append((bytes(a), bytes(b)) if isinstance(a, (bytes, bytearray)) else (a.encode(), b.encode()))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    return seen


def test_every_presented_credential_is_compared_with_compare_digest(tmp_path, compared):
    with running_daemon(tmp_path, CONFIG) as api:
        app = api.daemon.runtime.app
        cases = [("/metrics", {"Authorization": f"Bearer {TOKEN}"}, "", TOKEN, 200),  # token only
                 ("/metrics", {"Authorization": "Bearer " + "x" * len(TOKEN)}, "", "x" * len(TOKEN), 401),
                 ("/api/tasks", {"Authorization": f"Bearer {KEY}"}, "", KEY, 200),
                 ("/api/tasks", {"X-API-Key": KEY}, "", KEY, 200),
                 ("/api/tasks", {}, f"api_key={KEY}", KEY, 200),
                 ("/api/tasks", {"X-API-Key": KEY[:-1] + "X"}, "", KEY[:-1] + "X", 403),
                 ("/ws", {"Authorization": "Bearer wrong-but-long-enough"}, "", "wrong-but-long-enough", 403)]
        for path, headers, query, presented, status in cases:
            compared.clear()
            answer = call(app, "GET", path + (f"?{query}" if query else ""), headers)
            assert answer.status == status, (path, headers, answer.status, answer.body[:100])
            assert any(a == presented.encode() for a, _ in compared), (path, headers, compared)


def test_the_gateway_never_compares_a_credential_with_equality():
    offenders = []
    for path in sorted(GATEWAY_CODE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare) or not any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
                continue
            sides = [node.left, *node.comparators]
            if any(isinstance(side, ast.Constant) for side in sides):
                continue  # against a literal ("", None, a scheme name): no secret on either side
            names = [name for name in (_name(side).lower() for side in sides) if not name.endswith("_id")]
            if any(part in name for name in names for part in CREDENTIAL_NAMES):
                offenders.append(f"{path.relative_to(GATEWAY_CODE.parent.parent)}:{node.lineno} {ast.unparse(node)}")
    assert offenders == []


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    return ""
