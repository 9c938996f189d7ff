"""`goclaw doctor [--json]` (also `-json`, SPEC §12): Config, API Key, Embedded Model, Database,
Permissions, External Tools and Network, each PASS/WARN/FAIL/SKIP with the fix. Text mode exits 1 if
any check FAILs; `--json` prints `{"checks":[{"name","status","detail"}]}` (plus `fix`)."""

import sys

from goclaw_actors.errors import GoclawError
from goclaw_actors.ops.doctor import any_failed, render_json, render_text, run_doctor
from goclaw_actors.terminal_progress import ProgressBar, is_terminal
from supervisors.commands.common import cli_environment, fail, parser

COMMAND = "doctor"


def main(argv: list[str]) -> int:
    """Run every check and print the report."""
    cli = parser(COMMAND, "Check the configuration, keys, model, database, permissions, tools and port.")
    cli.add_argument("--json", "-json", action="store_true", help='print {"checks":[…]} instead of text')
    args = cli.parse_args(argv)
    try:
        environ, home = cli_environment()
    except GoclawError as exc:
        return fail(COMMAND, str(exc))
    progress = ProgressBar("checking the embedded model's sha256", sys.stderr) if is_terminal(sys.stderr) else None
    checks = run_doctor(home, environ, progress=progress)
    if args.json:
        sys.stdout.write(render_json(checks))
        return 0
    sys.stdout.write(f"goclaw doctor: GOCLAW_HOME {home}\n" + render_text(checks))
    return 1 if any_failed(checks) else 0
