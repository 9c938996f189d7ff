"""WorkerActor: one lane of an agent. Claims a task, runs it through the processor, records the outcome.

An attempt that waits on other work (a synchronous delegation) steps out of its lane while it waits
(`emit.waiting()`): the lane claims the next task meanwhile, and the attempt takes a lane slot back when
its wait ends (before any task is claimed). A waiting attempt therefore never holds a lane its children
may need, so delegations cannot deadlock however many lanes delegate at once.
"""

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import gevent
import gevent.event
import pykka

from actors.address import Address
from actors.store_client import StoreClient
from actors.task_streams import StreamChunk, StreamEnd
from goclaw_actors import telemetry
from goclaw_actors.attempt_failure import TASK_TIMEOUT, AttemptFailure, failure_of
from goclaw_actors.errors import GoclawError, IllegalTransition, StoreError
from goclaw_actors.processor import Processor
from goclaw_actors.queue.lane_settings import LaneSettings
from goclaw_actors.store.sqlite_tasks import TIMEOUT_ERROR
from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.timeutil import parse_db, utc_now

log = logging.getLogger("goclaw.worker")


@dataclass(frozen=True)
class ClaimNext:
    """Wake-up: claim the next due task if this lane is free."""


@dataclass(frozen=True)
class WorkerIdle:
    """Sent to the dispatcher: this lane looked and found nothing to do."""

    index: int


@dataclass(frozen=True)
class CancelTask:
    """Interrupt the attempt of `task_id` if this lane runs it (the store already canceled the row)."""

    task_id: str


@dataclass(frozen=True)
class Drain:
    """Stop claiming; finish the current attempt."""


@dataclass(frozen=True)
class LaneStatus:
    """Ask: what is this lane doing? Answers `{"index", "busy", "task_id", "draining"}`."""


@dataclass(frozen=True)
class _Tick:
    token: int


@dataclass(frozen=True)
class _Waiting:
    """From an attempt: without `granted`, it starts waiting on other work (its lane may serve another task
    meanwhile); with it, its wait ended and `granted` is to be set once it holds the lane again."""

    token: int
    granted: gevent.event.Event | None = None


@dataclass(frozen=True)
class _Finished:
    token: int
    kind: str  # "ok" | "error" | "canceled"
    value: Any  # the result; for "error" (error text, AttemptFailure)


class TaskTimedOut(BaseException):
    """Raised inside a running attempt when it exceeds the task timeout. A BaseException on purpose: the
    timeout belongs to the queue, so no `except Exception` in the brain (failover, tool rounds) may take
    it for a provider failure (SPEC §3.6)."""


@dataclass
class _Run:
    token: int
    task: TaskRow
    greenlet: gevent.Greenlet
    ticker: gevent.Greenlet
    started: float
    queue_wait_ms: int
    lost: bool = False


class _Emitter:
    """The Emit of one attempt: chunks go to TaskStreams (dropped while it restarts); the end of the
    attempt is reported only if it streamed something (followers wait for it only then). `waiting()`
    steps the attempt out of its lane while it waits on other work (goclaw_actors.processor)."""

    def __init__(self, streams: Address | None, task: TaskRow, lane: pykka.ActorRef | None = None,
                 token: int = 0):
        self.streams = streams
        self.task_id = task.id
        self.run_id = task.run_id or ""
        self.used = False
        self._lane = lane
        self._token = token

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """While inside, the lane serves other tasks; on leaving, wait until the lane is ours again (a
        failing wait too; an attempt killed meanwhile just ends)."""
        if self._lane is None or not _tell(self._lane, _Waiting(self._token)):
            yield
            return
        try:
            yield
        except Exception:
            self._take_lane_back()
            raise
        self._take_lane_back()

    def _take_lane_back(self) -> None:
        granted = gevent.event.Event()
        if _tell(self._lane, _Waiting(self._token, granted)):
            granted.wait()

    def __call__(self, chunk: dict[str, Any]) -> None:
        if self.streams is not None:
            self.used = True
            self.streams.tell(StreamChunk(self.task_id, self.run_id, chunk))

    def end(self) -> None:
        """Report the end of the attempt to followers of its stream."""
        if self.used:
            self.streams.tell(StreamEnd(self.task_id, self.run_id))


class WorkerActor(pykka.ThreadingActor):
    """A lane: claims with one store write, runs the attempt in a child greenlet so it stays responsive
    to cancel, heartbeat and drain, and writes the outcome (pipelined with its next claim).
    """

    def __init__(self, settings: LaneSettings, index: int, store: StoreClient, dispatcher: Address,
                 processor: Callable[[], Processor], policy_version: Callable[[], str],
                 streams: Address | None = None):
        super().__init__()
        self.streams = streams
        self.settings = settings
        self.index = index
        self.store = store
        self.dispatcher = dispatcher
        self.processor = processor
        self.policy_version = policy_version
        self.current: _Run | None = None
        self.parked: dict[int, _Run] = {}  # attempts waiting on other work, outside the lane
        self.unparking: list[tuple[int, gevent.event.Event]] = []  # parked attempts asking for the lane back
        self.draining = False
        self.tokens = 0
        self.completed = 0

    def on_start(self) -> None:
        self.actor_ref.tell(ClaimNext())

    def on_receive(self, message: Any) -> Any:
        try:
            return self._dispatch(message)
        except Exception as exc:  # keep the lane alive; the row is safe in the store
            log.error("worker handler failed", extra={"agent_id": self.settings.agent_id, "lane": self.index,
                                                      "error": str(exc), "message_type": type(message).__name__})
            return None

    def _dispatch(self, message: Any) -> Any:
        if isinstance(message, ClaimNext):
            self._claim_and_start(None)
        elif isinstance(message, _Finished):
            self._finish(message)
        elif isinstance(message, _Tick):
            self._heartbeat(message.token)
        elif isinstance(message, _Waiting) and message.granted is None:
            self._park(message.token)
        elif isinstance(message, _Waiting):
            self._unpark(message.token, message.granted)
        elif isinstance(message, CancelTask):
            for run in self._runs():
                if run.task.id == message.task_id:
                    run.greenlet.kill(block=False)
        elif isinstance(message, Drain):
            self.draining = True
        elif isinstance(message, LaneStatus):
            return {"index": self.index, "busy": self.current is not None or bool(self.parked),
                    "draining": self.draining, "task_id": self.current.task.id if self.current else None,
                    "parked": len(self.parked), "completed": self.completed}
        return None

    def _runs(self) -> list[_Run]:
        """Every attempt of this lane: the one holding it and the parked ones."""
        return ([self.current] if self.current is not None else []) + list(self.parked.values())

    def _run(self, token: int) -> _Run | None:
        if self.current is not None and self.current.token == token:
            return self.current
        return self.parked.get(token)

    def _park(self, token: int) -> None:
        """The running attempt waits on other work: it leaves the lane, which serves the next task."""
        if self.current is None or self.current.token != token:
            return
        self.parked[token], self.current = self.current, None
        self._lane_free(None)

    def _unpark(self, token: int, granted: gevent.event.Event) -> None:
        """A parked attempt's wait ended: it gets the lane back now if the lane is free, else next."""
        if token not in self.parked:
            granted.set()  # not ours (ended meanwhile): nothing to hand back
            return
        self.unparking.append((token, granted))
        if self.current is None:
            self._lane_free(None)

    def _lane_free(self, claim_future: pykka.Future | None) -> bool:
        """The lane has no attempt: hand it to a parked attempt whose wait ended, else claim (with the
        already submitted `claim_future`, when given). Returns True when a parked attempt took it."""
        while self.unparking:
            token, granted = self.unparking.pop(0)
            run = self.parked.pop(token, None)
            granted.set()
            if run is not None:
                self.current = run
                return True
        self._claim_and_start(claim_future)
        return False

    def _claim_and_start(self, claim_future: pykka.Future | None) -> None:
        if self.current is not None or self.draining:
            return
        if claim_future is None:
            claim_future = self._submit_claim()
        try:
            task = self.store.result(claim_future)
        except IllegalTransition:  # canceled between claim and start inside the same batch: try again
            self.actor_ref.tell(ClaimNext())
            return
        except StoreError as exc:  # the store cannot write now: idle, so the dispatcher's poll retries
            log.error("claim failed", extra={"agent_id": self.settings.agent_id, "lane": self.index,
                                             "error": str(exc)})
            task = None
        if task is None:
            self.dispatcher.tell(WorkerIdle(self.index))
            return
        self._launch(task)

    def _submit_claim(self) -> pykka.Future:
        """Claim and start the next task in one store request (it joins the batch of any pending write)."""
        return self.store.submit("claim_and_start", agent_id=self.settings.agent_id,
                                 lease_seconds=self.settings.lease_seconds, policy_version=self.policy_version())

    def _launch(self, task: TaskRow) -> None:
        self.tokens += 1
        token = self.tokens
        processor = self.processor()
        greenlet = gevent.spawn(self._run_attempt, token, task, processor, _Emitter(self.streams, task,
                                                                                    self.actor_ref, token))
        ticker = gevent.spawn(self._tick_loop, token)
        wait_ms = max(0, int((utc_now() - parse_db(task.created_at)).total_seconds() * 1000))
        self.current = _Run(token, task, greenlet, ticker, time.monotonic(), wait_ms)

    def _run_attempt(self, token: int, task: TaskRow, processor: Processor, emit: _Emitter) -> None:
        try:
            with telemetry.task_attempt(task), gevent.Timeout(self.settings.task_timeout_seconds, TaskTimedOut):
                result = processor.process(task, emit)
            kind, value = "ok", result
        except TaskTimedOut:
            kind, value = "error", (TIMEOUT_ERROR, AttemptFailure(TASK_TIMEOUT))
        except gevent.GreenletExit:  # killed: canceled, lease lost or shutting down
            kind, value = "canceled", None
        except Exception as exc:
            kind, value = "error", (str(exc) or type(exc).__name__, failure_of(exc))
        emit.end()
        try:
            self.actor_ref.tell(_Finished(token, kind, value))
        except pykka.ActorDeadError:
            pass  # the lane died; the lease expires and the reaper requeues the task

    def _tick_loop(self, token: int) -> None:
        while True:
            gevent.sleep(self.settings.tick_seconds)
            try:
                self.actor_ref.tell(_Tick(token))
            except pykka.ActorDeadError:
                return

    def _heartbeat(self, token: int) -> None:
        run = self._run(token)
        if run is None:
            return
        try:
            cancel = self.store.call("heartbeat", task_id=run.task.id, lease_owner=run.task.lease_owner,
                                     lease_seconds=self.settings.lease_seconds)
        except IllegalTransition:
            run.lost = True
            cancel = True
        if cancel:
            run.greenlet.kill(block=False)

    def _finish(self, message: _Finished) -> None:
        run = self._run(message.token)
        if run is None:
            return
        held_lane = run is self.current
        if held_lane:
            self.current = None
        else:  # ended while parked (canceled, timed out): the lane is someone else's
            self.parked.pop(message.token, None)
            self.unparking = [(token, granted) for token, granted in self.unparking if token != message.token]
        run.ticker.kill(block=False)
        self.completed += 1
        write = self._outcome_write(run, message)
        claim = None
        if held_lane and not self.draining and not self.unparking:
            claim = self._submit_claim()
        if write is not None:
            try:
                self.store.result(write)
            except IllegalTransition:
                log.info("task outcome not recorded: lease lost or canceled",
                         extra={"task_id": run.task.id, "agent_id": self.settings.agent_id})
            except StoreError as exc:  # disk full, read-only: the lease expires and the reaper requeues it
                log.error("task outcome not recorded; the lease will expire",
                          extra={"task_id": run.task.id, "agent_id": self.settings.agent_id, "error": str(exc)})
        if held_lane and self.current is None:
            self._lane_free(claim)

    def _outcome_write(self, run: _Run, message: _Finished) -> pykka.Future | None:
        task = run.task
        if message.kind == "canceled" or run.lost:
            return None
        if message.kind == "ok":
            result, error = _checked_result(message.value)
            if error is None:
                run_ms = int((time.monotonic() - run.started) * 1000)
                return self.store.submit(
                    "succeed", task_id=task.id, lease_owner=task.lease_owner, result=result,
                    usage=result.pop("_usage", None), metrics={"queue_wait_ms": run.queue_wait_ms, "run_ms": run_ms})
            return self.store.submit("fail", task_id=task.id, lease_owner=task.lease_owner, error=error)
        error, failure = message.value
        return self.store.submit("fail", task_id=task.id, lease_owner=task.lease_owner, error=error,
                                 failure=failure.as_dict())

    def on_stop(self) -> None:
        runs = self._runs()
        self.current, self.parked, self.unparking = None, {}, []
        for run in runs:
            run.ticker.kill(block=False)
            run.greenlet.kill(block=True, timeout=1)
            if run.lost:
                continue
            try:
                self.store.call("release_for_shutdown", task_id=run.task.id, lease_owner=run.task.lease_owner)
            except GoclawError as exc:
                log.warning("shutdown release failed; the lease will expire",
                            extra={"task_id": run.task.id, "error": str(exc)})

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        runs = self._runs()
        self.current, self.parked, self.unparking = None, {}, []
        for run in runs:
            run.ticker.kill(block=False)
            run.greenlet.kill(block=False)


def _tell(ref: pykka.ActorRef, message: Any) -> bool:
    try:
        ref.tell(message)
        return True
    except pykka.ActorDeadError:
        return False


def _checked_result(value: Any) -> tuple[dict[str, Any], str | None]:
    """A processor result must be an object with a string `reply`; otherwise it is a failed attempt."""
    if not isinstance(value, dict) or not isinstance(value.get("reply"), str):
        return {}, f"processor returned an invalid result: {type(value).__name__}"
    return dict(value), None
