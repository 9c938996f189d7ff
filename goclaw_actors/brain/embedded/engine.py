"""The in-process llama.cpp engine (SPEC §4.4): one loaded model, shared by every agent of the process.

The model is loaded on the first request, never before, and kept loaded until `close`. Requests run
one at a time through `xllamacpp.Server.handle_chat_completions` (OpenAI-shaped bodies, no HTTP hop)
on a thread of gevent's hub threadpool, so the hub keeps serving while the model computes; text
deltas travel back to the calling greenlet through an async watcher. The chat template embedded in
the GGUF is applied by llama.cpp. Prompt prefixes are reused: the slot keeps the last prompt's KV
cache, and llama.cpp's host-memory prompt cache keeps other sessions' prefixes for when they return.
"""

import secrets
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import gevent
from gevent.event import Event
from gevent.lock import Semaphore

from goclaw_actors.brain.embedded.model_files import normalize_setting, resolve_model_file
from goclaw_actors.logs.system_log import get_logger

log = get_logger("embedded_model")

DEFAULT_CONTEXT = 4096
# Host memory for the prompt cache that restores a session's prefix after another session ran.
DEFAULT_CACHE_RAM_MIB = 512
# llama.cpp log verbosity below every level it uses: its lines would break our JSON log on stdout.
SILENT = -1

# Bytes per read while warming the page cache before a load.
READ_CHUNK = 8 * 2**20

OnDelta = Callable[[str], None]


class EngineError(Exception):
    """llama.cpp refused or failed a request; `kind` is its error type (e.g. `exceed_context_size_error`)."""

    def __init__(self, message: str, kind: str = "server_error", status: int | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status


@dataclass
class Completion:
    """One finished chat completion: the whole text, why it stopped and the token counts llama.cpp reported."""

    content: str
    finish_reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    usage_reported: bool = False


class EmbeddedEngine:
    """The process's embedded model. Create one per process and share it.

        engine = EmbeddedEngine("smollm2", home)
        done = engine.complete({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 32},
                               on_delta=print)
        done.content, done.prompt_tokens
        engine.close()

    `setting` is `llm.embedded_model` (default model, `smollm2` or a GGUF path); the file is resolved
    (and the default model's parts joined) on first use, in the threadpool.
    """

    def __init__(self, setting: str | None, home: Path, context_size: int = DEFAULT_CONTEXT,
                 threads: int | None = None, cache_ram_mib: int = DEFAULT_CACHE_RAM_MIB):
        self.setting = normalize_setting(setting)
        self.home = Path(home)
        self.context_size = context_size
        self.threads = threads
        self.cache_ram_mib = cache_ram_mib
        self.model_path: Path | None = None
        self._server: Any = None
        self._turn = Semaphore(1)  # one request (or load/unload) at a time, held until its thread ends

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory."""
        return self._server is not None

    def load(self) -> None:
        """Load the model now (normally done by the first `complete`); raises ModelUnavailable or EngineError."""
        self._in_thread(self._ensure_loaded).get()

    def complete(self, body: dict[str, Any], on_delta: OnDelta | None = None) -> Completion:
        """Run one chat completion (`messages`, sampling, `json_schema`/`response_format`, ...) and return
        it whole; text deltas go to `on_delta` in this greenlet as they are generated. If this greenlet
        is killed or `on_delta` raises, generation stops at the next token. Raises EngineError or
        ModelUnavailable."""
        run = _Run(gevent.get_hub() if on_delta is not None else None)
        try:
            result = self._in_thread(self._complete_in_thread, body, run, cleanup=run.close)
        except BaseException:  # e.g. killed while waiting for the turn: the watcher is ours to close
            run.close()
            raise
        try:
            if on_delta is not None:
                run.pump(result, on_delta)
            return result.get()
        except BaseException:
            run.cancelled = True
            raise

    def close(self) -> None:
        """Unload the model (waits for a running request); a later `complete` loads it again."""
        self._in_thread(self._unload).get()

    def _in_thread(self, fn: Callable, *args: Any, cleanup: Callable[[], None] | None = None):
        """Run `fn` on a hub threadpool thread holding the turn until the thread is done, even if the
        waiting greenlet goes away (the native call cannot be interrupted mid-token)."""
        self._turn.acquire()

        def finished(_result):
            self._turn.release()
            if cleanup is not None:
                cleanup()

        try:
            result = gevent.get_hub().threadpool.spawn(fn, *args)
        except BaseException:
            finished(None)
            raise
        result.rawlink(finished)
        return result

    def _ensure_loaded(self) -> Any:
        if self._server is None:
            self._server = self._load_server()
        return self._server

    def _load_server(self) -> Any:
        import xllamacpp  # imported on first use only: the native library costs memory

        path = resolve_model_file(self.setting, self.home)
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = self.context_size
        params.n_parallel = 1
        params.cache_prompt = True
        params.cache_ram_mib = self.cache_ram_mib
        params.warmup = False
        params.fit_params = False  # sizing for GPU memory: on CPU it only doubles the load time
        params.verbosity = SILENT
        params.ui = False
        params.n_threads_http = 1
        # llama.cpp also listens on a random 127.0.0.1 port; an unknown key keeps that door shut.
        params.api_keys = [secrets.token_hex(24)]
        if self.threads:
            params.cpuparams.n_threads = self.threads
            params.cpuparams_batch.n_threads = self.threads
        started = time.monotonic()
        _warm_page_cache(path)
        try:
            server = xllamacpp.Server(params)
        except Exception as exc:
            raise EngineError(f"embedded model {path} failed to load: {exc}", kind="load_error") from exc
        self.model_path = path
        log.info("embedded model loaded", model=self.setting, path=str(path), context=self.context_size,
                 seconds=round(time.monotonic() - started, 3))
        return server

    def _complete_in_thread(self, body: dict[str, Any], run: "_Run") -> Completion:
        server = self._ensure_loaded()
        request = {**body, "stream": True, "stream_options": {"include_usage": True}}
        try:
            server.handle_chat_completions(request, run.on_chunk)
        except ValueError as exc:  # e.g. a schema llama.cpp cannot turn into a grammar
            raise EngineError(str(exc), kind="invalid_request_error", status=400) from exc
        return run.completion()

    def _unload(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            del server  # joins llama.cpp's loop thread
            log.info("embedded model unloaded", model=self.setting)


def _warm_page_cache(path: Path) -> None:
    """Read the model file once without holding the GIL: xllamacpp's Server constructor keeps the GIL
    while llama.cpp loads, so the disk reads are better done before it (the hub stalls less)."""
    buffer = bytearray(READ_CHUNK)
    with open(path, "rb", buffering=0) as file:
        while file.readinto(buffer):
            pass


class _Run:
    """One request's state, shared by the engine thread (on_chunk) and the waiting greenlet (pump)."""

    def __init__(self, hub: Any):
        self.cancelled = False
        self.parts: list[str] = []
        self.finish_reason = "stop"
        self.usage: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        self._deltas: deque[str] = deque()
        self._ready = Event()
        self._watcher = None
        if hub is not None:
            self._watcher = hub.loop.async_()
            self._watcher.start(self._ready.set)

    def on_chunk(self, chunk: dict[str, Any]) -> bool:
        """Engine thread: record one streamed chunk; returning True stops generation."""
        if "error" in chunk:
            self.error = chunk["error"] if isinstance(chunk["error"], dict) else {"message": str(chunk["error"])}
            return True
        for choice in chunk.get("choices") or ():
            text = (choice.get("delta") or {}).get("content")
            if text:
                self.parts.append(text)
                if self._watcher is not None:
                    self._deltas.append(text)
                    self._watcher.send()
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        return self.cancelled

    def completion(self) -> Completion:
        """Engine thread: the finished request, or EngineError."""
        if self.error is not None:
            error = self.error
            raise EngineError(str(error.get("message", error)), kind=str(error.get("type", "server_error")),
                              status=error.get("code"))
        usage = self.usage or {}
        return Completion(content="".join(self.parts), finish_reason=self.finish_reason,
                          prompt_tokens=int(usage.get("prompt_tokens", 0)),
                          completion_tokens=int(usage.get("completion_tokens", 0)),
                          cached_tokens=int((usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0)),
                          usage_reported=self.usage is not None)

    def pump(self, result: Any, on_delta: OnDelta) -> None:
        """Waiting greenlet: hand deltas to `on_delta` until the engine thread has finished."""
        while True:
            gevent.wait([self._ready, result], count=1)
            self._ready.clear()
            finished = result.ready()
            if self._deltas:  # what piled up while we waited goes out as one piece (fewer hops per token)
                pieces = []
                while self._deltas:
                    pieces.append(self._deltas.popleft())
                on_delta("".join(pieces))
            if finished:
                return

    def close(self) -> None:
        """Hub: release the watcher once the engine thread is done."""
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
