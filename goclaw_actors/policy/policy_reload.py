"""What policy.yaml says now, for hot reload (SPEC §2.6, §2.7): its policy, or deny-all while it is missing.

    policy, source = current_policy_file(home / "policy.yaml")   # raises PolicyError when invalid
"""

from pathlib import Path

from goclaw_actors.policy.policy_file import Policy, load_policy

DENY_ALL = Policy(capabilities=frozenset(), domains=(), paths=(), allow_loopback=False)
"""In force while policy.yaml is missing: no capability, no domain, no loopback, no MCP."""

MISSING_SOURCE_SUFFIX = " (missing: everything denied)"


def current_policy_file(path: Path) -> tuple[Policy, str]:
    """(policy, source) of `path` now: the file's policy, or DENY_ALL when there is no file.

    Raises PolicyError (invalid content), OSError or UnicodeDecodeError (unreadable file): the caller keeps
    the policy it has.
    """
    try:
        return load_policy(path), str(path)
    except FileNotFoundError:
        return DENY_ALL, str(path) + MISSING_SOURCE_SUFFIX
