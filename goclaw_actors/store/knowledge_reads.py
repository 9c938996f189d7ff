"""Reads of agents' knowledge (SPEC §6): memories, pins, shares, what one turn injects, and chat routing facts."""

import sqlite3
from typing import Any

from goclaw_actors.agent_memory.prompt_blocks import Knowledge
from goclaw_actors.agent_memory.sharing import ALL, EVERY_AGENT, MEMORY, PIN
from goclaw_actors.store.sqlite_reads import active_agent_ids

MEMORY_COLUMNS = ("id", "agent_id", "key", "value", "source", "relevance_score", "access_count", "created_at",
                  "updated_at", "last_accessed")
PIN_COLUMNS = ("id", "agent_id", "pin_type", "source", "token_count", "shared", "last_read", "file_mtime",
               "created_at")
SHARE_COLUMNS = ("id", "source_agent_id", "target_agent_id", "share_type", "item_key", "created_at")


def _rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def agent_memories(conn: sqlite3.Connection, agent_id: str) -> list[dict[str, Any]]:
    """Every memory of the agent, by relevance (highest first) then key."""
    return _rows(conn.execute(f"SELECT {', '.join(MEMORY_COLUMNS)} FROM agent_memories WHERE agent_id = ? "
                              "ORDER BY relevance_score DESC, key", (agent_id,)))


def agent_pins(conn: sqlite3.Connection, agent_id: str, content: bool = False) -> list[dict[str, Any]]:
    """The agent's pins, oldest first (with their content when asked)."""
    columns = PIN_COLUMNS + (("content",) if content else ())
    return _rows(conn.execute(f"SELECT {', '.join(columns)} FROM agent_pins WHERE agent_id = ? ORDER BY created_at, id",
                              (agent_id,)))


def file_pins(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every file pin of every agent (what the PinWatcher keeps current), without content."""
    return _rows(conn.execute(f"SELECT {', '.join(PIN_COLUMNS)} FROM agent_pins WHERE pin_type = 'file' "
                              "ORDER BY agent_id, created_at, id"))


def agent_shares(conn: sqlite3.Connection, agent_id: str) -> list[dict[str, Any]]:
    """Shares the agent gives and receives (directly or as `*`), oldest first."""
    return _rows(conn.execute(
        f"SELECT {', '.join(SHARE_COLUMNS)} FROM agent_shares WHERE source_agent_id = ? "
        "OR (target_agent_id IN (?, ?) AND source_agent_id != ?) ORDER BY created_at, id",
        (agent_id, agent_id, EVERY_AGENT, agent_id)))


def shared_with(conn: sqlite3.Connection, agent_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(memories, pins with content) other agents share with `agent_id`: exactly the keys and pins named, and
    for `all` every memory and shared-flagged pin; by sharing agent (SPEC order), memories by relevance."""
    received = "(SELECT source_agent_id, share_type, item_key FROM agent_shares " \
               "WHERE target_agent_id IN (?, ?) AND source_agent_id != ?)"
    target = (agent_id, EVERY_AGENT, agent_id)
    memories = _rows(conn.execute(
        f"SELECT {', '.join('m.' + c for c in MEMORY_COLUMNS)} FROM agent_memories m WHERE EXISTS "
        f"(SELECT 1 FROM {received} s WHERE s.source_agent_id = m.agent_id AND (s.share_type = '{ALL}' "
        f"OR (s.share_type = '{MEMORY}' AND s.item_key = m.key))) "
        "ORDER BY m.agent_id != 'default', m.agent_id, m.relevance_score DESC, m.key", target))
    pins = _rows(conn.execute(
        f"SELECT {', '.join('p.' + c for c in PIN_COLUMNS)}, p.content FROM agent_pins p WHERE EXISTS "
        f"(SELECT 1 FROM {received} s WHERE s.source_agent_id = p.agent_id AND ((s.share_type = '{ALL}' "
        f"AND p.shared = 1) OR (s.share_type = '{PIN}' AND s.item_key = p.source))) "
        "ORDER BY p.agent_id != 'default', p.agent_id, p.created_at, p.id", target))
    return memories, pins


def prompt_knowledge(conn: sqlite3.Connection, agent_id: str) -> Knowledge:
    """Everything one turn of `agent_id` may inject: its memories and pins, and what is shared with it."""
    shared_memories, shared_pins = shared_with(conn, agent_id)
    return Knowledge(agent_memories(conn, agent_id), agent_pins(conn, agent_id, content=True), shared_memories,
                     shared_pins)


def routing_facts(conn: sqlite3.Connection, session_id: str | None) -> tuple[str | None, list[str]]:
    """(the session's sticky @mention target or None, the active agents in SPEC order)."""
    sticky = None
    if session_id is not None:
        row = conn.execute("SELECT sticky_agent_id FROM sessions WHERE id = ?", (session_id,)).fetchone()
        sticky = row[0] if row else None
    return sticky, active_agent_ids(conn)
