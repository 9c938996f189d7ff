"""The skill catalog: every skill of the skill roots, by precedence (SPEC §8.1).

Roots in order: project (`skills.project_dir`), user (`$GOCLAW_HOME/skills`), `skills.extra_dirs`, then
`installed/`. A skill is a directory holding a SKILL.md and/or a WASM module (`.wasm`, or `.wat` text),
or a `<name>.wasm`/`<name>.wat` file directly in a root. The first root with a given lower-cased directory
name wins. Symlinked entries are skipped with a warning; hidden entries (staging copies) are ignored.

A catalog is an immutable snapshot: a reload builds a new one and swaps it in whole.
"""

import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from goclaw_actors.skills.eligibility import requirement_problems
from goclaw_actors.skills.skill_md import MAX_SKILL_MD_BYTES, SkillDoc, SkillFormatError, parse_skill_md

SKILL_FILE = "SKILL.md"
MODULE_SUFFIXES = (".wasm", ".wat")
STAGED_SUFFIX = ".staged.wasm"  # a hot-swap build in progress, never a skill of its own
SKILL_ABI = "v1"
ABI_MISMATCH = "Skill ABI mismatch"

Warn = Callable[..., None]


@dataclass(frozen=True)
class SkillRoot:
    """One directory of skills and the `Source` its skills report."""

    path: Path
    source: str  # project | user | extra | installed


@dataclass(frozen=True)
class Skill:
    """One skill of the catalog. `problems` lists what keeps it from being used (requirements missing, an
    unreadable SKILL.md, an ABI mismatch, a module that does not compile); capabilities are checked apart."""

    name: str
    key: str  # lower-cased directory (or module file) name: the precedence key
    kind: str  # instruction | legacy | wasm
    source: str
    path: Path  # the skill directory, or the module file of a root-level module
    doc: SkillDoc | None = None  # without its body: instructions are read on use
    module: Path | None = None
    abi: str = SKILL_ABI
    problems: tuple[str, ...] = ()
    fingerprint: str = ""
    module_hash: str = ""

    @property
    def description(self) -> str:
        """The SKILL.md description, or empty."""
        return self.doc.description if self.doc else ""

    @property
    def skill_md(self) -> Path | None:
        """The SKILL.md file of a skill directory that has one."""
        candidate = self.path / SKILL_FILE if self.path.is_dir() else None
        return candidate if candidate is not None and candidate.is_file() else None


@dataclass(frozen=True)
class SkillCatalog:
    """Skills ordered by name (ties by key); `get` finds one by name or directory name, any case."""

    skills: tuple[Skill, ...] = ()
    _index: dict[str, Skill] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        index: dict[str, Skill] = {}
        for skill in self.skills:  # a name shared with a lower-precedence skill keeps the first one's
            index.setdefault(skill.key, skill)
        for skill in self.skills:
            index.setdefault(skill.name.lower(), skill)
        object.__setattr__(self, "_index", index)

    def get(self, name: str) -> Skill | None:
        """The skill called `name` (its SKILL.md name or its directory name, case-insensitive), or None."""
        return self._index.get(name.strip().lower())

    def wasm(self) -> list[Skill]:
        """The WASM skills."""
        return [skill for skill in self.skills if skill.kind == "wasm"]

    def __len__(self) -> int:
        return len(self.skills)

    def __iter__(self):
        return iter(self.skills)


def skill_roots(config_get: Callable[[str, Any], Any], home: Path, cwd: Path) -> list[SkillRoot]:
    """The roots in precedence order; relative project/extra paths are relative to `cwd`."""
    def absolute(value: Any) -> Path:
        path = Path(str(value)).expanduser()
        return path if path.is_absolute() else cwd / path

    roots = [SkillRoot(absolute(config_get("skills.project_dir", "./skills") or "./skills"), "project"),
             SkillRoot(home / "skills", "user")]
    extra = config_get("skills.extra_dirs", []) or []
    roots += [SkillRoot(absolute(item), "extra") for item in (extra if isinstance(extra, list) else [extra])
              if str(item).strip()]
    roots.append(SkillRoot(home / "installed", "installed"))
    seen: set[Path] = set()
    unique = []
    for root in roots:  # the project dir may be the user dir (daemon started in GOCLAW_HOME)
        resolved = root.path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(root)
    return unique


def scan_catalog(roots: Iterable[SkillRoot], environ: Mapping[str, str], legacy_mode: bool,
                 warn: Warn = lambda msg, **attrs: None) -> SkillCatalog:
    """Read every root and build the catalog; problems of one skill never stop the others."""
    found: dict[str, Skill] = {}
    for root in roots:
        for skill in _scan_root(root, environ, legacy_mode, warn):
            if skill.key in found:
                warn("skill shadowed by a higher-precedence one", skill=skill.key, winner=found[skill.key].source,
                     skipped=skill.source)
                continue
            found[skill.key] = skill
    return SkillCatalog(tuple(sorted(found.values(), key=lambda skill: (skill.name.lower(), skill.key))))


def _scan_root(root: SkillRoot, environ: Mapping[str, str], legacy_mode: bool, warn: Warn) -> list[Skill]:
    try:
        entries = sorted(os.scandir(root.path), key=lambda entry: entry.name)
    except FileNotFoundError:
        return []
    except OSError as exc:
        warn("skill directory unreadable", directory=str(root.path), error=str(exc))
        return []
    skills = []
    for entry in entries:
        if entry.name.startswith(".") or entry.name.endswith(STAGED_SUFFIX):
            continue
        if entry.is_symlink():
            warn("symlinked skill entry skipped", path=entry.path)
            continue
        path = Path(entry.path)
        if entry.is_dir():
            skill = _directory_skill(path, root.source, environ, legacy_mode, warn)
        elif entry.is_file() and path.suffix in MODULE_SUFFIXES:
            skill = _module_skill(path, root.source)
        else:
            skill = None
        if skill is not None:
            skills.append(skill)
    return skills


def _directory_skill(path: Path, source: str, environ: Mapping[str, str], legacy_mode: bool,
                     warn: Warn) -> Skill | None:
    skill_md = path / SKILL_FILE
    module = find_module(path)
    has_md = skill_md.is_file() and not skill_md.is_symlink()
    if not has_md and module is None:
        return None
    doc, problems = None, []
    if has_md:
        try:
            doc = read_skill_doc(skill_md)
        except SkillFormatError as exc:
            warn("invalid SKILL.md", path=str(skill_md), error=str(exc))
            problems.append(f"invalid SKILL.md: {exc}")
    name = doc.name if doc else path.name
    kind = "wasm" if module is not None else ("legacy" if doc and doc.is_script else "instruction")
    if doc is not None:
        problems += requirement_problems(doc, environ, legacy_mode)
    abi = read_abi(module or path / f"{path.name}.wasm", path / f"{path.name}.abi")
    if kind == "wasm":
        problems += abi_problems(abi)
    return Skill(name=name, key=path.name.lower(), kind=kind, source=source, path=path,
                 doc=replace(doc, instructions="") if doc else None, module=module, abi=abi,
                 problems=tuple(problems), fingerprint=_directory_fingerprint(path),
                 module_hash=file_hash(module) if module else "")


def _module_skill(path: Path, source: str) -> Skill:
    name = path.name[:-len(path.suffix)]
    abi = read_abi(path)
    return Skill(name=name, key=name.lower(), kind="wasm", source=source, path=path, module=path, abi=abi,
                 problems=tuple(abi_problems(abi)), fingerprint=_files_fingerprint([path, path.with_suffix(".abi")]),
                 module_hash=file_hash(path))


def read_skill_doc(skill_md: Path) -> SkillDoc:
    """Parse a SKILL.md (≤ 1 MiB, UTF-8); raises SkillFormatError."""
    try:
        size = skill_md.stat().st_size
        if size > MAX_SKILL_MD_BYTES:
            raise SkillFormatError(f"SKILL.md is {size} bytes (max {MAX_SKILL_MD_BYTES})")
        text = skill_md.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise SkillFormatError("SKILL.md is not UTF-8 text") from None
    except OSError as exc:
        raise SkillFormatError(f"cannot read SKILL.md: {exc.strerror or exc}") from None
    return parse_skill_md(text)


def find_module(directory: Path) -> Path | None:
    """The module of a skill directory: `skill.wasm`, `<dir>.wasm`, or the only module present (`.wasm`
    preferred to `.wat` text of the same name)."""
    for suffix in MODULE_SUFFIXES:
        for stem in ("skill", directory.name):
            candidate = directory / f"{stem}{suffix}"
            if candidate.is_file() and not candidate.is_symlink():
                return candidate
    for suffix in MODULE_SUFFIXES:
        modules = [path for path in directory.glob(f"*{suffix}")
                   if path.is_file() and not path.is_symlink() and not path.name.endswith(STAGED_SUFFIX)]
        if len(modules) == 1:
            return modules[0]
    return None


def read_abi(module: Path, fallback: Path | None = None) -> str:
    """The ABI a module declares in `<module>.abi` (or `fallback`), default `v1`."""
    for candidate in (module.with_suffix(".abi"), fallback):
        if candidate is None:
            continue
        try:
            text = candidate.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue
        return text[:64] or SKILL_ABI
    return SKILL_ABI


def abi_problems(abi: str) -> list[str]:
    """`Skill ABI mismatch: got <abi> want v1` unless the ABI is the one this daemon speaks."""
    return [] if abi == SKILL_ABI else [f"{ABI_MISMATCH}: got {abi} want {SKILL_ABI}"]


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes (empty when unreadable)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def _files_fingerprint(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _directory_fingerprint(directory: Path) -> str:
    """Changes when any file of the skill directory is added, removed or rewritten."""
    files = []
    for parent, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(parent) / name for name in sorted(names)]
    return _files_fingerprint(files)
