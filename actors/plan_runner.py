"""PlanRunner: starts plan executions and drives each in its own green thread (SPEC §7.4, §13).

On start it resumes every execution left `running` (by a crash, or a restart of this actor). An
execution whose run raises (the store or the bus is briefly gone) is resumed again after a backoff.
"""

import uuid
from dataclasses import dataclass
from typing import Any

import gevent
import pykka

from actors.plan_execution import PlanExecution
from actors.plan_ports import PlanPorts
from goclaw_actors.approval_flow import announce_decision
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.plans.plan_lookup import execution_steps, find_plan
from goclaw_actors.plans.step_retry import STEP_TIME_LIMIT_SECONDS
from goclaw_actors.store.plan_reads import running_plan_executions

log = get_logger("plans")

RESUME_BACKOFF_SECONDS = 1.0  # first wait before an interrupted run is resumed; doubles up to the maximum
RESUME_BACKOFF_MAX_SECONDS = 30.0


@dataclass(frozen=True)
class _RunEnded:
    """Told by an execution's green thread when its run returns or raises."""

    execution_id: str
    error: str | None


@dataclass(frozen=True)
class _Resume:
    """Timer: run an interrupted execution again."""

    execution_id: str


class PlanRunner(pykka.ThreadingActor):
    """Owns the green threads of running plan executions; stays responsive while they wait.

    Usage::

        runner = PlanRunner.start(ports).proxy()
        runner.execute("ship", None).get()   # {execution_id, session_id, plan_name, status: "running"}
    """

    def __init__(self, ports: PlanPorts, step_time_limit: float = STEP_TIME_LIMIT_SECONDS):
        super().__init__()
        self.ports = ports
        self.step_time_limit = step_time_limit
        self.runs: dict[str, gevent.Greenlet] = {}
        self.failures: dict[str, int] = {}  # consecutive interrupted runs per execution
        self.timers: dict[str, gevent.Greenlet] = {}

    def on_start(self) -> None:
        resumed = self.ports.read(running_plan_executions)
        for execution_id in resumed:
            self._run(execution_id)
        if resumed:
            log.info("plan executions resumed", count=len(resumed))

    def on_stop(self) -> None:
        self._stop_all()

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        self._stop_all()

    def execute(self, name: str, session_id: str | None = None) -> dict[str, Any]:
        """Create an execution of the configured plan `name` in `session_id` (a new session when absent)
        and start it; returns `{execution_id, session_id, plan_name, status: "running"}`.

        Raises PlanNotFound.
        """
        plan = find_plan(self.ports.plans(), name)
        created = self.ports.store.plans.create_plan_execution(
            plan_name=plan.name, session_id=session_id or str(uuid.uuid4()), steps=execution_steps(plan))
        log.info("plan execution started", execution_id=created["execution_id"], plan=plan.name,
                 session_id=created["session_id"])
        self._run(created["execution_id"])
        return created

    def cancel(self, execution_id: str) -> dict[str, Any]:
        """Stop driving an execution, then cancel it in the store (SPEC §7.4): it becomes `canceled`, its
        unfinished steps `failed` and their live tasks `CANCELED`. Returns the store's answer
        `{execution_id, canceled, status, tasks: [[task_id, agent_id], …]}` (the tasks to interrupt).

        Raises StoreError for an unknown execution (a run that was stopped for nothing is driven again).
        """
        run = self.runs.pop(execution_id, None)
        timer = self.timers.pop(execution_id, None)
        for greenlet in (run, timer):
            if greenlet is not None:
                greenlet.kill(block=True, timeout=5)
        try:
            outcome = self.ports.store.plans.cancel_plan_execution(execution_id=execution_id)
        except Exception:
            if run is not None or timer is not None:
                self._run(execution_id)
            raise
        denied = outcome.pop("approvals", [])  # announced here; not part of the answer
        if outcome["canceled"]:
            self.failures.pop(execution_id, None)
            for row in denied:
                try:
                    announce_decision(self.ports.approvals(), row)
                except Exception as exc:  # noqa: BLE001 - the denial stands; the execution is canceled
                    log.error("denied step approval not audited or announced", approval_id=row["approval_id"],
                              error=str(exc))
            log.info("plan execution canceled", execution_id=execution_id, tasks_canceled=len(outcome["tasks"]))
        return outcome

    def running(self) -> list[str]:
        """Ids of the executions being driven now."""
        return sorted(self.runs)

    def on_receive(self, message: Any) -> None:
        if isinstance(message, _RunEnded):
            self._ended(message)
        elif isinstance(message, _Resume):
            self.timers.pop(message.execution_id, None)
            self._run(message.execution_id)
        else:
            log.warn("plan runner ignored unknown message", message=repr(message))

    def _run(self, execution_id: str) -> None:
        if execution_id in self.runs:
            return
        self.runs[execution_id] = gevent.spawn(self._drive, execution_id)

    def _drive(self, execution_id: str) -> None:
        """The green thread of one execution: run it, then tell the actor how it went."""
        error = None
        try:
            PlanExecution(self.ports, execution_id, self.step_time_limit).run()
        except Exception as exc:  # reported to the actor, which resumes the run later
            error = f"{type(exc).__name__}: {exc}"
        try:
            self.actor_ref.tell(_RunEnded(execution_id, error))
        except pykka.ActorDeadError:
            pass  # stopping: the execution stays `running` and is resumed at the next start

    def _ended(self, message: _RunEnded) -> None:
        self.runs.pop(message.execution_id, None)
        if message.error is None:
            self.failures.pop(message.execution_id, None)
            return
        count = self.failures[message.execution_id] = self.failures.get(message.execution_id, 0) + 1
        delay = min(RESUME_BACKOFF_SECONDS * 2 ** (count - 1), RESUME_BACKOFF_MAX_SECONDS)
        log.error("plan execution interrupted; resuming later", execution_id=message.execution_id,
                  error=message.error, retry_in_seconds=delay)
        self.timers[message.execution_id] = gevent.spawn_later(delay, self._tell, _Resume(message.execution_id))

    def _tell(self, message: Any) -> None:
        try:
            self.actor_ref.tell(message)
        except pykka.ActorDeadError:
            pass  # stopped meanwhile: the next start resumes every running execution

    def _stop_all(self) -> None:
        gevent.killall(list(self.timers.values()))
        gevent.killall(list(self.runs.values()))
        self.timers.clear()
        self.runs.clear()
