"""The dashboard's slash commands (SPEC §12), in one table, and the parser of a typed line.

Each command is either handled by the dashboard (through the daemon's ACP and REST methods) or, when
the daemon parses it itself (memory, pins, sharing, context, agent teams, skill setup), sent to the daemon
as chat text, so that it works as soon as the daemon knows it.
"""

from dataclasses import dataclass

LOCAL = "local"  # the dashboard runs it
DAEMON = "daemon"  # sent to the active agent as chat text


@dataclass(frozen=True)
class CommandSpec:
    """One command: its usage line, what it does, and who handles it."""

    usage: str
    summary: str
    handler: str = LOCAL


COMMANDS: dict[str, CommandSpec] = {
    "help": CommandSpec("/help", "this list"),
    "quit": CommandSpec("/quit, /exit", "leave the dashboard (Ctrl+C too)"),
    "allow": CommandSpec("/allow <domain>", "allow a domain for web tools (policy.yaml)"),
    "domains": CommandSpec("/domains", "the allowed domains", DAEMON),
    "session": CommandSpec("/session", "the current session id"),
    "agent": CommandSpec("/agent(s) [list | new <id> [soul] | remove <id> | team <roles…> | <id>]",
                         "list, create, remove or switch agents"),
    "skills": CommandSpec("/skills [enable <name> | setup <name>]", "the skills and their state"),
    "config": CommandSpec("/config list | set <key> <value>", "named API keys (shown masked)"),
    "model": CommandSpec("/model [list | set <provider/model>]", "show or change the model, live"),
    "plan": CommandSpec("/plan <name>", "run a configured plan in this session"),
    "plans": CommandSpec("/plans", "the configured plans"),
    "clear": CommandSpec("/clear", "clear the chat and start a new session"),
    "memory": CommandSpec("/memory [list | search <q> | delete <key> | clear]", "the agent's core memory", DAEMON),
    "remember": CommandSpec("/remember <key> <value>", "store a memory", DAEMON),
    "forget": CommandSpec("/forget <key>", "delete a memory", DAEMON),
    "pin": CommandSpec("/pin <file> | /pin text <label> <text>", "pin a file or a text into the context", DAEMON),
    "unpin": CommandSpec("/unpin <source>", "remove a pin", DAEMON),
    "pinned": CommandSpec("/pinned", "the pins", DAEMON),
    "share": CommandSpec("/share <key> | all | pin <src> with <agent>", "share knowledge with an agent", DAEMON),
    "unshare": CommandSpec("/unshare … from <agent>", "stop sharing", DAEMON),
    "shared": CommandSpec("/shared", "what is shared", DAEMON),
    "context": CommandSpec("/context", "the context budget", DAEMON),
}
ALIASES = {"exit": "quit", "agents": "agent"}
# Subcommands the daemon parses (the rest of the command is the dashboard's).
DAEMON_SUBCOMMANDS = {"agent": frozenset({"team"}), "skills": frozenset({"setup"})}


@dataclass(frozen=True)
class Command:
    """A parsed command line: canonical name, words after it, and the text after the name as typed."""

    name: str
    args: list[str]
    rest: str
    typed: str  # the name as typed (for messages)

    @property
    def known(self) -> bool:
        """Whether the name is a dashboard command."""
        return self.name in COMMANDS

    @property
    def handler(self) -> str:
        """LOCAL or DAEMON (for known commands)."""
        if self.args and self.args[0].lower() in DAEMON_SUBCOMMANDS.get(self.name, ()):
            return DAEMON
        return COMMANDS[self.name].handler

    def rest_after(self, words: int) -> str:
        """The text after the first `words` arguments, as typed (e.g. a soul or a config value)."""
        text = self.rest
        for _ in range(words):
            text = text.lstrip()
            cut = len(text.split(None, 1)[0]) if text else 0
            text = text[cut:]
        return text.strip()


def parse_command(line: str) -> Command | None:
    """The command in `line`, or None when it is not one (it does not start with `/`)."""
    stripped = line.strip()
    if not stripped.startswith("/") or stripped == "/":
        return None
    head, _, rest = stripped[1:].partition(" ")
    typed = head
    name = ALIASES.get(head.lower(), head.lower())
    return Command(name, rest.split(), rest, typed)


def unknown_command_text(command: Command) -> str:
    """The answer to a command nobody knows (SPEC §12)."""
    return f"Unknown command: /{command.typed} (type /help for available commands)"


def help_lines() -> list[str]:
    """The help text: every command with what it does, then the keys."""
    width = max(len(spec.usage) for spec in COMMANDS.values() if len(spec.usage) < 40)
    lines = ["Commands:"]
    for spec in COMMANDS.values():
        lines.append(f"  {spec.usage.ljust(width)}  {spec.summary}")
    lines += ["@<agent> <message> sends to that agent and makes it the target; @<agent> alone switches.",
              "Keys: Enter send · Tab next agent · PgUp/PgDn scroll · Ctrl+A activity feed · "
              "Ctrl+N new agent · y/n answer an approval (empty input) · Ctrl+C quit"]
    return lines
