"""The outcomes of a lane's finished attempts, written together: one `record_outcomes` request with the lane's
next claim, or at most HOLD_SECONDS after the first of them while further attempts run."""

import logging
from typing import Any, Callable

import gevent

from actors.store_client import StoreClient
from goclaw_actors.errors import GoclawError
from goclaw_actors.store.api.ops import Pending

HOLD_SECONDS = 0.002  # an outcome waits at most this long for the ones after it

log = logging.getLogger("goclaw.worker")

Held = tuple[Pending[list[str | None]], list[dict[str, Any]]]  # a submitted write and its outcomes


class HeldOutcomes:
    """Outcomes (record_outcomes entries) not written yet. `due` is called (from a timer greenlet) when the
    oldest has waited HOLD_SECONDS; the owner then calls `write_soon`.

    Usage (inside the lane actor)::

        held.add(outcome, more_to_run=bool(ready))
        pending = held.submit()           # before the claim: both commit in the same batch
        ...                               # submit the claim
        held.check(pending)
    """

    def __init__(self, store: StoreClient, agent_id: str, due: Callable[[], Any]):
        self.store = store
        self.agent_id = agent_id
        self.due = due
        self.outcomes: list[dict[str, Any]] = []
        self.timer: gevent.Greenlet | None = None

    def add(self, outcome: dict[str, Any], more_to_run: bool) -> None:
        """Hold `outcome`; when more attempts run before the next claim, make sure it is written soon anyway."""
        self.outcomes.append(outcome)
        if more_to_run and self.timer is None:
            self.timer = gevent.spawn_later(HOLD_SECONDS, self.due)

    def submit(self) -> Held | None:
        """Submit what is held as one request; returns its future and outcomes for `check` (None: nothing held)."""
        self.stop()
        if not self.outcomes:
            return None
        outcomes, self.outcomes = self.outcomes, []
        return self.store.tasks.record_outcomes.submit(outcomes=outcomes), outcomes

    def write(self) -> None:
        """Write what is held and wait for the commit."""
        self.check(self.submit())

    def write_soon(self) -> None:
        """Write what is held without waiting (its result is checked by a green thread)."""
        pending = self.submit()
        if pending is not None:
            gevent.spawn(self.check, pending)

    def check(self, pending: Held | None) -> None:
        """Wait for a submitted write; log the outcomes it could not record (lease lost, canceled, store down)."""
        if pending is None:
            return
        future, outcomes = pending
        try:
            problems = future.get()
        except GoclawError as exc:  # the store is down: the leases expire and the reaper requeues the tasks
            log.error("task outcomes not recorded", extra={"agent_id": self.agent_id, "error": str(exc),
                                                           "tasks": len(outcomes)})
            return
        for outcome, problem in zip(outcomes, problems):
            if problem is not None:
                log.info("task outcome not recorded: lease lost or canceled",
                         extra={"task_id": outcome["task_id"], "agent_id": self.agent_id})

    def stop(self) -> None:
        """Cancel the timer (what is held stays held)."""
        if self.timer is not None:
            self.timer.kill(block=False)
            self.timer = None
