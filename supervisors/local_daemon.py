"""A daemon started inside a CLI process when none answers (`goclaw chat`, the dashboard): the same
Daemon as `goclaw daemon`, on a private loopback port, its log kept in logs/system.jsonl only.

    with local_daemon(home, environ, Path.cwd()) as (base_url, token):
        ...  # talk to it over HTTP / ACP like any client
"""

import contextlib
from pathlib import Path
from typing import Iterator

from goclaw_actors.errors import StartupError
from goclaw_actors.ops.restore import database_in_use
from goclaw_actors.startup import DB_FILE
from supervisors.daemon import Daemon

PRIVATE_BIND_ADDR = "127.0.0.1:0"  # any free port: the user's bind_addr stays free for a real daemon


@contextlib.contextmanager
def local_daemon(home: Path, environ: dict[str, str], cwd: Path) -> Iterator[tuple[str, str]]:
    """Start a daemon for `home` in this process; yields (base URL, token) and shuts it down on exit.

    Raises StartupError when it cannot start, or (E_STORE_OPEN) when another process holds the database
    (a daemon that does not answer at bind_addr): two daemons would recover each other's running tasks.
    """
    if database_in_use(home / DB_FILE):
        raise StartupError("E_STORE_OPEN", f"{home / DB_FILE} is in use by another process, but no daemon "
                                           "answers at bind_addr; stop it or check bind_addr")
    daemon = Daemon(home, {**environ, "GOCLAW_BIND_ADDR": PRIVATE_BIND_ADDR}, cwd, log_to_stdout=False)
    try:
        daemon.start()
        port = daemon.boot.listener.getsockname()[1]
        yield f"http://127.0.0.1:{port}", daemon.boot.token
    finally:
        daemon.shutdown()
