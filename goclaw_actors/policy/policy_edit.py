"""Changing policy.yaml from the daemon (ACP policy.domain.add, SPEC §9.3): validated before it is written."""

from pathlib import Path

import yaml

from goclaw_actors.atomic_file import write_atomic
from goclaw_actors.errors import PolicyError
from goclaw_actors.policy.domain_names import normalise_domain
from goclaw_actors.policy.policy_file import Policy, load_policy, parse_policy


def add_domain(path: Path, domain: str) -> tuple[str, Policy]:
    """Append `domain` in its canonical form (lower case, `*.` written as `.`) to `allow_domains` unless it is
    listed, write the file atomically (mode 0600) and return (the entry, the new policy). Raises PolicyError
    when the domain is no host name or the current or resulting file is invalid, OSError on I/O."""
    entry = normalise_domain(domain)
    current = load_policy(path)  # never build on an invalid file
    if entry in current.domains:
        return entry, current
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data["allow_domains"] = [*(data.get("allow_domains") or []), entry]
    new_text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    policy = parse_policy(new_text)
    if entry not in policy.domains:
        raise PolicyError(f"domain {entry!r} was not accepted")
    write_atomic(path, new_text)
    return entry, policy
