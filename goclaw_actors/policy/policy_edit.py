"""Changing policy.yaml from the daemon (ACP policy.domain.add, SPEC §9.3): validated before it is written."""

from pathlib import Path

import yaml

from goclaw_actors.atomic_file import write_atomic
from goclaw_actors.errors import PolicyError
from goclaw_actors.policy.policy_file import Policy, parse_policy


def add_domain(path: Path, domain: str) -> Policy:
    """Append `domain` (lower-cased) to `allow_domains` unless listed, write the file atomically and return
    the new policy. Raises PolicyError when the current or resulting file is invalid, OSError on I/O.
    """
    domain = domain.strip().lower()
    text = path.read_text(encoding="utf-8")
    parse_policy(text)  # never build on an invalid file
    data = yaml.safe_load(text) or {}
    domains = data.get("allow_domains") or []
    if domain in [item.strip().lower() for item in domains]:
        return parse_policy(text)
    data["allow_domains"] = [*domains, domain]
    new_text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    policy = parse_policy(new_text)
    if domain.removeprefix("*.") not in policy.domains:
        raise PolicyError(f"domain {domain!r} was not accepted")
    write_atomic(path, new_text, mode=path.stat().st_mode & 0o777)
    return policy
