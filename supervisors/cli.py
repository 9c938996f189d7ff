"""The `goclaw` command line (SPEC §12): dispatches to one module per command in supervisors/commands."""

from gevent import monkey

monkey.patch_all()

import importlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

USAGE = """usage: goclaw <command> [options]

commands:
  daemon     run the daemon in the foreground, logging to stdout (also -daemon, --daemon)
  dashboard  the terminal dashboard, attached to the daemon at bind_addr or to one started in process
  chat       goclaw chat [--agent ID] [--session UUID] "message": send one message, stream the reply
             (the message is read from stdin when none is given or it is -)
  status     GET /healthz of the running daemon and print it; exit 0 iff healthy
  doctor     goclaw doctor [--json]: check config, API key, embedded model, database, permissions,
             external tools and network; exit 1 if any check fails
  backup     goclaw backup [--out PATH]: consistent, verified copy of the database (daemon may run)
  restore    goclaw restore <file>: replace the database with a backup (daemon stopped)
  import     goclaw import [--path .env] [--force]: API keys from a .env file into config.yaml
  skill      goclaw skill install <source> [--ref REF] [--force] | list | remove <name> |
             update <name>|--all | info <name>: manage installed skills ($GOCLAW_HOME/installed)
  pull       goclaw pull <url>: install an agent definition (YAML with id and soul) into config.yaml
  help       show this help
  --version  print the version (also -version)

With no command: the dashboard on a terminal (unless GOCLAW_NO_TUI is set), otherwise the daemon.
`goclaw <command> --help` describes a command.
Environment: GOCLAW_HOME (default ~/.goclaw), GOCLAW_BIND_ADDR, GOCLAW_AUTH_TOKEN, GOCLAW_WORKER_COUNT,
GOCLAW_LOG_LEVEL, GOCLAW_NO_TUI (1: no full-screen dashboard; `goclaw dashboard` then runs in line mode), …
"""
DAEMON_USAGE = "usage: goclaw daemon [--help]"

# command -> module under supervisors.commands with `main(argv) -> int` (imported only when used)
COMMANDS = {
    "dashboard": "dashboard",
    "chat": "chat",
    "status": "status",
    "doctor": "doctor",
    "backup": "backup",
    "restore": "restore",
    "import": "import_env",
    "skill": "skill",
    "pull": "pull",
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `goclaw` console script; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    command, rest = (args[0], args[1:]) if args else (_default_command(), [])
    if command in ("daemon", "-daemon", "--daemon"):
        return _daemon(rest)
    if command in COMMANDS:
        return importlib.import_module(f"supervisors.commands.{COMMANDS[command]}").main(rest)
    if command in ("--version", "-version", "version"):
        from goclaw_actors.version import VERSION_LABEL
        print(VERSION_LABEL)
        return 0
    if command in ("help", "--help", "-h", "-help"):
        print(USAGE, end="")
        return 0
    print(f"goclaw: unknown command {command!r}\n{USAGE}", end="", file=sys.stderr)
    return 2


def _daemon(rest: list[str]) -> int:
    if rest in (["--help"], ["-h"], ["-help"]):
        print(DAEMON_USAGE)
        return 0
    if rest:
        print(DAEMON_USAGE, file=sys.stderr)
        return 2
    from supervisors.daemon import run_daemon
    return run_daemon()


def _default_command() -> str:
    from goclaw_actors.dashboard.terminal_mode import dashboard_by_default
    return "dashboard" if dashboard_by_default(os.environ, sys.stdin, sys.stdout) else "daemon"


if __name__ == "__main__":
    sys.exit(main())
