"""QueueMaintenance: the lease reaper and approval expiry (every second, and once at start), and priority aging."""

import logging
from dataclasses import dataclass
from typing import Any

import gevent
import pykka

from actors.store_client import StoreClient
from goclaw_actors.approval_flow import ApprovalPorts, expire_due_approvals

log = logging.getLogger("goclaw.maintenance")

REAP_INTERVAL_SECONDS = 1.0  # lease reaper and approval expiry period (SPEC §3.8, §5.5: each second)
AGING_EVERY_TICKS = 5  # run aging every this many reaper ticks


@dataclass(frozen=True)
class _Tick:
    """Timer: run the periodic maintenance."""


class QueueMaintenance(pykka.ThreadingActor):
    """Requeues tasks whose lease expired, denies approvals past their expiry (audited and announced) and
    ages waiting tasks; counts lease expiries and expired approvals for metrics.

    On start it denies the approvals that expired while the daemon was stopped, before the agents and
    the gateway start behind it.
    """

    def __init__(self, store: StoreClient, approvals: ApprovalPorts | None = None,
                 interval: float = REAP_INTERVAL_SECONDS):
        super().__init__()
        self.store = store
        self.approvals = approvals
        self.interval = interval
        self.ticks = 0
        self.lease_expiries = 0
        self.aged = 0
        self.approvals_expired = 0
        self.timer: gevent.Greenlet | None = None

    def on_start(self) -> None:
        try:
            expired = self.expire_approvals()
        except Exception as exc:  # the first tick tries again
            log.error("approval expiry at start failed", extra={"error": str(exc)})
        else:
            if expired:
                log.info("approvals that expired while stopped denied", extra={"count": expired})
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
        """Reap expired leases and expire approvals now (and age when due); returns what was done."""
        self.ticks += 1
        reaped = self.store.call("requeue_expired_leases")
        self.lease_expiries += reaped
        if reaped:
            log.info("lease expired; tasks requeued", extra={"count": reaped})
        expired = self.expire_approvals()
        aged = 0
        if self.ticks % AGING_EVERY_TICKS == 0:
            aged = self.store.call("age_queued")
            self.aged += aged
        return {"reaped": reaped, "approvals_expired": expired, "aged": aged}

    def expire_approvals(self) -> int:
        """Deny the pending approvals past their expiry (audited, announced); returns how many."""
        if self.approvals is None:
            return 0
        expired = len(expire_due_approvals(self.approvals))
        self.approvals_expired += expired
        return expired

    def stats(self) -> dict[str, int]:
        """Counters since start: lease_expiries, aged, approvals_expired."""
        return {"lease_expiries": self.lease_expiries, "aged": self.aged, "approvals_expired": self.approvals_expired}

    def _loop(self) -> None:
        while True:
            gevent.sleep(self.interval)
            try:
                self.actor_ref.tell(_Tick())
            except pykka.ActorDeadError:
                return
