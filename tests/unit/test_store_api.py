"""The store's typed interface (goclaw_actors/store/api/): every write operation is declared on exactly one
noun interface with the implementation's signature, the facade sends exactly those operations, and no code
names an operation by string any more."""

import inspect
import re
from pathlib import Path

import pytest

from goclaw_actors.store.api import facade
from goclaw_actors.store.api.facade import NOUNS, StoreApi
from goclaw_actors.store.api.ops import BoundOp, Op, Pending
from goclaw_actors.store.connection_store import connection_store
from goclaw_actors.store.queue_backend import WRITE_OPS, BackendCore, QueueBackend
from goclaw_actors.store.sqlite_queue import SqliteQueue

ROOT = Path(__file__).resolve().parents[2]

# Public methods of SqliteQueue that are not operations: helpers the operations share inside a transaction
# (nothing outside the backend calls them). A new public method must be declared on a noun or listed here.
BACKEND_HELPERS = frozenset({"claim_many", "requeue_lost", "agent_limits", "count_collaboration", "task_ended",
                             "get_task", "transition", "event", "record_event", "recover_rows"})


def interfaces() -> dict[str, type]:
    """Each noun's Protocol by noun name."""
    return {noun: store.interface for noun, store in NOUNS.items()}


def declared(interface: type) -> set[str]:
    return {name for name, value in vars(interface).items() if inspect.isfunction(value) and not name.startswith("_")}


def test_every_write_op_is_declared_on_exactly_one_noun():
    owners: dict[str, list[str]] = {}
    for noun, interface in interfaces().items():
        for name in declared(interface):
            owners.setdefault(name, []).append(noun)
    assert set(owners) == WRITE_OPS, "declared but not a WRITE_OP / a WRITE_OP not declared on any noun"
    assert {op: nouns for op, nouns in owners.items() if len(nouns) != 1} == {}


@pytest.mark.parametrize("op", sorted(WRITE_OPS))
def test_each_declaration_has_the_implementation_signature(op):
    [interface] = [i for i in interfaces().values() if op in declared(i)]
    declared_signature = inspect.signature(getattr(interface, op), eval_str=True)
    implemented = inspect.signature(getattr(SqliteQueue, op), eval_str=True)
    assert declared_signature == implemented
    assert getattr(interface, op).__doc__, f"{interface.__name__}.{op} has no docstring"


def test_no_public_backend_method_is_undeclared():
    core = declared(BackendCore)
    public = {name for name in dir(SqliteQueue) if not name.startswith("_") and callable(getattr(SqliteQueue, name))}
    assert public - WRITE_OPS - core - BACKEND_HELPERS == set()
    assert BACKEND_HELPERS <= public, "a helper listed here is gone: drop it from BACKEND_HELPERS"


def test_the_backend_interface_is_the_union_of_the_nouns():
    assert set(interfaces().values()) | {BackendCore} <= set(QueueBackend.__mro__)
    assert WRITE_OPS <= {name for name in dir(QueueBackend) if not name.startswith("_")}


def test_each_noun_facade_sends_exactly_its_interface_ops():
    for noun, store in NOUNS.items():
        ops = {name for name, value in vars(store).items() if isinstance(value, Op)}
        assert ops == declared(store.interface), noun
        assert all(getattr(store, name).signature == inspect.signature(getattr(store.interface, name))
                   for name in ops)
    assert set(StoreApi.__annotations__) == set(NOUNS)


class Recording:
    """A transport that keeps each request (op, kwargs) and answers with a fixed value."""

    def __init__(self):
        self.sent: list[tuple[str, dict]] = []

    def submit(self, op, **kwargs):
        self.sent.append((op, kwargs))
        return ("future", op)

    def result(self, future):
        return future[1]

    def call(self, op, **kwargs):
        return self.result(self.submit(op, **kwargs))

    def send(self, op, on_error, **kwargs):
        self.submit(op, **kwargs)


def test_the_facade_sends_one_keyword_request_per_call():
    transport = Recording()
    store = StoreApi(transport)
    assert store.tasks.enqueue("s1", {"content": "hi"}, agent_id="coder") == "enqueue"  # positional → keywords
    pending = store.tasks.claim_batch.submit(agent_id="default", lease_seconds=30, limit=4)
    assert isinstance(pending, Pending) and pending.get() == "claim_batch"
    store.audit.write_audit.send(lambda exc: None, action="a", decision="allow", reason="r")
    store.sessions.enqueue_line("s2", {"content": "x"}, priority=3)  # **enqueue_args stay flat keywords
    assert transport.sent == [
        ("enqueue", {"session_id": "s1", "payload": {"content": "hi"}, "agent_id": "coder"}),
        ("claim_batch", {"agent_id": "default", "lease_seconds": 30, "limit": 4}),
        ("write_audit", {"action": "a", "decision": "allow", "reason": "r"}),
        ("enqueue_line", {"session_id": "s2", "payload": {"content": "x"}, "priority": 3}),
    ]
    assert isinstance(store.tasks.enqueue, BoundOp) and store.tasks.enqueue is store.tasks.enqueue  # cached


def test_an_op_builds_the_write_request_of_a_batch():
    request = facade.AgentsStore.set_agent_status.request("coder", status="stopped")
    assert (request.op, request.kwargs) == ("set_agent_status", {"agent_id": "coder", "status": "stopped"})


def test_the_connection_store_commits_each_write_and_raises_its_error(conn):
    store = connection_store(conn)
    created = store.tasks.enqueue(session_id="s1", payload={"content": "hi"})
    assert conn.execute("SELECT status FROM tasks WHERE id = ?", (created["task_id"],)).fetchone() == ("QUEUED",)
    with pytest.raises(Exception, match="not found"):
        store.tasks.enqueue(session_id="s1", payload={"content": "hi"}, agent_id="nobody")
    failures: list[Exception] = []
    store.agents.set_agent_status.send(failures.append, agent_id="default", status="stopped")
    assert failures == [] and not conn.in_transaction


# Writes that name a store operation by string: `x.call("<op>", …)`, `.submit(`, `.send(`, `ctx.store(…)`,
# `links.write(…)`, `gevent.spawn(x.call, "<op>", …)` and `WriteRequest("<op>", …)` (the op may sit on the
# next line). The store client (the transport) is the one place allowed to take an op name.
STRING_OP = re.compile(r"""(?:\.(?:call|submit|send|store|write)\(\s*|\.(?:call|submit|send)\s*,\s*|WriteRequest\(\s*)
                           ["'](?P<op>\w+)["']""", re.VERBOSE)
ALLOWED = {"actors/store_client.py"}


def test_no_code_names_a_store_operation_by_string():
    found = []
    for top in ("goclaw_actors", "actors", "supervisors", "scripts", "tests"):
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in ALLOWED:
                continue
            text = path.read_text(encoding="utf-8")
            for match in STRING_OP.finditer(text):
                if match.group("op") in WRITE_OPS:
                    line = text.count("\n", 0, match.start()) + 1
                    found.append(f"{relative}:{line}: {match.group(0).strip()}")
    assert found == [], ("store operations named by string; use the typed facade "
                         "(store.<noun>.<op>(...), .submit(...), .send(on_error, ...), <Noun>Store.<op>.request(...)):\n"
                         + "\n".join(found))
