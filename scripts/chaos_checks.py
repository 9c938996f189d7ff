"""The chaos run's verdict, read from the database (and the workspace) after the final drain.

Each check returns a list of violations (strings naming the task); an empty list means it held:
lost (acknowledged but no task), stuck (not terminal), illegal (an event chain that breaks SPEC §3.3),
duplicates (a SUCCEEDED task without exactly one stored reply or with one that differs from what its client
got, a second record or a second run of a side effect under one idempotency key).
"""

import json
import sqlite3
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

TERMINAL = {"SUCCEEDED", "CANCELED", "DEAD_LETTER"}
NON_TERMINAL = {"QUEUED", "CLAIMED", "RUNNING", "RETRY_WAIT", "FAILED"}
# SPEC §3.3 transitions, with lease expiry, start-up recovery and shutdown drain (CLAIMED/RUNNING ⇒ QUEUED)
# and cancellation of any non-terminal state.
LEGAL = {(None, "QUEUED"), ("QUEUED", "CLAIMED"), ("CLAIMED", "RUNNING"), ("CLAIMED", "QUEUED"),
         ("RUNNING", "SUCCEEDED"), ("RUNNING", "FAILED"), ("RUNNING", "RETRY_WAIT"), ("RUNNING", "QUEUED"),
         ("RETRY_WAIT", "QUEUED"), ("RETRY_WAIT", "FAILED"), ("FAILED", "DEAD_LETTER"), ("FAILED", "RETRY_WAIT")}
LEGAL |= {(state, "CANCELED") for state in NON_TERMINAL}


@contextmanager
def connect(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A read connection with rows as dicts, closed on exit."""
    conn = sqlite3.connect(db_path, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def tasks(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Every task row by id."""
    return {row["id"]: dict(row) for row in conn.execute("SELECT * FROM tasks")}


def lost(acked: Iterable[str], rows: dict[str, dict[str, Any]]) -> list[str]:
    """Acknowledged task ids with no task row."""
    return [f"lost: acknowledged task {task_id} has no row" for task_id in acked if task_id not in rows]


def stuck(rows: dict[str, dict[str, Any]]) -> list[str]:
    """Tasks left in a non-terminal state."""
    return [f"stuck: task {tid} is {row['status']}" for tid, row in rows.items() if row["status"] not in TERMINAL]


def chain_violations(task_id: str, status: str, events: list[tuple[str, str | None, str]]) -> list[str]:
    """What is wrong with one task's (event_type, state_from, state_to) chain, in event_id order."""
    if not events:
        return [f"illegal: task {task_id} has no events"]
    problems = []
    if events[0][0] != "task.enqueued" or events[0][1] is not None:
        problems.append(f"illegal: task {task_id} does not start with task.enqueued: {events[0]}")
    state = None
    for kind, state_from, state_to in events:
        if state_from != state:
            problems.append(f"illegal: task {task_id} gap: {kind} from {state_from} while {state}")
        if (state_from, state_to) not in LEGAL:
            problems.append(f"illegal: task {task_id} transition {state_from} => {state_to} ({kind})")
        state = state_to
    if state != status:
        problems.append(f"illegal: task {task_id} ends its events in {state} but is {status}")
    return problems


def illegal(conn: sqlite3.Connection, rows: dict[str, dict[str, Any]]) -> list[str]:
    """Every task's event chain checked against SPEC §3.3."""
    chains: dict[str, list[tuple[str, str | None, str]]] = defaultdict(list)
    for row in conn.execute("SELECT task_id, event_type, state_from, state_to FROM task_events "
                            "WHERE state_to IS NOT NULL AND state_to != '' ORDER BY event_id"):
        chains[row["task_id"]].append((row["event_type"], row["state_from"] or None, row["state_to"]))
    problems = []
    for task_id, row in rows.items():
        problems += chain_violations(task_id, row["status"], chains.get(task_id, []))
    return problems


def replies(conn: sqlite3.Connection, rows: dict[str, dict[str, Any]], seen: dict[str, str]) -> list[str]:
    """Each SUCCEEDED task has exactly one final assistant message in its (session, agent) equal to its
    result's reply, and the reply a client received (`seen`: task id -> text) is that reply."""
    owners: dict[tuple[str, str], list[str]] = defaultdict(list)
    for task_id, row in rows.items():
        owners[(row["session_id"], row["agent_id"])].append(task_id)
    stored: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in conn.execute("SELECT session_id, agent_id, content FROM messages WHERE role = 'assistant' AND "
                            "content IS NOT NULL AND content != '' AND (tool_calls_json IS NULL OR "
                            "tool_calls_json = '' OR tool_calls_json = '[]') AND archived_at IS NULL"):
        stored[(row["session_id"], row["agent_id"])].append(row["content"])
    problems = []
    for task_id, row in rows.items():
        reply = json.loads(row["result"]).get("reply") if row["status"] == "SUCCEEDED" and row["result"] else None
        if row["status"] == "SUCCEEDED":
            key = (row["session_id"], row["agent_id"])
            if len(owners[key]) == 1 and stored[key] != [reply]:
                problems.append(f"duplicate: task {task_id} has stored replies {stored[key]!r}, result {reply!r}")
        if task_id in seen and seen[task_id] != reply:
            problems.append(f"duplicate: client of task {task_id} got {seen[task_id]!r}, stored {reply!r}")
    return problems


def dedup_violations(conn: sqlite3.Connection, rows: dict[str, dict[str, Any]]) -> list[str]:
    """One tool_call_dedup row per idempotency key, and a SUCCEEDED task's side effects all SUCCEEDED."""
    problems = []
    for row in conn.execute("SELECT idempotency_key, COUNT(*) AS n FROM tool_call_dedup GROUP BY idempotency_key "
                            "HAVING n > 1"):
        problems.append(f"duplicate: {row['n']} dedup rows for {row['idempotency_key']}")
    for row in conn.execute("SELECT idempotency_key, side_effect_status FROM tool_call_dedup"):
        task_id = row["idempotency_key"].split(":", 1)[0]
        task = rows.get(task_id)
        if task is not None and task["status"] == "SUCCEEDED" and row["side_effect_status"] != "SUCCEEDED":
            problems.append(f"duplicate: task {task_id} SUCCEEDED with side effect {row['idempotency_key']} "
                            f"{row['side_effect_status']}")
    return problems


def side_effect_reruns(workspace: Path, rows: dict[str, dict[str, Any]],
                       interrupted: set[str]) -> tuple[list[str], list[str]]:
    """Appending side effects (exec's `echo >> file`, memory_write with append) per task nonce: (violations,
    in-doubt reruns). A repeat in a task no crash interrupted is a violation. A repeat in an interrupted task
    is the re-execution SPEC §3.10 allows when the crash left the call's record PENDING (the command had run,
    its SUCCEEDED record was not committed yet): counted, not a violation."""
    by_nonce = {}
    for task_id, row in rows.items():
        try:
            nonce = json.loads(json.loads(row["payload"])["content"]).get("nonce")
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        by_nonce[nonce] = task_id
    problems, reruns = [], []
    for folder in ("chaos-exec", "chaos-notes"):
        for path in sorted((workspace / folder).glob("*.txt")) if (workspace / folder).is_dir() else []:
            count = len(path.read_text(encoding="utf-8", errors="replace").splitlines())
            if count <= 1:
                continue
            task_id = by_nonce.get(path.stem)
            note = f"side effect {folder}/{path.name} of task {task_id} done {count} times"
            (reruns if task_id in interrupted else problems).append(
                ("in doubt: " if task_id in interrupted else "duplicate: ") + note)
    return problems, reruns


def delegation_violations(conn: sqlite3.Connection, rows: dict[str, dict[str, Any]]) -> list[str]:
    """At most one child task per delegation call of a parent (the enqueue carries the call's key)."""
    problems = []
    for row in conn.execute("SELECT parent_task_id, prompt, COUNT(*) AS n FROM delegations "
                            "GROUP BY parent_task_id, prompt HAVING n > 1"):
        problems.append(f"duplicate: {row['n']} delegations of {row['prompt']!r} by task {row['parent_task_id']}")
    return problems


def interrupted_tasks(conn: sqlite3.Connection) -> set[str]:
    """Tasks a crash (start-up recovery) or an expired lease took back from a running attempt."""
    return {row[0] for row in conn.execute("SELECT DISTINCT task_id FROM task_events WHERE event_type IN "
                                           "('task.recovered', 'task.lease_expired_requeued')")}


def verdict(db_path: Path, workspace: Path, acked: Iterable[str], seen: dict[str, str]) -> dict[str, Any]:
    """All checks: the figures and the violations."""
    with connect(db_path) as conn:
        rows = tasks(conn)
        interrupted = interrupted_tasks(conn)
        repeated, in_doubt = side_effect_reruns(workspace, rows, interrupted)
        found = {"lost": lost(acked, rows), "stuck": stuck(rows), "illegal": illegal(conn, rows),
                 "duplicates": replies(conn, rows, seen) + dedup_violations(conn, rows) + repeated
                 + delegation_violations(conn, rows)}
        by_status: dict[str, int] = defaultdict(int)
        for row in rows.values():
            by_status[row["status"]] += 1
    return {"tasks": len(rows), "by_status": dict(by_status), "dead": by_status.get("DEAD_LETTER", 0),
            "interrupted": len(interrupted), "in_doubt_reruns": in_doubt, "violations": found}
