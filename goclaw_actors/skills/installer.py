"""Installing, updating and removing skills under `$GOCLAW_HOME/installed` (SPEC §8.5).

A source is fetched (git clone, or a copy of a plain directory) into a hidden scratch directory, checked
(a SKILL.md with YAML front matter), copied without `.git` into a hidden staging directory, then swapped
in: the previous copy is renamed `.<name>.bak` and removed only once the new one is in place and its
provenance row is recorded. Any failure leaves the previous install as it was. Installing grants nothing:
the skill stays disabled until policy.yaml grants what it needs.
"""

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from goclaw_actors.skills.catalog import SKILL_FILE, read_skill_doc
from goclaw_actors.skills.install_source import InstallSource, check_name
from goclaw_actors.skills.skill_md import MAX_SKILL_MD_BYTES, SkillFormatError, has_front_matter

GIT_TIMEOUT_SECONDS = 300.0


class InstallError(Exception):
    """An install, update or removal that did not happen (nothing was changed)."""


@dataclass(frozen=True)
class Provenance:
    """What the registry records of an install: `source` (`github`|`local`), `source_url`, `ref`."""

    name: str
    source: str
    source_url: str
    ref: str
    content_hash: str


Record = Callable[[Provenance], None]


def install(installed_dir: Path, source: InstallSource, record: Record, replace: bool = False) -> Provenance:
    """Fetch, check and swap in `source` as `installed/<name>`; `record` writes the provenance row (a
    failure there undoes the swap). Raises InstallError; an existing install needs `replace`."""
    name = check_name(source.name)
    installed_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = installed_dir / name
    if target.exists() and not replace:
        raise InstallError(f"skill {name} is already installed (use --force to replace it)")
    scratch = Path(tempfile.mkdtemp(prefix=".fetch-", dir=installed_dir))
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{name}-", dir=installed_dir))
    try:
        root = _fetch(source, scratch / "src")
        skill_md = _check_skill(root)
        _copy_tree(root, staging / "skill")
        provenance = Provenance(name, source.kind, source.url, source.ref,
                                hashlib.sha256(skill_md.read_bytes()).hexdigest())
        _swap(staging / "skill", target, lambda: record(provenance))
        return provenance
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)


def remove(installed_dir: Path, name: str, forget: Callable[[str], bool]) -> None:
    """Remove `installed/<name>` and its registry row; raises InstallError when neither exists."""
    target = installed_dir / check_name(name)
    had_row = forget(name)
    if not target.exists() and not target.is_symlink():
        if had_row:
            return
        raise InstallError(f"skill {name} is not installed")
    doomed = installed_dir / f".removing-{name}-{os.getpid()}"
    target.rename(doomed)  # gone for readers at once; deleting the files may take a moment
    shutil.rmtree(doomed, ignore_errors=True)


def _fetch(source: InstallSource, into: Path) -> Path:
    """The tree to install (the clone's or copy's `subdir`)."""
    location = Path(source.location)
    if source.is_remote or (location / ".git").exists():
        _git_clone(source, into)
    elif source.ref:
        raise InstallError(f"--ref {source.ref} needs a git repository; {location} is a plain directory")
    else:
        _copy_tree(location, into)
    root = (into / source.subdir).resolve() if source.subdir else into
    if not root.is_relative_to(into.resolve()) or not root.is_dir():
        raise InstallError(f"{source.subdir} is not a directory of {source.url}")
    return root


def _git_clone(source: InstallSource, into: Path) -> None:
    if shutil.which("git") is None:
        raise InstallError("git is not on PATH; it is needed to install from a repository")
    command = ["git", "clone", "--quiet"]
    if source.is_remote:
        command += ["--depth", "1"]
    if source.ref:
        command += ["--branch", source.ref]
    command += ["--", source.location, str(into)]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"git clone of {source.url} failed: {exc}") from None
    if done.returncode != 0:
        raise InstallError(f"git clone of {source.url} failed: {' '.join(done.stderr.split())[:500]}")


def _check_skill(root: Path) -> Path:
    """The SKILL.md of `root`, which must open with YAML front matter naming the skill."""
    skill_md = root / SKILL_FILE
    if not skill_md.is_file() or skill_md.is_symlink():
        raise InstallError("no SKILL.md at the top of the skill")
    if skill_md.stat().st_size > MAX_SKILL_MD_BYTES:
        raise InstallError(f"SKILL.md is larger than {MAX_SKILL_MD_BYTES} bytes")
    text = skill_md.read_bytes().decode("utf-8", errors="replace")
    if not has_front_matter(text):
        raise InstallError("SKILL.md has no YAML front matter (--- name: … ---)")
    try:
        read_skill_doc(skill_md)
    except SkillFormatError as exc:
        raise InstallError(f"invalid SKILL.md: {exc}") from None
    return skill_md


def _copy_tree(source: Path, target: Path) -> None:
    """Copy `source` without `.git`; a symbolic link anywhere in it refuses the install."""
    def ignore(directory: str, names: list[str]) -> list[str]:
        for name in names:
            if os.path.islink(os.path.join(directory, name)):
                raise InstallError(f"symbolic link not allowed in a skill: {os.path.join(directory, name)}")
        return [name for name in names if name == ".git"]

    try:
        shutil.copytree(source, target, ignore=ignore, symlinks=True)
    except shutil.Error as exc:
        raise InstallError(f"copying {source} failed: {exc}") from None


def _swap(staged: Path, target: Path, commit: Callable[[], None]) -> None:
    """Put `staged` at `target`, keeping the previous copy as `.<name>.bak` until `commit()` succeeded."""
    backup = target.with_name(f".{target.name}.bak")
    shutil.rmtree(backup, ignore_errors=True)
    had_previous = target.exists()
    if had_previous:
        target.rename(backup)
    try:
        staged.rename(target)
        commit()
    except BaseException:
        if target.exists():  # the new copy got in (the previous one, if any, is the backup now)
            shutil.rmtree(target, ignore_errors=True)
        if had_previous:
            backup.rename(target)
        raise
    shutil.rmtree(backup, ignore_errors=True)
