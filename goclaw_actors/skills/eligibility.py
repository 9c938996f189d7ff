"""Whether a skill can be used here (SPEC §8.1): required programs, environment variables, operating
system, legacy mode for script skills, and the capability the policy must grant.

Each missing item is one line: `missing bin: <x>`, `missing env: <X>`, `unsupported os: <os>`,
`legacy_mode disabled`, `Capability: <cap>`.
"""

import platform
import shutil
from typing import Any, Callable, Mapping

from goclaw_actors.skills.skill_md import SkillDoc

INSTRUCTION_CAPABILITY = "skill.inject"
SCRIPT_CAPABILITY = "legacy.run"
_OS_ALIASES = {"win32": "windows", "macos": "darwin", "osx": "darwin", "mac": "darwin"}


def current_os() -> str:
    """The operating system as skills name it: `linux`, `darwin` or `windows`."""
    return platform.system().lower()


def meta_list(metadata: Mapping[str, Any], *path: str) -> list[str]:
    """The list of names at `metadata[path…]` (a single string counts as a list of one; anything else: [])."""
    value: Any = metadata
    for key in path:
        if not isinstance(value, Mapping):
            return []
        value = value.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [str(item).strip() for item in value if isinstance(item, (str, int, float)) and str(item).strip()]


def required_bins(doc: SkillDoc) -> list[str]:
    """Programs that must all be on PATH: `bins` and `metadata.openclaw.requires.bins`."""
    return list(dict.fromkeys([*doc.bins, *meta_list(doc.metadata, "openclaw", "requires", "bins")]))


def required_env(doc: SkillDoc) -> list[str]:
    """Environment variables that must be set (`metadata.openclaw.requires.env`)."""
    return meta_list(doc.metadata, "openclaw", "requires", "env")


def requirement_problems(doc: SkillDoc, environ: Mapping[str, str], legacy_mode: bool,
                         which: Callable[..., str | None] = shutil.which) -> list[str]:
    """What this host lacks for the skill (programs, variables, OS, legacy mode); [] when it is eligible."""
    path = environ.get("PATH")
    missing = [f"missing bin: {name}" for name in required_bins(doc) if which(name, path=path) is None]
    any_bins = meta_list(doc.metadata, "openclaw", "requires", "anyBins")
    if any_bins and not any(which(name, path=path) for name in any_bins):
        missing.append(f"missing bin: one of {', '.join(any_bins)}")
    missing += [f"missing env: {name}" for name in required_env(doc) if not str(environ.get(name, "")).strip()]
    systems = {_OS_ALIASES.get(name.lower(), name.lower()) for name in meta_list(doc.metadata, "openclaw", "os")}
    if systems and current_os() not in systems:
        missing.append(f"unsupported os: {current_os()}")
    if doc.is_script and not legacy_mode:
        missing.append("legacy_mode disabled")
    return missing


def needed_capability(kind: str) -> str | None:
    """The capability a skill of this type needs: `skill.inject` (instruction), `legacy.run` (script)."""
    return {"instruction": INSTRUCTION_CAPABILITY, "legacy": SCRIPT_CAPABILITY}.get(kind)


def capability_problems(kind: str, allows: Callable[[str], bool]) -> list[str]:
    """`Capability: <cap>` when the policy does not grant what a skill of this type needs."""
    capability = needed_capability(kind)
    return [f"Capability: {capability}"] if capability and not allows(capability) else []
