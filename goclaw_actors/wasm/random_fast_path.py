"""The `random` fast path (SPEC §4.6 step 3): a request for a random number is answered by the `random`
WASM skill when one is loaded, without calling the model."""

import re
from typing import Any, Callable

from goclaw_actors.processor import Emit, Processor
from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.wasm.faults import WasmFault

RANDOM_SKILL = "random"
_REQUEST = re.compile(r"\brandom\s+(?:number|integer|int|digit)\b|\bgenerate\s+an?\s+random\b",
                      re.IGNORECASE)


def is_random_request(text: str) -> bool:
    """Whether `text` asks for a random number."""
    return bool(_REQUEST.search(text))


def random_reply(value: int | None) -> str:
    """The reply of the fast path."""
    return f"Random number: {value} (via random skill)"


class RandomFastPath:
    """Runs `inner` for every task except a plain request for a random number while the `random` skill is
    loaded; a fault of the skill (logged) also leaves the task to `inner`."""

    def __init__(self, inner: Processor, loaded: Callable[[str], bool], call: Callable[[str], int | None],
                 check_input: Callable[[str], None], warn: Callable[..., None]):
        self.inner = inner
        self.name = getattr(inner, "name", "processor")
        self.profile = getattr(inner, "profile", None)  # for context.show
        self.loaded = loaded
        self.call = call
        self.check_input = check_input
        self.warn = warn

    def process(self, task: TaskRow, emit: Emit) -> dict[str, Any]:
        """The skill's number as the reply, or `inner`'s result."""
        payload = task.payload
        content = str(payload.get("content") or "").strip()
        if (not content or payload.get("response_format") or payload.get("client_tools")
                or not is_random_request(content) or not self.loaded(RANDOM_SKILL)):
            return self.inner.process(task, emit)
        try:
            self.check_input(content)
        except Exception:  # noqa: BLE001 - blocked input: the brain reports it in its own words
            return self.inner.process(task, emit)
        try:
            value = self.call(RANDOM_SKILL)
        except WasmFault as fault:
            self.warn("random skill failed; the model answers instead", code=fault.code, error=fault.detail,
                      task_id=task.id)
            return self.inner.process(task, emit)
        reply = random_reply(value)
        if payload.get("stream"):
            emit({"type": "token", "token": reply})
        return {"reply": reply}
