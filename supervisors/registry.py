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
        self._proxies: dict[str, tuple[pykka.ActorRef, pykka.ActorProxy]] = {}

    def register(self, name: str, ref: pykka.ActorRef) -> pykka.ActorRef:
        """Record `ref` as the actor called `name`; returns it (so start functions can chain)."""
        self._refs[name] = ref
        return ref

    def lookup(self, name: str) -> pykka.ActorRef | None:
        """The live actor called `name`, or None."""
        ref = self._refs.get(name)
        return ref if ref is not None and ref.is_alive() else None

    def proxy(self, name: str) -> pykka.ActorProxy | None:
        """A proxy of the live actor called `name` (made once per actor: pykka builds proxies by introspection)."""
        ref = self.lookup(name)
        if ref is None:
            return None
        cached = self._proxies.get(name)
        if cached is None or cached[0] is not ref:
            cached = self._proxies[name] = (ref, ref.proxy())
        return cached[1]

    def address(self, name: str) -> Address:
        """An Address that always routes to the current actor called `name`."""
        return Address(name, lambda: self.lookup(name))

    def names(self, prefix: str = "") -> list[str]:
        """Registered names starting with `prefix`, sorted."""
        return sorted(name for name in self._refs if name.startswith(prefix))
