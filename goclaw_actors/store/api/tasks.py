"""Tasks: enqueue and cancel, and the attempt a lane runs (claim, start, heartbeat, outcome, release)."""

from typing import Any, Protocol

from goclaw_actors.store.sqlite_tasks import DEFAULT_MAX_ATTEMPTS
from goclaw_actors.store.task_row import TaskRow


class TasksApi(Protocol):
    """Tasks: enqueue and cancel, and the attempt a lane runs (claim, start, heartbeat, outcome, release)."""

    def enqueue(
        self,
        session_id: str,
        payload: dict[str, Any],
        agent_id: str = "default",
        task_type: str = "chat",
        priority: int = 0,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        parent_task_id: str | None = None,
        idempotency_key: str | None = None,
        append_message: bool = True,
        task_id: str | None = None,
    ) -> dict[str, Any]:
        """Create a QUEUED task (and its session and user message); returns `{task_id, created}`.

        A known `idempotency_key` returns the existing task with `created: False`.
        Raises AgentNotFound, QueueSaturated, or StoreError for an invalid payload."""
        ...

    def cancel(self, task_id: str, reason: str = "abort_request") -> bool:
        """Cancel a non-terminal task and its non-terminal delegation children; False if already terminal."""
        ...

    def cancel_agent_backlog(self, agent_id: str) -> int:
        """Cancel the QUEUED/CLAIMED tasks of a removed agent (reason `agent_deleted`); returns the count."""
        ...

    def claim(self, agent_id: str, lease_seconds: float) -> TaskRow | None:
        """Claim the best due QUEUED task of `agent_id` with a fresh lease, or None."""
        ...

    def claim_batch(self, agent_id: str, lease_seconds: float, policy_version: str = "",
                    limit: int = 1) -> list[TaskRow]:
        """Claim up to `limit` due tasks and start them all (CLAIMED ⇒ RUNNING, a new run each), in claim
        order: what a lane runs next, one after the other."""
        ...

    def claim_and_start(self, agent_id: str, lease_seconds: float, policy_version: str = "") -> TaskRow | None:
        """Claim the best due task and start it in the same transaction (two transitions, two events)."""
        ...

    def start(self, task_id: str, lease_owner: str, lease_seconds: float, policy_version: str = "") -> TaskRow:
        """CLAIMED ⇒ RUNNING under `lease_owner`: renew the lease, pin the policy version, open a run."""
        ...

    def heartbeat(self, task_id: str, lease_owner: str, lease_seconds: float) -> bool:
        """Renew the lease of a RUNNING/CLAIMED task; returns `cancel_requested`.

        Raises IllegalTransition when the lease is no longer ours (expired and requeued, or canceled)."""
        ...

    def succeed(
        self,
        task_id: str,
        lease_owner: str,
        result: dict[str, Any],
        usage: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        store_reply: bool = True,
    ) -> None:
        """RUNNING ⇒ SUCCEEDED with result, assistant message, usage and a `task_metrics` row; one guarded
        `UPDATE … RETURNING` (IllegalTransition / TaskNotFound when the guard fails, nothing written)."""
        ...

    def fail(self, task_id: str, lease_owner: str, error: str,
             failure: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record a failed attempt: retry with backoff, or dead-letter (max attempts wins over poison; a
        failure that is not retriable is dead-lettered at once). `failure` (AttemptFailure.as_dict) is kept
        in the attempt's event payload, where the gateways read why the task failed.

        Returns `{status, reason_code, attempt, delay_ms}`."""
        ...

    def record_outcomes(self, outcomes: list[dict[str, Any]]) -> list[str | None]:
        """The outcomes of a lane's attempts, in one request: each is the keyword arguments of `succeed`, or
        of `fail` (with `error`). Returns, per outcome, None when recorded or why not (the lease was lost or
        the task canceled meanwhile: that outcome changes nothing, the others still count)."""
        ...

    def release_for_shutdown(self, task_id: str, lease_owner: str) -> bool:
        """Requeue a task still running at the end of the drain, without spending an attempt."""
        ...
