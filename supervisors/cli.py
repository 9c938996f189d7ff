"""The `goclaw` command line: daemon, dashboard, status, version, help (SPEC §12)."""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

USAGE = """usage: goclaw <command>

commands:
  daemon     run the daemon in the foreground, logging to stdout (also -daemon, --daemon)
  dashboard  the terminal dashboard, attached to the daemon at bind_addr or to one started in process
  status     GET /healthz of the running daemon and print it; exit 0 iff healthy
  help       show this help
  --version  print the version (also -version)

With no command: the dashboard on a terminal (unless GOCLAW_NO_TUI is set), otherwise the daemon.
Environment: GOCLAW_HOME (default ~/.goclaw), GOCLAW_BIND_ADDR, GOCLAW_WORKER_COUNT, GOCLAW_LOG_LEVEL,
GOCLAW_NO_TUI (1: no full-screen dashboard; `goclaw dashboard` then runs in line mode), …
"""
DAEMON_USAGE = "usage: goclaw daemon [--help]"
DASHBOARD_USAGE = "usage: goclaw dashboard [--help]"
STATUS_USAGE = "usage: goclaw status"
STATUS_TIMEOUT_SECONDS = 3.0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `goclaw` console script; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    command, rest = (args[0], args[1:]) if args else (_default_command(), [])
    if command in ("daemon", "-daemon", "--daemon"):
        return _daemon(rest)
    if command == "dashboard":
        return _dashboard(rest)
    if command == "status":
        return _status(rest)
    if command in ("--version", "-version", "version"):
        from goclaw_actors.version import VERSION_LABEL
        print(VERSION_LABEL)
        return 0
    if command in ("help", "--help", "-h", "-help"):
        print(USAGE, end="")
        return 0
    print(f"goclaw: unknown command {command!r}\n{USAGE}", end="", file=sys.stderr)
    return 2


def _no_arguments(rest: list[str], usage: str) -> int | None:
    """None when `rest` is empty; else the exit status after printing `usage` (0 for --help, 2 otherwise)."""
    if not rest:
        return None
    help_asked = rest in (["--help"], ["-h"], ["-help"])
    print(usage, file=sys.stdout if help_asked else sys.stderr)
    return 0 if help_asked else 2


def _daemon(rest: list[str]) -> int:
    refused = _no_arguments(rest, DAEMON_USAGE)
    if refused is not None:
        return refused
    from supervisors.daemon import run_daemon
    return run_daemon()


def _default_command() -> str:
    from goclaw_actors.dashboard.terminal_mode import dashboard_by_default
    return "dashboard" if dashboard_by_default(os.environ, sys.stdin, sys.stdout) else "daemon"


def _dashboard(rest: list[str]) -> int:
    refused = _no_arguments(rest, DASHBOARD_USAGE)
    if refused is not None:
        return refused
    from supervisors.dashboard_run import run_dashboard
    return run_dashboard()


def _status(rest: list[str]) -> int:
    if rest:
        print(STATUS_USAGE, file=sys.stderr)
        return 2
    import requests

    from goclaw_actors.config.loader import load_config
    from goclaw_actors.errors import ConfigError
    from goclaw_actors.home import resolve_home
    environ = dict(os.environ)
    try:
        bind_addr = load_config(resolve_home(environ), environ).bind_addr
    except ConfigError as exc:
        print(f"goclaw status: {exc}", file=sys.stderr)
        return 1
    host, _, port = bind_addr.rpartition(":")
    host = "127.0.0.1" if host in ("", "0.0.0.0") else ("[::1]" if host in ("::", "[::]") else host)
    try:
        response = requests.get(f"http://{host}:{port}/healthz", timeout=STATUS_TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        print(json.dumps({"healthy": False, "error": f"daemon not reachable at {bind_addr}: {exc}"}))
        return 1
    print(response.text)
    return 0 if response.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
