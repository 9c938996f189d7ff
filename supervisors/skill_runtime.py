"""The daemon's skills (SPEC §8): the catalog in force, the WASM sandbox and the Go toolchain, wired to the
store, the policy, the audit and the event bus.

`reload()` (run by the SkillWatcher) builds a new catalog and swaps it in whole, so turns read a complete
catalog at any moment and never wait for a reload. WASM modules are loaded two-phase: a module that does not
load keeps the previous one running.
"""

from dataclasses import replace
from pathlib import Path
from typing import Any

import gevent.lock

from goclaw_actors.brain.turn_features import input_checker
from goclaw_actors.broadcasts import TOOLS_UPDATED
from goclaw_actors.errors import StartupError
from goclaw_actors.logs.system_log import LEVELS, get_logger
from goclaw_actors.processor import Processor
from goclaw_actors.skills.agent_skills import AgentSkills
from goclaw_actors.skills.catalog import (ABI_MISMATCH, SKILL_ABI, Skill, SkillCatalog, read_abi, scan_catalog,
                                          skill_roots)
from goclaw_actors.skills.skill_status import status_items
from goclaw_actors.store.skill_reads import registry_rows
from goclaw_actors.tools.errors import ToolError
from goclaw_actors.tools.pinned_http import FetchLimits, fetch
from goclaw_actors.tools.url_guard import check_url
from goclaw_actors.wasm import tinygo
from goclaw_actors.wasm.faults import WasmFault
from goclaw_actors.wasm.host_module import HTTP_MAX_BYTES, HTTP_TIMEOUT_SECONDS, HostPorts
from goclaw_actors.wasm.random_fast_path import RandomFastPath
from goclaw_actors.wasm.sandbox import WasmLimits, WasmLoadError, WasmSandbox

SKILL_RUNTIME = "wasmtime"
QUARANTINE_ACTION = "skill.invoke"

log = get_logger("skills")


class SkillRuntime:
    """Skills of one daemon. Made at start-up (a sandbox that cannot start is `E_WASM_HOST_INIT`)."""

    def __init__(self, rt: Any):
        self.rt = rt
        self.catalog = SkillCatalog()
        self.toolchain = tinygo.find_tinygo(rt.environ)
        self.build_errors: dict[str, str] = {}
        self._reloading = gevent.lock.BoundedSemaphore()  # the SkillWatcher and a config reload take turns
        self.sandbox = WasmSandbox(self.limits, HostPorts(
            allows=lambda capability: rt.current_policy().allows(capability),
            audit=lambda decision, capability, reason, subject: rt.audit_decision(
                decision, capability, reason, subject=subject, wait=False),
            kv_set=lambda key, value: rt.store.kv.put_kv(key=key, value=value),
            http_get=self._http_get, log=_guest_log), on_fault=self._on_fault)

    def close(self) -> None:
        """Stop the sandbox's ticker."""
        self.sandbox.close()

    def limits(self) -> WasmLimits:
        """Fuel and deadline of a call under the configuration in force."""
        get = self.rt.config.get if self.rt.config is not None else (lambda key, default: default)
        return WasmLimits(fuel=int(get("skills.wasm.fuel", 10_000_000_000) or 10_000_000_000),
                          timeout_seconds=float(get("skills.wasm.timeout_seconds", 30) or 30))

    # Reloading -----------------------------------------------------------------------------------------

    def reload(self) -> list[str]:
        """Scan the roots, build Go skills, load changed modules, swap the catalog in and broadcast
        `tools.updated {name}` for each skill added, removed or changed; returns those names."""
        with self._reloading:
            return self._reload()

    def _reload(self) -> list[str]:
        rt = self.rt
        roots = skill_roots(rt.config.get, rt.home, rt.cwd)
        self.toolchain = tinygo.find_tinygo(rt.environ)
        for root in roots:
            if root.source in ("project", "user"):
                self._build_go_skills(root.path)
        catalog = scan_catalog(roots, rt.environ, bool(rt.config.get("skills.legacy_mode", False)), log.warn)
        catalog = self._load_modules(catalog)
        previous, self.catalog = self.catalog, catalog
        changed = changed_skills(previous, catalog)
        for name in changed:
            try:
                rt.broadcast(TOOLS_UPDATED, {"name": name})
            except Exception as exc:  # noqa: BLE001 - the bus restarting loses a notification, not the reload
                log.warn("tools.updated not broadcast", skill=name, error=str(exc))
        log.info("skills loaded", skills=len(catalog), wasm_modules=len(self.sandbox.modules), changed=changed)
        return changed

    def _build_go_skills(self, directory: Path) -> None:
        """Build each changed `<name>.go` when tinygo is on PATH; the staged module must load before it
        replaces `<name>.wasm`."""
        for source in tinygo.go_sources(directory):
            name = source.stem
            abi = read_abi(source)
            if abi != SKILL_ABI:
                self.build_errors[name] = f"{ABI_MISMATCH}: got {abi} want {SKILL_ABI}"
                log.warn(ABI_MISMATCH, skill=name, got=abi, want=SKILL_ABI)
                continue
            if not self.toolchain.available or not tinygo.needs_build(source):
                continue
            staged = None
            try:
                staged = tinygo.build(self.toolchain, source, self.rt.environ)
                self.sandbox.prepare(name, staged)
                tinygo.promote(staged)
                self.build_errors.pop(name, None)
                log.info("go skill built", skill=name)
            except (tinygo.BuildError, WasmLoadError, OSError) as exc:
                self.build_errors[name] = str(exc)
                log.error("go skill not built; the previous module stays", skill=name, error=str(exc))
                if staged is not None:
                    staged.unlink(missing_ok=True)

    def _load_modules(self, catalog: SkillCatalog) -> SkillCatalog:
        """Load the WASM skills whose module changed and unload those that are gone; a skill whose module
        does not load gets that problem (and its previous module, if any, keeps running)."""
        skills = []
        wanted = set()
        for skill in catalog:
            if skill.kind == "wasm":
                wanted.add(skill.name)
                skill = self._load_module(skill)
            skills.append(skill)
        for name in set(self.sandbox.modules) - wanted:
            self.sandbox.unload(name)
            log.info("wasm module unloaded", skill=name)
        return SkillCatalog(tuple(skills))

    def _load_module(self, skill: Skill) -> Skill:
        current = self.sandbox.modules.get(skill.name)
        if any(problem.startswith(ABI_MISMATCH) for problem in skill.problems):
            log.warn(ABI_MISMATCH, skill=skill.name, got=skill.abi, want=SKILL_ABI, module=str(skill.module))
            return skill
        if current is not None and current.content_hash == skill.module_hash:
            return skill
        try:
            loaded = self.sandbox.prepare(skill.name, skill.module)
        except WasmLoadError as exc:
            kept = "; the previous module keeps running" if current is not None else ""
            log.error("wasm module not loaded" + kept, skill=skill.name, error=str(exc))
            return replace(skill, problems=(*skill.problems, f"module not loaded: {exc}{kept}"))
        version = str((skill.doc.metadata.get("version") if skill.doc else None) or loaded.content_hash[:12])
        try:
            state = self.rt.store.skills.register_skill_module(
                skill_id=skill.name, version=version, abi_version=skill.abi, content_hash=loaded.content_hash,
                source=skill.source)
        except Exception as exc:  # noqa: BLE001 - the store restarting: load now, register at the next reload
            log.error("wasm module not registered", skill=skill.name, error=str(exc))
            state = "active"
        self.sandbox.activate(loaded)
        self.sandbox.set_state(skill.name, state)
        log.info("wasm module loaded", skill=skill.name, hash=loaded.content_hash[:12], state=state,
                 replaced=current is not None)
        return skill

    # Faults and state ------------------------------------------------------------------------------------

    def _on_fault(self, name: str, fault: WasmFault) -> str:
        """Count a guest fault; at the threshold the skill is quarantined (audited `quarantine`)."""
        outcome = self.rt.store.skills.record_skill_fault(skill_id=name)
        log.warn("wasm skill fault", skill=name, code=fault.code, error=fault.detail,
                 fault_count=outcome["fault_count"])
        if outcome["quarantined_now"]:
            log.error("wasm skill quarantined after repeated faults", skill=name, fault_count=outcome["fault_count"])
            self.rt.audit_decision("quarantine", QUARANTINE_ACTION, "fault_threshold_exceeded", subject=name)
        return outcome["state"]

    def enable(self, name: str) -> str:
        """Re-enable a skill (`skill.enable`): state `active`, fault count reset. Raises SkillNotFound."""
        skill = self.catalog.get(name)
        skill_id = skill.name if skill is not None else name
        state = self.rt.store.skills.enable_skill(name=skill_id, create=skill is not None)
        self.sandbox.set_state(skill_id, state)
        log.info("skill enabled", skill=skill_id)
        return state

    def call(self, name: str) -> int | None:
        """Call a WASM skill (raises WasmFault)."""
        return self.sandbox.call(name)

    # Views ------------------------------------------------------------------------------------------------

    def agent_skills(self, skills_filter: list[str]) -> AgentSkills:
        """An agent's view of the catalog in force (quarantined skills are not usable)."""
        return AgentSkills(lambda: self.catalog, skills_filter,
                           usable=lambda skill: skill.name not in self.sandbox.quarantined)

    def fast_path(self, processor: Processor) -> Processor:
        """`processor` behind the `random` fast path."""
        return RandomFastPath(processor, lambda name: name in self.sandbox.modules, self.call,
                              input_checker(log.warn), log.warn)

    def status(self) -> list[dict[str, Any]]:
        """The §8.2 status items, ordered by name."""
        rt = self.rt
        policy = rt.current_policy()
        rows = rt.reads.run(registry_rows)
        return status_items(self.catalog, rows, policy.allows, rt.environ, self.sandbox.capabilities())

    def tinygo(self) -> tuple[bool, str]:
        """`tinygo_available`, `tinygo_detail` (with the last build problem, if any)."""
        detail = self.toolchain.detail
        if self.build_errors:
            name, error = sorted(self.build_errors.items())[0]
            detail += f"; {name}: {error}"
        return self.toolchain.available, detail

    def health(self) -> dict[str, Any]:
        """`skill_runtime`, `skill_detail` and the WASM memory fields of /healthz."""
        memory = self.sandbox.memory()
        kinds = {kind: sum(1 for skill in self.catalog if skill.kind == kind)
                 for kind in ("instruction", "legacy", "wasm")}
        detail = (f"{len(self.catalog)} skills ({kinds['instruction']} instruction, {kinds['legacy']} legacy, "
                  f"{kinds['wasm']} wasm); {len(self.sandbox.modules)} wasm modules loaded, "
                  f"{len(self.sandbox.quarantined)} quarantined")
        return {"skill_runtime": SKILL_RUNTIME, "skill_detail": detail, "wasm_memory_pages": memory["pages"],
                "wasm_memory_limit_pages": memory["limit_pages"], "wasm_module_memory_pages": memory["modules"]}

    def _http_get(self, url: str) -> bytes:
        """GET for host.http.get through the URL policy (10 s, ≤ 1 MiB); raises PolicyDenied or ToolError."""
        policy = self.rt.current_policy()
        fetched = fetch(url, lambda hop: check_url(hop, policy.domains, policy.allow_loopback),
                        limits=FetchLimits(timeout_seconds=HTTP_TIMEOUT_SECONDS, max_bytes=HTTP_MAX_BYTES))
        if fetched.status >= 400:
            raise ToolError(f"HTTP {fetched.status} from {fetched.url}")
        return fetched.body


def start_skill_runtime(rt: Any) -> SkillRuntime:
    """The daemon's SkillRuntime (SPEC §13 step 6); a WASM host that cannot start is `E_WASM_HOST_INIT`."""
    try:
        return SkillRuntime(rt)
    except Exception as exc:  # noqa: BLE001 - wasmtime missing or refusing its engine settings
        raise StartupError("E_WASM_HOST_INIT", f"WASM host: {type(exc).__name__}: {exc}") from exc


def changed_skills(before: SkillCatalog, after: SkillCatalog) -> list[str]:
    """Names of the skills added, removed or changed between two catalogs, sorted."""
    old = {skill.key: skill for skill in before}
    new = {skill.key: skill for skill in after}
    changed = {skill.name for key, skill in new.items() if old.get(key) != skill}
    changed |= {skill.name for key, skill in old.items() if key not in new}
    return sorted(changed)


def _guest_log(level: str, message: str, module: str) -> None:
    log.log(level if level in LEVELS else "info", "wasm guest log", skill=module, text=message)

