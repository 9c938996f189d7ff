"""Names of running actors: start functions register what they start; Addresses look them up."""

import pykka

from actors.address import Address


class NameRegistry:
    """Maps a child name to the ActorRef most recently started under it.

    Start functions in the tree register every actor they start, so a restarted actor is found
    under the same name; lookups never ask an actor, so they cannot deadlock with a supervisor.
    """

    def __init__(self):
        self._refs: dict[str, pykka.ActorRef] = {}

    def register(self, name: str, ref: pykka.ActorRef) -> pykka.ActorRef:
        """Record `ref` as the actor called `name`; returns it (so start functions can chain)."""
        self._refs[name] = ref
        return ref

    def lookup(self, name: str) -> pykka.ActorRef | None:
        """The live actor called `name`, or None."""
        ref = self._refs.get(name)
        return ref if ref is not None and ref.is_alive() else None

    def address(self, name: str) -> Address:
        """An Address that always routes to the current actor called `name`."""
        return Address(name, lambda: self.lookup(name))

    def names(self, prefix: str = "") -> list[str]:
        """Registered names starting with `prefix`, sorted."""
        return sorted(name for name in self._refs if name.startswith(prefix))
