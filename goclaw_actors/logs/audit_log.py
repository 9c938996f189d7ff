"""The audit file logs/audit.jsonl (SPEC §11.2); the audit_log table is written by the store."""

import json
from pathlib import Path
from typing import Any

from goclaw_actors.errors import StartupError
from goclaw_actors.file_modes import ensure_private_file, make_private_dir
from goclaw_actors.redaction import redact_text
from goclaw_actors.timeutil import rfc3339, utc_now

DECISIONS = ("allow", "deny", "fatal", "quarantine", "run")


class AuditLog:
    """Appends one JSON line per decision; opened once at start (E_AUDIT_INIT if it cannot be)."""

    def __init__(self, path: Path):
        self.path = path
        try:
            make_private_dir(path.parent)
            ensure_private_file(path)
            self._file = open(path, "a", encoding="utf-8")
        except OSError as exc:
            raise StartupError("E_AUDIT_INIT", f"cannot open {path}: {exc}") from exc

    def write(self, decision: str, capability: str, reason: str, policy_version: str,
              subject: str | None = None, trace_id: str | None = None) -> dict[str, Any]:
        """Append one entry and return it."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown audit decision {decision!r}")
        entry: dict[str, Any] = {"timestamp": rfc3339(utc_now()), "decision": decision, "capability": capability,
                                 "reason": redact_text(reason), "policy_version": policy_version}
        if subject:
            entry["subject"] = subject
        if trace_id:
            entry["trace_id"] = trace_id
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()
        return entry

    def close(self) -> None:
        """Close the file."""
        self._file.close()
