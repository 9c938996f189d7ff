"""LaneDispatcher: wakes an agent's idle lanes on enqueue events, on a timer and by a fallback poll."""

import logging
from dataclasses import dataclass
from typing import Any

import gevent
import pykka

from actors.address import Address, tell_if_alive
from actors.event_bus import BusEvents
from actors.worker import ClaimNext, WorkerIdle
from goclaw_actors.queue.lane_settings import LaneSettings
from goclaw_actors.queue.states import WAKE_EVENTS
from goclaw_actors.store import sqlite_reads
from goclaw_actors.store.read_pool import ReadPool
from goclaw_actors.timeutil import parse_db, utc_now

log = logging.getLogger("goclaw.lanes")


@dataclass(frozen=True)
class _Poll:
    """Timer: look for due work in the database."""


class LaneDispatcher(pykka.ThreadingActor):
    """Tracks which lanes of one agent are idle and tells them to claim when work may be due.

    Over-waking is harmless (a lane that finds nothing reports idle again); under-waking is
    covered by the `dirty` flag and by the fallback poll.
    """

    def __init__(self, settings: LaneSettings, workers: list[Address], bus: Address, reads: ReadPool):
        super().__init__()
        self.settings = settings
        self.workers = workers
        self.bus = bus
        self.reads = reads
        self.idle: set[int] = set()
        self.dirty = False
        self.poller: gevent.Greenlet | None = None
        self.timer: gevent.Greenlet | None = None
        self.subscriber_id = f"lanes:{settings.agent_id}"

    def on_start(self) -> None:
        bus = self.bus.ref()
        if bus is not None:
            bus.proxy().subscribe(self.subscriber_id, self.actor_ref, agent_id=self.settings.agent_id,
                                  event_types=WAKE_EVENTS).get(timeout=5)
        self.poller = gevent.spawn(self._poll_loop)
        for index in range(len(self.workers)):
            self.workers[index].tell(ClaimNext())

    def on_stop(self) -> None:
        for greenlet in (self.poller, self.timer):
            if greenlet is not None:
                greenlet.kill(block=False)
        bus = self.bus.ref()
        if bus is not None:
            try:
                bus.proxy().unsubscribe(self.subscriber_id).get(timeout=1)
            except (pykka.ActorDeadError, pykka.Timeout):
                pass  # the bus is stopping too

    def on_receive(self, message: Any) -> None:
        try:
            if isinstance(message, BusEvents):
                self._wake(len(message.events))
            elif isinstance(message, WorkerIdle):
                self._idle(message.index)
            elif isinstance(message, _Poll):
                self._poll()
        except Exception as exc:
            log.error("dispatcher handler failed", extra={"agent_id": self.settings.agent_id, "error": str(exc)})

    def idle_lanes(self) -> list[int]:
        """Indexes of lanes currently believed idle."""
        return sorted(self.idle)

    def _wake(self, count: int) -> None:
        while count > 0 and self.idle:
            self.workers[self.idle.pop()].tell(ClaimNext())
            count -= 1
        if count > 0:
            self.dirty = True

    def _idle(self, index: int) -> None:
        if self.dirty:
            self.dirty = False
            self.workers[index].tell(ClaimNext())
        else:
            self.idle.add(index)

    def _poll(self) -> None:
        if not self.idle:
            return
        agent_id = self.settings.agent_id
        if self.reads.run(sqlite_reads.has_due_task, agent_id):
            self._wake(len(self.idle))
            return
        upcoming = self.reads.run(sqlite_reads.next_available_at, agent_id)
        if upcoming is not None and (self.timer is None or self.timer.dead):
            delay = (parse_db(upcoming) - utc_now()).total_seconds()
            if 0 < delay < self.settings.poll_seconds:
                self.timer = gevent.spawn_later(delay, tell_if_alive, self.actor_ref, _Poll())

    def _poll_loop(self) -> None:
        while True:
            gevent.sleep(self.settings.poll_seconds)
            if not tell_if_alive(self.actor_ref, _Poll()):
                return

    def _tell_self(self, message: Any) -> bool:
        try:
            self.actor_ref.tell(message)
            return True
        except pykka.ActorDeadError:
            return False
