"""policy.yaml: parsing, validation, version and the first-run default (SPEC §2.6)."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from goclaw_actors.atomic_file import write_atomic
from goclaw_actors.errors import PolicyError, StartupError
from goclaw_actors.fnv import fnv1a64_hex
from goclaw_actors.tools.catalog import BUILTIN_TOOLS

CAPABILITIES = frozenset({
    "acp.read", "acp.mutate", "tools.web_search", "tools.read_url", "tools.read_file", "tools.write_file",
    "tools.exec", "tools.spawn_task", "tools.delegate_task", "tools.delegate_task_async", "tools.send_message",
    "tools.read_messages", "tools.memory_read", "tools.memory_write", "tools.send_alert", "tools.mcp",
    "tools.price_comparison", "wasm.http.get", "wasm.kv.set", "legacy.run", "legacy.dangerous", "skill.inject",
    "agent.create", "agent.remove",
})

DEFAULT_POLICY_YAML = """\
# goclaw policy: default deny. Only what is listed here is allowed.
allow_capabilities:
  - acp.read
  - acp.mutate
  - tools.web_search
  - tools.read_url
allow_domains:
  - duckduckgo.com
  - search.brave.com
  - api.search.brave.com
  - api.perplexity.ai
  - perplexity.ai
  - wikipedia.org
  - github.com
  - stackoverflow.com
# allow_paths: []        # empty means only $GOCLAW_HOME/workspace
allow_loopback: false
# require_approval: []   # tool names or capabilities (e.g. [tools.exec, write_file]) whose calls wait
#                        # for an operator's approval.respond (denied after approval_timeout_seconds)
mcp:
  default: deny
  rules: []
"""

_KNOWN_KEYS = {"allow_capabilities", "allow_domains", "allow_paths", "allow_loopback", "mcp", "require_approval"}


@dataclass(frozen=True)
class Policy:
    """A validated policy; `version` identifies its meaning, `checksum` its bytes."""

    capabilities: frozenset[str]
    domains: tuple[str, ...]
    paths: tuple[str, ...]
    allow_loopback: bool
    mcp_default: str = "deny"
    mcp_rules: tuple[dict[str, Any], ...] = ()
    checksum: str = ""
    warnings: tuple[str, ...] = field(default=())
    approval_required: frozenset[str] = frozenset()  # tool names and capabilities whose calls need approval

    @property
    def version(self) -> str:
        """`policy-` + FNV-1a 64 of sorted domains | sorted paths | sorted capabilities | loopback."""
        text = "|".join([",".join(sorted(self.domains)), ",".join(sorted(self.paths)),
                         ",".join(sorted(self.capabilities)), "true" if self.allow_loopback else "false"])
        return "policy-" + fnv1a64_hex(text)

    def allows(self, capability: str) -> bool:
        """Whether `capability` is granted."""
        return capability in self.capabilities

    def requires_approval(self, tool_name: str, capability: str) -> bool:
        """Whether a call of `tool_name` (needing `capability`) waits for an approval (`require_approval`)."""
        return tool_name in self.approval_required or capability in self.approval_required


def _string_list(data: dict[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise PolicyError(f"{key} must be a list of non-empty strings")
    return [item.strip() for item in value]


def parse_policy(text: str) -> Policy:
    """A Policy from YAML text; raises PolicyError (unknown capability, wrong types, bad YAML)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy is not valid YAML: {exc}") from exc
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise PolicyError("policy must be a mapping at the top level")
    capabilities = _string_list(data, "allow_capabilities")
    unknown = sorted(set(capabilities) - CAPABILITIES)
    if unknown:
        raise PolicyError(f"unknown capability: {', '.join(unknown)}")
    loopback = data.get("allow_loopback", False)
    if not isinstance(loopback, bool):
        raise PolicyError("allow_loopback must be true or false")
    mcp = data.get("mcp") or {}
    if not isinstance(mcp, dict):
        raise PolicyError("mcp must be a mapping")
    mcp_default = mcp.get("default", "deny")
    if mcp_default not in ("deny", "allow"):
        raise PolicyError(f"mcp.default must be deny or allow, got {mcp_default!r}")
    rules = mcp.get("rules") or []
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise PolicyError("mcp.rules must be a list of {agent, server, tools} mappings")
    # `*.example.com` is the same rule as `.example.com`: the domain and all of its subdomains.
    domains = [domain.lower()[1:] if domain.startswith("*.") else domain.lower()
               for domain in _string_list(data, "allow_domains")]
    approval = _string_list(data, "require_approval")
    unknown = sorted(name for name in approval
                     if name not in CAPABILITIES and name not in BUILTIN_TOOLS and not name.startswith("mcp_"))
    if unknown:
        raise PolicyError(f"require_approval: unknown tool or capability: {', '.join(unknown)}")
    warnings = tuple(f"policy.yaml: unknown key {key!r} ignored" for key in sorted(data) if key not in _KNOWN_KEYS)
    return Policy(capabilities=frozenset(capabilities), domains=tuple(domains),
                  paths=tuple(_string_list(data, "allow_paths")), allow_loopback=loopback,
                  mcp_default=mcp_default, mcp_rules=tuple(rules),
                  checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(), warnings=warnings,
                  approval_required=frozenset(approval))


def load_policy(path: Path) -> Policy:
    """Read and parse policy.yaml; raises PolicyError or OSError."""
    return parse_policy(path.read_text(encoding="utf-8"))


def ensure_policy_file(path: Path) -> bool:
    """Write the default policy if none exists; True if written. Raises E_POLICY_BOOTSTRAP."""
    if path.exists():
        return False
    try:
        write_atomic(path, DEFAULT_POLICY_YAML)
    except OSError as exc:
        raise StartupError("E_POLICY_BOOTSTRAP", f"cannot write {path}: {exc}") from exc
    return True
