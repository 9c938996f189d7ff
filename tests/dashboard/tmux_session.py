"""A program in a detached tmux session of its own (own server socket), read with capture-pane."""

import os
import re
import shlex
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.helpers import PROVIDER_KEYS, wait_until


def tmux_or_skip() -> str:
    """The tmux executable: installed with apt-get when missing; the test is skipped if that fails."""
    found = shutil.which("tmux")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "tmux"], capture_output=True, timeout=300)
        found = shutil.which("tmux")
    if found is None:
        pytest.skip("tmux is not installed and could not be installed with apt-get")
    return found


class TmuxSession:
    """`command` running in a `width` × `height` tmux window; its exit status is written to a file."""

    def __init__(self, workdir: Path, argv: list[str], env: dict[str, str], width: int, height: int):
        self.tmux = tmux_or_skip()
        self.socket = f"goclaw-test-{uuid.uuid4().hex[:8]}"
        self.exit_file = workdir / f"{self.socket}.exit"
        script = workdir / f"{self.socket}.sh"
        unset = "".join(f"unset {name}\n" for name in (*PROVIDER_KEYS, "GOCLAW_NO_TUI", "GOCLAW_AUTH_TOKEN"))
        exports = unset + "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())
        script.write_text(f"{exports}cd {shlex.quote(str(workdir))}\n{shlex.join(argv)}\n"
                          f"echo $? > {shlex.quote(str(self.exit_file))}\nsleep 60\n")
        self._run("new-session", "-d", "-s", "main", "-x", str(width), "-y", str(height), f"bash {script}")

    def _run(self, *args: str) -> str:
        result = subprocess.run([self.tmux, "-L", self.socket, "-f", "/dev/null", *args], capture_output=True,
                                text=True, timeout=10)
        if result.returncode != 0:
            raise AssertionError(f"tmux {args[0]} failed: {result.stderr}")
        return result.stdout

    def screen(self) -> str:
        """The visible screen, one line per row."""
        return self._run("capture-pane", "-p", "-t", "main")

    def send(self, *keys: str) -> None:
        """Keys as tmux names them (`Enter`, `C-c`, `PPage`) or literal text."""
        self._run("send-keys", "-t", "main", *keys)

    def type(self, text: str) -> None:
        """Type `text` literally."""
        self._run("send-keys", "-t", "main", "-l", text)

    def resize(self, width: int, height: int) -> None:
        """Resize the window (the program gets SIGWINCH)."""
        self._run("resize-window", "-t", "main", "-x", str(width), "-y", str(height))

    def wait_for(self, pattern: str, timeout: float = 15.0) -> re.Match:
        """Wait until the screen matches `pattern` (a regex); returns the match."""
        try:
            return wait_until(lambda: re.search(pattern, self.screen()), timeout, interval=0.05)
        except AssertionError:
            raise AssertionError(f"{pattern!r} not on the screen after {timeout}s:\n{self.screen()}") from None

    def exit_status(self, timeout: float = 30.0) -> int:
        """Wait for the program to end; its exit status."""
        wait_until(lambda: self.exit_file.exists() and self.exit_file.read_text().strip(), timeout,
                   interval=0.05, what="the program to exit")
        return int(self.exit_file.read_text())

    def kill(self) -> None:
        """End the tmux server and everything in it."""
        subprocess.run([self.tmux, "-L", self.socket, "kill-server"], capture_output=True, timeout=10)
