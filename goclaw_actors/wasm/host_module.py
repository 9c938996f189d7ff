"""The host module `host` that skills import (SPEC §8.3):

* `host.log(level_ptr, level_len, msg_ptr, msg_len)` writes a line to the system log (posted to the hub,
  in order, without waiting);
* `host.kv.set(key_ptr, key_len, value_ptr, value_len) -> 1|0` stores a value in `kv_store` (capability
  `wasm.kv.set`);
* `host.http.get(url_ptr, url_len) -> u32` fetches a URL (capability `wasm.http.get` and the URL policy,
  10 s, at most 1 MiB): the body goes to memory the guest's `alloc(len)` export returns (the result is that
  pointer), else to `kv_store` as `http_response:<url>:<ns>` (the result is its length); 0 on failure.

Every host call runs its checks and effects on the hub (HubBridge); policy decisions are audited with the
calling skill as subject.
"""

import time
from dataclasses import dataclass
from typing import Any, Callable

from gevent import monkey
from wasmtime import FuncType, Linker, ValType

from goclaw_actors.tools.errors import PolicyDenied
from goclaw_actors.wasm.hub_bridge import HubBridge

HOST_MODULE = "host"
KV_CAPABILITY = "wasm.kv.set"
HTTP_CAPABILITY = "wasm.http.get"
HTTP_TIMEOUT_SECONDS = 10.0
HTTP_MAX_BYTES = 1024 * 1024
STORE_WAIT_SECONDS = 30.0
FUNCTION_CAPABILITIES = {"host.kv.set": KV_CAPABILITY, "host.http.get": HTTP_CAPABILITY}

_ThreadLocal = monkey.get_original("threading", "local")


@dataclass
class HostPorts:
    """What host functions reach, all called on the hub: `allows(capability)`, `audit(decision,
    capability, reason, subject)`, `kv_set(key, value)` (durable when it returns), `http_get(url)` (bytes;
    raises PolicyDenied for a denied URL), `log(level, message, module)`."""

    allows: Callable[[str], bool]
    audit: Callable[[str, str, str, str], None]
    kv_set: Callable[[str, str], None]
    http_get: Callable[[str], bytes]
    log: Callable[[str, str, str], None]


class CallingModule:
    """The skill whose guest code runs on this thread (host functions name it in audits and logs)."""

    def __init__(self):
        self._local = _ThreadLocal()

    def set(self, name: str) -> None:
        self._local.name = name

    @property
    def name(self) -> str:
        return getattr(self._local, "name", "?")


def read_guest_text(caller: Any, ptr: int, length: int) -> str | None:
    """The UTF-8 text at guest memory [ptr, ptr+length) (undecodable bytes replaced); None when outside it."""
    memory = caller.get("memory")
    if memory is None or ptr < 0 or length < 0 or ptr + length > memory.data_len(caller):
        return None
    return bytes(memory.read(caller, ptr, ptr + length)).decode("utf-8", errors="replace")


def define_host(linker: Linker, bridge: HubBridge, ports: HostPorts, calling: CallingModule) -> None:
    """Define `host.log`, `host.kv.set` and `host.http.get` in `linker`."""
    i32 = ValType.i32()

    def on_hub(fn: Callable[[], Any], timeout: float = STORE_WAIT_SECONDS) -> Any:
        return bridge.call(fn, timeout)

    def checked(capability: str, subject: str) -> bool:
        def decide() -> bool:
            allowed = ports.allows(capability)
            ports.audit("allow" if allowed else "deny", capability,
                        "capability_granted" if allowed else "missing_capability", subject)
            return allowed
        return on_hub(decide)

    def host_log(caller, level_ptr, level_len, msg_ptr, msg_len):
        level = read_guest_text(caller, level_ptr, level_len) or "info"
        message = read_guest_text(caller, msg_ptr, msg_len)
        module = calling.name
        if message is None:
            message = f"host.log: message outside guest memory (ptr={msg_ptr}, len={msg_len})"
            level = "warn"
        bridge.post(lambda: ports.log(level.lower(), message, module))  # nothing to wait for

    def host_kv_set(caller, key_ptr, key_len, value_ptr, value_len):
        module = calling.name
        key, value = read_guest_text(caller, key_ptr, key_len), read_guest_text(caller, value_ptr, value_len)
        try:
            if key is None or value is None or not key or not checked(KV_CAPABILITY, module):
                return 0
            on_hub(lambda: ports.kv_set(key, value))
            return 1
        except Exception as exc:  # noqa: BLE001 - the guest gets 0; the reason is logged
            _log_failure(on_hub, ports, module, "host.kv.set", exc)
            return 0

    def host_http_get(caller, url_ptr, url_len):
        module = calling.name
        url = read_guest_text(caller, url_ptr, url_len)
        try:
            if not url or not checked(HTTP_CAPABILITY, module):
                return 0
            body = on_hub(lambda: _fetch(ports, url, module), HTTP_TIMEOUT_SECONDS + 5)
        except Exception as exc:  # noqa: BLE001 - the guest gets 0; the reason is logged
            _log_failure(on_hub, ports, module, "host.http.get", exc)
            return 0
        if body is None:
            return 0
        return _deliver(caller, body, url, on_hub, ports)

    linker.define_func(HOST_MODULE, "host.log", FuncType([i32] * 4, []), host_log, access_caller=True)
    linker.define_func(HOST_MODULE, "host.kv.set", FuncType([i32] * 4, [i32]), host_kv_set, access_caller=True)
    linker.define_func(HOST_MODULE, "host.http.get", FuncType([i32] * 2, [i32]), host_http_get, access_caller=True)


def _fetch(ports: HostPorts, url: str, module: str) -> bytes | None:
    """On the hub: the body (≤ 1 MiB), or None after a URL denial (audited `url_denied`)."""
    try:
        return ports.http_get(url)[:HTTP_MAX_BYTES]
    except PolicyDenied as exc:
        ports.audit("deny", HTTP_CAPABILITY, exc.reason, f"{module} {url}")
        return None


def _deliver(caller: Any, body: bytes, url: str, on_hub, ports: HostPorts) -> int:
    """Write the body through the guest's `alloc`, or keep it in kv_store; the host.http.get result."""
    alloc, memory = caller.get("alloc"), caller.get("memory")
    if alloc is not None and memory is not None:
        try:
            ptr = int(alloc(caller, len(body)))
            if 0 < ptr and ptr + len(body) <= memory.data_len(caller):
                memory.write(caller, body, ptr)
                return ptr
        except Exception:  # noqa: BLE001 - a guest alloc that fails: the kv_store copy is the answer
            pass
    key = f"http_response:{url}:{time.time_ns()}"
    try:
        on_hub(lambda: ports.kv_set(key, body.decode("utf-8", errors="replace")))
    except Exception:  # noqa: BLE001
        return 0
    return len(body)


def _log_failure(on_hub, ports: HostPorts, module: str, function: str, exc: Exception) -> None:
    try:
        on_hub(lambda: ports.log("warn", f"{function} failed: {exc}", module))
    except Exception:  # noqa: BLE001 - nothing more to do for the guest
        pass
