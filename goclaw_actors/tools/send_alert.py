"""`send_alert{severity, title, body}` (SPEC §5.1): an alert recorded as a durable `alert` event of the task.

The event is published on the bus after commit (session subscribers see it as a `session.event`), and
channels that deliver alerts (Telegram) pick it up there.
"""

from typing import Any

from goclaw_actors.brain.tools import ToolContext
from goclaw_actors.redaction import redact_text
from goclaw_actors.tools.tool_env import ToolEnv

SEVERITIES = ("info", "warning", "critical")
MAX_TITLE = 200
MAX_BODY = 4000
SCHEMA = {"type": "object", "properties": {
    "severity": {"type": "string", "enum": list(SEVERITIES)},
    "title": {"type": "string", "minLength": 1, "maxLength": MAX_TITLE},
    "body": {"type": "string", "maxLength": MAX_BODY}},
    "required": ["severity", "title", "body"], "additionalProperties": False}


def send_alert(env: ToolEnv, arguments: dict[str, Any], context: ToolContext) -> str:
    """Record and publish the alert (secrets redacted); returns a confirmation."""
    event = env.store.audit.record_alert(task_id=context.task_id, severity=arguments["severity"],
                                         title=redact_text(arguments["title"]), body=redact_text(arguments["body"]))
    return f"alert sent ({arguments['severity']}): {arguments['title']} [event {event['event_id']}]"
