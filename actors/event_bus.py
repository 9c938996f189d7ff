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
class Subscribe:
    """Told by a subscriber that does not need an answer: the same as `subscribe(subscriber_id, target,
    **filters)`. Told before the write whose events it waits for, it is in place before they are published
    (the store publishes after its commit, so after this message)."""

    subscriber_id: str
    target: Any
    filters: dict[str, Any] = field(default_factory=dict)


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

    def key(self) -> tuple[str, Any]:
        """The most selective field this subscription filters on, and its value: where the bus files it."""
        for name in KEY_FIELDS:
            value = getattr(self, name)
            if value is not None:
                return name, value
        return "", None


KEY_FIELDS = ("task_id", "session_id", "agent_id")  # most selective first


class EventBus(pykka.ThreadingActor):
    """Publish/subscribe for committed events.

    Actor targets get one `BusEvents` per commit; queue targets (with `put_nowait`) get each event.
    A target whose queue is full loses the event and the drop is counted (`bus_dropped_events`).
    """

    def __init__(self):
        super().__init__()
        self.subscriptions: dict[str, Subscription] = {}
        # Subscriptions filed by key (see Subscription.key): a publish looks only at those an event can match.
        self.index: dict[tuple[str, Any], dict[str, Subscription]] = {}
        self.dropped_total = 0
        self.published_total = 0

    def subscribe(self, subscriber_id: str, target: Any, agent_id: str | None = None,
                  event_types: frozenset[str] | None = None, maxsize: int = DEFAULT_SUBSCRIBER_QUEUE,
                  task_id: str | None = None, session_id: str | None = None) -> None:
        """Add or replace the subscription named `subscriber_id`."""
        self.unsubscribe(subscriber_id)
        subscription = Subscription(target, agent_id, event_types, maxsize, task_id, session_id)
        self.subscriptions[subscriber_id] = subscription
        self.index.setdefault(subscription.key(), {})[subscriber_id] = subscription

    def unsubscribe(self, subscriber_id: str) -> bool:
        """Remove a subscription; False if there was none."""
        subscription = self.subscriptions.pop(subscriber_id, None)
        if subscription is None:
            return False
        key = subscription.key()
        filed = self.index.get(key)
        if filed is not None:
            filed.pop(subscriber_id, None)
            if not filed:
                del self.index[key]
        return True

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
            for subscriber_id, (subscription, wanted) in self._route(message.events).items():
                self._deliver(subscriber_id, subscription, wanted)
        elif isinstance(message, Subscribe):
            self.subscribe(message.subscriber_id, message.target, **message.filters)
        else:
            log.error("bus: unexpected message", extra={"type": type(message).__name__})

    def _route(self, events: list[dict[str, Any]]) -> dict[str, tuple[Subscription, list[dict[str, Any]]]]:
        """Each subscription that wants some of `events`, with those events in commit order."""
        routed: dict[str, tuple[Subscription, list[dict[str, Any]]]] = {}
        unkeyed = self.index.get(("", None))
        for event in events:
            for name in KEY_FIELDS:
                filed = self.index.get((name, event.get(name)))
                if filed:
                    self._collect(filed, event, routed)
            if unkeyed:
                self._collect(unkeyed, event, routed)
        return routed

    @staticmethod
    def _collect(filed: dict[str, Subscription], event: dict[str, Any],
                 routed: dict[str, tuple[Subscription, list[dict[str, Any]]]]) -> None:
        for subscriber_id, subscription in filed.items():
            if subscription.matches(event):
                entry = routed.get(subscriber_id)
                if entry is None:
                    routed[subscriber_id] = (subscription, [event])
                else:
                    entry[1].append(event)

    def _deliver(self, subscriber_id: str, subscription: Subscription, wanted: list[dict[str, Any]]) -> None:
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
            self.unsubscribe(subscriber_id)

    def _drop(self, subscription: Subscription, count: int) -> None:
        subscription.dropped += count
        self.dropped_total += count
