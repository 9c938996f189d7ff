"""`goclaw pull <url>` (SPEC §8.6): install an agent definition from a URL into config.yaml."""

import sys

from goclaw_actors.errors import GoclawError
from goclaw_actors.file_modes import make_private_dir
from goclaw_actors.ops.agent_pull import pull_agent
from supervisors.commands.common import USAGE_ERROR, cli_environment, fail

COMMAND = "pull"
USAGE = "usage: goclaw pull <url>"
HELP = f"""{USAGE}

Fetch an agent definition (YAML, http or https, at most 1 MiB, 15 s) and append it to the agents of
config.yaml; a running daemon starts the agent at once. The definition needs `id` and `soul`; display_name,
provider, model, capabilities, worker_count, task_timeout_seconds and preferred_search are kept.
Exit 0 when installed, 1 on any error (an agent of that id already exists, a missing field, an HTML page,
a bad scheme, a fetch error), 2 on a usage error."""


def main(argv: list[str]) -> int:
    """Install the agent and print `Installed agent @<id>`."""
    if argv in (["--help"], ["-h"], ["-help"]):
        print(HELP)
        return 0
    if len(argv) != 1 or argv[0].startswith("-"):
        print(USAGE, file=sys.stderr)
        return USAGE_ERROR
    try:
        environ, home = cli_environment()
        make_private_dir(home)
        pulled = pull_agent(argv[0], home, environ)
    except (GoclawError, OSError) as exc:
        return fail(COMMAND, str(exc))
    for key in pulled.ignored:
        print(f"goclaw pull: ignored field {key!r}", file=sys.stderr)
    print(f"Installed agent @{pulled.agent_id}")
    return 0
