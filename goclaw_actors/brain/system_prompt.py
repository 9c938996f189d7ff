"""The system prompt of a turn: the agent's prompt, injected skills and context blocks (SPEC §4.6 step 6)."""

from pathlib import Path
from typing import Sequence

from goclaw_actors.config.model import AgentConfig, Config


def default_soul(agent_name: str) -> str:
    """The built-in prompt of `default` when SOUL.md is missing or empty."""
    return (f"You are {agent_name}, a capable assistant running on the user's own machine. "
            "Act decisively: when a tool can answer or do the work, use it instead of asking. "
            "Cite your sources when you use information from the web or files.")


def agent_prompt(agent: AgentConfig, config: Config, home: Path) -> str:
    """The agent's own prompt: SOUL.md (default agent), `soul`, `soul_file`, or the built-in prompt."""
    if agent.soul.strip():
        return agent.soul.strip()
    soul_file = agent.extra.get("soul_file")
    if isinstance(soul_file, str) and soul_file:
        path = Path(soul_file).expanduser()
        path = path if path.is_absolute() else home / path
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        if text:
            return text
    if agent.agent_id == "default":
        try:
            text = (home / "SOUL.md").read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        if text:
            return text
    name = str(config.raw.get("agent_name") or "") if agent.agent_id == "default" else agent.display_name
    return default_soul(name or "GoClaw")


def tagged_block(tag: str, text: str) -> str:
    """`<tag>\n<text>\n</tag>`, or "" for blank text."""
    return f"<{tag}>\n{text.strip()}\n</{tag}>" if text.strip() else ""


def skill_block(name: str, instructions: str) -> str:
    """`# Skill: <name>` and its instructions."""
    return f"# Skill: {name}\n\n{instructions}"


def assemble(prompt: str, skills: Sequence[tuple[str, str]] = (), core_memory: str = "", pinned: str = "",
             shared: str = "") -> str:
    """Agent prompt, then `# Skill: <name>` blocks, then the memory, pin and shared-knowledge blocks."""
    parts = [prompt] + [skill_block(name, instructions) for name, instructions in skills]
    parts += [tagged_block(tag, text) for tag, text in
              (("core_memory", core_memory), ("pinned_context", pinned), ("shared_knowledge", shared))]
    return "\n\n".join(part for part in parts if part)
