"""Agent loops (SPEC §4.10) as a pure state machine; the runner calls the model and writes checkpoints.

    config = LoopConfig.from_config(agent.extra.get("loop"))
    state = resume_loop(row, config) if row else start_loop(config, task.id, task.agent_id, clock())
    while True:
        action = next_action(state, clock())
        if isinstance(action, Finish):
            write(snapshot(state)); break            # final checkpoint; only FAILED fails the task
        try:
            reply, tokens = turn(action.prompt)      # None: the task's own message (first step)
        except Exception as exc:
            record_failure(state, str(exc)); continue
        record_turn(state, action.prompt, reply, tokens)
        if checkpoint_due(state):
            write(snapshot(state))

Times are seconds since the epoch from the runner's clock, so tests drive time by hand.
"""

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from goclaw_actors.timeutil import parse_db, to_db

DEFAULT_MAX_STEPS = 25
DEFAULT_MAX_TOKENS = 100_000
DEFAULT_MAX_DURATION = 30 * 60.0          # seconds
DEFAULT_CHECKPOINT_INTERVAL = 1           # steps between checkpoints
DEFAULT_TERMINATION_KEYWORD = "TASK_COMPLETE"
CONTINUE_PROMPT = "Continue working on the task."

RUNNING = "running"
COMPLETED = "completed"
BUDGET_EXCEEDED = "budget_exceeded"
TIMEOUT = "timeout"
FAILED = "failed"
FINAL_STATUSES = frozenset({COMPLETED, BUDGET_EXCEEDED, TIMEOUT, FAILED})

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


@dataclass(frozen=True)
class LoopConfig:
    """An agent's `loop{enabled, max_steps, max_tokens, max_duration, checkpoint_interval,
    termination_keyword}`; `max_duration` is in seconds."""

    enabled: bool = False
    max_steps: int = DEFAULT_MAX_STEPS
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_duration: float = DEFAULT_MAX_DURATION
    checkpoint_interval: int = DEFAULT_CHECKPOINT_INTERVAL
    termination_keyword: str = DEFAULT_TERMINATION_KEYWORD

    @classmethod
    def from_config(cls, loop: dict[str, Any] | None) -> "LoopConfig":
        """Parse a `loop` mapping; absent or zero values take the defaults, negative ones are a ValueError.
        `max_duration` is seconds or a duration text such as `30m`, `1h30m`, `90s`."""
        loop = loop or {}
        if not isinstance(loop, dict):
            raise ValueError("loop must be a mapping")
        return cls(
            enabled=bool(loop.get("enabled", False)),
            max_steps=_count(loop, "max_steps", DEFAULT_MAX_STEPS),
            max_tokens=_count(loop, "max_tokens", DEFAULT_MAX_TOKENS),
            max_duration=parse_duration(loop.get("max_duration")) or DEFAULT_MAX_DURATION,
            checkpoint_interval=_count(loop, "checkpoint_interval", DEFAULT_CHECKPOINT_INTERVAL),
            termination_keyword=str(loop.get("termination_keyword") or DEFAULT_TERMINATION_KEYWORD),
        )


@dataclass
class LoopState:
    """Where a loop stands: completed steps, tokens used, status, and the loop's own messages."""

    loop_id: str
    task_id: str
    agent_id: str
    config: LoopConfig
    started_at: float
    step: int = 0
    tokens: int = 0
    status: str = RUNNING
    messages: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def finished(self) -> bool:
        """True once the loop reached a final status."""
        return self.status in FINAL_STATUSES

    @property
    def last_reply(self) -> str:
        """The newest assistant message ('' before the first reply)."""
        return next((m["content"] for m in reversed(self.messages) if m.get("role") == "assistant"), "")


@dataclass(frozen=True)
class Continue:
    """Run model turn number `step`; `prompt` is the user message to send (None: the task's own message)."""

    step: int
    prompt: str | None


@dataclass(frozen=True)
class Finish:
    """The loop is over: its final status, the last reply and why it stopped."""

    status: str
    reply: str
    error: str = ""

    @property
    def fails_task(self) -> bool:
        """Only a `failed` loop fails the task."""
        return self.status == FAILED


def continuation_prompt(step: int, max_steps: int, tokens: int, max_tokens: int, keyword: str) -> str:
    """`Continue working on the task.` and the loop's progress line."""
    return (f"{CONTINUE_PROMPT}\n\n"
            f'[Loop step {step}/{max_steps} | tokens ~{tokens}/{max_tokens} | Include "{keyword}" when done]')


def start_loop(config: LoopConfig, task_id: str, agent_id: str, now: float,
               loop_id: str | None = None) -> LoopState:
    """A fresh loop for a task, started at `now`."""
    return LoopState(loop_id=loop_id or str(uuid.uuid4()), task_id=task_id, agent_id=agent_id,
                     config=config, started_at=now)


def next_action(state: LoopState, now: float) -> Continue | Finish:
    """What the runner does next. Marks the state `budget_exceeded` or `timeout` when a budget ran out."""
    config = state.config
    if not state.finished:
        if state.step >= config.max_steps:
            _finish(state, BUDGET_EXCEEDED, f"max steps reached: {config.max_steps}")
        elif state.tokens >= config.max_tokens:
            _finish(state, BUDGET_EXCEEDED, f"token budget exhausted: {state.tokens}/{config.max_tokens}")
        elif now - state.started_at >= config.max_duration:
            _finish(state, TIMEOUT, f"loop duration exceeded: {_format_seconds(config.max_duration)}")
    if state.finished:
        return Finish(state.status, state.last_reply, state.error)
    step = state.step + 1
    if state.step == 0:
        return Continue(step, None)
    return Continue(step, continuation_prompt(step, config.max_steps, state.tokens, config.max_tokens,
                                              config.termination_keyword))


def record_turn(state: LoopState, prompt: str | None, reply: str, tokens: int) -> None:
    """Count a finished model turn; the loop completes when the reply holds the termination keyword."""
    if state.finished:
        raise ValueError(f"loop {state.loop_id} is already {state.status}")
    state.step += 1
    state.tokens += max(int(tokens), 0)
    if prompt is not None:
        state.messages.append({"role": "user", "content": prompt})
    state.messages.append({"role": "assistant", "content": reply})
    if state.config.termination_keyword in reply:
        _finish(state, COMPLETED, "")


def record_failure(state: LoopState, error: str) -> None:
    """A model turn failed: the loop ends `failed`, which fails the task."""
    _finish(state, FAILED, error or "loop step failed")


def checkpoint_due(state: LoopState) -> bool:
    """True after every `checkpoint_interval`-th step and once the loop is finished."""
    return state.finished or (state.step > 0 and state.step % state.config.checkpoint_interval == 0)


def snapshot(state: LoopState) -> dict[str, Any]:
    """The `loop_checkpoints` row of the state (messages as JSON text, times as database text)."""
    config = state.config
    return {
        "loop_id": state.loop_id, "task_id": state.task_id, "agent_id": state.agent_id,
        "current_step": state.step, "max_steps": config.max_steps,
        "tokens_used": state.tokens, "max_tokens": config.max_tokens,
        "started_at": to_db(datetime.fromtimestamp(state.started_at, timezone.utc)),
        "max_duration": int(round(config.max_duration)), "status": state.status,
        "messages": json.dumps(state.messages, ensure_ascii=False),
    }


def resume_loop(checkpoint: dict[str, Any], config: LoopConfig) -> LoopState:
    """The state saved in a `loop_checkpoints` row. Its budgets and start time are kept as saved; the
    keyword and checkpoint interval come from `config`. A finished checkpoint resumes straight to Finish."""
    messages = checkpoint.get("messages") or []
    if isinstance(messages, str):
        messages = json.loads(messages)
    started_at = checkpoint["started_at"]
    if isinstance(started_at, str):
        started_at = parse_db(started_at).timestamp()
    saved = LoopConfig(
        enabled=config.enabled,
        max_steps=int(checkpoint.get("max_steps") or config.max_steps),
        max_tokens=int(checkpoint.get("max_tokens") or config.max_tokens),
        max_duration=float(checkpoint.get("max_duration") or config.max_duration),
        checkpoint_interval=config.checkpoint_interval,
        termination_keyword=config.termination_keyword,
    )
    state = LoopState(loop_id=checkpoint["loop_id"], task_id=checkpoint["task_id"],
                      agent_id=checkpoint["agent_id"], config=saved, started_at=float(started_at),
                      step=int(checkpoint.get("current_step") or 0), tokens=int(checkpoint.get("tokens_used") or 0),
                      status=checkpoint.get("status") or RUNNING, messages=list(messages))
    if state.status not in FINAL_STATUSES and state.status != RUNNING:
        raise ValueError(f'unknown loop status "{state.status}"')
    return state


def parse_duration(value: Any) -> float:
    """Seconds of a duration given as a number of seconds or text like `30m`, `1h30m`, `90s`, `1500ms`;
    0.0 for None or empty. Raises ValueError for anything else or a negative value."""
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        try:
            seconds = float(text)
        except ValueError:
            parts = _DURATION_PART.findall(text)
            if not parts or "".join(n + u for n, u in parts) != text:
                raise ValueError(f"invalid duration {value!r}") from None
            seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    if seconds < 0:
        raise ValueError(f"invalid duration {value!r}")
    return seconds


def _finish(state: LoopState, status: str, error: str) -> None:
    state.status = status
    state.error = error


def _count(loop: dict[str, Any], key: str, default: int) -> int:
    value = loop.get(key)
    if value is None or value == 0:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"loop.{key} must be a non-negative integer")
    return value


def _format_seconds(seconds: float) -> str:
    whole = int(seconds)
    if whole != seconds:
        return f"{seconds}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n) or "0s"
