"""One plan execution driven to its end in a green thread (SPEC §7.4): waves of `plan_step` tasks.

Everything it decides from is in the database (step rows, the step's tasks, its approval), so a
run that is killed, by a crash or a restart of the runner, picks up where it stopped: succeeded
steps are not run again, a task still queued or running is awaited, never enqueued twice.
"""

import uuid
from typing import Any

import gevent

from actors.plan_approval import await_step_approval
from actors.plan_ports import PlanPorts
from goclaw_actors.errors import AgentNotFound, QueueSaturated
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.plans.plan_config import Plan
from goclaw_actors.plans.step_prompts import step_prompt
from goclaw_actors.plans.step_retry import (
    AWAIT, ENQUEUE, FAILED_STEP, MAX_STEP_RETRIES, STEP_TIME_LIMIT_SECONDS, SUCCEEDED_STEP, next_step_action,
)
from goclaw_actors.queue.backoff import retry_delay_ms
from goclaw_actors.queue.task_wait import await_terminal, is_done
from goclaw_actors.store.api_reads import plan_execution
from goclaw_actors.store.plan_reads import step_attempts
from goclaw_actors.store.sqlite_plans import EXECUTION_RUNNING
from goclaw_actors.store.sqlite_reads import get_task

log = get_logger("plans")

STEP_SUCCEEDED = "succeeded"
STEP_FAILED = "failed"
TIME_LIMIT_ERROR = "plan step time limit exceeded ({seconds:g}s)"


class PlanExecution:
    """Runs the waves of one execution in order; `run()` returns its final status (or None if it had ended).

    Usage (the PlanRunner does this in a green thread per execution)::

        PlanExecution(ports, execution_id).run()
    """

    def __init__(self, ports: PlanPorts, execution_id: str, step_time_limit: float = STEP_TIME_LIMIT_SECONDS):
        self.ports = ports
        self.execution_id = execution_id
        self.step_time_limit = step_time_limit

    def run(self) -> str | None:
        """Drive the remaining waves; the execution ends `succeeded`, or `failed` at the first failed step."""
        execution = self.ports.read(plan_execution, self.execution_id)
        if execution is None or execution["status"] != EXECUTION_RUNNING:
            return None
        plan = next((plan for plan in self.ports.plans() if plan.name == execution["plan_name"]), None)
        if plan is None:  # which steps need an approval is only known from the plan
            return self._abandon(execution, f'plan "{execution["plan_name"]}" is no longer configured')
        waves = sorted({step["wave_number"] for step in execution["steps"]})
        outputs = {step["step_id"]: step["result"] or "" for step in execution["steps"]
                   if step["status"] == STEP_SUCCEEDED}
        for wave in waves:
            steps = [s for s in execution["steps"] if s["wave_number"] == wave and s["status"] != STEP_SUCCEEDED]
            if not steps:
                continue
            if wave != execution["current_wave"]:
                self.ports.store.plans.set_plan_execution(execution_id=self.execution_id, current_wave=wave)
            replies = self._run_wave(execution, plan, steps, outputs)
            if any(reply is None for reply in replies.values()):
                return self._end(STEP_FAILED, wave)
            outputs.update(replies)
        return self._end(STEP_SUCCEEDED, waves[-1])

    def _abandon(self, execution: dict[str, Any], error: str) -> str:
        for step in execution["steps"]:
            if step["status"] not in (STEP_SUCCEEDED, STEP_FAILED):
                self._finish(step, STEP_FAILED, error=error)
        return self._end(STEP_FAILED, execution["current_wave"])

    def _end(self, status: str, wave: int) -> str:
        self.ports.store.plans.set_plan_execution(execution_id=self.execution_id, status=status)
        log.info("plan execution ended", execution_id=self.execution_id, status=status, wave=wave)
        return status

    def _run_wave(self, execution: dict[str, Any], plan: Plan, steps: list[dict[str, Any]],
                  outputs: dict[str, str]) -> dict[str, str | None]:
        """Run a wave's steps side by side; step id -> reply, None for a failed step."""
        gated = {step.id for step in plan.steps if step.requires_approval}
        runs = {step["step_id"]: gevent.spawn(self._run_step, execution, step, step["step_id"] in gated, outputs)
                for step in steps}
        try:
            gevent.joinall(list(runs.values()), raise_error=True)
        finally:
            gevent.killall(list(runs.values()))  # after an error, or when this green thread is killed
        return {step_id: run.value for step_id, run in runs.items()}

    def _run_step(self, execution: dict[str, Any], step: dict[str, Any], gated: bool,
                  outputs: dict[str, str]) -> str | None:
        """Run one step to its end; its reply, or None when it failed (recorded on the step row)."""
        if step["status"] == STEP_FAILED:
            return None
        if step["status"] == "pending" and gated:
            refusal = await_step_approval(self.ports, execution, step)
            if refusal is not None:
                return self._finish(step, STEP_FAILED, error=refusal)
        while True:
            action = next_step_action(self.ports.read(step_attempts, self.execution_id, step["step_index"]))
            if action.kind == SUCCEEDED_STEP:
                return self._finish(step, STEP_SUCCEEDED, result=action.reply)
            if action.kind == FAILED_STEP:
                return self._finish(step, STEP_FAILED, error=action.error)
            if action.kind == AWAIT:
                with self.ports.watch(task_id=action.task_id) as watch:
                    self._await_task(watch, action.task_id)
                continue
            assert action.kind == ENQUEUE
            task_id = str(uuid.uuid4())
            with self.ports.watch(task_id=task_id) as watch:
                try:
                    started = self.ports.store.plans.start_plan_step(
                        step_row_id=step["id"], attempt=action.attempt, task_id=task_id,
                        content=step_prompt(step["prompt"], outputs, action.error))
                except (AgentNotFound, QueueSaturated) as exc:  # no task: a failed attempt all the same
                    self.ports.store.plans.refuse_plan_step(step_row_id=step["id"], attempt=action.attempt,
                                                            error=str(exc))
                    started = {"task_id": None, "refusal": str(exc)}
                if started["task_id"] == task_id:
                    self._await_task(watch, task_id)
            if started.get("refusal") and action.attempt < MAX_STEP_RETRIES:
                self._pause_after_refusal(step, action.attempt, started["refusal"])

    def _pause_after_refusal(self, step: dict[str, Any], attempt: int, error: str) -> None:
        """Give the store a moment (the retry backoff of SPEC §3.6) before the attempt after a refused one."""
        delay = retry_delay_ms(f"{self.execution_id}:{step['step_id']}", attempt + 1) / 1000.0
        log.warn("plan step enqueue refused; retrying", execution_id=self.execution_id, step_id=step["step_id"],
                 attempt=attempt, error=error, retry_in_seconds=delay)
        gevent.sleep(delay)

    def _await_task(self, watch: Any, task_id: str) -> None:
        """Wait (event-driven) until the task is terminal; past the step time limit, cancel it."""
        task = await_terminal(watch.queue, lambda: self.ports.read(get_task, task_id), self.step_time_limit)
        if not is_done(task):
            error = TIME_LIMIT_ERROR.format(seconds=self.step_time_limit)
            if self.ports.store.plans.cancel_plan_step_task(task_id=task_id, error=error):
                log.warn("plan step task timed out", execution_id=self.execution_id, task_id=task_id)

    def _finish(self, step: dict[str, Any], status: str, result: str | None = None,
                error: str | None = None) -> str | None:
        self.ports.store.plans.finish_plan_step(step_row_id=step["id"], status=status, result=result, error=error)
        log.info("plan step ended", execution_id=self.execution_id, step_id=step["step_id"], status=status,
                 error=error)
        return result if status == STEP_SUCCEEDED else None
