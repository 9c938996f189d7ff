"""How an actor tells its supervisor that it stopped on purpose (pykka keeps no exit reason).

An actor that finishes its job calls `stop_normally(self)`; any other unrequested stop is a crash.
"""

import pykka

NORMAL = "normal"


def stop_normally(actor: pykka.Actor) -> None:
    """Stop `actor` with exit reason "normal" (a transient child then is not restarted)."""
    actor.actor_ref.exit_reason = NORMAL
    actor.stop()


def exited_normally(ref: pykka.ActorRef) -> bool:
    """Whether the actor behind `ref` stopped through `stop_normally`."""
    return getattr(ref, "exit_reason", None) == NORMAL
