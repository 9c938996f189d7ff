"""A throwaway PostgreSQL server for tests and benchmarks: initdb + pg_ctl in a temporary directory, run by an
unprivileged user when we are root, on a free 127.0.0.1 port. No manual step; `unavailable()` says why not."""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "postgres"  # created by Debian's postgresql package; `nobody` otherwise


def bin_dir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True)
    for found in (*candidates, os.path.dirname(shutil.which("postgres") or "") or None):
        if found and all(os.access(os.path.join(found, tool), os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(found)
    return None


def unavailable() -> str | None:
    """Why no server can be started here, or None when one can."""
    if bin_dir() is None:
        return "PostgreSQL server binaries not installed (Debian package `postgresql`; scripts/test installs it as root)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run_as() -> dict:
    """subprocess keyword arguments that drop root to an unprivileged user (postgres refuses to run as root)."""
    if os.geteuid() != 0:
        return {}
    for name in (SERVER_USER, "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "_home": entry.pw_dir}
    raise RuntimeError("running as root and no unprivileged user to run postgres as")


class PgServer:
    """One PostgreSQL cluster in a temporary directory; `dsn(dbname)` connects to it over TCP, user `goclaw`."""

    def __init__(self, durable: bool = False):
        self.durable = durable  # fsync and synchronous commit on (benchmarks); off for tests
        self.root = Path(tempfile.mkdtemp(prefix="goclaw-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._bin = bin_dir()
        self._as = _run_as()

    def _run(self, *args: str) -> None:
        kwargs = {key: value for key, value in self._as.items() if not key.startswith("_")}
        env = {**os.environ, "LC_ALL": "C"}
        subprocess.run([str(self._bin / args[0]), *args[1:]], check=True, cwd=self.root, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)

    def start(self) -> "PgServer":
        """initdb (trust auth on 127.0.0.1, superuser `goclaw`) and start the server; returns self."""
        if self._as:
            os.chown(self.root, self._as["user"], self._as["group"])
        self._run("initdb", "-D", str(self.data), "-U", "goclaw", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.root} "
                   "-c max_connections=200")
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w",
                  "-t", "30", "start")
        return self

    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq connection string for database `dbname`."""
        return f"host=127.0.0.1 port={self.port} user=goclaw dbname={dbname}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """CREATE DATABASE `name` (from `template` if given); returns its DSN."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.dsn(name)

    def stop(self) -> None:
        """Stop the server (fast) and remove its directory."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except (subprocess.CalledProcessError, OSError):
            pass
        shutil.rmtree(self.root, ignore_errors=True)
