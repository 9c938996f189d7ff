"""Plan execution rules without actors (SPEC §7.4): waves, output substitution, retry decisions."""

import json

import pytest

from goclaw_actors.plans.plan_config import PlanStep, load_plans
from goclaw_actors.plans.plan_lookup import PlanNotFound, execution_steps, find_plan
from goclaw_actors.plans.plan_waves import plan_waves
from goclaw_actors.plans.step_prompts import step_prompt, substitute_outputs
from goclaw_actors.plans.step_retry import (
    AWAIT, ENQUEUE, FAILED_STEP, SUCCEEDED_STEP, Attempt, next_step_action,
)


def step(step_id, *depends):
    return PlanStep(step_id, "default", f"do {step_id}", tuple(depends))


def ids(waves):
    return [[s.id for s in wave] for wave in waves]


def test_waves_are_topological_levels_in_config_order():
    steps = [step("c", "a", "b"), step("a"), step("d", "a"), step("b"), step("e", "c", "d"), step("f")]
    assert ids(plan_waves(steps)) == [["a", "b", "f"], ["c", "d"], ["e"]]


def test_a_step_runs_one_wave_after_its_latest_dependency():
    steps = [step("a"), step("b", "a"), step("c", "b"), step("late", "a", "c")]
    assert ids(plan_waves(steps)) == [["a"], ["b"], ["c"], ["late"]]


def test_waves_of_a_configured_plan():
    plans, _ = load_plans([{"name": "p", "steps": [
        {"id": "draft", "agent_id": "default", "prompt": "x"},
        {"id": "check", "agent_id": "default", "prompt": "y", "depends_on": ["draft"]},
        {"id": "other", "agent_id": "default", "prompt": "z"}]}], ["default"])
    assert ids(plan_waves(plans[0].steps)) == [["draft", "other"], ["check"]]


def test_cycles_and_unknown_dependencies_are_refused():
    with pytest.raises(ValueError, match="cycle"):
        plan_waves([step("a", "b"), step("b", "a")])
    with pytest.raises(ValueError, match="unknown step"):
        plan_waves([step("a", "ghost")])
    plans, warnings = load_plans([{"name": "loop", "steps": [
        {"id": "a", "agent_id": "default", "prompt": "x", "depends_on": ["a"]}]}], ["default"])
    assert plans == [] and "dependency cycle" in warnings[0]


def test_outputs_are_substituted_and_unknown_references_kept():
    outputs = {"design": "a blue box", "v1.2": "dotted"}
    assert substitute_outputs("build {design.output} now; {design.output}!", outputs) == \
        "build a blue box now; a blue box!"
    assert substitute_outputs("{v1.2.output} {missing.output} {design} {x}", outputs) == \
        "dotted {missing.output} {design} {x}"
    assert substitute_outputs("{design.output}", {"design": "has {other.output} and \\1"}) == \
        "has {other.output} and \\1"


def test_a_retry_is_prefixed_by_the_previous_error():
    assert step_prompt("build {d.output}", {"d": "X"}) == "build X"
    assert step_prompt("build {d.output}", {"d": "X"}, "brain respond: boom") == \
        "Previous attempt failed: brain respond: boom\n\nbuild X"


def attempt(status, error=None, reply=None, task_id="t"):
    return Attempt(task_id, status, json.dumps({"reply": reply}) if reply is not None else None, error)


def test_a_new_step_enqueues_its_first_attempt():
    action = next_step_action([])
    assert (action.kind, action.attempt, action.error) == (ENQUEUE, 0, None)


def test_a_running_task_is_awaited_not_enqueued_again():
    for status in ("QUEUED", "CLAIMED", "RUNNING", "RETRY_WAIT"):
        action = next_step_action([attempt(status, task_id="t1")])
        assert (action.kind, action.task_id) == (AWAIT, "t1")


def test_success_ends_the_step_with_the_reply():
    action = next_step_action([attempt("CANCELED", "aborted"), attempt("SUCCEEDED", reply="done", task_id="t2")])
    assert (action.kind, action.reply, action.task_id) == (SUCCEEDED_STEP, "done", "t2")
    assert Attempt("t", "SUCCEEDED", "not json").reply == "not json"
    assert Attempt("t", "SUCCEEDED", '{"structured": 1}').reply == ""


def test_failed_dead_letter_and_canceled_tasks_are_retried_twice_then_the_step_fails():
    first = next_step_action([attempt("DEAD_LETTER", "brain respond: boom")])
    assert (first.kind, first.attempt, first.error) == (ENQUEUE, 1, "brain respond: boom")
    second = next_step_action([attempt("DEAD_LETTER", "boom"), attempt("CANCELED", "aborted")])
    assert (second.kind, second.attempt, second.error) == (ENQUEUE, 2, "aborted")
    last = next_step_action([attempt("DEAD_LETTER", "boom"), attempt("CANCELED", "aborted"), attempt("FAILED")])
    assert (last.kind, last.error) == (FAILED_STEP, "task ended FAILED")
    assert next_step_action([attempt("CANCELED", "x")], max_retries=0).kind == FAILED_STEP


def test_a_plan_is_found_by_name_and_its_step_rows_carry_waves():
    plans, _ = load_plans([{"name": "p", "steps": [
        {"id": "check", "agent_id": "default", "prompt": "y {draft.output}", "depends_on": ["draft"]},
        {"id": "draft", "agent_id": "coder", "prompt": "x"}]}], ["default", "coder"])
    plan = find_plan(plans, "p")
    assert execution_steps(plan) == [
        {"step_id": "check", "step_index": 0, "wave_number": 1, "agent_id": "default", "prompt": "y {draft.output}"},
        {"step_id": "draft", "step_index": 1, "wave_number": 0, "agent_id": "coder", "prompt": "x"}]
    with pytest.raises(PlanNotFound) as raised:
        find_plan(plans, "nope")
    assert str(raised.value) == 'plan "nope" not found'
