"""`goclaw dashboard` (and `goclaw` on a terminal): attach to the daemon at bind_addr, or start one in
this process when none answers, then run the dashboard (full screen or line mode) until quit.

An in-process daemon is the same `Daemon` as `goclaw daemon`, with its log kept off the screen (it still
goes to logs/system.jsonl); quitting the dashboard shuts it down gracefully.
"""

import os
import signal
import sys
from pathlib import Path
from typing import TextIO

import gevent
import gevent.event

from goclaw_actors.config.dotenv_loader import load_dotenv_file
from goclaw_actors.config.loader import load_config
from goclaw_actors.dashboard.acp_socket import AcpError
from goclaw_actors.dashboard.controller import Controller
from goclaw_actors.dashboard.daemon_api import ApiError, DaemonApi, Endpoint, daemon_answers
from goclaw_actors.dashboard.keys import KeyHandler
from goclaw_actors.dashboard.line_mode import LineMode
from goclaw_actors.dashboard.poller import load_approvals, poll, refresh
from goclaw_actors.dashboard.screen import ViewState
from goclaw_actors.dashboard.state import DashboardState
from goclaw_actors.dashboard.terminal_mode import full_screen
from goclaw_actors.errors import ConfigError, StartupError
from goclaw_actors.home import TOKEN_ENV, TOKEN_FILE, read_auth_token, resolve_home
from supervisors.daemon import start_daemon

STDERR_LOG = "dashboard.stderr.log"  # under logs/: what would otherwise scribble over the full screen


def _fail(message: str) -> int:
    print(f"goclaw dashboard: {message}", file=sys.stderr)
    return 1


def run_dashboard(environ: dict[str, str] | None = None, stdin: TextIO | None = None,
                  stdout: TextIO | None = None) -> int:
    """Run the dashboard until the user quits; returns the exit status."""
    environ = dict(os.environ) if environ is None else environ
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    home, cwd = resolve_home(environ), Path.cwd()
    try:
        load_dotenv_file(cwd, environ)
        bind_addr = load_config(home, environ).bind_addr
    except (ConfigError, StartupError) as exc:
        return _fail(str(exc))
    token = environ.get(TOKEN_ENV, "").strip() or read_auth_token(home)
    endpoint = Endpoint.for_bind_addr(bind_addr, token)
    daemon = None
    if daemon_answers(endpoint) is None:
        try:
            daemon = start_daemon(home, environ, cwd, log_to_stdout=False)
        except StartupError as exc:
            return _fail(f"the daemon could not start ({exc.reason_code}): {exc}")
        host, port = daemon.boot.listener.getsockname()[:2]
        endpoint = Endpoint.for_bind_addr(f"{host}:{port}", daemon.boot.token)
    elif not token:
        return _fail(f"a daemon answers at {bind_addr} but there is no token: set {TOKEN_ENV} or "
                     f"{home / TOKEN_FILE}")
    stop = daemon.stop_requested if daemon is not None else gevent.event.Event()
    if daemon is None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            gevent.signal_handler(signum, stop.set)
    code = _session(endpoint, environ, stdin, stdout, stop, home)
    if daemon is None:
        return code
    daemon.request_stop()
    daemon.shutdown()
    return code or daemon.exit_code


def _session(endpoint: Endpoint, environ: dict[str, str], stdin: TextIO, stdout: TextIO,
             stop: gevent.event.Event, home: Path) -> int:
    state = DashboardState(bind_addr=endpoint.bind_addr)
    api = DaemonApi(endpoint)
    controller = Controller(api, state)
    api.on_notification = controller.on_notification
    try:
        refresh(api, state)
        if state.error:
            return _fail(state.error)
        load_approvals(api, state)
        api.subscribe_session(state.session)
        controller.load_history(state.active_agent)
    except (AcpError, ApiError) as exc:
        api.close()
        return _fail(str(exc))
    poller = gevent.spawn(poll, api, state, stop)
    try:
        if full_screen(environ, stdin, stdout):
            _run_full_screen(state, controller, stop, home)
        else:
            LineMode(state, controller, stdin, stdout).run(stop)
    finally:
        poller.kill()
        api.close()
    return 0


def _run_full_screen(state: DashboardState, controller: Controller, stop: gevent.event.Event, home: Path) -> None:
    from goclaw_actors.dashboard.tui import Tui
    view = ViewState()
    tui = Tui(state, KeyHandler(state, controller, view), view)
    saved_stderr = sys.stderr
    (home / "logs").mkdir(parents=True, exist_ok=True)
    with open(home / "logs" / STDERR_LOG, "a", encoding="utf-8") as errors:
        sys.stderr = errors  # gevent's hub reports green thread failures on sys.stderr too
        try:
            gevent.spawn(tui.run, stop).get()
        finally:
            sys.stderr = saved_stderr
