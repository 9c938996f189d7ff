"""Agent loop state machine: prompts, termination keyword, budgets, timeout, failure, checkpoints, resume."""

import json

import pytest

from goclaw_actors.brain.agent_loop import (
    BUDGET_EXCEEDED, COMPLETED, FAILED, RUNNING, TIMEOUT, Continue, Finish, LoopConfig, checkpoint_due,
    continuation_prompt, next_action, parse_duration, record_failure, record_turn, resume_loop, snapshot,
    start_loop)

T0 = 1_700_000_000.0


class Clock:
    """A hand-driven clock."""

    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


def drive(state, clock, replies, tokens_per_turn=10, seconds_per_turn=1.0):
    """Run the loop like the runner does; returns the Finish, the prompts sent and the checkpoints written."""
    prompts, checkpoints = [], []
    replies = list(replies)
    while True:
        action = next_action(state, clock())
        if isinstance(action, Finish):
            checkpoints.append(snapshot(state))
            return action, prompts, checkpoints
        prompts.append(action.prompt)
        clock.now += seconds_per_turn
        reply = replies.pop(0)
        if isinstance(reply, Exception):
            record_failure(state, str(reply))
            continue
        record_turn(state, action.prompt, reply, tokens_per_turn)
        if checkpoint_due(state):
            checkpoints.append(snapshot(state))


def test_defaults():
    config = LoopConfig.from_config(None)
    assert (config.enabled, config.max_steps, config.max_tokens, config.max_duration, config.checkpoint_interval,
            config.termination_keyword) == (False, 25, 100_000, 1800.0, 1, "TASK_COMPLETE")
    assert LoopConfig.from_config({"enabled": True, "max_steps": 0, "max_duration": ""}).max_steps == 25


def test_continuation_prompt_layout():
    assert continuation_prompt(2, 25, 1234, 100_000, "TASK_COMPLETE") == (
        "Continue working on the task.\n\n[Loop step 2/25 | tokens ~1234/100000 | Include \"TASK_COMPLETE\" when done]")


def test_first_step_is_the_task_message_then_continuations_until_the_keyword():
    clock = Clock()
    config = LoopConfig.from_config({"enabled": True, "max_steps": 5, "termination_keyword": "DONE"})
    state = start_loop(config, "t1", "coder", clock(), loop_id="L1")
    finish, prompts, _ = drive(state, clock, ["working", "more", "all good, DONE"])
    assert prompts == [
        None,
        'Continue working on the task.\n\n[Loop step 2/5 | tokens ~10/100000 | Include "DONE" when done]',
        'Continue working on the task.\n\n[Loop step 3/5 | tokens ~20/100000 | Include "DONE" when done]',
    ]
    assert finish == Finish(COMPLETED, "all good, DONE", "")
    assert not finish.fails_task
    assert (state.step, state.tokens, state.status) == (3, 30, COMPLETED)


def test_keyword_is_case_sensitive():
    clock = Clock()
    state = start_loop(LoopConfig(max_steps=2), "t", "a", clock())
    finish, _, _ = drive(state, clock, ["task_complete", "still lower"])
    assert finish.status == BUDGET_EXCEEDED


def test_step_budget():
    clock = Clock()
    state = start_loop(LoopConfig(max_steps=3), "t", "a", clock())
    finish, prompts, _ = drive(state, clock, ["a", "b", "c", "never sent"])
    assert len(prompts) == 3
    assert finish == Finish(BUDGET_EXCEEDED, "c", "max steps reached: 3")
    assert not finish.fails_task


def test_token_budget():
    clock = Clock()
    state = start_loop(LoopConfig(max_tokens=250), "t", "a", clock())
    finish, prompts, _ = drive(state, clock, ["a", "b", "c", "d"], tokens_per_turn=100)
    assert len(prompts) == 3
    assert finish == Finish(BUDGET_EXCEEDED, "c", "token budget exhausted: 300/250")


def test_duration_budget_uses_the_injected_clock():
    clock = Clock()
    state = start_loop(LoopConfig(max_duration=parse_duration("2m")), "t", "a", clock())
    finish, prompts, _ = drive(state, clock, ["a", "b", "c"], seconds_per_turn=50)
    assert len(prompts) == 3                                   # 0, 50, 100 s < 120 s; 150 s is over
    assert finish == Finish(TIMEOUT, "c", "loop duration exceeded: 2m")
    assert not finish.fails_task


def test_a_failed_turn_fails_the_task():
    clock = Clock()
    state = start_loop(LoopConfig(), "t", "a", clock())
    finish, _, checkpoints = drive(state, clock, ["partial", RuntimeError("provider exploded")])
    assert finish == Finish(FAILED, "partial", "provider exploded")
    assert finish.fails_task
    assert checkpoints[-1]["status"] == FAILED


def test_recording_after_the_end_is_refused():
    state = start_loop(LoopConfig(), "t", "a", T0)
    record_turn(state, None, "TASK_COMPLETE", 1)
    with pytest.raises(ValueError, match="already completed"):
        record_turn(state, None, "again", 1)


def test_checkpoints_every_interval_and_at_the_end():
    clock = Clock()
    state = start_loop(LoopConfig(max_steps=7, checkpoint_interval=3), "t", "a", clock())
    finish, _, checkpoints = drive(state, clock, list("abcdefg"))
    assert [(c["current_step"], c["status"]) for c in checkpoints] == \
        [(3, RUNNING), (6, RUNNING), (7, BUDGET_EXCEEDED)]
    assert finish.status == BUDGET_EXCEEDED


def test_snapshot_is_a_loop_checkpoints_row():
    clock = Clock()
    state = start_loop(LoopConfig(max_steps=4, max_tokens=500, max_duration=600), "task-1", "coder", clock(), "L9")
    record_turn(state, None, "first", 40)
    row = snapshot(state)
    assert row == {"loop_id": "L9", "task_id": "task-1", "agent_id": "coder", "current_step": 1, "max_steps": 4,
                   "tokens_used": 40, "max_tokens": 500, "started_at": "2023-11-14 22:13:20.000000",
                   "max_duration": 600, "status": RUNNING,
                   "messages": json.dumps([{"role": "assistant", "content": "first"}])}


def test_resume_continues_where_the_checkpoint_left_off():
    clock = Clock()
    config = LoopConfig(max_steps=5, max_tokens=1000, max_duration=600, termination_keyword="FIN")
    state = start_loop(config, "t", "a", clock(), "L2")
    record_turn(state, None, "one", 10)
    row = snapshot(state)                                      # then the worker crashed

    clock.now = T0 + 100
    resumed = resume_loop(row, LoopConfig(max_steps=99, termination_keyword="FIN"))
    assert (resumed.loop_id, resumed.step, resumed.tokens, resumed.started_at) == ("L2", 1, 10, T0)
    assert resumed.config.max_steps == 5                       # saved budgets win
    action = next_action(resumed, clock())
    assert action == Continue(2, 'Continue working on the task.\n\n'
                                 '[Loop step 2/5 | tokens ~10/1000 | Include "FIN" when done]')
    record_turn(resumed, action.prompt, "FIN", 5)
    assert next_action(resumed, clock()) == Finish(COMPLETED, "FIN", "")
    assert [m["role"] for m in resumed.messages] == ["assistant", "user", "assistant"]


def test_resume_keeps_the_original_start_for_the_timeout():
    state = start_loop(LoopConfig(max_duration=60), "t", "a", T0)
    record_turn(state, None, "x", 1)
    resumed = resume_loop(snapshot(state), LoopConfig())
    assert next_action(resumed, T0 + 61).status == TIMEOUT


def test_resume_of_a_finished_checkpoint_finishes_at_once():
    state = start_loop(LoopConfig(), "t", "a", T0)
    record_turn(state, None, "done TASK_COMPLETE", 3)
    row = snapshot(state)
    row["messages"] = json.loads(row["messages"])              # a list is accepted as well as JSON text
    resumed = resume_loop(row, LoopConfig())
    assert next_action(resumed, T0) == Finish(COMPLETED, "done TASK_COMPLETE", "")


def test_resume_rejects_an_unknown_status():
    row = snapshot(start_loop(LoopConfig(), "t", "a", T0))
    row["status"] = "paused"
    with pytest.raises(ValueError, match='unknown loop status "paused"'):
        resume_loop(row, LoopConfig())


@pytest.mark.parametrize("value,seconds", [
    (None, 0.0), ("", 0.0), (90, 90.0), (1.5, 1.5), ("45", 45.0), ("30m", 1800.0), ("1h30m", 5400.0),
    ("90s", 90.0), ("1500ms", 1.5), ("2h0m0s", 7200.0),
])
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "10 minutes", "-5", -1, True, "5x"])
def test_parse_duration_rejects_garbage(value):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(value)


@pytest.mark.parametrize("loop", [{"max_steps": -1}, {"max_tokens": "many"}, {"checkpoint_interval": 1.5}])
def test_invalid_loop_config_is_a_value_error(loop):
    with pytest.raises(ValueError, match="must be a non-negative integer"):
        LoopConfig.from_config(loop)
