"""The daemon's life: start-up, the running tree, signals, drain and shutdown (SPEC §13)."""

import os
import signal
import time
from pathlib import Path

import gevent
import gevent.event
import pykka

from goclaw_actors.errors import StartupError
from goclaw_actors.home import resolve_home
from goclaw_actors.http.app import build_app
from goclaw_actors.http.server import bind_listener
from goclaw_actors.logs.system_log import get_logger, write_startup_failure
from goclaw_actors.startup import Boot, boot
from goclaw_actors.store.read_pool import ReadPool
from goclaw_actors.store.scheduler_lock import SchedulerLock
from goclaw_actors.telemetry import lifecycle as telemetry_lifecycle
from supervisors import fault_injection
from supervisors.agent_control import drain_workers
from supervisors.gateway_context import DaemonGatewayContext
from supervisors.health import HealthProbe
from supervisors.runtime import Listener, Runtime
from supervisors.skill_runtime import start_skill_runtime
from supervisors.tree import start_root

READY_TIMEOUT_SECONDS = 30.0  # the tree must be up by then or start-up fails

log = get_logger("runtime")


class Daemon:
    """One daemon process: `start()` boots and starts the tree, `wait()` blocks until a signal or an
    escalation, `shutdown()` drains and stops everything.
    """

    def __init__(self, home: Path, environ: dict[str, str], cwd: Path, log_to_stdout: bool = True):
        self.home = home
        self.log_to_stdout = log_to_stdout
        self.environ = environ
        self.cwd = cwd
        self.log_to_stdout = log_to_stdout
        self.stop_requested = gevent.event.Event()
        self.exit_code = 0
        self.boot: Boot | None = None
        self.runtime: Runtime | None = None
        self.root: pykka.ActorRef | None = None

    def start(self) -> None:
        """Boot, start the supervision tree and wait until the gateway serves; raises StartupError."""
        started = time.monotonic()
        self.boot = b = boot(self.home, self.environ, self.cwd, self.log_to_stdout)
        self.runtime = rt = Runtime(db_path=b.store, reads=ReadPool(b.store), policy=b.policy,
                                    policy_source=str(b.policy_path), lanes=b.lanes,
                                    listen=Listener(b.listener, lambda: bind_listener(b.config.bind_addr)),
                                    environ=self.environ, config=b.config, home=b.home, audit=b.audit,
                                    cwd=self.cwd)
        rt.scheduler_lock = SchedulerLock(b.store)
        rt.skills = start_skill_runtime(rt)
        rt.gateway = DaemonGatewayContext(rt, b.token, b.home, HealthProbe(rt).health)
        rt.app = build_app(rt.gateway)
        self.root = start_root(rt, self._on_escalate)
        self._wait_ready()
        fault_injection.install(rt.registry, b.home, self.environ)
        host, port = b.listener.getsockname()[:2]
        log.info("startup phase", phase="acp_listener_bound", bind_addr=f"{host}:{port}")
        self._log_scheduler_started()
        log.info("daemon ready", startup_ms=int((time.monotonic() - started) * 1000),
                 agents=len(b.lanes), workers=sum(lane.worker_count for lane in b.lanes))

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.runtime.registry.lookup("gateway") is not None:
                return
            if not self.root.is_alive():
                break
            gevent.sleep(0.005)
        raise self.runtime.start_failure or StartupError("E_DEFAULT_AGENT_CREATE", "supervision tree did not come up")

    def _log_scheduler_started(self) -> None:
        """Log `scheduler_started` once the cron scheduler answers (it has started and fired what was due)."""
        scheduler = self.runtime.registry.proxy("cron_scheduler")
        try:
            if scheduler is None:
                raise pykka.ActorDeadError("cron_scheduler is not running")
            status = scheduler.status().get(timeout=READY_TIMEOUT_SECONDS)
        except Exception as exc:  # the services supervisor restarts it; the phase is not claimed
            log.error("cron scheduler not running", error=f"{type(exc).__name__}: {exc}")
            return
        log.info("startup phase", phase="scheduler_started", **status)

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT request a graceful shutdown."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            gevent.signal_handler(signum, self.request_stop, signum)

    def request_stop(self, signum: int | None = None) -> None:
        """Ask the daemon to shut down (from a signal or a caller)."""
        if not self.stop_requested.is_set():
            log.info("shutdown requested", signal=signal.Signals(signum).name if signum else "request")
        self.stop_requested.set()

    def _on_escalate(self, name: str, reason: str) -> None:
        log.error("supervisor_escalation", supervisor=name, reason=reason)
        self.exit_code = 1
        self.stop_requested.set()

    def wait(self) -> int:
        """Block until a stop is requested; returns the exit code decided so far."""
        self.stop_requested.wait()
        return self.exit_code

    def shutdown(self) -> None:
        """Stop accepting, drain lanes for drain_timeout_seconds, stop the tree in reverse order, close."""
        rt = self.runtime
        if self.root is not None and self.root.is_alive():
            self._ask("root", "terminate_child", "gateway")
            for scheduler in ("telegram", "cron_scheduler", "heartbeat"):  # no new work while lanes drain
                self._ask("services", "terminate_child", scheduler)
            self._drain(rt.config.drain_timeout_seconds)
            self.root.stop(block=True, timeout=60)
        elif self.boot is not None:
            self.boot.listener.close()
        if rt is not None and rt.skills is not None:
            rt.skills.close()
        if rt is not None and rt.mcp_loop is not None:
            rt.mcp_loop.stop()
        if rt is not None and rt.reads is not None:
            rt.reads.close()
        telemetry_lifecycle.stop()
        log.info("shutdown complete", exit_code=self.exit_code)

    def _ask(self, supervisor: str, method: str, *args):
        proxy = self.runtime.registry.proxy(supervisor)
        try:
            if proxy is None:
                raise pykka.ActorDeadError(f"{supervisor} is not running")
            return getattr(proxy, method)(*args).get(timeout=10)
        except (pykka.ActorDeadError, pykka.Timeout) as exc:
            log.warn("supervisor did not answer", supervisor=supervisor, call=method, error=str(exc))
            return None

    def _drain(self, seconds: float) -> None:
        if drain_workers(self.runtime, "worker:", seconds):
            log.info("lanes drained")
        else:
            log.warn("drain timeout; requeueing unfinished tasks", drain_timeout_seconds=seconds)


def start_daemon(home: Path, environ: dict[str, str], cwd: Path, log_to_stdout: bool = True) -> Daemon:
    """A started daemon whose SIGTERM/SIGINT request a graceful stop; on a start-up failure the failure is
    logged, what started is stopped, and the StartupError is raised."""
    daemon = Daemon(home, environ, cwd, log_to_stdout)
    daemon.install_signal_handlers()
    try:
        daemon.start()
    except StartupError as exc:
        write_startup_failure(exc.reason_code, str(exc), home)
        daemon.shutdown()
        raise
    return daemon


def run_daemon(environ: dict[str, str] | None = None) -> int:
    """Run the daemon in the foreground until SIGTERM/SIGINT; returns the process exit status."""
    environ = dict(os.environ) if environ is None else environ
    try:
        daemon = start_daemon(resolve_home(environ), environ, Path.cwd())
    except StartupError:
        return 1
    code = daemon.wait()
    daemon.shutdown()
    return code
