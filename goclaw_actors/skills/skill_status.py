"""The skill status items of `system.status.skills` and `/api/skills` (SPEC §8.2), ordered by name.

    {"Info": {Name, Description, Type, Source, SourceURL, APIKeys, Capabilities, Domains, SetupHint},
     "Configured", "Enabled", "Eligible", "Missing", "State"}

A skill's Capabilities are those it needs that the policy grants now: an installed skill has none until
policy.yaml grants them, and is not Enabled before.
"""

from typing import Any, Callable, Mapping

from goclaw_actors.skills.catalog import Skill, SkillCatalog
from goclaw_actors.skills.eligibility import capability_problems, meta_list, needed_capability, required_env

ACTIVE = "active"
QUARANTINED = "quarantined"


def skill_capabilities(skill: Skill, wasm_capabilities: Mapping[str, list[str]]) -> list[str]:
    """Every capability the skill needs: by type, plus the host functions its WASM module imports."""
    needed = needed_capability(skill.kind)
    return sorted({*([needed] if needed else []), *wasm_capabilities.get(skill.name, [])})


def status_item(skill: Skill, registry: Mapping[str, Any] | None, allows: Callable[[str], bool],
                environ: Mapping[str, str], wasm_capabilities: Mapping[str, list[str]]) -> dict[str, Any]:
    """One skill's status."""
    registry = registry or {}
    doc_meta = skill.doc.metadata if skill.doc else {}
    api_keys = required_env(skill.doc) if skill.doc else []
    needs = skill_capabilities(skill, wasm_capabilities)
    granted = [capability for capability in needs if allows(capability)]
    missing = list(skill.problems) + capability_problems(skill.kind, allows)
    state = registry.get("state") or ACTIVE
    source = skill.source
    if source == "installed":
        source = registry.get("source") or "local"
    eligible = not skill.problems
    return {
        "Info": {
            "Name": skill.name,
            "Description": skill.description,
            "Type": skill.kind,
            "Source": source,
            "SourceURL": registry.get("source_url") or "",
            "APIKeys": api_keys,
            "Capabilities": granted,
            "Domains": meta_list(doc_meta, "openclaw", "domains"),
            "SetupHint": setup_hint(missing),
        },
        "Configured": all(str(environ.get(name, "")).strip() for name in api_keys),
        "Enabled": eligible and len(granted) == len(needs) and state == ACTIVE,
        "Eligible": eligible,
        "Missing": missing,
        "State": state,
    }


def status_items(catalog: SkillCatalog, registry: Mapping[str, Mapping[str, Any]], allows: Callable[[str], bool],
                 environ: Mapping[str, str], wasm_capabilities: Mapping[str, list[str]] | None = None
                 ) -> list[dict[str, Any]]:
    """Every skill's status, ordered by name."""
    return [status_item(skill, registry.get(skill.name) or registry.get(skill.key), allows, environ,
                        wasm_capabilities or {}) for skill in catalog]


def setup_hint(missing: list[str]) -> str:
    """What the user can do about `missing`, in one line ("" when nothing is missing)."""
    hints = []
    for item in missing:
        kind, _, value = item.partition(": ")
        if kind == "missing bin":
            hints.append(f"install {value.removeprefix('one of ')} on PATH")
        elif kind == "missing env":
            hints.append(f"set {value}")
        elif kind == "Capability":
            hints.append(f"add {value} to allow_capabilities in policy.yaml")
        elif item == "legacy_mode disabled":
            hints.append("set skills.legacy_mode: true in config.yaml")
        else:
            hints.append(item)
    return "; ".join(hints)
