"""`goclaw status`: GET /healthz of the daemon at bind_addr (3 s), printed; exit 0 iff 200 (SPEC §12)."""

import json
import sys

import requests

from goclaw_actors.bind_addr import client_base_url
from goclaw_actors.config.loader import load_config
from goclaw_actors.errors import GoclawError
from supervisors.commands.common import USAGE_ERROR, cli_environment, fail

USAGE = "usage: goclaw status"
TIMEOUT_SECONDS = 3.0


def main(argv: list[str]) -> int:
    """Print the daemon's health document."""
    if argv:
        print(USAGE, file=sys.stderr)
        return USAGE_ERROR
    try:
        environ, home = cli_environment()
        bind_addr = load_config(home, environ).bind_addr
    except GoclawError as exc:
        return fail("status", str(exc))
    try:
        response = requests.get(client_base_url(bind_addr) + "/healthz", timeout=TIMEOUT_SECONDS)
    except requests.RequestException as exc:
        print(json.dumps({"healthy": False, "error": f"daemon not reachable at {bind_addr}: {exc}"}))
        return 1
    print(response.text)
    return 0 if response.status_code == 200 else 1
