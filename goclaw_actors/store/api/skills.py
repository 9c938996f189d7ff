"""The skill registry: modules, enablement, faults, installed skills."""

from typing import Any, Protocol


class SkillsApi(Protocol):
    """The skill registry: modules, enablement, faults, installed skills."""

    def enable_skill(self, name: str, create: bool = False) -> str:
        """Set a skill `active` and reset its fault count; returns the state. Without a row: creates one
        when `create` (a skill the daemon knows), else raises SkillNotFound."""
        ...

    def register_skill_module(self, skill_id: str, version: str, abi_version: str, content_hash: str,
                              source: str) -> str:
        """Record a loaded module; new content (another hash) makes the skill `active` with no faults.
        Returns the skill's state."""
        ...

    def record_skill_fault(self, skill_id: str) -> dict[str, Any]:
        """Count one fault; at QUARANTINE_FAULTS the skill becomes `quarantined`. Returns `{state,
        fault_count, quarantined_now}`."""
        ...

    def register_installed_skill(self, skill_id: str, source: str, source_url: str, ref: str | None,
                                 content_hash: str = "") -> None:
        """Record where an installed skill came from (no capability is granted by installing)."""
        ...

    def remove_installed_skill(self, skill_id: str) -> bool:
        """Delete an installed skill's row; False when there was none."""
        ...
