"""Actor crash injection for fault tests, off unless `GOCLAW_DEBUG_FAULTS=1` is in the daemon's environment.

When enabled, SIGUSR1 makes the daemon read `$GOCLAW_HOME/debug-crash` (registry names, one a line), crash
each named actor as a bug would (an exception in a message handler, so it stops abnormally) and log
`fault injected` with `restart_ms`: the time from the crash until the supervisor has put a new actor under
that name. Without the variable no handler is installed and nothing here is reachable.
"""

import signal
import time
from pathlib import Path

import gevent
import pykka
from pykka.messages import ProxyCall

from goclaw_actors.logs.system_log import get_logger
from supervisors.registry import NameRegistry

FAULTS_ENV = "GOCLAW_DEBUG_FAULTS"
CRASH_FILE = "debug-crash"
RESTART_WAIT_SECONDS = 10.0
CRASH_ATTRIBUTE = "_injected_crash"  # no actor has it: calling it raises AttributeError inside the actor

log = get_logger("fault_injection")


def enabled(environ: dict[str, str]) -> bool:
    """Whether crash injection is switched on."""
    return environ.get(FAULTS_ENV) == "1"


def crash(ref: pykka.ActorRef) -> None:
    """Make the actor fail in a message handler (told, so nobody receives the error: the actor stops)."""
    ref.tell(ProxyCall(attr_path=(CRASH_ATTRIBUTE,), args=(), kwargs={}))


def crash_and_time(registry: NameRegistry, name: str) -> float | None:
    """Crash the actor called `name`; milliseconds until a new actor is registered under it (None: not back)."""
    ref = registry.lookup(name)
    if ref is None:
        log.error("fault injection: no such actor", actor=name)
        return None
    started = time.perf_counter()
    crash(ref)
    deadline = started + RESTART_WAIT_SECONDS
    while time.perf_counter() < deadline:
        current = registry.lookup(name)
        if current is not None and current is not ref:
            return (time.perf_counter() - started) * 1000
        gevent.sleep(0.0005)
    return None


def inject_from_file(registry: NameRegistry, home: Path) -> None:
    """Crash every actor named in `$GOCLAW_HOME/debug-crash`, one after another, logging each restart time."""
    try:
        names = [line.strip() for line in (home / CRASH_FILE).read_text(encoding="utf-8").splitlines()]
    except OSError as exc:
        log.error("fault injection: cannot read the crash file", error=str(exc))
        return
    for name in filter(None, names):
        restart_ms = crash_and_time(registry, name)
        log.info("fault injected", actor=name, restarted=restart_ms is not None,
                 restart_ms=round(restart_ms, 2) if restart_ms is not None else None)


def install(registry: NameRegistry, home: Path, environ: dict[str, str]) -> bool:
    """Install the SIGUSR1 handler when crash injection is enabled; returns whether it was."""
    if not enabled(environ):
        return False
    gevent.signal_handler(signal.SIGUSR1, lambda: gevent.spawn(inject_from_file, registry, home))
    log.warn("fault injection enabled: SIGUSR1 crashes the actors named in " + CRASH_FILE)
    return True
