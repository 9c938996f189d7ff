"""The knowledge blocks of one turn's system prompt (SPEC §4.6 step 6, §6): core memory, pins and shared
knowledge, built from one read of the agent's rows (`store/knowledge_reads.prompt_knowledge`)."""

from dataclasses import dataclass, field
from typing import Any

from goclaw_actors.agent_memory.core_memory import MIN_RELEVANCE, core_memory_text, select_injected
from goclaw_actors.agent_memory.pins import pinned_text
from goclaw_actors.agent_memory.sharing import shared_text


@dataclass(frozen=True)
class Knowledge:
    """What an agent knows besides its history, as read for one turn."""

    memories: list[dict[str, Any]] = field(default_factory=list)  # every memory of the agent
    pins: list[dict[str, Any]] = field(default_factory=list)  # its pins, with content
    shared_memories: list[dict[str, Any]] = field(default_factory=list)  # shared with it, with `agent_id`
    shared_pins: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class PromptBlocks:
    """The bodies of `<core_memory>`, `<pinned_context>` and `<shared_knowledge>` ("" when empty), and the keys
    of the memories injected (to reinforce)."""

    core_memory: str = ""
    pinned: str = ""
    shared: str = ""
    injected_keys: tuple[str, ...] = ()
    has_memories: bool = False  # the agent has memories: the turn decays them


def prompt_blocks(knowledge: Knowledge) -> PromptBlocks:
    """The three blocks for a turn; shared memories (in the order read: by agent, then relevance) follow the
    same relevance floor as an agent's own."""
    injected = select_injected(knowledge.memories)
    shared = [memory for memory in knowledge.shared_memories if float(memory["relevance_score"]) >= MIN_RELEVANCE]
    return PromptBlocks(core_memory=core_memory_text(injected), pinned=pinned_text(knowledge.pins),
                        shared=shared_text(shared, knowledge.shared_pins),
                        injected_keys=tuple(memory["key"] for memory in injected),
                        has_memories=bool(knowledge.memories))
