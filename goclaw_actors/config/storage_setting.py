"""The `storage` section: which database holds the queue (SPEC §3 on both backends).

    storage:
      backend: postgres            # sqlite (default: goclaw.db in the home) | postgres
      postgres_dsn: "host=db.internal dbname=goclaw user=goclaw"   # or env GOCLAW_POSTGRES_DSN

The DSN may hold a password: it is checked as text but never echoed in an error.
"""

from typing import Any, Mapping

from goclaw_actors.config.text_values import check_text
from goclaw_actors.errors import ConfigError

BACKENDS = ("sqlite", "postgres")
STORAGE_ENV = {"GOCLAW_STORAGE_BACKEND": "backend", "GOCLAW_POSTGRES_DSN": "postgres_dsn"}
MAX_DSN = 2048


def apply_section_env(merged: dict[str, Any], environ: Mapping[str, str], sources: dict[str, str], section: str,
                      variables: Mapping[str, str]) -> None:
    """Put the environment `variables` (name -> key) over config.yaml's values in `section` (llm, storage),
    recording in `sources` where each came from."""
    for variable, key in variables.items():
        value = environ.get(variable, "").strip()
        if value:
            if not isinstance(merged.setdefault(section, {}), dict):
                raise ConfigError(f"{section} must be a mapping")
            merged[section][key] = value
            sources[f"{section}.{key}"] = f"{section}.{key} (from {variable})"


def check_storage(raw: dict[str, Any], sources: Mapping[str, str]) -> None:
    """Normalise `storage` in the merged configuration; ConfigError naming the key when it is wrong."""
    storage = raw.setdefault("storage", {})
    if storage is None:
        storage = raw["storage"] = {}
    backend_key = sources.get("storage.backend", "storage.backend")
    backend = check_text(storage.get("backend") or "sqlite", backend_key, 32).strip().lower()
    if backend not in BACKENDS:
        raise ConfigError(f"{backend_key} must be one of {', '.join(BACKENDS)}")
    storage["backend"] = backend
    dsn_key = sources.get("storage.postgres_dsn", "storage.postgres_dsn")
    dsn = storage.get("postgres_dsn") or ""
    if not isinstance(dsn, str):
        raise ConfigError(f"{dsn_key} must be a connection string")
    if len(dsn) > MAX_DSN:
        raise ConfigError(f"{dsn_key} must be at most {MAX_DSN} characters")
    storage["postgres_dsn"] = check_text(dsn, dsn_key, MAX_DSN).strip()
    if backend == "postgres" and not storage["postgres_dsn"]:
        raise ConfigError(f"{backend_key} is postgres but storage.postgres_dsn (or GOCLAW_POSTGRES_DSN) is empty")
    if storage["postgres_dsn"]:
        _check_dsn_syntax(storage["postgres_dsn"], dsn_key)


def _check_dsn_syntax(dsn: str, key: str) -> None:
    """A DSN libpq can parse (key=value pairs or a postgresql:// URI); the value itself is never quoted back."""
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:
        return
    try:
        conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001 - psycopg raises ProgrammingError; its text would echo the password
        raise ConfigError(f"{key} is not a valid PostgreSQL connection string") from None
