"""How async delegation results reach a turn (SPEC §7.2, §4.6 step 7): their text and their place."""

from goclaw_actors.delegation.results import result_text, with_results
from goclaw_actors.delegation.routing import child_hop, hop_of
from goclaw_actors.tools.errors import ToolError


def test_result_texts():
    assert result_text({"status": "completed", "child_agent": "helper", "result": "the draft", "error_msg": None}) == (
        '[Delegation Complete] Agent "helper" completed the task:\nthe draft')
    assert result_text({"status": "failed", "child_agent": "helper", "result": None, "error_msg": "boom"}) == (
        '[Delegation Failed] Agent "helper" failed: boom')
    assert result_text({"status": "canceled", "child_agent": "x", "result": None, "error_msg": None}) == (
        '[Delegation Failed] Agent "x" failed: canceled')


def test_results_come_after_the_summary_and_before_the_history():
    history = [{"role": "system", "content": "Previous conversation summary: …"},
               {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
               {"role": "user", "content": "and now?"}]
    assert with_results(history, []) is history
    assert [m["content"] for m in with_results(history, ["R1", "R2"])] == [
        "Previous conversation summary: …", "R1", "R2", "hi", "hello", "and now?"]
    assert with_results([], ["R"]) == [{"role": "user", "content": "R"}]


def test_hops():
    assert hop_of({}) == 0 and hop_of({"delegation_hop": 2}) == 2 and hop_of({"delegation_hop": "9"}) == 0
    assert hop_of({"message_depth": 4}, "message_depth") == 4 and hop_of({"delegation_hop": True}) == 0
    assert child_hop(0, 1) == 1
    try:
        child_hop(1, 1)
    except ToolError as exc:
        assert str(exc) == "delegation hop limit exceeded (max 1)"
    else:
        raise AssertionError("hop limit not enforced")
