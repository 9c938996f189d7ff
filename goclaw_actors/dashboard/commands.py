"""The dashboard's own commands (SPEC §12): the few that only make sense in it. Every other line — messages,
@mentions and the other slash commands — is sent to the daemon, which parses and answers it
(goclaw_actors/chat_commands), as for every chat surface.
"""

from goclaw_actors.chat_commands.lines import Command, parse_line

DASHBOARD_COMMANDS = {"quit": "/quit, /exit", "exit": "/quit, /exit", "session": "/session"}
KEYS_HELP = ("Keys: Enter send · Tab next agent · PgUp/PgDn scroll · Ctrl+A activity feed · Ctrl+N new agent · "
             "y/n answer an approval (empty input) · Ctrl+C quit")


def dashboard_command(line: str) -> str | None:
    """`quit` or `session` when the line is one of the dashboard's own commands, else None."""
    parsed = parse_line(line)
    if not isinstance(parsed, Command) or parsed.name not in DASHBOARD_COMMANDS:
        return None
    return "quit" if parsed.name == "exit" else parsed.name


def is_command(line: str, name: str) -> bool:
    """Whether the line is the daemon command `name` (e.g. /help, /clear: the dashboard adds to its answer)."""
    parsed = parse_line(line)
    return isinstance(parsed, Command) and parsed.name == name


def dashboard_help_lines() -> list[str]:
    """What /help adds in the dashboard to the daemon's list: the dashboard's commands and keys."""
    return ["Dashboard:", "  /quit, /exit  leave the dashboard (Ctrl+C too)",
            "  /session     this dashboard's chat session", KEYS_HELP]
