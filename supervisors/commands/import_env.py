"""`goclaw import [--path .env] [--force]` (SPEC §12): GEMINI_API_KEY, GEMINI_MODEL, BRAVE_API_KEY,
PERPLEXITY_API_KEY and OPENROUTER_API_KEY from a .env file into config.yaml, one line per key."""

from pathlib import Path

from goclaw_actors.config.loader import CONFIG_FILE
from goclaw_actors.errors import GoclawError
from goclaw_actors.file_modes import make_private_dir
from goclaw_actors.ops.env_import import import_env
from supervisors.commands.common import cli_environment, fail, parser

COMMAND = "import"


def main(argv: list[str]) -> int:
    """Import the keys and report each."""
    cli = parser(COMMAND, "Import provider and search API keys from a .env file into config.yaml.")
    cli.add_argument("--path", default=".env", metavar="PATH", help="the .env file (default: ./.env)")
    cli.add_argument("--force", action="store_true", help="replace values config.yaml already has")
    args = cli.parse_args(argv)
    try:
        environ, home = cli_environment()
        make_private_dir(home)
        lines = import_env(Path(args.path).expanduser(), home / CONFIG_FILE, force=args.force)
    except (GoclawError, OSError) as exc:
        return fail(COMMAND, str(exc))
    for line in lines:
        print(line)
    return 0
