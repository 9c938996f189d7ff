"""Every slash command the daemon answers (SPEC §12), in the order /help lists them, and the answer to a
command line."""

from goclaw_actors.chat_commands import agent_commands, memory_commands, pin_commands, session_commands
from goclaw_actors.chat_commands import settings_commands
from goclaw_actors.chat_commands.env import CommandEnv
from goclaw_actors.chat_commands.lines import Command
from goclaw_actors.chat_commands.spec import CommandSpec

MENTION_HELP = ("@<agent> <message> sends to that agent and makes it this conversation's target; "
                "@<agent> alone switches to it.")


def help_text(command: Command, env: CommandEnv) -> str:
    """Every command with what it does, and how @mentions work."""
    width = max(len(spec.usage) for spec in COMMANDS.values() if len(spec.usage) <= 40)
    lines = ["Commands:"] + [f"  {spec.usage.ljust(width)}  {spec.summary}" for spec in COMMANDS.values()]
    return "\n".join(lines + [MENTION_HELP])


COMMANDS: dict[str, CommandSpec] = {
    "help": CommandSpec("/help", "this list", help_text),
    **agent_commands.SPECS,
    **settings_commands.SPECS,
    **session_commands.SPECS,
    **memory_commands.SPECS,
    **pin_commands.SPECS,
}


def unknown_command_text(typed: str) -> str:
    """`Unknown command: /x (type /help for available commands)` (SPEC §12)."""
    return f"Unknown command: /{typed} (type /help for available commands)"
