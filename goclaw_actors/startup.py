"""Daemon start-up up to the supervision tree (SPEC §13 steps 1–5 and the listener), as plain steps.

Each step raises StartupError with its reason code; `boot` logs the named phases in order.
"""

import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from goclaw_actors.agent_secrets import LEGACY_KV_PREFIX, set_agent_api_key
from goclaw_actors.config.agent_entry import agent_from_row
from goclaw_actors.config.bounds import Bound, number
from goclaw_actors.config.dotenv_loader import load_dotenv_file
from goclaw_actors.config.loader import load_config
from goclaw_actors.config.model import Config
from goclaw_actors.config.text_values import check_secret_value
from goclaw_actors.errors import ConfigError, PolicyError, StartupError
from goclaw_actors.file_modes import tighten_modes
from goclaw_actors.home import bootstrap_home
from goclaw_actors.http.server import bind_listener
from goclaw_actors.logs.audit_log import AuditLog
from goclaw_actors.logs.system_log import configure_logging, get_logger
from goclaw_actors.policy.policy_file import Policy, ensure_policy_file, load_policy
from goclaw_actors.queue.lane_settings import LaneSettings
from goclaw_actors.store import sqlite_reads
from goclaw_actors.store.agent_reads import agent_row
from goclaw_actors.store.api.facade import AgentsStore, KvStore, MaintenanceStore
from goclaw_actors.store.group_commit import WriteRequest, run_batch
from goclaw_actors.store.kv_reads import kv_with_prefix
from goclaw_actors.store.backends import make_queue
from goclaw_actors.store.pg_support import check_backend_features
from goclaw_actors.store.store_target import StoreTarget, is_postgres, open_store, queue_factory, store_target
from goclaw_actors.telemetry import lifecycle as telemetry_lifecycle

DB_FILE = "goclaw.db"
DEBUG_DELAY_ENV = "GOCLAW_DEBUG_TASK_DELAY_MS"
DEBUG_DELAY_BOUND = Bound(0, 3_600_000)
CRON_COMMIT_DELAY_ENV = "GOCLAW_DEBUG_CRON_COMMIT_DELAY_MS"  # holds each cron firing's transaction open (crash tests)
HEARTBEAT_INTERVAL_ENV = "GOCLAW_DEBUG_HEARTBEAT_INTERVAL_MS"  # replaces heartbeat_interval_minutes (tests)
COMMIT_DELAY_ENV = "GOCLAW_DEBUG_COMMIT_DELAY_MS"  # holds every store batch open before its COMMIT (crash tests)

log = get_logger("runtime")


@dataclass
class Boot:
    """Everything start-up produced that the running daemon needs."""

    home: Path
    config: Config
    token: str
    audit: AuditLog
    policy: Policy
    policy_path: Path
    db_path: Path
    lanes: list[LaneSettings]
    listener: socket.socket
    recovered: int
    store: StoreTarget  # db_path (SQLite) or the shared PostgreSQL database (storage.backend)


def boot(home: Path, environ: dict[str, str], cwd: Path, log_to_stdout: bool = True) -> Boot:
    """Run start-up steps 1–5 and bind the listener; raises StartupError with the failing step's code.

    The system log goes to logs/system.jsonl, and to stdout unless `log_to_stdout` is False (a dashboard
    owns the screen)."""
    load_dotenv_file(cwd, environ)
    token = bootstrap_home(home, environ)
    tightened, untouched = tighten_modes(home)
    config = _load_config(home, environ)
    _check_debug_delay(environ)
    configure_logging(home, config.log_level, to_stdout=log_to_stdout)
    for problem in tightened:
        log.warn("file permissions tightened", path=str(problem.path), mode=f"{problem.mode:04o}",
                 now=f"{problem.mode & 0o700:04o}")
    for problem, why in untouched:
        log.warn("file permissions too open and not fixed", path=str(problem.path), mode=f"{problem.mode:04o}",
                 error=why)
    for warning in config.warnings:
        log.warn(warning)
    log.info("startup phase", phase="config_loaded", home=str(home), config_hash=config.config_hash)
    telemetry_lifecycle.start(config)
    audit = AuditLog(home / "logs" / "audit.jsonl")
    db_path = home / DB_FILE
    store = store_target(config, db_path)
    check_backend_features(store, config)
    recovered, lanes = _open_and_recover(store, config, home)
    policy_path = home / "policy.yaml"
    policy = _load_policy(policy_path)
    log.info("startup phase", phase="policy_loaded", policy_version=policy.version)
    listener = bind_listener(config.bind_addr)
    return Boot(home, config, token, audit, policy, policy_path, db_path, lanes, listener, recovered, store)


def _load_config(home: Path, environ: Mapping[str, str]) -> Config:
    try:
        return load_config(home, environ)
    except ConfigError as exc:
        raise StartupError("E_CONFIG_LOAD", str(exc)) from exc


def _check_debug_delay(environ: Mapping[str, str]) -> None:
    for name in (DEBUG_DELAY_ENV, CRON_COMMIT_DELAY_ENV, HEARTBEAT_INTERVAL_ENV, COMMIT_DELAY_ENV):
        value = environ.get(name, "").strip()
        if value:
            try:
                number(value, f"{name} (milliseconds)", DEBUG_DELAY_BOUND)
            except ConfigError as exc:
                raise StartupError("E_CONFIG_LOAD", str(exc)) from None


def debug_seconds(environ: Mapping[str, str], name: str) -> float:
    """A crash-test delay variable in seconds (0 when unset); its value was checked at start-up."""
    value = environ.get(name, "").strip()
    return float(value) / 1000.0 if value else 0.0


def _open_and_recover(store: StoreTarget, config: Config, home: Path) -> tuple[int, list[LaneSettings]]:
    """Migrate, recover interrupted tasks once, sync configured agents, move agent keys out of the database,
    stop stored agents the daemon must not run; returns (recovered, lanes)."""
    db = open_store(store, "goclaw-startup")
    make_backend = queue_factory(store)
    where = "PostgreSQL store" if is_postgres(store) else str(store)
    try:
        conn = db.connection()
        log.info("startup phase", phase="schema_migrated", db=where,
                 **({"instance": store.instance_id} if is_postgres(store) else {}))
        recovered = _run_one_batch(conn, [MaintenanceStore.requeue_expired_leases.request(),
                                          MaintenanceStore.recover_interrupted.request()], "E_TASK_RECOVERY",
                                   make_backend)
        log.info("startup phase", phase="recovery_scan_completed", requeued_expired=recovered[0],
                 recovered=recovered[1])
        _run_one_batch(conn, [AgentsStore.upsert_agent.request(agent_id=agent.agent_id, fields=agent.to_row())
                              for agent in config.agents], "E_DEFAULT_AGENT_CREATE", make_backend)
        if not is_postgres(store):  # kv_store keys of older versions only ever lived in goclaw.db
            _move_agent_keys_out(conn, home)
        rows = _runnable_agents(conn, make_backend)
    except sqlite3.Error as exc:
        raise StartupError("E_STORE_OPEN", f"{where}: {exc}") from exc
    except Exception as exc:
        if type(exc).__module__.startswith("psycopg"):
            raise StartupError("E_STORE_OPEN", f"{where}: {exc}".split("\n")[0]) from exc
        raise
    finally:
        db.close()
    return recovered[0] + recovered[1], [lane_settings(row, config) for row in rows]


def _move_agent_keys_out(conn, home: Path) -> None:
    """Keys of runtime agents that earlier versions kept in kv_store go to secrets.yaml (0600), then are
    deleted from the database with secure_delete and the WAL truncated, so no copy stays in goclaw.db."""
    stored = kv_with_prefix(conn, LEGACY_KV_PREFIX)
    if not stored:
        return
    for key, value in stored.items():
        agent_id = key[len(LEGACY_KV_PREFIX):]
        try:
            check_secret_value(value, "api_key")
        except ConfigError as exc:
            log.warn("stored agent API key dropped: not a usable key", agent_id=agent_id, reason=str(exc))
            continue
        try:
            set_agent_api_key(home, agent_id, value)
        except ConfigError as exc:
            raise StartupError("E_CONFIG_LOAD", str(exc)) from exc
        except OSError as exc:
            raise StartupError("E_CONFIG_WRITE", f"cannot write secrets.yaml: {exc}") from exc
    conn.execute("PRAGMA secure_delete = ON")
    _run_one_batch(conn, [KvStore.delete_kv.request(keys=list(stored))], "E_STORE_OPEN")
    conn.execute("PRAGMA secure_delete = OFF")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    log.warn("agent API keys moved out of the database into secrets.yaml", agents=len(stored))


def _runnable_agents(conn, make_backend=None) -> list[dict[str, Any]]:
    """The active agent rows the daemon can run; a row holding values it must not run with (stored by an
    older version, or edited by hand) is set `stopped` and logged, and the daemon starts without it."""
    rows, refused = [], []
    for row in sqlite_reads.active_agents(conn):
        try:
            agent_from_row(agent_row(conn, row["agent_id"]))
            rows.append(row)
        except ConfigError as exc:
            log.warn("stored agent not started: invalid settings; set to stopped", agent_id=str(row["agent_id"]),
                     error=str(exc))
            refused.append(AgentsStore.set_agent_status.request(agent_id=row["agent_id"], status="stopped"))
    if refused:
        _run_one_batch(conn, refused, "E_DEFAULT_AGENT_CREATE", make_backend)
    return rows


def _run_one_batch(conn, requests: list[WriteRequest], reason_code: str, make_backend=None) -> list[Any]:
    try:
        results = run_batch(conn, requests, make_backend or make_queue)
    except Exception as exc:
        raise StartupError(reason_code, str(exc)) from exc
    for result in results:
        if result.error is not None:
            raise StartupError(reason_code, str(result.error))
    return [result.value for result in results]


def lane_settings(row: dict[str, Any], config: Config) -> LaneSettings:
    """Lane settings of an agent row under the global timings."""
    return LaneSettings(
        agent_id=row["agent_id"],
        worker_count=max(1, int(row.get("worker_count") or 4)),
        lease_seconds=float(config.lease_seconds),
        tick_seconds=float(config.engine_tick_seconds),
        task_timeout_seconds=float(row.get("task_timeout_seconds") or config.task_timeout_seconds),
        drain_seconds=float(config.drain_timeout_seconds),
    )


def _load_policy(path: Path) -> Policy:
    ensure_policy_file(path)
    try:
        return load_policy(path)
    except (PolicyError, OSError) as exc:
        raise StartupError("E_POLICY_LOAD", str(exc)) from exc

