"""What the Telegram channel sends (SPEC §10): reply text while streaming and when final, split at the Bot
API's 4096 characters; approval requests with approve/deny buttons; alerts; the refusal for other users."""

from typing import Any

from goclaw_actors.channels.telegram_updates import approval_data
from goclaw_actors.http.task_result import task_reply
from goclaw_actors.store.task_row import TaskRow

MAX_MESSAGE_CHARS = 4096  # Bot API limit of one message's text
WORKING = "…"
RETRYING = "(retrying after an error…)"
TRUNCATED = "\n…"
SEVERITY_MARKS = {"info": "ℹ️", "warning": "⚠️", "critical": "🚨"}


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut at a line break (else a space) when one is near."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind("\n", limit // 2, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", limit // 2, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut])
        text = text[cut + 1:] if text[cut:cut + 1] in ("\n", " ") else text[cut:]  # the break is not kept
    pieces.append(text)
    return [piece for piece in pieces if piece] or [WORKING]


def progress_text(text: str, retrying: bool = False) -> str:
    """What a reply message shows while the answer streams (its first 4096 characters at most)."""
    shown = text if text.strip() else WORKING
    if retrying:
        shown = f"{RETRYING}\n{text}" if text.strip() else RETRYING
    if len(shown) > MAX_MESSAGE_CHARS:
        shown = shown[:MAX_MESSAGE_CHARS - len(TRUNCATED)] + TRUNCATED
    return shown


def final_text(task: TaskRow | None) -> str:
    """The answer of a finished task: its reply, or what failed (only terminal failures are reported)."""
    if task is None:
        return "❌ Failed: the task is gone."
    if task.status == "SUCCEEDED":
        reply = task_reply(task)
        return reply if reply.strip() else "(empty reply)"
    if task.status == "CANCELED":
        return f"❌ Canceled: {task.error or 'aborted'}"
    return f"❌ Failed: {task.error or task.status}"


def approval_message(item: dict[str, Any]) -> dict[str, Any]:
    """sendMessage parameters (without chat_id) of an `approval.required` item: text and inline buttons."""
    details = str(item.get("details") or "")
    if len(details) > 3000:
        details = details[:3000] + TRUNCATED
    text = f"🔐 Approval required: {item.get('action', '')}"
    if details:
        text += f"\n{details}"
    text += f"\nid: {item['approval_id']}"
    keyboard = [[{"text": "✅ Approve", "callback_data": approval_data("approve", item["approval_id"])},
                 {"text": "⛔ Deny", "callback_data": approval_data("deny", item["approval_id"])}]]
    return {"text": text, "reply_markup": {"inline_keyboard": keyboard}}


def decided_text(question: str, status: str) -> str:
    """An approval message once decided (its buttons removed)."""
    return f"{question}\n→ {status}"


def alert_text(payload: dict[str, Any]) -> str:
    """The message of a send_alert event."""
    severity = str(payload.get("severity") or "info")
    text = f"{SEVERITY_MARKS.get(severity, '')} [{severity}] {payload.get('title', '')}".strip()
    body = str(payload.get("body") or "")
    return f"{text}\n{body}" if body else text


def refusal_text(user_id: int) -> str:
    """The answer to a private message from a user not in `allowed_ids`."""
    return (f"Sorry, this bot only serves its owner. Your Telegram user id is {user_id}; the owner can add it "
            "to channels.telegram.allowed_ids.")
