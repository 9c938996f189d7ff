"""The MCP client's plain logic (SPEC §8.4, §2.6): server entries, the policy's MCP rules, tool names for
providers, tool results as text, the retry schedule and the tool registry's dynamic sources."""

import mcp_types as types
import pytest

from goclaw_actors.brain.providers.base import ToolSpec
from goclaw_actors.brain.tools import Tool, ToolRegistry
from goclaw_actors.config.loader import config_from_data
from goclaw_actors.errors import ConfigError
from goclaw_actors.mcp.reconnect import retry_after
from goclaw_actors.mcp.server_config import parse_servers
from goclaw_actors.mcp.session import ToolInfo
from goclaw_actors.mcp.tool_names import exposed_name, exposed_names
from goclaw_actors.mcp.tool_output import MAX_OUTPUT_CHARS, McpToolFailed, result_text
from goclaw_actors.policy.policy_file import parse_policy
from goclaw_actors.tools.mcp_tools import server_tools


def test_server_entries_default_their_transport_timeout_and_enabled_flag():
    stdio, http, sse = parse_servers([
        {"name": "fs", "command": "npx", "args": ["-y", "server", 3], "env": {"TOKEN": "${GH}", "N": 1}},
        {"name": "web", "url": "https://mcp.example/mcp", "timeout": 2.5, "enabled": False},
        {"name": "old", "url": "http://127.0.0.1:9/sse", "transport": "sse"}], "mcp.servers")
    assert (stdio.transport, stdio.args, stdio.timeout, stdio.enabled) == ("stdio", ("-y", "server", "3"), 30.0, True)
    assert stdio.environment({"GH": "ghp_x"}) == {"N": "1", "TOKEN": "ghp_x"}
    assert (http.transport, http.timeout, http.enabled) == ("streamable-http", 2.5, False)
    assert sse.transport == "sse"


@pytest.mark.parametrize("entry, error", [
    ({"command": "x"}, r"mcp.servers\[0\].name must be"),
    ({"name": "a b", "command": "x"}, r"mcp.servers\[0\].name must be"),
    ({"name": "a"}, r"mcp.servers\[0\] needs a command \(stdio\) or a url"),
    ({"name": "a", "transport": "stdio", "url": "http://h/mcp"}, r"command is required for the stdio"),
    ({"name": "a", "url": "ftp://h/x"}, r"url must be an http:// or https:// URL"),
    ({"name": "a", "command": "x", "transport": "websocket"}, r"transport must be one of"),
    ({"name": "a", "command": "x", "timeout": 0}, r"timeout must be at least 0.1"),
    ({"name": "a", "command": "x", "timeout": float("nan")}, r"timeout must be a finite number"),
    ({"name": "a", "command": "x", "enabled": "yes"}, r"enabled must be true or false"),
    ({"name": "a", "command": "x", "env": {"1BAD": "v"}}, r"is not an environment variable name"),
    ({"name": "a", "command": "x", "args": "one"}, r"args must be a list"),
    ({"name": "a", "command": "x", "cwd": "/"}, r"unknown field cwd"),
    ({"name": "a", "command": "x\x07"}, r"command must not contain control characters"),
])
def test_bad_server_entries_are_refused_naming_the_field(entry, error):
    with pytest.raises(ConfigError, match=error):
        parse_servers([entry], "mcp.servers")


def test_config_load_checks_global_and_agent_server_lists():
    with pytest.raises(ConfigError, match=r"duplicate server name 'a'"):
        config_from_data({"mcp": {"servers": [{"name": "a", "command": "x"}, {"name": "a", "command": "y"}]}}, {})
    with pytest.raises(ConfigError, match=r"agents\[0\] \(coder\).mcp_servers\[0\].url"):
        config_from_data({"agents": [{"agent_id": "coder", "mcp_servers": [{"name": "a", "url": "nope"}]}]}, {})
    config = config_from_data({"agents": [{"agent_id": "coder", "mcp_servers": [{"name": "a", "command": "x"}]}]}, {})
    assert config.agent("coder").extra["mcp_servers"] == [{"name": "a", "command": "x"}]


RULES = """
allow_capabilities: [tools.mcp]
mcp:
  default: deny
  rules:
    - {agent: "*", server: "*", tools: [echo]}
    - {agent: "*", server: fs, tools: [read]}
    - {agent: coder, server: "*", tools: [deploy]}
    - {agent: coder, server: fs, tools: ["*"]}
    - {agent: coder, server: fs, tools: []}
    - {server: github, tools: [mcp_github_create_issue]}
"""


@pytest.mark.parametrize("agent, server, tool, allowed", [
    ("coder", "fs", "write", True),      # exact agent + exact server (6) wins; the later tie loses
    ("helper", "fs", "write", False),    # * agent + exact server (3): only `read`
    ("helper", "fs", "read", True),
    ("helper", "fs", "echo", False),     # the higher score decides, even though `*`/`*` would allow echo
    ("coder", "web", "deploy", True),    # exact agent, any server (4)
    ("coder", "web", "echo", False),
    ("helper", "web", "echo", True),     # */* (1)
    ("helper", "github", "create_issue", True),  # a rule may name the tool as the model sees it
    ("helper", "github", "echo", False),
])
def test_mcp_rules_score_agent_and_server_and_the_best_rule_decides(agent, server, tool, allowed):
    assert parse_policy(RULES).mcp_allows(agent, server, tool) is allowed


def test_mcp_default_decides_when_no_rule_matches():
    assert parse_policy("mcp: {default: allow}\n").mcp_allows("a", "s", "t") is True
    assert parse_policy("mcp: {default: deny}\n").mcp_allows("a", "s", "t") is False
    assert parse_policy("mcp: {default: allow, rules: [{agent: b, tools: ['*']}]}\n").mcp_allows("a", "s", "t")


def test_tool_names_are_safe_for_every_provider_and_distinct():
    assert exposed_name("everything", "get-sum") == "mcp_everything_get-sum"
    assert exposed_name("git hub", "create.issue/v2") == "mcp_git_hub_create_issue_v2"
    long = exposed_name("server", "x" * 100)
    assert len(long) == 64 and long.startswith("mcp_server_xxx")
    names = exposed_names("s", ["a.b", "a_b", "a:b"])
    assert len(names) == 3 and sorted(names.values()) == ["a.b", "a:b", "a_b"]
    assert all(len(name) <= 64 and name.replace("_", "").replace("-", "").isalnum() for name in names)


def test_results_become_text_and_errors_raise():
    result = types.CallToolResult(content=[
        types.TextContent(type="text", text="one"),
        types.ImageContent(type="image", data="aGVsbG8h", mime_type="image/png"),
        types.EmbeddedResource(type="resource", resource=types.TextResourceContents(uri="file:///a", text="two")),
        types.ResourceLink(type="resource_link", uri="file:///b", name="b")])
    assert result_text(result) == "one\n[image image/png, 6 bytes]\ntwo\n[resource link file:///b: b]"
    assert result_text(types.CallToolResult(content=[], structured_content={"sum": 3})) == '{"sum": 3}'
    with pytest.raises(McpToolFailed, match="boom"):
        result_text(types.CallToolResult(content=[types.TextContent(type="text", text="boom")], is_error=True))
    big = result_text(types.CallToolResult(content=[types.TextContent(type="text", text="x" * (MAX_OUTPUT_CHARS + 5))]))
    assert big.endswith(f"[Output truncated at {MAX_OUTPUT_CHARS} characters]")


def test_retries_after_1_2_4_seconds_then_every_minute_down():
    assert [retry_after(n) for n in (1, 2, 3, 4, 9)] == [(1.0, False), (2.0, False), (4.0, False), (60.0, True),
                                                         (60.0, True)]


def test_server_tools_carry_schema_capability_and_the_rule_check():
    policy = parse_policy("mcp: {default: deny, rules: [{agent: a, server: s, tools: [ok]}]}\n")
    calls = []
    tools = server_tools("s", (ToolInfo("ok", "Fine.", {"type": "object", "properties": {"x": {"type": "integer"}}}),
                               ToolInfo("no", "", {"type": "nonsense"}),
                               ToolInfo("list", "", {"type": "array"})),
                         lambda name, args: calls.append((name, args)) or "done", lambda: policy)
    by_name = {tool.spec.name: tool for tool in tools}
    ok, no = by_name["mcp_s_ok"], by_name["mcp_s_no"]
    assert (ok.capability, ok.spec.description) == ("tools.mcp", "[MCP s] Fine.")
    assert ok.argument_errors({"x": "1"}) is not None and ok.argument_errors({"x": 1}) is None
    assert no.spec.parameters == {"type": "object", "properties": {}}  # an invalid schema is not passed on
    assert by_name["mcp_s_list"].spec.parameters == {"type": "object", "properties": {}}
    assert ok.refusal("a") is None and ok.refusal("b") == 'policy denied MCP tool "ok" of server "s" for agent "b"'
    assert ok.run({"x": 1}, None) == "done" and calls == [("ok", {"x": 1})]


def test_a_registry_adds_source_tools_behind_its_own_and_leaves_out_refused_ones():
    def tool(name, refusal=None):
        return Tool(ToolSpec(name, "", {"type": "object"}), "tools.mcp", lambda args, ctx: name, refusal=refusal)

    live = [tool("mcp_a_x"), tool("fixed"), tool("mcp_a_denied", lambda agent: "no")]
    registry = ToolRegistry([tool("fixed")], [lambda: live])
    assert registry.get("mcp_a_x") is live[0] and registry.get("fixed") is not live[1]
    assert [spec.name for spec in registry.specs(agent_id="a")] == ["fixed", "mcp_a_x"]
    assert [spec.name for spec in registry.specs()] == ["fixed", "mcp_a_denied", "mcp_a_x"]
    live.clear()
    assert registry.get("mcp_a_x") is None
