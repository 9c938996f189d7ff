"""policy.yaml: parsing, validation, version and the first-run default (SPEC §2.6)."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from goclaw_actors.atomic_file import write_atomic
from goclaw_actors.config.text_values import check_text, field_label, unencodable_path
from goclaw_actors.config.yaml_errors import yaml_error_text
from goclaw_actors.errors import ConfigError, PolicyError, StartupError
from goclaw_actors.fnv import fnv1a64_hex
from goclaw_actors.policy.domain_names import normalise_domain
from goclaw_actors.tools.catalog import BUILTIN_TOOLS

MAX_POLICY_BYTES = 2**20

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

    def mcp_allows(self, agent_id: str, server: str, tool: str) -> bool:
        """Whether `agent_id` may call `tool` of MCP server `server` under `mcp.rules` (SPEC §8.4): the
        matching rule with the highest score decides (exact agent 4, `*` agent 1, plus 2 for the exact server;
        ties go to the first in the file); it allows iff its `tools` names the tool (as the server names it
        or as `mcp_<server>_<tool>`) or `*`. With no matching rule, `mcp.default` decides. The capability
        `tools.mcp` is checked separately."""
        best, best_score = None, 0
        for rule in self.mcp_rules:
            score = _mcp_rule_score(rule, agent_id, server)
            if score > best_score:
                best, best_score = rule, score
        if best is None:
            return self.mcp_default == "allow"
        names = best.get("tools") or []
        return "*" in names or tool in names or any(name == f"mcp_{server}_{tool}" for name in names)

    def requires_approval(self, tool_name: str, capability: str) -> bool:
        """Whether a call of `tool_name` (needing `capability`) waits for an approval (`require_approval`)."""
        return tool_name in self.approval_required or capability in self.approval_required


def _mcp_rule_score(rule: dict[str, Any], agent_id: str, server: str) -> int:
    """A rule's score for (agent, server), 0 when it does not match; `agent`/`server` absent means `*`."""
    rule_agent, rule_server = rule["agent"], rule["server"]
    if rule_agent not in ("*", agent_id) or rule_server not in ("*", server):
        return 0
    return (4 if rule_agent == agent_id else 1) + (2 if rule_server == server else 0)


def _string_list(data: dict[str, Any], key: str, max_length: int = 4096, where: str = "") -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise PolicyError(f"{where}{key} must be a list of non-empty strings")
    try:
        return [check_text(item, f"{where}{key}[{index}]", max_length).strip() for index, item in enumerate(value)]
    except ConfigError as exc:
        raise PolicyError(str(exc)) from None


def _load_mapping(text: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy is not valid YAML: {yaml_error_text(exc)}") from None
    except RecursionError:
        raise PolicyError("policy is nested too deeply") from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise PolicyError("policy must be a mapping at the top level")
    bad_key = next((key for key in data if not isinstance(key, str)), None)
    if bad_key is not None:
        raise PolicyError(f"policy: top-level key {field_label(bad_key)} is not a string")
    bad_text = unencodable_path(data)
    if bad_text is not None:
        raise PolicyError(f"{bad_text} is not valid Unicode text (lone surrogate)")
    return data


def _mcp_rules(rules: Any) -> tuple[dict[str, Any], ...]:
    """The rules as `{agent, server, tools}` with names stripped (`agent`/`server` absent: `*`)."""
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise PolicyError("mcp.rules must be a list of {agent, server, tools} mappings")
    parsed = []
    for index, rule in enumerate(rules):
        where = f"mcp.rules[{index}]."
        names = {}
        for key in ("agent", "server"):
            if rule.get(key) is not None and not isinstance(rule[key], str):
                raise PolicyError(f"{where}{key} must be a string")
            names[key] = (_string_list({key: [rule[key]]}, key, 256, where)[0]
                          if isinstance(rule.get(key), str) and rule[key].strip() else "*")
        parsed.append({**names, "tools": _string_list(rule, "tools", 256, where)})
    return tuple(parsed)


def parse_policy(text: str) -> Policy:
    """A Policy from YAML text; raises PolicyError naming the field (unknown capability, wrong types, a
    domain that is no host name, text that is not valid Unicode, bad YAML)."""
    data = _load_mapping(text)
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
        raise PolicyError("mcp.default must be deny or allow")
    rules = _mcp_rules(mcp.get("rules") or [])
    # `*.example.com` is the same rule as `.example.com`: the domain and all of its subdomains.
    domains = [normalise_domain(domain, f"allow_domains[{index}]")
               for index, domain in enumerate(_string_list(data, "allow_domains"))]
    approval = _string_list(data, "require_approval")
    unknown = sorted(name for name in approval
                     if name not in CAPABILITIES and name not in BUILTIN_TOOLS and not name.startswith("mcp_"))
    if unknown:
        raise PolicyError(f"require_approval: unknown tool or capability: {', '.join(unknown)}")
    warnings = tuple(f"policy.yaml: unknown key {field_label(key)} ignored" for key in sorted(data)
                     if key not in _KNOWN_KEYS)
    return Policy(capabilities=frozenset(capabilities), domains=tuple(domains),
                  paths=tuple(_string_list(data, "allow_paths")), allow_loopback=loopback,
                  mcp_default=mcp_default, mcp_rules=rules,
                  checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(), warnings=warnings,
                  approval_required=frozenset(approval))


def load_policy(path: Path) -> Policy:
    """Read and parse policy.yaml; raises PolicyError (also for a file that is not UTF-8 or too large) or
    OSError."""
    if path.stat().st_size > MAX_POLICY_BYTES:
        raise PolicyError(f"{path} is larger than {MAX_POLICY_BYTES // 2**20} MiB")
    try:
        return parse_policy(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{path} is not UTF-8 text: {exc}") from None


def ensure_policy_file(path: Path) -> bool:
    """Write the default policy if none exists; True if written. Raises E_POLICY_BOOTSTRAP."""
    if path.exists():
        return False
    try:
        write_atomic(path, DEFAULT_POLICY_YAML)
    except OSError as exc:
        raise StartupError("E_POLICY_BOOTSTRAP", f"cannot write {path}: {exc}") from exc
    return True
