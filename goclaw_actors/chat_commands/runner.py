"""The answer to a command task (SPEC §12): the line is parsed again and its command run; refusals and
usage mistakes are answers too, so every surface shows the same text.

    reply = run_command("/remember lang Go", env)      # "Remembered: lang = Go"
"""

from goclaw_actors.chat_commands.agent_commands import switch_reply, unknown_agent_text
from goclaw_actors.chat_commands.env import CommandEnv, CommandFailed
from goclaw_actors.chat_commands.lines import Command, Mention, parse_line
from goclaw_actors.chat_commands.table import COMMANDS, unknown_command_text
from goclaw_actors.http.acp.errors import AcpError


def run_command(line: str, env: CommandEnv) -> str:
    """The command's answer; an ACP refusal (policy, scope, invalid value) is answered `Error: <message>`.
    Other failures (the store unreachable, …) are raised: the task fails and is retried."""
    parsed = parse_line(line)
    try:
        if isinstance(parsed, Command):
            spec = COMMANDS.get(parsed.name)
            return spec.run(parsed, env) if spec is not None else unknown_command_text(parsed.typed)
        if isinstance(parsed, Mention):  # `@agent` alone, or an agent this caller cannot address
            if parsed.text:
                return unknown_agent_text(parsed.agent, env.agent_ids())
            return switch_reply(parsed.agent, env)
        return f"Not a command: {parsed.text}"
    except CommandFailed as exc:
        return str(exc)
    except AcpError as exc:
        return f"Error: {exc.message}"
