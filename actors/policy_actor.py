"""PolicyActor: the current policy, its version, and the record of every version loaded."""

import logging
from dataclasses import dataclass
from typing import Any

import pykka

from actors.store_client import StoreClient

log = logging.getLogger("goclaw.policy")


@dataclass(frozen=True)
class CurrentPolicyVersion:
    """Ask: the current policy version string (cheaper than a proxy call on hot paths)."""


@dataclass(frozen=True)
class WatchPolicyVersion:
    """Ask: the current policy version; every later version is told to `target` (a pykka.ActorRef) as a
    PolicyVersion. With `watching=False` (told): stop telling it."""

    target: Any
    watching: bool = True


@dataclass(frozen=True)
class PolicyVersion:
    """Told to watchers: the policy version now in force."""

    version: str


class PolicyActor(pykka.ThreadingActor):
    """Holds the loaded policy; records each distinct version in `policy_versions` on load."""

    def __init__(self, policy: Any, source: str, store: StoreClient):
        super().__init__()
        self.policy = policy
        self.source = source
        self.store = store
        self.watchers: dict[str, Any] = {}  # actor urn -> ref of the actors told each new version

    def on_start(self) -> None:
        self._record()

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, CurrentPolicyVersion):
            return self.policy.version
        if isinstance(message, WatchPolicyVersion):
            if message.watching:
                self.watchers[message.target.actor_urn] = message.target
            else:
                self.watchers.pop(message.target.actor_urn, None)
            return self.policy.version
        return None

    def version(self) -> str:
        """The current policy version (`policy-<16 hex>`)."""
        return self.policy.version

    def current(self) -> Any:
        """The current Policy object."""
        return self.policy

    def replace(self, policy: Any, source: str | None = None) -> str:
        """Install a new valid policy (hot reload, `policy.domain.add`) for the next decision; returns its
        version. A version not seen before gets its `policy_versions` row, naming `source`."""
        self.policy = policy
        if source is not None:
            self.source = source
        self._record()
        for urn, target in list(self.watchers.items()):
            try:
                target.tell(PolicyVersion(policy.version))
            except pykka.ActorDeadError:
                del self.watchers[urn]
        return policy.version

    def _record(self) -> None:
        self.store.audit.record_policy_version(policy_version=self.policy.version,
                                               checksum=self.policy.checksum, source=self.source)
