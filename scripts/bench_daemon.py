"""What the benchmarks share: a free port, and `goclaw daemon` spawned as a real process."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn_daemon(home: Path, env: dict[str, str] | None = None, keep_keys: bool = True,
                 timeout: float = 30.0) -> tuple[subprocess.Popen, str, float]:
    """Start `goclaw daemon` on `home` and wait for /healthz 200; returns (process, base URL, seconds
    from spawn to healthy). `keep_keys=False` drops provider API keys inherited from this environment."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if keep_keys or not k.endswith("_API_KEY")}
    full_env = {**inherited, "GOCLAW_HOME": str(home), "GOCLAW_BIND_ADDR": f"127.0.0.1:{port}",
                "GOCLAW_NO_TUI": "1", **(env or {})}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "supervisors.cli", "daemon"], cwd=ROOT, env=full_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url, time.perf_counter() - started
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.perf_counter() - started > timeout:
            proc.kill()
            proc.wait(timeout=30)
            raise RuntimeError("daemon did not become healthy")
        time.sleep(0.002)
