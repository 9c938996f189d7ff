"""Plan executions and their steps."""

from typing import Any, Protocol


class PlansApi(Protocol):
    """Plan executions and their steps."""

    def create_plan_execution(self, plan_name: str, session_id: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
        """Insert a `running` execution and its `pending` step rows.

        `steps` are `{step_id, step_index, wave_number, agent_id, prompt}`; returns
        `{execution_id, session_id, plan_name, status}`."""
        ...

    def start_plan_step(self, step_row_id: int, attempt: int, content: str,
                        task_id: str | None = None) -> dict[str, Any]:
        """Enqueue attempt `attempt` of a step as a `plan_step` task in the execution's session and mark
        the step `running` with it; returns `{task_id, created}` (`created` False: that attempt exists).

        Raises StoreError when the step is unknown or its execution has ended, and the enqueue errors."""
        ...

    def refuse_plan_step(self, step_row_id: int, attempt: int, error: str) -> None:
        """Record that attempt `attempt` of a step could not be enqueued (`error`: agent gone, queue saturated);
        it counts as a failed attempt of the step (SPEC §7.4 retry rules)."""
        ...

    def finish_plan_step(self, step_row_id: int, status: str, result: str | None = None,
                         error: str | None = None) -> dict[str, Any]:
        """End a step (`succeeded` with its reply, or `failed` with the error) with the cost of every task
        it ran, and bring the execution's `completed_steps` and `total_cost_usd` up to date.

        Returns the execution's `{completed_steps, total_cost_usd}`."""
        ...

    def cancel_plan_step_task(self, task_id: str, error: str) -> bool:
        """Cancel a step's task that ran out of time, recording `error` as its error; False if it had ended."""
        ...

    def set_plan_execution(self, execution_id: str, current_wave: int | None = None,
                           status: str | None = None) -> bool:
        """Move a running execution to `current_wave` and/or end it with `status`; False if it had ended."""
        ...

    def cancel_plan_execution(self, execution_id: str) -> dict[str, Any]:
        """Cancel a running execution: it becomes `canceled`, its unfinished steps `failed` (`plan execution
        canceled`) and their tasks that have not ended are canceled.

        Returns `{execution_id, canceled, status, tasks: [[task_id, agent_id], …]}` (`canceled` False: it had
        ended, nothing changed); raises StoreError for an unknown execution."""
        ...
