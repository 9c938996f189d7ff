"""Core memory, pins and shares: what an agent keeps and shows (knowledge)."""

from typing import Any, Protocol

Audit = dict[str, Any] | None
"""write_audit's arguments (action, decision, reason, policy_version, subject, trace_id): the `allow` audit row
committed in the same transaction as the change (None: no row)."""


class MemoryApi(Protocol):
    """Core memory, pins and shares: what an agent keeps and shows (knowledge)."""

    def memory_set(self, agent_id: str, key: str, value: str, source: str = "user", audit: Audit = None) -> bool:
        """Upsert a memory with relevance 1.0 (its access count is kept); True when the key is new."""
        ...

    def memory_delete(self, agent_id: str, key: str, audit: Audit = None) -> bool:
        """Delete one memory; False when there was none."""
        ...

    def memory_clear(self, agent_id: str, audit: Audit = None) -> int:
        """Delete every memory of the agent; returns how many."""
        ...

    def memory_turn(self, agent_id: str, injected_keys: list[str]) -> int:
        """One turn's bookkeeping: each injected memory gains REINFORCEMENT (at most MAX_RELEVANCE), one access
        and `last_accessed` = now; then every memory of the agent decays × DECAY. Returns the memories decayed."""
        ...

    def pin_add(self, agent_id: str, pin_type: str, source: str, content: str, token_count: int,
                shared: bool = False, file_mtime: str | None = None, audit: Audit = None) -> bool:
        """Pin a file or a text (replacing the agent's pin of the same source); True when it is new."""
        ...

    def pin_remove(self, agent_id: str, source: str, audit: Audit = None) -> bool:
        """Remove a pin; False when the agent has none with that source."""
        ...

    def pin_refresh(self, agent_id: str, source: str, content: str, token_count: int, file_mtime: str,
                    audit: Audit = None) -> bool:
        """A pinned file changed on disk: store its new content and mtime; False when the pin is gone."""
        ...

    def share_add(self, source_agent_id: str, target_agent_id: str, share_type: str, item_key: str | None,
                  audit: Audit = None) -> bool:
        """Share a memory key, a pin or everything with a target (`*` = every agent); False when that exact
        share exists already."""
        ...

    def share_remove(self, source_agent_id: str, target_agent_id: str, share_type: str, item_key: str | None,
                     audit: Audit = None) -> bool:
        """Stop one share; False when there was no such share."""
        ...
