"""Addressing actors by name: a handle that re-resolves after the actor behind it restarts."""

from typing import Any, Callable

import pykka

Resolver = Callable[[], "pykka.ActorRef | None"]


class Address:
    """A named route to a live actor; never caches a dead handle.

    Usage::

        bus = Address("event_bus", lambda: root.get_child("event_bus"))
        bus.tell(Publish(events))   # False if the actor is down right now
    """

    def __init__(self, name: str, resolve: Resolver):
        self.name = name
        self._resolve = resolve
        self._ref: pykka.ActorRef | None = None

    def ref(self) -> pykka.ActorRef | None:
        """The live actor behind this name, or None while it is down."""
        if self._ref is not None and self._ref.is_alive():
            return self._ref
        self._ref = self._resolve()
        if self._ref is not None and not self._ref.is_alive():
            self._ref = None
        return self._ref

    def tell(self, message: Any) -> bool:
        """Send a fire-and-forget message; False if the actor is down (wake-ups are only hints)."""
        for _ in range(2):
            ref = self.ref()
            if ref is None:
                return False
            try:
                ref.tell(message)
                return True
            except pykka.ActorDeadError:
                self._ref = None
        return False

    def ask(self, message: Any, timeout: float = 5.0) -> Any:
        """Ask and wait for the reply; raises pykka.ActorDeadError if the actor is down."""
        ref = self.ref()
        if ref is None:
            raise pykka.ActorDeadError(f"{self.name} is not running")
        return ref.ask(message, timeout=timeout)


def tell_if_alive(ref: pykka.ActorRef, message: Any) -> bool:
    """Tell `message` to `ref`; False when the actor has stopped (for timers and helpers that outlive it)."""
    try:
        ref.tell(message)
        return True
    except pykka.ActorDeadError:
        return False


def fixed_address(name: str, ref: pykka.ActorRef) -> Address:
    """An Address bound to one actor (for actors that are never restarted separately, and tests)."""
    return Address(name, lambda: ref)
