"""Hot swap of Go skills (SPEC §8.3): `skills/<name>.go` (with an optional `<name>.abi`, default `v1`) is
built with `tinygo build -target=wasi -o <name>.staged.wasm` when tinygo is on PATH; the caller loads the
staged module and only then renames it to `<name>.wasm`, so a failed build or load keeps the old module.
"""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from goclaw_actors.skills.catalog import STAGED_SUFFIX

BUILD_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class Toolchain:
    """Whether tinygo is on PATH, and what to tell the user (`tinygo_available`, `tinygo_detail`)."""

    path: str | None
    detail: str

    @property
    def available(self) -> bool:
        return self.path is not None


class BuildError(Exception):
    """A Go skill that did not build (the message carries tinygo's output)."""


def find_tinygo(environ: Mapping[str, str]) -> Toolchain:
    """Look tinygo up on the PATH of `environ`."""
    path = shutil.which("tinygo", path=environ.get("PATH"))
    if path is None:
        return Toolchain(None, "tinygo not found on PATH; .go skills are not built (install tinygo to hot-swap them)")
    return Toolchain(path, f"tinygo found at {path}")


def go_sources(directory: Path) -> list[Path]:
    """The `<name>.go` skill sources directly in a skill root, by name."""
    try:
        return sorted(path for path in directory.glob("*.go") if path.is_file() and not path.is_symlink())
    except OSError:
        return []


def needs_build(source: Path) -> bool:
    """Whether `<name>.wasm` is missing or older than `<name>.go`."""
    target = source.with_suffix(".wasm")
    try:
        return not target.exists() or target.stat().st_mtime_ns < source.stat().st_mtime_ns
    except OSError:
        return True


def staged_path(source: Path) -> Path:
    """Where the build of `source` goes before it is loaded."""
    return source.with_name(source.stem + STAGED_SUFFIX)


def build(toolchain: Toolchain, source: Path, environ: Mapping[str, str]) -> Path:
    """Build `source` into its staged module (cooperatively: the hub keeps running); raises BuildError."""
    if toolchain.path is None:
        raise BuildError(toolchain.detail)
    staged = staged_path(source)
    try:
        done = subprocess.run([toolchain.path, "build", "-target=wasi", "-o", str(staged), str(source)],
                              cwd=source.parent, env=dict(environ), capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BuildError(f"tinygo build of {source.name} failed: {exc}") from None
    if done.returncode != 0 or not staged.is_file():
        output = " ".join((done.stderr or done.stdout or "").split())[:2000]
        raise BuildError(f"tinygo build of {source.name} failed (exit {done.returncode}): {output}")
    return staged


def promote(staged: Path) -> Path:
    """Rename a loaded staged module to `<name>.wasm`."""
    target = staged.with_name(staged.name[:-len(STAGED_SUFFIX)] + ".wasm")
    staged.replace(target)
    return target
