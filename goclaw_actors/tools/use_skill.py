"""`use_skill{skill_name}` (SPEC §5.1): loads an instruction skill for the rest of the turn (its text is
the tool's result), cached per turn, at most 5 skills per turn, within the agent's `skills_filter`."""

from typing import Any

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.skills.instructions import SkillUnavailable
from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.tool_env import ToolEnv

SCHEMA = {"type": "object", "properties": {"skill_name": {"type": "string", "minLength": 1}},
          "required": ["skill_name"], "additionalProperties": False}


def use_skill(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """The skill's `# Skill: <name>` block, or a ToolError saying why it cannot be used."""
    if env.skills is None:
        raise ToolError(f"no skills installed: cannot use skill {arguments['skill_name']!r}")
    try:
        return env.skills.use(context.task_id, arguments["skill_name"])
    except SkillUnavailable as exc:
        raise ToolError(str(exc)) from None
