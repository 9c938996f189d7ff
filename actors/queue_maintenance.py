"""QueueMaintenance: the lease reaper (every second) and priority aging."""

import logging
from dataclasses import dataclass
from typing import Any

import gevent
import pykka

from actors.store_client import StoreClient

log = logging.getLogger("goclaw.maintenance")

REAP_INTERVAL_SECONDS = 1.0  # lease reaper period (SPEC §3.8: at least once per second)
AGING_EVERY_TICKS = 5  # run aging every this many reaper ticks


@dataclass(frozen=True)
class _Tick:
    """Timer: run the periodic maintenance."""


class QueueMaintenance(pykka.ThreadingActor):
    """Requeues tasks whose lease expired and ages waiting tasks; counts lease expiries for metrics."""

    def __init__(self, store: StoreClient, interval: float = REAP_INTERVAL_SECONDS):
        super().__init__()
        self.store = store
        self.interval = interval
        self.ticks = 0
        self.lease_expiries = 0
        self.aged = 0
        self.timer: gevent.Greenlet | None = None

    def on_start(self) -> None:
        self.timer = gevent.spawn(self._loop)

    def on_stop(self) -> None:
        if self.timer is not None:
            self.timer.kill(block=False)

    def on_receive(self, message: Any) -> None:
        if not isinstance(message, _Tick):
            return
        try:
            self.run_once()
        except Exception as exc:  # the next tick tries again
            log.error("queue maintenance failed", extra={"error": str(exc)})

    def run_once(self) -> dict[str, int]:
        """Reap expired leases now (and age when due); returns what was done."""
        self.ticks += 1
        reaped = self.store.call("requeue_expired_leases")
        self.lease_expiries += reaped
        if reaped:
            log.info("lease expired; tasks requeued", extra={"count": reaped})
        aged = 0
        if self.ticks % AGING_EVERY_TICKS == 0:
            aged = self.store.call("age_queued")
            self.aged += aged
        return {"reaped": reaped, "aged": aged}

    def stats(self) -> dict[str, int]:
        """Counters since start: lease_expiries, aged."""
        return {"lease_expiries": self.lease_expiries, "aged": self.aged}

    def _loop(self) -> None:
        while True:
            gevent.sleep(self.interval)
            try:
                self.actor_ref.tell(_Tick())
            except pykka.ActorDeadError:
                return
