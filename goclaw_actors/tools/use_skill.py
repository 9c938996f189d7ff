"""`use_skill{skill_name}` (SPEC §5.1): injects a skill's instructions; no skills are installed yet."""

from typing import Any

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.tool_env import ToolEnv

SCHEMA = {"type": "object", "properties": {"skill_name": {"type": "string", "minLength": 1}},
          "required": ["skill_name"], "additionalProperties": False}


def use_skill(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Always a clear error until skills can be installed."""
    raise ToolError(f"no skills installed: cannot use skill {arguments['skill_name']!r}")
