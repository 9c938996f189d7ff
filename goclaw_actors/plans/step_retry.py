"""What a plan step does next, decided from its tasks so far (SPEC §7.4): enqueue, await, or finish.

The same decision serves a fresh step and one resumed after a crash: a step's attempts are its
`plan_step` tasks and its refused enqueues, in order, so nothing about an attempt lives only in memory.
"""

import json
from dataclasses import dataclass
from typing import Sequence

from goclaw_actors.queue.states import CANCELED, DEAD_LETTER, FAILED, SUCCEEDED

MAX_STEP_RETRIES = 2  # a failing step makes at most 1 + MAX_STEP_RETRIES attempts
STEP_TIME_LIMIT_SECONDS = 300.0  # how long one task of a step may take before it is canceled
REFUSED = "REFUSED"  # an attempt whose enqueue the store refused (agent gone, queue saturated): no task
FAILED_ENDS = frozenset({FAILED, DEAD_LETTER, CANCELED, REFUSED})

ENQUEUE = "enqueue"
AWAIT = "await"
SUCCEEDED_STEP = "succeeded"
FAILED_STEP = "failed"


@dataclass(frozen=True)
class Attempt:
    """One attempt of a step: its task's id, status, stored result JSON and error (a refused enqueue: no task
    id, status REFUSED and the refusal as the error)."""

    task_id: str
    status: str
    result: str | None = None
    error: str | None = None

    @property
    def reply(self) -> str:
        """The reply text of a succeeded task (`""` when the result has none)."""
        try:
            result = json.loads(self.result) if self.result else {}
        except ValueError:
            return self.result or ""
        reply = result.get("reply") if isinstance(result, dict) else None
        return reply if isinstance(reply, str) else ""

    @property
    def failure(self) -> str:
        """Why the task did not succeed: its error, else its status."""
        return self.error or f"task ended {self.status}"


@dataclass(frozen=True)
class StepAction:
    """The next move: `enqueue` attempt number `attempt` (after `error`), `await` `task_id`,
    or the step ended `succeeded` (with `reply`) / `failed` (with `error`)."""

    kind: str
    attempt: int = 0
    task_id: str = ""
    reply: str = ""
    error: str | None = None


def next_step_action(attempts: Sequence[Attempt], max_retries: int = MAX_STEP_RETRIES) -> StepAction:
    """Decide from the step's tasks, oldest first."""
    if not attempts:
        return StepAction(ENQUEUE, attempt=0)
    last = attempts[-1]
    if last.status == SUCCEEDED:
        return StepAction(SUCCEEDED_STEP, task_id=last.task_id, reply=last.reply)
    if last.status not in FAILED_ENDS:
        return StepAction(AWAIT, task_id=last.task_id)
    if len(attempts) > max_retries:
        return StepAction(FAILED_STEP, task_id=last.task_id, error=last.failure)
    return StepAction(ENQUEUE, attempt=len(attempts), error=last.failure)
