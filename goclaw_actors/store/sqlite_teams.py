"""Teams in SQLite (`agent_teams`): a lead agent and its members, one row per lead."""

import json
import sqlite3
from typing import Any

from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now


class TeamSql(SqliteTransitions):
    """Team writes in the caller's transaction."""

    def set_team(self, lead_agent: str, members: list[dict[str, str]]) -> None:
        """Make `members` (`[{role, agent_id}]`) the team of `lead_agent`, replacing its previous team."""
        now = db_now()
        self.conn.execute(
            "INSERT INTO agent_teams (lead_agent, members, created_at, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (lead_agent) DO UPDATE SET members = excluded.members, updated_at = excluded.updated_at",
            (lead_agent, json.dumps(members, separators=(",", ":")), now, now))


def get_team(conn: sqlite3.Connection, lead_agent: str) -> list[dict[str, str]] | None:
    """The members of `lead_agent`'s team (`[{role, agent_id}]`), or None when it has none."""
    row = conn.execute("SELECT members FROM agent_teams WHERE lead_agent = ?", (lead_agent,)).fetchone()
    return _members(row[0]) if row else None


def list_teams(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Every team, by lead: `{lead_agent, members, updated_at}`."""
    return [{"lead_agent": lead, "members": _members(members), "updated_at": updated}
            for lead, members, updated in conn.execute(
                "SELECT lead_agent, members, updated_at FROM agent_teams ORDER BY lead_agent != 'default', lead_agent")]


def _members(text: str) -> list[dict[str, str]]:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [{"role": str(m.get("role", "")), "agent_id": str(m.get("agent_id", ""))}
            for m in value if isinstance(m, dict)] if isinstance(value, list) else []
