"""The scrubbed environment `exec` children get (SPEC §5.2).

A child sees `PATH`, `HOME` (the workspace), `LANG`, `TZ` and the variables named in
`tools.shell.env_allow`, never a provider key, the gateway token, or any `GOCLAW_*`, `*_API_KEY`,
`*_TOKEN`, `*_SECRET` variable (nor anything `env_allow` names that holds a known secret value).
"""

from pathlib import Path
from typing import Any, Iterable, Mapping

from goclaw_actors.redaction import is_secret_key

DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
PROVIDER_KEY_VARS = frozenset({
    "GOOGLE_API_KEY", "GEMINI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY",
    "BRAVE_API_KEY", "PERPLEXITY_API_KEY", "TELEGRAM_TOKEN", "GOCLAW_AUTH_TOKEN",
})
SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET")
MIN_SECRET_LENGTH = 8  # shorter "secrets" would match ordinary values


def is_secret_name(name: str) -> bool:
    """Whether a variable called `name` may hold a secret and is never passed to a child."""
    upper = name.upper()
    return (upper in PROVIDER_KEY_VARS or upper.startswith("GOCLAW_") or upper.endswith(SECRET_SUFFIXES)
            or is_secret_key(name))


def holds_secret(value: str, secrets: Iterable[str]) -> bool:
    """Whether `value` contains one of the known secret values."""
    return any(len(secret) >= MIN_SECRET_LENGTH and secret in value for secret in secrets)


def child_environment(environ: Mapping[str, str], workspace: Path, env_allow: Iterable[str],
                      secrets: Iterable[str] = ()) -> dict[str, str]:
    """The environment of an exec child."""
    secrets = [s for s in secrets if s]
    env = {"PATH": environ.get("PATH") or DEFAULT_PATH, "HOME": str(workspace),
           "LANG": environ.get("LANG") or "C.UTF-8", "TZ": environ.get("TZ") or "UTC"}
    for name in env_allow:
        value = environ.get(name)
        if value is None or name in env or is_secret_name(name) or holds_secret(value, secrets):
            continue
        env[name] = value
    return env


def env_allow_names(value: Any) -> list[str]:
    """`tools.shell.env_allow` as a list of names (a single name or a comma-separated string is accepted)."""
    if isinstance(value, str):
        value = value.split(",")
    return [str(name).strip() for name in value or [] if str(name).strip()]


def refused_names(env_allow: Iterable[str]) -> list[str]:
    """The `tools.shell.env_allow` entries that are never passed (secret-looking names)."""
    return [name for name in env_allow if is_secret_name(name)]
