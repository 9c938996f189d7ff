"""What an agent's prompts are made of and how much room they have: its prompt (soul), skills, model and the
model's context window (SPEC §4.6, §4.8). The turn pipeline, compaction and `context.show` read the same
profile, so `/context` shows the numbers the brain uses.

    profile = PromptProfile("coder", soul, model="gpt-4o", provider="openai", context_limit=128_000)
    system = profile.system_prompt(blocks)        # blocks: agent_memory.prompt_blocks.PromptBlocks
"""

from dataclasses import dataclass
from typing import Any, Sequence

from goclaw_actors.agent_memory.prompt_blocks import PromptBlocks
from goclaw_actors.brain.context_limits import DEFAULT_CONTEXT_LIMIT, EMBEDDED_CONTEXT, context_limit
from goclaw_actors.brain.system_prompt import assemble


@dataclass(frozen=True)
class PromptProfile:
    """An agent's prompt parts and its model's context window."""

    agent_id: str
    soul: str
    model: str = ""
    provider: str = "none"
    context_limit: int = DEFAULT_CONTEXT_LIMIT
    skills: tuple[tuple[str, str], ...] = ()  # (name, instructions) always injected (the skills hook)

    @classmethod
    def for_model(cls, agent_id: str, soul: str, model: str, provider: str,
                  overrides: dict[str, Any] | None) -> "PromptProfile":
        """The profile of an agent served by `provider`/`model`, with the window compaction uses (§4.8)."""
        return cls(agent_id, soul, model, provider, context_limit(model, provider, overrides, EMBEDDED_CONTEXT))

    def system_prompt(self, blocks: PromptBlocks, skills: Sequence[tuple[str, str]] = ()) -> str:
        """The turn's system prompt: the soul, the profile's and the turn's skills, then the core memory, pin and
        shared-knowledge blocks."""
        return assemble(self.soul, (*self.skills, *skills), blocks.core_memory, blocks.pinned, blocks.shared)
