"""Core memory (SPEC §6): key/value facts of an agent, injected into each turn by relevance, reinforced when
used and decaying every turn.

    injected = select_injected(memories)          # top 10 with relevance ≥ 0.1, within CHAR_LIMIT
    text = core_memory_text(injected)             # the body of <core_memory>…</core_memory>
    # then one store write: injected keys +0.05 (max 1.0), access_count + 1; every memory × 0.95

Memories are dicts with at least `key`, `value` and `relevance_score`.
"""

from typing import Any, Iterable

from goclaw_actors.config.text_values import check_text
from goclaw_actors.errors import ConfigError

TOP_K = 10
MIN_RELEVANCE = 0.1
REINFORCEMENT = 0.05
MAX_RELEVANCE = 1.0
DECAY = 0.95
CHAR_LIMIT = 4000       # characters of `key: value` lines one prompt may hold
MAX_KEY = 64
MAX_VALUE = 1000

Memory = dict[str, Any]


class MemoryInputError(ValueError):
    """A key or value the memory refuses; the message names it."""


def check_key(key: Any) -> str:
    """A memory key: 1 to 64 characters without whitespace or control characters."""
    if not isinstance(key, str) or not key.strip():
        raise MemoryInputError("key is required")
    key = key.strip()
    if any(char.isspace() for char in key):
        raise MemoryInputError("key must not contain whitespace")
    return _checked(key, "key", MAX_KEY, multiline=False)


def check_value(value: Any) -> str:
    """A memory value: 1 to 1000 characters of text (line breaks allowed)."""
    if not isinstance(value, str) or not value.strip():
        raise MemoryInputError("value is required")
    return _checked(value.strip(), "value", MAX_VALUE, multiline=True)


def _checked(text: str, name: str, limit: int, multiline: bool) -> str:
    try:
        return check_text(text, name, limit, multiline=multiline)
    except ConfigError as exc:
        raise MemoryInputError(str(exc)) from None


def ranked(memories: Iterable[Memory]) -> list[Memory]:
    """Memories with relevance ≥ MIN_RELEVANCE, by relevance (highest first), then key."""
    eligible = [m for m in memories if float(m["relevance_score"]) >= MIN_RELEVANCE]
    return sorted(eligible, key=lambda m: (-float(m["relevance_score"]), m["key"]))


def memory_line(memory: Memory) -> str:
    """`<key>: <value>` as the prompt shows it."""
    return f"{memory['key']}: {memory['value']}"


def select_injected(memories: Iterable[Memory]) -> list[Memory]:
    """The memories a turn injects: the TOP_K best ranked, each only if its line still fits in CHAR_LIMIT
    (a memory that does not fit is left out, the next ones may still fit)."""
    chosen, used = [], 0
    for memory in ranked(memories)[:TOP_K]:
        size = len(memory_line(memory)) + (1 if chosen else 0)
        if used + size > CHAR_LIMIT:
            continue
        chosen.append(memory)
        used += size
    return chosen


def core_memory_text(injected: list[Memory]) -> str:
    """The body of the `<core_memory>` block: one `key: value` line per memory, then the characters used of
    those allowed ("" when nothing is injected)."""
    if not injected:
        return ""
    lines = "\n".join(memory_line(memory) for memory in injected)
    return f"{lines}\n(core memory: {len(lines)} of {CHAR_LIMIT} characters used)"


def after_turn(relevance: float, injected: bool) -> float:
    """A memory's relevance after one turn: +REINFORCEMENT (at most MAX_RELEVANCE) when injected, then × DECAY.
    The store computes the same in SQL (sqlite_knowledge.memory_turn)."""
    if injected:
        relevance = min(MAX_RELEVANCE, relevance + REINFORCEMENT)
    return relevance * DECAY


def matches(memory: Memory, query: str) -> bool:
    """Whether `query` occurs in the memory's key or value (case-insensitive)."""
    needle = query.casefold()
    return needle in str(memory["key"]).casefold() or needle in str(memory["value"]).casefold()
