"""History compaction (SPEC §4.8): when a (session, agent) history nears the context window, keep the
newest messages and replace the older ones by a summary.

    plan = compact(history, context_limit(model), summarise)
    if plan:                                      # None when no compaction is needed
        store.sessions.compact_history(session_id=..., agent_id=..., archive_ids=plan.archive_ids,
                                       summary=plan.summary["content"])
        history = plan.messages                   # summary first, then the kept messages

Messages are dicts with `id`, `role`, `content` and `tokens` (estimated from the content when 0 or
missing). `summarise(older_messages) -> str` is a direct provider call (see `summary_prompt`).
"""

from dataclasses import dataclass
from typing import Any, Callable

from goclaw_actors.tokens import estimate_message_tokens, estimate_tokens

RESERVED_TOKENS = 10_000        # kept free for the system prompt, tools and the reply
COMPACT_AT = 0.75               # compact when the history reaches this share of the available tokens
KEEP_SHARE = 0.6                # the kept newest messages fit in this share of the available tokens
MIN_KEPT = 10                   # never keep fewer messages than this (and compact only above it)
SUMMARY_PREFIX = "Previous conversation summary: "
FALLBACK_SUMMARY = "[History compacted due to length. Older messages were truncated.]"

Message = dict[str, Any]
Summarise = Callable[[list[Message]], str]


@dataclass
class CompactionPlan:
    """The outcome of a compaction: ids to archive, the summary message and the messages kept.
    `summary_error` is set (and the fallback text used) when summarising failed."""

    archive_ids: list[Any]
    summary: Message
    kept: list[Message]
    summary_error: str | None = None

    @property
    def messages(self) -> list[Message]:
        """The history to send: the summary, then the kept messages."""
        return [self.summary, *self.kept]


def available_tokens(context_limit: int) -> int:
    """The context limit minus the reserve, but at least half the limit."""
    return max(context_limit - RESERVED_TOKENS, context_limit // 2)


def message_tokens(message: Message) -> int:
    """The stored token count of a message, estimated when it has none."""
    return int(message.get("tokens") or 0) or estimate_message_tokens(message)


def needs_compaction(history: list[Message], context_limit: int) -> bool:
    """True when the history holds more than MIN_KEPT messages and ≥ COMPACT_AT of the available tokens."""
    if len(history) <= MIN_KEPT:
        return False
    return sum(message_tokens(m) for m in history) >= COMPACT_AT * available_tokens(context_limit)


def split_history(history: list[Message], context_limit: int) -> tuple[list[Message], list[Message]]:
    """(older, kept): kept is the newest messages that fit in KEEP_SHARE of the available tokens, at least
    MIN_KEPT, widened back so it never starts with a tool result cut off from the call that asked for it."""
    budget = KEEP_SHARE * available_tokens(context_limit)
    start, used = len(history), 0
    while start > 0:
        cost = message_tokens(history[start - 1])
        if len(history) - start >= MIN_KEPT and used + cost > budget:
            break
        used += cost
        start -= 1
    while 0 < start < len(history) and history[start].get("role") == "tool":
        start -= 1
    return history[:start], history[start:]


def compact(history: list[Message], context_limit: int, summarise: Summarise) -> CompactionPlan | None:
    """The compaction plan for `history`, or None when it is below the threshold."""
    if not needs_compaction(history, context_limit):
        return None
    older, kept = split_history(history, context_limit)
    if not older:
        return None
    error = None
    try:
        text = (summarise(older) or "").strip()
        if not text:
            error = "empty summary"
    except Exception as exc:  # any provider failure falls back to the truncation notice
        text, error = "", f"{type(exc).__name__}: {exc}"
    if error:
        text = FALLBACK_SUMMARY
    content = SUMMARY_PREFIX + text
    summary = {"role": "system", "content": content, "tokens": estimate_tokens(content)}
    return CompactionPlan(archive_ids=[m["id"] for m in older], summary=summary, kept=kept, summary_error=error)


def summary_prompt(messages: list[Message]) -> str:
    """The instruction for the direct provider call that summarises `messages`."""
    lines = "\n".join(f"{m.get('role', 'user')}: {m.get('content') or ''}" for m in messages)
    return ("Summarise the conversation below for your own later reference. Keep the facts, decisions and "
            "conclusions, the user's preferences and constraints, open tasks and anything later turns will "
            "need. Be concise; answer with the summary only.\n\nConversation:\n" + lines)
