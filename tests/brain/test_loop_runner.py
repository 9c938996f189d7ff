"""Agent loops driven through the processor: keyword, budgets, checkpoints, resume, failure."""

import pytest

from goclaw_actors.brain.agent_loop import LoopConfig
from goclaw_actors.brain.providers.base import ChatResponse, ProviderError, Usage
from goclaw_actors.brain.turn import BrainError
from goclaw_actors.store.sqlite_loops import latest_loop_checkpoint
from tests.brain.test_turn import ScriptedModel, make_task, processor
from tests.unit.store_fixtures import transaction


def loop_processor(model, saved, config=None, clock=lambda: 1000.0, checkpoint=None):
    config = config or LoopConfig.from_config({"enabled": True, "max_steps": 5})
    return processor(model, loop=config, save_checkpoint=saved.append,
                     load_checkpoint=lambda task_id: checkpoint, clock=clock)


def test_loop_runs_until_the_keyword_with_a_checkpoint_per_step():
    saved = []
    model = ScriptedModel(ChatResponse("working", usage=Usage(5, 5, True)), ChatResponse("done TASK_COMPLETE"))
    result = loop_processor(model, saved).process(make_task(), lambda chunk: None)
    assert result["reply"] == "done TASK_COMPLETE"
    assert [row["current_step"] for row in saved] == [1, 2, 2]
    assert saved[-1]["status"] == "completed"
    second_prompt = model.requests[1].messages[-1]["content"]
    assert second_prompt.startswith("Continue working on the task.\n\n[Loop step 2/5 | tokens ~10/100000")


def test_step_budget_ends_the_loop_without_failing_the_task():
    saved = []
    model = ScriptedModel(*[ChatResponse("still going")] * 2)
    config = LoopConfig.from_config({"enabled": True, "max_steps": 2})
    result = loop_processor(model, saved, config).process(make_task(), lambda chunk: None)
    assert result["reply"] == "still going" and saved[-1]["status"] == "budget_exceeded"


def test_timeout_ends_the_loop():
    saved, now = [], [1000.0]

    def clock():
        now[0] += 1000
        return now[0]

    config = LoopConfig.from_config({"enabled": True, "max_duration": "30m"})
    loop_processor(ScriptedModel(ChatResponse("a"), ChatResponse("b")), saved, config, clock).process(
        make_task(), lambda chunk: None)
    assert saved[-1]["status"] == "timeout"


def test_failed_step_fails_the_task():
    saved = []
    with pytest.raises(BrainError, match="agent loop failed: boom"):
        loop_processor(ScriptedModel(ProviderError("boom")), saved).process(make_task(), lambda chunk: None)
    assert saved[-1]["status"] == "failed"


def test_resume_continues_from_the_checkpoint():
    saved = []
    first = loop_processor(ScriptedModel(ChatResponse("step one")), saved,
                           LoopConfig.from_config({"enabled": True, "max_steps": 1}))
    first.process(make_task(), lambda chunk: None)
    checkpoint = dict(saved[0], status="running", max_steps=5)
    model = ScriptedModel(ChatResponse("finished TASK_COMPLETE"))
    result = loop_processor(model, saved, checkpoint=checkpoint).process(make_task(), lambda chunk: None)
    assert result["reply"] == "finished TASK_COMPLETE"
    sent = model.requests[0].messages
    assert {"role": "assistant", "content": "step one"} in sent
    assert sent[-1]["content"].startswith("Continue working on the task.\n\n[Loop step 2/5")


def test_checkpoint_rows_round_trip_through_the_store(conn):
    saved = []
    loop_processor(ScriptedModel(ChatResponse("x TASK_COMPLETE")), saved).process(make_task(), lambda chunk: None)
    with transaction(conn) as q:
        for row in saved:
            q.save_loop_checkpoint(row)
    stored = latest_loop_checkpoint(conn, "t1")
    assert stored["status"] == "completed" and stored["current_step"] == 1
    assert conn.execute("SELECT COUNT(*) FROM loop_checkpoints").fetchone()[0] == 1
