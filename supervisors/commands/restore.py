"""`goclaw restore <file>`: replace goclaw.db with a verified backup, only while no daemon runs; the
database it replaces is kept under backups/."""

from pathlib import Path

from goclaw_actors.config.defaults import DEFAULT_BIND_ADDR
from goclaw_actors.config.loader import load_config
from goclaw_actors.errors import ConfigError, GoclawError
from goclaw_actors.ops.daemon_probe import OURS, client_token, probe_daemon
from goclaw_actors.ops.restore import restore_database
from goclaw_actors.startup import DB_FILE
from supervisors.commands.common import cli_environment, fail, parser, sqlite_only

COMMAND = "restore"


def main(argv: list[str]) -> int:
    """Check the backup, then swap it in."""
    cli = parser(COMMAND, "Replace goclaw.db with a backup (the daemon must be stopped).")
    cli.add_argument("file", help="a file written by goclaw backup")
    args = cli.parse_args(argv)
    try:
        environ, home = cli_environment()
        sqlite_only(environ, home, "goclaw restore")
        try:
            bind_addr = load_config(home, environ).bind_addr
        except ConfigError:  # restoring is how one recovers: a broken config must not stop it
            bind_addr = environ.get("GOCLAW_BIND_ADDR", "").strip() or DEFAULT_BIND_ADDR
        probe = probe_daemon(bind_addr, client_token(home, environ))
        if probe.state == OURS:
            return fail(COMMAND, f"the daemon is running (it answers at {bind_addr}); stop it first")
        result = restore_database(Path(args.file).expanduser().absolute(), home / DB_FILE)
    except GoclawError as exc:
        return fail(COMMAND, str(exc))
    print(f"restored {args.file} into {home / DB_FILE} (schema version {result.report.version}, "
          f"{result.report.tasks} tasks)")
    if result.kept is not None:
        print(f"the previous database is kept at {result.kept}")
    return 0
