"""What the commands share: the environment they run in, usage errors, one-line failures."""

import argparse
import os
import sys
from pathlib import Path

from goclaw_actors.config.dotenv_loader import load_dotenv_file
from goclaw_actors.home import resolve_home

USAGE_ERROR = 2


def cli_environment() -> tuple[dict[str, str], Path]:
    """The environment (plus the working directory's .env, as the daemon loads it) and GOCLAW_HOME."""
    environ = dict(os.environ)
    load_dotenv_file(Path.cwd(), environ)
    return environ, resolve_home(environ)


def sqlite_only(environ: dict[str, str], home: Path, what: str) -> None:
    """Raise GoclawError when the store is PostgreSQL (`storage.backend: postgres`): `what` works on goclaw.db
    only. A configuration that does not load is left for the command itself to report."""
    from goclaw_actors.config.loader import load_config
    from goclaw_actors.errors import ConfigError, GoclawError

    try:
        backend = load_config(home, environ).get("storage.backend")
    except ConfigError:
        return
    if backend == "postgres":
        raise GoclawError(f"{what} works on goclaw.db, but this daemon's store is PostgreSQL "
                          "(storage.backend: postgres); use the database's own tools (pg_dump, pg_restore)")


def one_line(text: str) -> str:
    """`text` with every run of whitespace (newlines included) made one space."""
    return " ".join(str(text).split())


def fail(command: str, message: str, status: int = 1) -> int:
    """Print `goclaw <command>: <message>` on one line of stderr; returns `status`."""
    print(f"goclaw {command}: {one_line(message)}", file=sys.stderr)
    return status


def parser(command: str, description: str) -> argparse.ArgumentParser:
    """An argument parser for `goclaw <command>` (usage errors exit 2 with the usage on stderr)."""
    return argparse.ArgumentParser(prog=f"goclaw {command}", description=description)
