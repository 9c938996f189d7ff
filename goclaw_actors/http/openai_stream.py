"""Streamed chat completions: a task's live chunks as OpenAI `chat.completion.chunk` events (SPEC §9.4)."""

import time
from typing import Any, Callable, Iterable, Iterator

from goclaw_actors.http.chat_tasks import INTERRUPTED
from goclaw_actors.http.openai_errors import OpenAIError
from goclaw_actors.http.openai_results import client_tool_calls, completion_id, finish_reason_of, usage_of
from goclaw_actors.http.sse_frames import PING, data_frame
from goclaw_actors.http.task_result import task_result
from goclaw_actors.store.task_row import TaskRow

DONE = data_frame("[DONE]")
STREAM_INTERRUPTED = ("Stream interrupted: an attempt failed after part of the reply was sent; the task is being "
                      "retried and keeps its reply (GET /api/tasks/<id>, the id after chatcmpl-)")


class ChunkFramer:
    """The frames of one streamed completion; every chunk shares one id, `created` and `model`.

    Only the first delta carries `role: "assistant"`: SDK stream accumulators concatenate every `role`
    they see, so a repeated one would make the accumulated message unsendable. With `include_usage`,
    every chunk carries `usage: null` and the usage comes in a chunk of its own.
    """

    def __init__(self, task_id: str, model: str, include_usage: bool = False):
        self.id = completion_id(task_id)
        self.model = model
        self.created = int(time.time())
        self.include_usage = include_usage
        self.role_sent = False

    def _delta(self, **fields: Any) -> dict[str, Any]:
        """A delta with the role on the first one only."""
        if self.role_sent:
            return fields
        self.role_sent = True
        return {"role": "assistant", **fields}

    def _chunk(self, choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> str:
        chunk: dict[str, Any] = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                                 "model": self.model, "choices": choices}
        if usage is not None or self.include_usage:
            chunk["usage"] = usage
        return data_frame(chunk)

    def content(self, text: str) -> str:
        """A piece of the reply."""
        return self._chunk([{"index": 0, "delta": self._delta(content=text), "finish_reason": None}])

    def server_tool(self, index: int, tool_name: str) -> str:
        """A tool the agent runs itself, shown to the client (name only, nothing for it to do)."""
        call = {"index": index, "id": f"call_{tool_name}", "type": "function", "function": {"name": tool_name}}
        return self._chunk([{"index": 0, "delta": self._delta(content="", tool_calls=[call]), "finish_reason": None}])

    def client_tool_call(self, index: int, call: dict[str, Any]) -> str:
        """A call of one of the client's tools (`{id, type, function:{name, arguments}}`), for it to run."""
        delta_call = {"index": index, **call}
        return self._chunk([{"index": 0, "delta": self._delta(tool_calls=[delta_call]), "finish_reason": None}])

    def final(self, finish_reason: str, usage: dict[str, int]) -> str:
        """The last choice chunk; it carries the usage unless the usage gets its own chunk."""
        choices = [{"index": 0, "delta": self._delta(), "finish_reason": finish_reason}]
        return self._chunk(choices, None if self.include_usage else usage)

    def usage(self, usage: dict[str, int]) -> str:
        """The usage chunk of `stream_options.include_usage` (no choices)."""
        return self._chunk([], usage)

    @staticmethod
    def error(error: OpenAIError) -> str:
        """An error event in place of the final chunk."""
        return data_frame(error.body())


def completion_frames(items: Iterable[dict[str, Any]], framer: ChunkFramer, has_tools: bool,
                      ended: Callable[[TaskRow | None], OpenAIError]) -> Iterator[str]:
    """The SSE frames of a streamed completion from `chat_tasks.follow_stream` items, through `[DONE]`.

    Server-side tool calls are shown only when the request brought no tools of its own. A reply
    that was not streamed (the task ran before we subscribed, or the processor does not stream)
    is sent as one content chunk. A task that ended without a reply gets the error event `ended(task)`. An
    attempt that fails after some of its content went out ends the stream with `stream_interrupted` (the
    retry's reply would be appended to the broken one); the task goes on and its reply is kept.
    """
    streamed = False
    tool_index = 0
    task = None
    for item in items:
        kind = item.get("type")
        if kind == "token" and isinstance(item.get("token"), str) and item["token"]:
            streamed = True
            yield framer.content(item["token"])
        elif kind == "tool_call" and not has_tools:
            yield framer.server_tool(tool_index, str(item.get("tool_name") or ""))
            tool_index += 1
        elif kind == "idle":
            yield PING
        elif kind == INTERRUPTED and streamed:  # the client holds part of a failed attempt's reply
            yield framer.error(OpenAIError(502, STREAM_INTERRUPTED, "stream_interrupted"))
            yield DONE
            return
        elif kind == "done":
            task = item["task"]
    if task is None or task.status != "SUCCEEDED":
        yield framer.error(ended(task))
        yield DONE
        return
    result = task_result(task)
    reply = result.get("reply") if isinstance(result.get("reply"), str) else ""
    if reply and not streamed:
        yield framer.content(reply)
    calls = client_tool_calls(result)
    for index, call in enumerate(calls):
        yield framer.client_tool_call(index, call)
    usage = usage_of(task, reply)
    yield framer.final(finish_reason_of(result, calls), usage)
    if framer.include_usage:
        yield framer.usage(usage)
    yield DONE
