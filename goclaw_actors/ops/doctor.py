"""`goclaw doctor` (SPEC §12): every check in order, and the report as text or JSON.

    checks = run_doctor(home, environ)
    print(render_text(checks)); exit(1 if any_failed(checks) else 0)
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from goclaw_actors.brain.embedded import model_files
from goclaw_actors.brain.embedded.join_progress import Progress
from goclaw_actors.brain.embedded.model_files import QWEN_CODER, PartedModel
from goclaw_actors.brain.provider_selection import select_provider
from goclaw_actors.config.model import Config
from goclaw_actors.ops.daemon_probe import client_token
from goclaw_actors.ops.doctor_checks import (FAIL, Check, api_key_check, config_check, external_tools_check,
                                             network_check)
from goclaw_actors.ops.doctor_files import database_check, embedded_model_check, permissions_check

NAME_WIDTH = 15


@dataclass(frozen=True)
class ModelSource:
    """Where the default embedded model's parts are looked up (tests point it at fake wheels)."""

    model: PartedModel = QWEN_CODER
    search_path: Sequence[str] | None = None


def _embedded_in_use(config: Config, home: Path, environ: Mapping[str, str], source: ModelSource) -> tuple[bool, bool]:
    """(available, needed): whether the embedded model can run, and whether the default agent would use it
    (its provider is embedded, or nothing else is configured)."""
    setting = model_files.normalize_setting(config.get("llm.embedded_model"))
    if setting == model_files.DEFAULT_MODEL:
        available = model_files.engine_installed() and model_files.parted_model_available(
            source.model, model_files.models_dir(home), source.search_path)
    else:
        available = model_files.is_available(setting, home)
    selection = select_provider(config, config.agent("default"), environ, embedded_available=True)
    return available, selection is not None and selection.name == "embedded"


def run_doctor(home: Path, environ: Mapping[str, str], source: ModelSource = ModelSource(),
               progress: Progress | None = None) -> list[Check]:
    """Config, API Key, Embedded Model, Database, Permissions, External Tools, Network, in that order."""
    config_result, config = config_check(home, environ)
    checks = [config_result]
    if config is not None:
        available, needed = _embedded_in_use(config, home, environ, source)
        checks.append(api_key_check(config, environ, available))
        checks.append(embedded_model_check(config, home, needed, source.model, source.search_path, progress))
    else:
        checks.append(api_key_check(None, environ, False))
        checks.append(embedded_model_check(None, home, False))
    checks.append(database_check(home))
    checks.append(permissions_check(home, environ))
    checks.append(external_tools_check(config, home, environ))
    checks.append(network_check(config, client_token(home, environ)))
    return checks


def any_failed(checks: list[Check]) -> bool:
    """Whether any check FAILed."""
    return any(check.status == FAIL for check in checks)


def render_text(checks: list[Check]) -> str:
    """One `STATUS  Name  detail` line per check, the fix indented below it."""
    lines = []
    for check in checks:
        lines.append(f"{check.status:<4}  {check.name:<{NAME_WIDTH}} {check.detail}")
        if check.fix:
            lines.append(f"{'':<6}{'':<{NAME_WIDTH}} fix: {check.fix}")
    return "\n".join(lines) + "\n"


def render_json(checks: list[Check]) -> str:
    """`{"checks":[{"name","status","detail"(,"fix")}]}`."""
    return json.dumps({"checks": [check.as_json() for check in checks]}, indent=2) + "\n"
