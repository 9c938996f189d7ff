"""The WASM sandbox (SPEC §8.3): one shared wasmtime Engine with fuel and epoch interruption, compiled
modules cached by content, and a new Store with WASI per call, limited in memory (per module and across
live instances), fuel and wall-clock time.

Loading is two-phase: `prepare` compiles and trial-instantiates a module off the hub (a module that does not
compile, link or fit raises WasmLoadError and changes nothing); `activate` then swaps it in. Calls run on
gevent's threadpool; the epoch ticker's native thread interrupts a guest past its deadline.

    sandbox = WasmSandbox(limits, ports, on_fault)
    sandbox.activate(sandbox.prepare("random", Path("skills/random/random.wat")))
    number = sandbox.call("random")          # or raises WasmFault(code, …)
"""

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import gevent
from wasmtime import (Config, Engine, ExitTrap, Func, Linker, MemoryType, Module, Store, Trap, TrapCode, WasiConfig,
                      WasmtimeError, wat2wasm)

from goclaw_actors.wasm import faults
from goclaw_actors.wasm.epoch_ticker import EpochTicker, deadline_ticks
from goclaw_actors.wasm.faults import WasmFault
from goclaw_actors.wasm.host_module import FUNCTION_CAPABILITIES, HOST_MODULE, CallingModule, HostPorts, define_host
from goclaw_actors.wasm.hub_bridge import HubBridge
from goclaw_actors.wasm.memory_budget import PAGE_BYTES, MemoryBudget

EXPORTS = ("random", "Random", "run", "main")  # tried in this order; the first without parameters runs
TRIAL_FUEL = 10_000_000  # a module's start code gets this much during validation
TRIAL_TIMEOUT_SECONDS = 2.0
COMPILED_CACHE_SIZE = 32


class WasmLoadError(Exception):
    """A module that cannot be activated (does not compile, imports what the host lacks, does not fit)."""


@dataclass(frozen=True)
class WasmLimits:
    """Fuel and wall-clock time of one call (`skills.wasm.fuel`, `skills.wasm.timeout_seconds`)."""

    fuel: int = 10_000_000_000
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class LoadedModule:
    """A compiled, validated module of a skill."""

    name: str
    module: Module
    content_hash: str
    min_pages: int
    host_imports: frozenset[str]

    @property
    def capabilities(self) -> list[str]:
        """The capabilities its host imports need (`wasm.http.get`, `wasm.kv.set`)."""
        return sorted(FUNCTION_CAPABILITIES[name] for name in self.host_imports if name in FUNCTION_CAPABILITIES)


def engine_config() -> Config:
    """The engine settings: fuel metering and epoch interruption on."""
    config = Config()
    config.consume_fuel = True
    config.epoch_interruption = True
    return config


def module_bytes(path: Path) -> bytes:
    """A module file as WASM binary (`.wat` text is compiled by wasmtime)."""
    data = path.read_bytes()
    return wat2wasm(data.decode("utf-8")) if path.suffix == ".wat" else data


class WasmSandbox:
    """Loaded skill modules and their calls. Its methods are called on the hub; only guest code and the
    host functions it calls run on threads. `on_fault(module, fault)` records a counted fault and returns
    the skill's state afterwards (`active` or `quarantined`)."""

    def __init__(self, limits: Callable[[], WasmLimits], ports: HostPorts,
                 on_fault: Callable[[str, WasmFault], str] = lambda module, fault: "active",
                 budget: MemoryBudget | None = None):
        self.limits = limits
        self.on_fault = on_fault
        self.engine = Engine(engine_config())
        self.budget = budget or MemoryBudget()
        self.modules: dict[str, LoadedModule] = {}
        self.quarantined: set[str] = set()
        self._compiled: OrderedDict[str, Module] = OrderedDict()
        self._calling = CallingModule()
        self.linker = Linker(self.engine)
        self.linker.define_wasi()
        define_host(self.linker, HubBridge(), ports, self._calling)
        self._ticker = EpochTicker(self.engine)

    def close(self) -> None:
        """Stop the epoch ticker and drop the modules."""
        self._ticker.stop()
        self.modules.clear()
        self._compiled.clear()

    # Loading ---------------------------------------------------------------------------------------

    def prepare(self, name: str, path: Path) -> LoadedModule:
        """Compile and validate `path` as skill `name` off the hub; raises WasmLoadError."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise WasmLoadError(f"cannot read {path.name}: {exc.strerror or exc}") from None
        content_hash = hashlib.sha256(data).hexdigest()
        return gevent.get_hub().threadpool.apply(self._prepare, (name, path, content_hash))

    def _prepare(self, name: str, path: Path, content_hash: str) -> LoadedModule:
        module = self._compiled.get(content_hash)
        try:
            if module is None:
                module = Module(self.engine, module_bytes(path))
            store = self._store(self.budget.module_limit, WasmLimits(TRIAL_FUEL, TRIAL_TIMEOUT_SECONDS))
            self.linker.instantiate(store, module)
        except (WasmtimeError, Trap, UnicodeDecodeError, ValueError) as exc:
            raise WasmLoadError(f"{path.name} does not load: {_one_line(exc)}") from None
        self._compiled[content_hash] = module
        self._compiled.move_to_end(content_hash)
        while len(self._compiled) > COMPILED_CACHE_SIZE:
            self._compiled.popitem(last=False)
        memories = [item.type for item in [*module.exports, *module.imports] if isinstance(item.type, MemoryType)]
        host_imports = frozenset(item.name for item in module.imports if item.module == HOST_MODULE)
        return LoadedModule(name, module, content_hash, max((m.limits.min for m in memories), default=0),
                            host_imports)

    def activate(self, loaded: LoadedModule) -> None:
        """Swap the module in: calls from now on run it."""
        self.modules[loaded.name] = loaded
        self.budget.module_pages.setdefault(loaded.name, loaded.min_pages)

    def unload(self, name: str) -> None:
        """Forget a module (its skill is gone)."""
        self.modules.pop(name, None)
        self.quarantined.discard(name)
        self.budget.forget(name)

    def set_state(self, name: str, state: str) -> None:
        """Mark a skill `quarantined` (calls refused) or `active`."""
        if state == "quarantined":
            self.quarantined.add(name)
        else:
            self.quarantined.discard(name)

    # Calls ------------------------------------------------------------------------------------------

    def call(self, name: str) -> int | None:
        """Run the skill's first parameterless export of EXPORTS in a fresh store; its first result (None
        when it returns nothing). Raises WasmFault; a guest fault is recorded through `on_fault`."""
        loaded = self.modules.get(name)
        if loaded is None:
            raise WasmFault(faults.MODULE_NOT_FOUND, name, "module not loaded")
        if name in self.quarantined:
            raise WasmFault(faults.QUARANTINED, name, "skill quarantined after repeated faults; re-enable it")
        pages = self.budget.reserve(loaded.min_pages)
        if not pages:
            raise WasmFault(faults.HOST_MEMORY_EXHAUSTED, name,
                            f"live instances hold {self.budget.reserved} of {self.budget.aggregate_limit} pages")
        job = gevent.get_hub().threadpool.spawn(self._run, loaded, pages, self.limits())
        job.rawlink(lambda _job: self.budget.release(pages))
        value, end_pages = job.get()
        self.budget.observed(name, end_pages)
        if isinstance(value, WasmFault):
            if value.code in faults.COUNTED and self.on_fault(name, value) == "quarantined":
                self.quarantined.add(name)
            raise value
        return value

    def _store(self, pages: int, limits: WasmLimits) -> Store:
        store = Store(self.engine)
        store.set_limits(memory_size=pages * PAGE_BYTES)
        store.set_fuel(limits.fuel)
        store.set_epoch_deadline(deadline_ticks(limits.timeout_seconds))
        store.set_wasi(WasiConfig())
        return store

    def _run(self, loaded: LoadedModule, pages: int, limits: WasmLimits) -> tuple[int | None | WasmFault, int]:
        """On a threadpool thread: instantiate and call; (result or the WasmFault, memory pages at the end).
        Faults are returned, not raised, so the threadpool does not report them as crashes."""
        self._calling.set(loaded.name)
        store = self._store(pages, limits)
        exports = None
        try:
            exports = self.linker.instantiate(store, loaded.module).exports(store)
            initialize = exports.get("_initialize")
            if isinstance(initialize, Func):
                initialize(store)
            function = _entry(exports, store)
            if function is None:
                return WasmFault(faults.NO_EXPORT, loaded.name, f"none of {', '.join(EXPORTS)} is exported "
                                 "without parameters"), _pages(exports, store)
            try:
                result = function(store)
            except ExitTrap as exc:
                if exc.code != 0:
                    raise
                result = None
        except (WasmtimeError, Trap) as exc:
            return _classify(loaded.name, exc, _pages(exports, store), pages, limits), _pages(exports, store)
        finally:
            end_pages = _pages(exports, store)
            store.close()
        if isinstance(result, (list, tuple)):
            result = result[0] if result else None
        return (int(result) if isinstance(result, (int, float)) else None), end_pages

    # Reporting ---------------------------------------------------------------------------------------

    def memory(self) -> dict[str, Any]:
        """`{pages, limit_pages, modules: {name: pages}}`: reserved pages of live calls, the aggregate
        limit, and each loaded module's pages when its last call ended (declared minimum before)."""
        return {"pages": self.budget.reserved, "limit_pages": self.budget.aggregate_limit,
                "modules": {name: self.budget.module_pages.get(name, loaded.min_pages)
                            for name, loaded in sorted(self.modules.items())}}

    def capabilities(self) -> dict[str, list[str]]:
        """The capabilities each loaded module's host imports need, by skill."""
        return {name: loaded.capabilities for name, loaded in self.modules.items()}


def _entry(exports: Any, store: Store) -> Func | None:
    for name in EXPORTS:
        function = exports.get(name)
        if isinstance(function, Func) and not function.type(store).params:
            return function
    return None


def _pages(exports: Any, store: Store) -> int:
    memory = exports.get("memory") if exports is not None else None
    try:
        return int(memory.size(store)) if memory is not None else 0
    except WasmtimeError:
        return 0


def _classify(name: str, exc: Exception, used_pages: int, limit_pages: int, limits: WasmLimits) -> WasmFault:
    """The fault code of a failed call."""
    code = getattr(exc, "trap_code", None)
    if code == TrapCode.OUT_OF_FUEL:
        return WasmFault(faults.TIMEOUT, name, f"fuel exhausted ({limits.fuel} units)")
    if code == TrapCode.INTERRUPT:
        return WasmFault(faults.TIMEOUT, name, f"deadline of {limits.timeout_seconds:g}s passed")
    text = _one_line(exc)
    if used_pages >= limit_pages or ("memory" in text.lower() and "limit" in text.lower()):
        return WasmFault(faults.MEMORY_EXCEEDED, name, f"memory limit of {limit_pages} pages reached: {text}")
    if isinstance(exc, ExitTrap):
        return WasmFault(faults.FAULT, name, f"exited with status {exc.code}")
    return WasmFault(faults.FAULT, name, text)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:500] or type(exc).__name__
