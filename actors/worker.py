"""WorkerActor: one lane of an agent. Claims tasks, runs them through the processor, records the outcomes.

An attempt that waits on other work (a synchronous delegation) steps out of its lane while it waits
(`emit.waiting()`): the lane runs or claims the next task meanwhile, and the attempt takes the lane back
when its wait ends (before any other task runs). A waiting attempt therefore never holds a lane its
children may need, so delegations cannot deadlock however many lanes delegate at once.
"""

import logging
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import gevent
import gevent.event
import pykka

from actors.address import Address, tell_if_alive
from actors.agent_actor import UseProcessor
from actors.lane_outcomes import HeldOutcomes
from actors.policy_actor import PolicyVersion, WatchPolicyVersion
from actors.store_client import StoreClient
from actors.task_streams import StreamChunk, StreamEnd
from goclaw_actors import telemetry
from goclaw_actors.attempt_failure import TASK_TIMEOUT, AttemptFailure, failure_of
from goclaw_actors.errors import GoclawError, IllegalTransition, StoreError
from goclaw_actors.processor import Processor
from goclaw_actors.queue import outcomes
from goclaw_actors.queue.lane_settings import LaneSettings
from goclaw_actors.store.sqlite_tasks import TIMEOUT_ERROR
from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.timeutil import parse_db, utc_now

log = logging.getLogger("goclaw.worker")


@dataclass(frozen=True)
class ClaimNext:
    """Wake-up: claim the next due tasks if this lane is free."""


@dataclass(frozen=True)
class WorkerIdle:
    """Sent to the dispatcher: this lane looked and found nothing to do."""

    index: int


@dataclass(frozen=True)
class CancelTask:
    """Interrupt or drop `task_id` if this lane runs or holds it (the store already canceled the row)."""

    task_id: str


@dataclass(frozen=True)
class Drain:
    """Stop claiming; release the started tasks not run yet; finish the current attempt."""


@dataclass(frozen=True)
class LaneStatus:
    """Ask: what is this lane doing? Answers `{"index", "busy", "task_id", "draining", "completed"}`."""


@dataclass(frozen=True)
class _Tick:
    """Timer: renew the leases of the tasks this lane holds and check for cancellation."""


@dataclass(frozen=True)
class _WriteOutcomes:
    """Timer: write the outcomes held back while the next attempt runs."""


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
        if self._lane is None or not tell_if_alive(self._lane, _Waiting(self._token)):
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
        if tell_if_alive(self._lane, _Waiting(self._token, granted)):
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
    """A lane: claims and starts tasks with one store write (several at once while its attempts are fast),
    runs each attempt in a child greenlet so it stays responsive to cancel, heartbeat and drain, and
    writes the outcomes together with its next claim.

    The processor and the policy version are told to the lane when they change (UseProcessor,
    PolicyVersion); an attempt never waits on another actor to begin.
    """

    def __init__(self, settings: LaneSettings, index: int, store: StoreClient, dispatcher: Address,
                 processor: Callable[[], Processor], policy: Address | None = None,
                 streams: Address | None = None):
        super().__init__()
        self.streams = streams
        self.settings = settings
        self.index = index
        self.store = store
        self.dispatcher = dispatcher
        self.initial_processor = processor
        self.policy = policy
        self.processor: Processor | None = None
        self.policy_version = ""
        self.current: _Run | None = None
        self.parked: dict[int, _Run] = {}  # attempts waiting on other work, outside the lane
        self.unparking: list[tuple[int, gevent.event.Event]] = []  # parked attempts asking for the lane back
        self.ready: deque[TaskRow] = deque()  # started by the last claim, to run after the current attempt
        self.held = HeldOutcomes(store, settings.agent_id, lambda: tell_if_alive(self.actor_ref, _WriteOutcomes()))
        self.ticker: gevent.Greenlet | None = None
        self.last_run_seconds: float | None = None
        self.draining = False
        self.tokens = 0
        self.completed = 0

    def on_start(self) -> None:
        self.processor = self.initial_processor()
        if self.policy is not None:
            self.policy_version = self.policy.ask(WatchPolicyVersion(self.actor_ref))
        self.ticker = gevent.spawn(self._every_tick)
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
            if self.current is None and not self.ready and not self.unparking and not self.draining:
                self._claim()
        elif isinstance(message, _Finished):
            self._finish(message)
        elif isinstance(message, _WriteOutcomes):
            self.held.write_soon()
        elif isinstance(message, _Tick):
            self._heartbeat()
        elif isinstance(message, _Waiting) and message.granted is None:
            self._park(message.token)
        elif isinstance(message, _Waiting):
            self._unpark(message.token, message.granted)
        elif isinstance(message, CancelTask):
            self._cancel(message.task_id)
        elif isinstance(message, UseProcessor):
            self.processor = message.processor
        elif isinstance(message, PolicyVersion):
            self.policy_version = message.version
        elif isinstance(message, Drain):
            self.draining = True
            self._release_ready()
        elif isinstance(message, LaneStatus):
            return {"index": self.index, "busy": self.current is not None or bool(self.ready) or bool(self.parked),
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
        self._lane_free()

    def _unpark(self, token: int, granted: gevent.event.Event) -> None:
        """A parked attempt's wait ended: it gets the lane back now if the lane is free, else next."""
        if token not in self.parked:
            granted.set()  # not ours (ended meanwhile): nothing to hand back
            return
        self.unparking.append((token, granted))
        if self.current is None:
            self._lane_free()

    def _lane_free(self) -> None:
        """The lane has no attempt: hand it to a parked attempt whose wait ended, else run the next started
        task, else claim (unless draining)."""
        while self.unparking:
            token, granted = self.unparking.pop(0)
            run = self.parked.pop(token, None)
            granted.set()
            if run is not None:
                self.current = run
                return
        if self.ready and not self.draining:
            self._launch_next()
        elif self.draining:
            self.held.write()
        else:
            self._claim()

    def _claim(self) -> None:
        """Write the held outcomes and claim the next tasks in the same batch; run the first of them."""
        written = self.held.submit()  # commits in the same batch as the claim
        claim = self.store.tasks.claim_batch.submit(
            agent_id=self.settings.agent_id, lease_seconds=self.settings.lease_seconds,
            policy_version=self.policy_version,
            limit=outcomes.claim_limit(self.last_run_seconds, self.settings.lease_seconds))
        self.held.check(written)
        try:
            tasks = claim.get()
        except IllegalTransition:  # canceled between claim and start inside the same batch: try again
            self.actor_ref.tell(ClaimNext())
            return
        except StoreError as exc:  # the store cannot write now: idle, so the dispatcher's poll retries
            log.error("claim failed", extra={"agent_id": self.settings.agent_id, "lane": self.index,
                                             "error": str(exc)})
            tasks = []
        if not tasks:
            self.dispatcher.tell(WorkerIdle(self.index))
            return
        self.ready.extend(tasks)
        self._launch_next()

    def _launch_next(self) -> None:
        task = self.ready.popleft()
        self.tokens += 1
        greenlet = gevent.spawn(self._run_attempt, self.tokens, task, self.processor,
                                _Emitter(self.streams, task, self.actor_ref, self.tokens))
        wait_ms = max(0, int((utc_now() - parse_db(task.created_at)).total_seconds() * 1000))
        self.current = _Run(self.tokens, task, greenlet, time.monotonic(), wait_ms)

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
        tell_if_alive(self.actor_ref, _Finished(token, kind, value))  # a dead lane's leases expire: the reaper

    def _finish(self, message: _Finished) -> None:
        run = self._run(message.token)
        if run is None:
            return
        held_lane = run is self.current
        if held_lane:
            self.current = None
            self.last_run_seconds = time.monotonic() - run.started
        else:  # ended while parked (canceled, timed out): the lane is someone else's
            self.parked.pop(message.token, None)
            self.unparking = [(token, granted) for token, granted in self.unparking if token != message.token]
        self.completed += 1
        outcome = self._outcome(run, message)
        more_to_run = not self.draining and (self.current is not None or bool(self.ready) or bool(self.unparking))
        if outcome is not None:
            self.held.add(outcome, more_to_run)  # written with the next claim, or soon
        if self.current is None:
            self._lane_free()

    def _outcome(self, run: _Run, message: _Finished) -> dict[str, Any] | None:
        """The record_outcomes entry of a finished attempt; None when it has nothing to write (canceled,
        or its lease was lost)."""
        if message.kind == "canceled" or run.lost:
            return None
        if message.kind == "ok":
            run_ms = int((time.monotonic() - run.started) * 1000)
            return outcomes.succeeded(run.task, message.value, run.queue_wait_ms, run_ms)
        error, failure = message.value
        return outcomes.failed(run.task, error, failure)

    def _every_tick(self) -> None:
        while True:
            gevent.sleep(self.settings.tick_seconds)
            if not tell_if_alive(self.actor_ref, _Tick()):
                return

    def _heartbeat(self) -> None:
        """Renew the lease of every task this lane holds; interrupt or drop the ones canceled or lost."""
        held = [run.task for run in self._runs()] + list(self.ready)
        beats = [(task, self.store.tasks.heartbeat.submit(task_id=task.id, lease_owner=task.lease_owner,
                                                          lease_seconds=self.settings.lease_seconds)) for task in held]
        for task, beat in beats:
            try:
                cancel = beat.get()
                lost = False
            except IllegalTransition:
                cancel = lost = True
            if cancel:
                self._cancel(task.id, lost)

    def _cancel(self, task_id: str, lost: bool = False) -> None:
        for run in self._runs():
            if run.task.id == task_id:
                run.lost = run.lost or lost
                run.greenlet.kill(block=False)
                return
        self.ready = deque(task for task in self.ready if task.id != task_id)

    def _release_ready(self) -> None:
        """Give the started tasks this lane will not run back to the queue (no attempt spent)."""
        ready, self.ready = list(self.ready), deque()
        for task in ready:
            try:
                self.store.tasks.release_for_shutdown(task_id=task.id, lease_owner=task.lease_owner)
            except GoclawError as exc:
                log.warning("release failed; the lease will expire", extra={"task_id": task.id, "error": str(exc)})

    def on_stop(self) -> None:
        self._stop_ticker()
        if self.policy is not None:
            self.policy.tell(WatchPolicyVersion(self.actor_ref, watching=False))
        self.held.write()
        self._release_ready()
        runs = self._runs()
        self.current, self.parked, self.unparking = None, {}, []
        for run in runs:
            run.greenlet.kill(block=True, timeout=1)
            if run.lost:
                continue
            try:
                self.store.tasks.release_for_shutdown(task_id=run.task.id, lease_owner=run.task.lease_owner)
            except GoclawError as exc:
                log.warning("shutdown release failed; the lease will expire",
                            extra={"task_id": run.task.id, "error": str(exc)})

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        self._stop_ticker()
        self.held.submit()  # still recorded: without them the tasks would run again after their leases expire
        runs = self._runs()
        self.current, self.parked, self.unparking = None, {}, []
        for run in runs:
            run.greenlet.kill(block=False)

    def _stop_ticker(self) -> None:
        if self.ticker is not None:
            self.ticker.kill(block=False)
            self.ticker = None
