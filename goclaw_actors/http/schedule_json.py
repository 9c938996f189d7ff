"""Schedule JSON (SPEC §9.3 `cron.list`, and the REST view): times in RFC 3339, unset fire times left out."""

from typing import Any

from goclaw_actors.timeutil import rfc3339


def schedule_json(row: dict[str, Any]) -> dict[str, Any]:
    """`{id, name, cron_expr, payload, session_id, enabled, next_run_at?, last_run_at?, created_at, updated_at}`."""
    body: dict[str, Any] = {"id": row["id"], "name": row["name"], "cron_expr": row["cron_expr"],
                            "payload": row["payload"], "session_id": row["session_id"] or "",
                            "enabled": bool(row["enabled"])}
    if row["next_run_at"]:
        body["next_run_at"] = rfc3339(row["next_run_at"])
    if row["last_run_at"]:
        body["last_run_at"] = rfc3339(row["last_run_at"])
    body["created_at"] = rfc3339(row["created_at"])
    body["updated_at"] = rfc3339(row["updated_at"])
    return body
