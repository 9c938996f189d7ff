"""`goclaw backup [--out PATH]` (SPEC §3.11): a consistent, verified copy of goclaw.db, taken while the
daemon runs; prints its path. Default `$GOCLAW_HOME/backups/goclaw-<YYYYMMDDTHHMMSSZ>.db`."""

import sys
from pathlib import Path

from goclaw_actors.errors import GoclawError
from goclaw_actors.ops.backup import backup_database, default_backup_path
from goclaw_actors.startup import DB_FILE
from goclaw_actors.terminal_progress import ProgressBar, is_terminal
from supervisors.commands.common import cli_environment, fail, parser, sqlite_only

COMMAND = "backup"


def main(argv: list[str]) -> int:
    """Write the backup and print where it is."""
    cli = parser(COMMAND, "Copy goclaw.db consistently (also while the daemon runs) and verify the copy.")
    cli.add_argument("--out", metavar="PATH", help="file to write (never overwritten)")
    args = cli.parse_args(argv)
    try:
        environ, home = cli_environment()
        sqlite_only(environ, home, "goclaw backup")
        out = Path(args.out).expanduser().absolute() if args.out else default_backup_path(home)
        terminal = is_terminal(sys.stderr)
        progress = ProgressBar(f"backing up {DB_FILE}", sys.stderr) if terminal else None
        report = backup_database(home / DB_FILE, out, progress)
    except GoclawError as exc:
        return fail(COMMAND, str(exc))
    if terminal:
        print(f"verified: integrity ok, schema version {report.version}, {report.tasks} tasks", file=sys.stderr)
    print(out)
    return 0
