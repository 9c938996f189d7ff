"""Daemon start-up up to the supervision tree (SPEC §13 steps 1–5 and the listener), as plain steps.

Each step raises StartupError with its reason code; `boot` logs the named phases in order.
"""

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from goclaw_actors.config.dotenv_loader import load_dotenv_file
from goclaw_actors.config.loader import load_config
from goclaw_actors.config.model import Config
from goclaw_actors.errors import ConfigError, PolicyError, StartupError
from goclaw_actors.home import bootstrap_home
from goclaw_actors.http.server import bind_listener
from goclaw_actors.logs.audit_log import AuditLog
from goclaw_actors.logs.system_log import configure_logging, get_logger
from goclaw_actors.policy.policy_file import Policy, ensure_policy_file, load_policy
from goclaw_actors.queue.lane_settings import LaneSettings
from goclaw_actors.store import sqlite_reads
from goclaw_actors.store.database import open_database
from goclaw_actors.store.group_commit import WriteRequest, run_batch
from goclaw_actors.store.sqlite_queue import SqliteQueue

DB_FILE = "goclaw.db"
DEBUG_DELAY_ENV = "GOCLAW_DEBUG_TASK_DELAY_MS"
CRON_COMMIT_DELAY_ENV = "GOCLAW_DEBUG_CRON_COMMIT_DELAY_MS"  # holds each cron firing's transaction open (crash tests)

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


def boot(home: Path, environ: dict[str, str], cwd: Path) -> Boot:
    """Run start-up steps 1–5 and bind the listener; raises StartupError with the failing step's code."""
    load_dotenv_file(cwd, environ)
    token = bootstrap_home(home, environ)
    config = _load_config(home, environ)
    _check_debug_delay(environ)
    configure_logging(home, config.log_level, to_stdout=True)
    for warning in config.warnings:
        log.warn(warning)
    log.info("startup phase", phase="config_loaded", home=str(home), config_hash=config.config_hash)
    audit = AuditLog(home / "logs" / "audit.jsonl")
    db_path = home / DB_FILE
    recovered, lanes = _open_and_recover(db_path, config)
    policy_path = home / "policy.yaml"
    policy = _load_policy(policy_path)
    log.info("startup phase", phase="policy_loaded", policy_version=policy.version)
    listener = bind_listener(config.bind_addr)
    return Boot(home, config, token, audit, policy, policy_path, db_path, lanes, listener, recovered)


def _load_config(home: Path, environ: Mapping[str, str]) -> Config:
    try:
        return load_config(home, environ)
    except ConfigError as exc:
        raise StartupError("E_CONFIG_LOAD", str(exc)) from exc


def _check_debug_delay(environ: Mapping[str, str]) -> None:
    for name in (DEBUG_DELAY_ENV, CRON_COMMIT_DELAY_ENV):
        value = environ.get(name, "").strip()
        if value and not value.isdigit():
            raise StartupError("E_CONFIG_LOAD", f"{name} must be a whole number of milliseconds, got {value!r}")


def _open_and_recover(db_path: Path, config: Config) -> tuple[int, list[LaneSettings]]:
    """Migrate, recover interrupted tasks once, sync configured agents; returns (recovered, lanes)."""
    db = open_database(db_path)
    try:
        conn = db.connection()
        log.info("startup phase", phase="schema_migrated", db=str(db_path))
        recovered = _run_one_batch(conn, [WriteRequest("requeue_expired_leases"),
                                          WriteRequest("recover_interrupted")], "E_TASK_RECOVERY")
        log.info("startup phase", phase="recovery_scan_completed", requeued_expired=recovered[0],
                 recovered=recovered[1])
        _run_one_batch(conn, [WriteRequest("upsert_agent", {"agent_id": agent.agent_id, "fields": agent.to_row()})
                              for agent in config.agents], "E_DEFAULT_AGENT_CREATE")
        rows = sqlite_reads.active_agents(conn)
    finally:
        db.close()
    return recovered[0] + recovered[1], [lane_settings(row, config) for row in rows]


def _run_one_batch(conn, requests: list[WriteRequest], reason_code: str) -> list[Any]:
    try:
        results = run_batch(conn, requests, SqliteQueue)
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

