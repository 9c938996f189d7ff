"""EventBus: fans committed task events out to subscribers, in commit order, with bounded queues."""

import logging
from dataclasses import dataclass, field
from typing import Any

import pykka

log = logging.getLogger("goclaw.bus")

DEFAULT_SUBSCRIBER_QUEUE = 1024  # events a subscriber may have pending before new ones are dropped


@dataclass
class Publish:
    """Committed events, in commit order (sent by the store after COMMIT)."""

    events: list[dict[str, Any]]


@dataclass
class BusEvents:
    """What an actor subscriber receives: the events of one commit that matched its filter."""

    events: list[dict[str, Any]]


@dataclass
class Subscription:
    """Who gets what: an actor ref or a queue-like target, with optional agent, task and event-type filters."""

    target: Any
    agent_id: str | None = None
    event_types: frozenset[str] | None = None
    maxsize: int = DEFAULT_SUBSCRIBER_QUEUE
    task_id: str | None = None
    session_id: str | None = None
    dropped: int = field(default=0)

    def matches(self, event: dict[str, Any]) -> bool:
        """True if this subscription wants `event`."""
        if self.agent_id is not None and event.get("agent_id") != self.agent_id:
            return False
        if self.task_id is not None and event.get("task_id") != self.task_id:
            return False
        if self.session_id is not None and event.get("session_id") != self.session_id:
            return False
        return self.event_types is None or event.get("event_type") in self.event_types


class EventBus(pykka.ThreadingActor):
    """Publish/subscribe for committed events.

    Actor targets get one `BusEvents` per commit; queue targets (with `put_nowait`) get each event.
    A target whose queue is full loses the event and the drop is counted (`bus_dropped_events`).
    """

    def __init__(self):
        super().__init__()
        self.subscriptions: dict[str, Subscription] = {}
        self.dropped_total = 0
        self.published_total = 0

    def subscribe(self, subscriber_id: str, target: Any, agent_id: str | None = None,
                  event_types: frozenset[str] | None = None, maxsize: int = DEFAULT_SUBSCRIBER_QUEUE,
                  task_id: str | None = None, session_id: str | None = None) -> None:
        """Add or replace the subscription named `subscriber_id`."""
        self.subscriptions[subscriber_id] = Subscription(target, agent_id, event_types, maxsize, task_id,
                                                         session_id)

    def unsubscribe(self, subscriber_id: str) -> bool:
        """Remove a subscription; False if there was none."""
        return self.subscriptions.pop(subscriber_id, None) is not None

    def dropped(self) -> int:
        """Events dropped for full subscriber queues since start."""
        return self.dropped_total

    def stats(self) -> dict[str, int]:
        """Subscriber count, events published and dropped since start."""
        return {"subscribers": len(self.subscriptions), "published": self.published_total,
                "dropped": self.dropped_total}

    def on_receive(self, message: Any) -> None:
        if isinstance(message, Publish):
            self.published_total += len(message.events)
            for subscriber_id, subscription in list(self.subscriptions.items()):
                self._deliver(subscriber_id, subscription, message.events)
        else:
            log.error("bus: unexpected message", extra={"type": type(message).__name__})

    def _deliver(self, subscriber_id: str, subscription: Subscription, events: list[dict[str, Any]]) -> None:
        wanted = [event for event in events if subscription.matches(event)]
        if not wanted:
            return
        target = subscription.target
        if hasattr(target, "put_nowait"):
            for event in wanted:
                if target.qsize() >= subscription.maxsize:
                    self._drop(subscription, 1)
                else:
                    target.put_nowait(event)
            return
        if target.actor_inbox.qsize() >= subscription.maxsize:
            self._drop(subscription, len(wanted))
            return
        try:
            target.tell(BusEvents(wanted))
        except pykka.ActorDeadError:
            self.subscriptions.pop(subscriber_id, None)

    def _drop(self, subscription: Subscription, count: int) -> None:
        subscription.dropped += count
        self.dropped_total += count
