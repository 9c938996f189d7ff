"""Is a goclaw daemon serving at `bind_addr`, and is it ours (it accepts our token)?

    probe = probe_daemon(config.bind_addr, token)
    if probe.state == OURS: ...
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import requests

from goclaw_actors.bind_addr import client_base_url
from goclaw_actors.errors import StartupError
from goclaw_actors.home import TOKEN_ENV, read_auth_token

PROBE_TIMEOUT_SECONDS = 2.0

OURS = "ours"  # a goclaw daemon that accepts our token
OTHER_GOCLAW = "other_goclaw"  # a goclaw daemon that refuses our token (another GOCLAW_HOME)
FOREIGN = "foreign"  # something else answers HTTP on the port
NONE = "none"  # nothing answers


@dataclass(frozen=True)
class DaemonProbe:
    """What answers at `url`: one of OURS, OTHER_GOCLAW, FOREIGN, NONE, with the /healthz body when goclaw."""

    state: str
    url: str
    health: dict[str, Any] | None = None
    detail: str = ""


def client_token(home: Path, environ: Mapping[str, str]) -> str:
    """The daemon token a CLI sends: GOCLAW_AUTH_TOKEN, else auth.token ("" when neither exists)."""
    from_env = environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env
    try:
        return read_auth_token(home)
    except StartupError:
        return ""


def probe_daemon(bind_addr: str, token: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> DaemonProbe:
    """Ask `/healthz` at `bind_addr`, then `/metrics` with `token` to tell our daemon from another one."""
    url = client_base_url(bind_addr)
    try:
        response = requests.get(url + "/healthz", timeout=timeout)
    except requests.RequestException as exc:
        return DaemonProbe(NONE, url, detail=str(exc))
    try:
        health = response.json()
    except ValueError:
        health = None
    if not isinstance(health, dict) or "db_ok" not in health or "skill_runtime" not in health:
        return DaemonProbe(FOREIGN, url, detail=f"HTTP {response.status_code} from something that is not goclaw")
    try:  # /metrics needs the daemon token and is exempt from API keys and rate limits: it tells whose daemon
        metrics = requests.get(url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
    except requests.RequestException as exc:
        return DaemonProbe(OTHER_GOCLAW, url, health, f"/metrics did not answer: {exc}")
    if metrics.status_code in (401, 403):
        return DaemonProbe(OTHER_GOCLAW, url, health, f"it refuses this home's token (HTTP {metrics.status_code})")
    return DaemonProbe(OURS, url, health)  # the token passed (even if /metrics itself failed)
