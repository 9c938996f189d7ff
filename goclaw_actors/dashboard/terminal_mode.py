"""Which face `goclaw` shows: the full-screen dashboard, the line mode, or (without a terminal) the daemon."""

from typing import Mapping, TextIO

NO_TUI_ENV = "GOCLAW_NO_TUI"
DUMB_TERMS = frozenset({"", "dumb", "unknown"})


def no_tui(environ: Mapping[str, str]) -> bool:
    """Whether GOCLAW_NO_TUI asks for no full-screen dashboard (any value but empty, 0, false, no)."""
    return environ.get(NO_TUI_ENV, "").strip().lower() not in ("", "0", "false", "no")


def on_terminal(stdin: TextIO, stdout: TextIO) -> bool:
    """Whether both input and output are a terminal."""
    return _isatty(stdin) and _isatty(stdout)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def dashboard_by_default(environ: Mapping[str, str], stdin: TextIO, stdout: TextIO) -> bool:
    """`goclaw` with no command opens the dashboard: on a terminal, unless GOCLAW_NO_TUI is set."""
    return on_terminal(stdin, stdout) and not no_tui(environ)


def full_screen(environ: Mapping[str, str], stdin: TextIO, stdout: TextIO) -> bool:
    """The dashboard is full screen on a capable terminal without GOCLAW_NO_TUI; else it runs in line mode."""
    return (on_terminal(stdin, stdout) and not no_tui(environ)
            and environ.get("TERM", "").strip().lower() not in DUMB_TERMS)
