"""The SkillWatcher under `services` (SPEC §1.3, §8.1): loads the skills at start, then watches every
existing skill root recursively and reloads the catalog (debounced 150 ms) when anything in a skill
changes. The reload runs in the watcher; lanes keep using the catalog in force meanwhile."""

from pathlib import Path

import pykka

from actors.file_watcher import FileWatcher
from goclaw_actors.errors import StartupError
from goclaw_actors.file_watch import DirectoryWatch
from goclaw_actors.skills.catalog import STAGED_SUFFIX, skill_roots
from supervisors.child_spec import PERMANENT, ChildSpec
from supervisors.runtime import Runtime

WATCHER = "skill_watcher"
SKILLS_CHANGED = "skills"
WATCHER_START_FAILED = "E_SKILL_WATCHER_START"


def skill_change(path: str) -> str | None:
    """`skills` for a change that may alter a skill; None for hidden entries (install staging, editors'
    temporary files) and staged Go builds."""
    parts = Path(path).parts
    if any(part.startswith(".") for part in parts[-4:]) or path.endswith(STAGED_SUFFIX):
        return None
    return SKILLS_CHANGED


def skill_watcher_spec(rt: Runtime) -> ChildSpec:
    """The SkillWatcher's child spec."""
    return ChildSpec(WATCHER, lambda: start_skill_watcher(rt), restart=PERMANENT)


def start_skill_watcher(rt: Runtime) -> pykka.ActorRef:
    """Load the skills, then watch the roots that exist; raises StartupError(E_SKILL_WATCHER_START), also
    kept as the daemon's start failure, when they cannot be watched."""
    rt.skills.reload()
    roots = [root.path for root in skill_roots(rt.config.get, rt.home, rt.cwd) if root.path.is_dir()]
    try:
        watch = DirectoryWatch(roots, skill_change, recursive=True, start_error=WATCHER_START_FAILED)
    except StartupError as exc:
        rt.start_failure = rt.start_failure or exc
        raise
    return rt.registry.register(WATCHER, FileWatcher.start(WATCHER, watch, {SKILLS_CHANGED: rt.skills.reload}))
