"""The tool path: capability, schema, idempotency on a real database, approvals and audit (SPEC §3.10, §4.7)."""

import pytest

from goclaw_actors.brain.providers.base import ToolCall, ToolSpec
from goclaw_actors.brain.tools import Tool, ToolContext, ToolRegistry
from goclaw_actors.queue.idempotency import tool_call_key
from goclaw_actors.tools.errors import PolicyDenied
from goclaw_actors.tools.guarded_call import Refusal, ToolGuard, guarded_call
from tests.unit.store_fixtures import conn, transaction  # noqa: F401 - fixture

TASK = "33333333-3333-4333-8333-333333333333"
SCHEMA = {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}


class SqliteDedup:
    """The Dedup port straight on a database connection (the store actor runs the same methods)."""

    def __init__(self, connection):
        self.conn = connection

    def begin(self, task_id, tool_name, arguments):
        with transaction(self.conn) as q:
            return q.dedup_begin(task_id, tool_name, arguments)

    def finish(self, key, succeeded, result):
        with transaction(self.conn) as q:
            q.dedup_finish(key, succeeded, result)


class Approver:
    def __init__(self, refusal=None):
        self.refusal = refusal
        self.asked = []

    def required(self, name, capability):
        return name == "write_file"

    def wait(self, call, context):
        self.asked.append((call.name, context.task_id))
        return self.refusal


def registry(runs, fail=None):
    def run(arguments, context):
        runs.append(arguments["text"])
        if fail:
            raise fail
        return f"did {arguments['text']} ({context.call_key or 'no key'})"

    return ToolRegistry([Tool(ToolSpec("write_file", "w", SCHEMA), "tools.write_file", run),
                         Tool(ToolSpec("read_file", "r", SCHEMA), "tools.read_file", run)])


def call_tool(tools, guard, name="write_file", text="a"):
    return guarded_call(ToolCall("c1", name, {"text": text}), tools, guard, ToolContext(TASK, "s", "default"))


@pytest.fixture
def audits():
    return []


def guard(audits, allowed=("tools.write_file", "tools.read_file"), dedup=None, approvals=None):
    return ToolGuard(lambda cap: cap in allowed, lambda d, c, r: audits.append((d, c, r)), dedup, approvals)


def test_a_denied_capability_is_an_answer_for_the_model_and_audited(audits):
    runs = []
    out = call_tool(registry(runs), guard(audits, allowed=()))
    assert out == 'error: policy denied capability "tools.write_file"' and runs == []
    assert audits == [("deny", "tools.write_file", "missing_capability")]


def test_invalid_arguments_never_run(audits):
    runs = []
    out = guarded_call(ToolCall("c1", "write_file", {"text": 3}), registry(runs), guard(audits),
                       ToolContext(TASK, "s", "default"))
    assert out.startswith("error: invalid arguments for write_file") and runs == [] and audits == []


def test_a_side_effect_runs_once_and_a_repeat_gets_the_recorded_result(conn, audits):  # noqa: F811
    runs = []
    tools, g = registry(runs), guard(audits, dedup=SqliteDedup(conn))
    key, digest = tool_call_key(TASK, "write_file", {"text": "a"})
    first = call_tool(tools, g)
    assert first == f"did a ({key})"
    assert call_tool(tools, g) == first and runs == ["a"]
    assert audits == [("allow", "tools.write_file", "tool_call"), ("allow", "tools.write_file", "deduped")]
    row = conn.execute("SELECT side_effect_status, request_hash, result_json FROM tool_call_dedup "
                       "WHERE idempotency_key = ?", (key,)).fetchone()
    assert row[0] == "SUCCEEDED" and row[1] == digest and first in row[2]
    call_tool(tools, g, text="b")  # other input, other key: it runs
    assert runs == ["a", "b"]


def test_tools_without_side_effects_are_not_deduplicated(conn, audits):  # noqa: F811
    runs = []
    tools, g = registry(runs), guard(audits, dedup=SqliteDedup(conn))
    call_tool(tools, g, name="read_file")
    call_tool(tools, g, name="read_file")
    assert runs == ["a", "a"] and conn.execute("SELECT COUNT(*) FROM tool_call_dedup").fetchone()[0] == 0


def test_a_key_reused_with_other_input_is_a_conflict(conn, audits):  # noqa: F811
    key, _ = tool_call_key(TASK, "write_file", {"text": "a"})
    conn.execute("INSERT INTO tool_call_dedup (idempotency_key, tool_name, request_hash, side_effect_status, "
                  "created_at, updated_at) VALUES (?, 'write_file', 'other', 'SUCCEEDED', '', '')", (key,))
    runs = []
    assert call_tool(registry(runs), guard(audits, dedup=SqliteDedup(conn))) == "error: idempotency conflict"
    assert runs == [] and audits == [("deny", "tools.write_file", "idempotency_conflict")]


@pytest.mark.parametrize("status", ["PENDING", "FAILED"])
def test_a_pending_or_failed_row_lets_the_call_run_again(conn, audits, status):  # noqa: F811
    key, digest = tool_call_key(TASK, "write_file", {"text": "a"})
    conn.execute("INSERT INTO tool_call_dedup (idempotency_key, tool_name, request_hash, side_effect_status, "
                  "created_at, updated_at) VALUES (?, 'write_file', ?, ?, '', '')", (key, digest, status))
    runs = []
    call_tool(registry(runs), guard(audits, dedup=SqliteDedup(conn)))
    assert runs == ["a"]
    assert conn.execute("SELECT side_effect_status FROM tool_call_dedup").fetchone()[0] == "SUCCEEDED"


def test_a_denial_inside_the_tool_is_audited_and_recorded_failed(conn, audits):  # noqa: F811
    runs = []
    tools = registry(runs, fail=PolicyDenied("path_denied", "path denied: '/etc' is outside the allowed paths"))
    out = call_tool(tools, guard(audits, dedup=SqliteDedup(conn)))
    assert out == "error: path denied: '/etc' is outside the allowed paths"
    assert audits[-1] == ("deny", "tools.write_file", "path_denied")
    assert conn.execute("SELECT side_effect_status FROM tool_call_dedup").fetchone()[0] == "FAILED"


def test_an_approval_gates_the_call(audits):
    runs = []
    approved = Approver()
    assert call_tool(registry(runs), guard(audits, approvals=approved)).startswith("did a")
    assert approved.asked == [("write_file", TASK)] and runs == ["a"]
    denied = Approver(Refusal("approval_denied", 'approval denied: tool "write_file" was not run'))
    assert call_tool(registry(runs), guard(audits, approvals=denied)) == \
        'error: approval denied: tool "write_file" was not run'
    assert runs == ["a"] and audits[-1] == ("deny", "tools.write_file", "approval_denied")
    call_tool(registry(runs), guard(audits, approvals=denied), name="read_file")  # not listed: no approval
    assert runs == ["a", "a"]


def test_only_allowed_tools_are_offered():
    tools = registry([])
    assert [spec.name for spec in tools.specs(lambda cap: cap == "tools.read_file")] == ["read_file"]
    assert [spec.name for spec in tools.specs()] == ["read_file", "write_file"]
