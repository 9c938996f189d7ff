"""The dashboard's state updates and pane rendering, without a terminal or a daemon."""

from goclaw_actors.dashboard.panes import agents_rows, notice_rows, queue_rows, supervision_rows, usage_rows
from goclaw_actors.dashboard.state import DashboardState, status_line

TASK = "0b7f2c1e-1111-4222-8333-444455556666"


def event(kind, state_to, payload="{}", event_id=1):
    return {"event_id": event_id, "task_id": TASK, "session_id": "s", "event_type": kind, "state_from": "",
            "state_to": state_to, "payload": payload, "created_at": "2026-01-02T03:04:05.000Z", "agent_id": "coder"}


def test_status_lines_follow_the_task():
    assert status_line(event("task.enqueued", "QUEUED")) == f"[task queued] id={TASK} status=QUEUED"
    assert status_line(event("task.claimed", "CLAIMED")) is None
    assert status_line(event("task.dead_letter", "DEAD_LETTER", '{"reason_code":"DEAD_LETTER_MAX_ATTEMPTS"}')) == (
        f"[task dead letter] id={TASK} status=DEAD_LETTER reason=DEAD_LETTER_MAX_ATTEMPTS")


def test_a_session_event_moves_the_task_row():
    state = DashboardState("127.0.0.1:1")
    state.apply_session_event(event("task.enqueued", "QUEUED"))
    state.apply_session_event(event("task.running", "RUNNING"))
    assert state.tasks[0]["status"] == "RUNNING"
    assert [row.text for row in queue_rows(state, 40, 10)][-1] == "0b7f2c1e RUNNING"  # its agent comes later
    state.apply_events([event("task.running", "RUNNING", event_id=7), event("task.running", "RUNNING", event_id=7)])
    assert len(state.events) == 1 and state.activity[-1] == "03:04:05 0b7f2c1e @coder running"


def test_approvals_are_asked_oldest_first_and_leave_when_decided():
    state = DashboardState("x")
    state.approval_required({"approval_id": "a1", "action": "exec", "details": "ls", "status": "PENDING"})
    state.approval_required({"approval_id": "a2", "action": "write_file", "details": "", "status": "PENDING"})
    assert notice_rows(state)[0].text == "Approve exec? ls [y]es / [n]o (+1 more)"
    state.approval_updated({"approval_id": "a1", "status": "DENIED"})
    assert notice_rows(state)[0].text == "Approve write_file? [y]es / [n]o"
    state.approval_updated({"approval_id": "a2", "status": "APPROVED"})
    assert notice_rows(state) == []


def test_side_panes():
    state = DashboardState("x", active_agent="coder")
    state.agents = [{"agent_id": "default", "worker_count": 4, "active_tasks": 0, "provider": "", "model": ""},
                    {"agent_id": "coder", "worker_count": 2, "active_tasks": 1, "provider": "openai", "model": "gpt-4o"}]
    assert [row.text for row in agents_rows(state, 40, 5)][1:] == ["  @default 0/4 auto", "▸ @coder 1/2 openai/gpt-4o"]
    state.usage = {"total_tokens": 1500, "prompt_tokens": 1000, "completion_tokens": 500, "estimated_cost_usd": 0.0123,
                   "agents": [{"agent_id": "coder", "total_tokens": 1500, "estimated_cost_usd": 0.0123}]}
    assert [row.text for row in usage_rows(state, 40, 5)][1:] == ["tokens 1,500 (in 1,000 / out 500) $0.0123",
                                                                  "  @coder 1,500 $0.0123"]


def test_the_supervision_tree_shrinks_to_its_supervisors_and_its_trouble():
    state = DashboardState("x")
    state.supervision = {"name": "root", "strategy": "rest_for_one", "restarts": 1, "children": [
        {"id": "store", "alive": True, "restarts": 0},
        {"id": "policy", "alive": False, "restarts": 1},
        {"id": "lanes:a", "alive": True, "strategy": "one_for_one", "restarts": 2, "children": [
            {"id": "worker:a:0", "alive": True, "restarts": 2}, {"id": "worker:a:1", "alive": True, "restarts": 0}]}]}
    full = [row.text for row in supervision_rows(state, 40, 20)]
    assert full[1:] == ["4/5 alive · 3 restarts", "root rest_for_one ↻1", "  store ↻0", "  policy ↻1 DOWN",
                        "  lanes:a one_for_one ↻2", "    worker ×2 alive 2/2 ↻2"]
    compact = [row.text for row in supervision_rows(state, 40, 6)]
    assert compact[2:] == ["root rest_for_one ↻1", "  policy ↻1 DOWN", "  lanes:a one_for_one ↻2",
                           "    worker ×2 alive 2/2 ↻2"]
