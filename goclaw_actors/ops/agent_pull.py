"""`goclaw pull <url>` (SPEC §8.6): fetch an agent definition and append it to config.yaml's `agents`.

The URL must be http or https; the answer must be status 200, not HTML, at most 1 MiB of YAML, within
15 s. The definition needs `id` (agent id syntax) and `soul`; `display_name` (default: the id), `provider`,
`model`, `capabilities`, `worker_count`, `task_timeout_seconds` and `preferred_search` are kept when given,
checked like any agent entry; other keys are not installed (a definition from the network must not bring
MCP commands or local files along). A running daemon starts the agent through its config hot reload.
"""

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

import requests

from goclaw_actors.config.agent_entry import agent_from_entry, check_new_agent_id
from goclaw_actors.config.config_writer import append_agent_entry
from goclaw_actors.config.loader import CONFIG_FILE, load_config, parse_config_text
from goclaw_actors.errors import ConfigError, GoclawError

TIMEOUT_SECONDS = 15.0
MAX_DEFINITION_BYTES = 1 << 20
OPTIONAL_FIELDS = ("display_name", "provider", "model", "capabilities", "worker_count", "task_timeout_seconds",
                   "preferred_search")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
READ_CHUNK = 64 * 1024


class PullFailed(GoclawError):
    """The definition could not be fetched, is not a valid agent, or cannot be installed."""


@dataclass(frozen=True)
class Pulled:
    """What was installed: the config.yaml entry, and the keys of the definition left out."""

    entry: dict[str, Any]
    ignored: list[str] = field(default_factory=list)

    @property
    def agent_id(self) -> str:
        """The installed agent's id."""
        return self.entry["agent_id"]


def fetch_definition(url: str, timeout: float = TIMEOUT_SECONDS) -> str:
    """The text at `url`; PullFailed for a bad scheme, a fetch error, a status other than 200, HTML, more
    than 1 MiB, text that is not UTF-8, or an answer not complete within `timeout` seconds."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise PullFailed(f"unsupported URL scheme {parts.scheme or '(none)'!r}: use http or https")
    if not parts.hostname:
        raise PullFailed(f"no host in {url!r}")
    deadline = time.monotonic() + timeout
    try:
        with requests.get(url, timeout=timeout, stream=True,
                          headers={"Accept": "application/yaml, text/yaml, text/plain;q=0.9, */*;q=0.5"}) as answer:
            if answer.status_code != 200:
                raise PullFailed(f"{url} answered HTTP {answer.status_code}")
            kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if kind in HTML_TYPES:
                raise PullFailed(f"{url} is an HTML page ({kind}), not an agent definition")
            body = bytearray()
            for chunk in answer.iter_content(READ_CHUNK):
                body += chunk
                if len(body) > MAX_DEFINITION_BYTES:
                    raise PullFailed(f"the agent definition is larger than {MAX_DEFINITION_BYTES // 2**20} MiB")
                if time.monotonic() > deadline:
                    raise PullFailed(f"{url} did not answer within {timeout:g}s")
    except requests.RequestException as exc:
        raise PullFailed(f"cannot fetch {url}: {exc}") from exc
    try:
        return bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise PullFailed("the agent definition is not UTF-8 text") from None


def parse_definition(text: str) -> Pulled:
    """The config.yaml entry of a YAML agent definition, checked like any agent entry; PullFailed otherwise."""
    try:
        data = parse_config_text(text, "the agent definition")
    except ConfigError as exc:
        raise PullFailed(str(exc)) from None
    for required in ("id", "soul"):
        if data.get(required) in (None, ""):
            raise PullFailed(f"the agent definition has no {required}")
    try:
        agent_id = check_new_agent_id(data["id"], "id")
        entry = {"agent_id": agent_id, "display_name": data.get("display_name") or agent_id, "soul": data["soul"]}
        entry.update({name: data[name] for name in OPTIONAL_FIELDS[1:] if data.get(name) is not None})
        agent_from_entry(entry, "agent definition")
    except ConfigError as exc:
        raise PullFailed(str(exc)) from None
    ignored = sorted(str(key) for key in data if key not in ("id", "soul", *OPTIONAL_FIELDS))
    return Pulled(entry, ignored)


def existing_agent(home: Path, environ: Mapping[str, str], agent_id: str) -> bool:
    """Whether an agent of that id exists: `default`, one of config.yaml, or an active one of goclaw.db
    (created at runtime)."""
    try:
        if load_config(home, environ).agent(agent_id) is not None:
            return True
    except ConfigError as exc:
        raise PullFailed(f"{CONFIG_FILE}: {exc}") from exc
    database = home / "goclaw.db"
    if not database.exists():
        return False
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT 1 FROM agents WHERE agent_id = ? AND status = 'active'", (agent_id,)).fetchone()
    except sqlite3.Error:
        return False  # no agents table yet
    return row is not None


def pull_agent(url: str, home: Path, environ: Mapping[str, str]) -> Pulled:
    """Fetch, check and install the agent at `url`; PullFailed (or OSError writing config.yaml) otherwise."""
    pulled = parse_definition(fetch_definition(url))
    if existing_agent(home, environ, pulled.agent_id):
        raise PullFailed(f"agent @{pulled.agent_id} already exists")
    try:
        append_agent_entry(home / CONFIG_FILE, pulled.entry)
    except ConfigError as exc:
        raise PullFailed(f"not installed: {exc}") from exc
    return pulled
