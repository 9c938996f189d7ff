"""The context budget of a (session, agent) (SPEC §6 `context.show`, `/context`): tokens per prompt part
against the model's context window, counted as compaction counts them (SPEC §4.8): the prompt blocks with
the SPEC token estimate, the history with each message's stored token count.

    budget = context_budget(profile, blocks, history)
    # {"limit", "available", "components": [{"name", "tokens"}, …], "total"}
"""

from typing import Any

from goclaw_actors.agent_memory.prompt_blocks import PromptBlocks
from goclaw_actors.brain.compaction import COMPACT_AT, MIN_KEPT, SUMMARY_PREFIX, available_tokens, message_tokens
from goclaw_actors.brain.prompt_profile import PromptProfile
from goclaw_actors.brain.system_prompt import skill_block, tagged_block
from goclaw_actors.tokens import estimate_tokens

OUTPUT_RESERVE = 4096
COMPONENT_LABELS = {"soul": "soul", "skills": "skills", "memory": "memory", "pins": "pins",
                    "shared_knowledge": "shared knowledge", "summaries": "summaries", "messages": "messages",
                    "output_reserve": "output reserve"}


def is_summary(message: dict[str, Any]) -> bool:
    """Whether a history message is a compaction summary."""
    return message.get("role") == "system" and str(message.get("content") or "").startswith(SUMMARY_PREFIX)


def context_budget(profile: PromptProfile, blocks: PromptBlocks, history: list[dict[str, Any]]) -> dict[str, Any]:
    """Tokens of each part of the next prompt, their total, the window and what compaction leaves available."""
    summaries = sum(message_tokens(m) for m in history if is_summary(m))
    messages = sum(message_tokens(m) for m in history if not is_summary(m))
    skills = sum(estimate_tokens(skill_block(name, text)) for name, text in profile.skills)
    components = {
        "soul": estimate_tokens(profile.soul),
        "skills": skills,
        "memory": estimate_tokens(tagged_block("core_memory", blocks.core_memory)),
        "pins": estimate_tokens(tagged_block("pinned_context", blocks.pinned)),
        "shared_knowledge": estimate_tokens(tagged_block("shared_knowledge", blocks.shared)),
        "summaries": summaries,
        "messages": messages,
        "output_reserve": OUTPUT_RESERVE,
    }
    return {"limit": profile.context_limit, "available": available_tokens(profile.context_limit),
            "components": [{"name": name, "tokens": tokens} for name, tokens in components.items()],
            "total": sum(components.values())}


def budget_text(agent_id: str, model: str, budget: dict[str, Any]) -> str:
    """The budget as `/context` shows it: one line per part, the total against the limit, and when the
    history will be compacted."""
    limit, total = budget["limit"], budget["total"]
    lines = [f"Context of @{agent_id} ({model or 'no model'}): {limit} tokens"]
    lines += [f"  {COMPONENT_LABELS.get(c['name'], c['name']):<17}{c['tokens']:>9}" for c in budget["components"]]
    lines.append(f"  {'total':<17}{total:>9} of {limit} ({100.0 * total / limit:.1f}%)")
    history = sum(c["tokens"] for c in budget["components"] if c["name"] in ("summaries", "messages"))
    threshold = int(COMPACT_AT * budget["available"])
    lines.append(f"History: {history} tokens; compacted at {threshold} tokens with more than {MIN_KEPT} messages.")
    return "\n".join(lines)
