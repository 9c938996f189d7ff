"""The ACP memory, pin, share and context methods (SPEC §6): params, results, errors, scopes, capabilities and
audit; the memory export route; the PinWatcher keeping a pinned file current in the next prompt; and
`context.show` counting what the brain and compaction count."""

import sqlite3

import requests

from goclaw_actors.brain.compaction import available_tokens, message_tokens
from goclaw_actors.brain.history_reads import session_history
from goclaw_actors.http.acp.routes import acp_methods
from tests.gateway.chat_fixtures import Chat, chat, daemon, system_prompts  # noqa: F401 (fixtures)
from tests.helpers import wait_until

DAEMON_CONFIG = """gateway:
  auth:
    enabled: true
    keys:
      - key: scoped-key-0123
        agent_ids: [coder]
context_limits:
  o3: 50000
"""


def audit_rows(api, action_prefix):
    with sqlite3.connect(api.daemon.home / "goclaw.db") as conn:
        return conn.execute("SELECT action, decision, reason, subject, trace_id FROM audit_log WHERE action LIKE ? "
                            "ORDER BY created_at, rowid", (action_prefix + "%",)).fetchall()


def test_every_method_declares_its_capability():
    methods = acp_methods()
    for name in ("memory.set", "memory.delete", "memory.clear", "pin.add", "pin.remove", "share.add",
                 "share.remove"):
        assert methods[name].capability == "acp.mutate", name
    for name in ("memory.list", "memory.search", "pin.list", "share.list", "context.show"):
        assert methods[name].capability == "acp.read", name


def test_memory_methods(daemon, chat):
    api, _ = daemon
    acp = chat.acp
    assert acp.call("memory.set", {"key": "lang", "value": "Go"}) == {"saved": True}
    assert acp.call("memory.set", {"agent_id": "coder", "key": "style", "value": "terse\nand clear"}) == {"saved": True}
    items = acp.call("memory.list", {})["items"]
    assert [(i["key"], i["value"], i["relevance_score"], i["access_count"]) for i in items] == [("lang", "Go", 1.0, 0)]
    assert items[0]["updated_at"].endswith("Z")
    assert acp.call("memory.search", {"agent_id": "coder", "query": "CLEAR"})["items"][0]["key"] == "style"
    assert acp.call("memory.search", {"query": "zzz"}) == {"items": []}
    assert acp.error("memory.search", {}) == (1000, "query is required")
    assert acp.error("memory.set", {"key": "two words", "value": "x"}) == (1000, "key must not contain whitespace")
    assert acp.error("memory.set", {"key": "k", "value": "x" * 1001}) == (1000, "value must be at most 1000 characters")
    assert acp.error("memory.set", {"agent_id": "ghost", "key": "k", "value": "v"}) == (
        -32603, 'agent "ghost" not found')
    assert acp.call("memory.delete", {"key": "lang"}) == {"deleted": True}
    assert acp.call("memory.delete", {"key": "lang"}) == {"deleted": False}
    assert acp.call("memory.clear", {"agent_id": "coder"}) == {"deleted": 1}
    assert audit_rows(api, "memory.") == [("memory.set", "allow", "acp", "default:lang", None),
                                          ("memory.set", "allow", "acp", "coder:style", None),
                                          ("memory.delete", "allow", "acp", "default:lang", None),
                                          ("memory.delete", "allow", "acp", "default:lang", None),
                                          ("memory.clear", "allow", "acp", "coder", None)]
    chat.reply("/remember k v")
    assert audit_rows(api, "memory.set")[-1][2:4] == ("chat_command", "default:k")
    lines = (api.daemon.home / "logs" / "audit.jsonl").read_text().splitlines()
    assert sum('"capability": "memory.' in line for line in lines) == 6


def test_pin_and_share_methods(daemon, chat):
    api, _ = daemon
    acp = chat.acp
    workspace = api.daemon.home / "workspace"
    (workspace / "docs").mkdir()
    (workspace / "docs" / "brief.md").write_text("x" * 10)
    (workspace / "big.md").write_bytes(b"y" * (50 * 1024 + 1))
    source = str(workspace / "docs" / "brief.md")
    assert acp.call("pin.add", {"path": "docs/brief.md"}) == {"source": source, "token_count": 3}
    assert acp.call("pin.add", {"label": "todo", "text": "milk", "shared": True}) == {"source": "todo",
                                                                                      "token_count": 1}
    assert acp.error("pin.add", {"path": "big.md"})[1].startswith("file too large: ")
    assert acp.error("pin.add", {"path": "/etc/hostname"}) == (
        1000, "path denied: '/etc/hostname' is outside the allowed paths")
    assert audit_rows(api, "pin.add")[-1][:4] == ("pin.add", "deny", "path_denied", "/etc/hostname")
    assert acp.error("pin.add", {}) == (1000, "path, or label and text, are required")
    items = acp.call("pin.list", {})["items"]
    assert [(i["source"], i["pin_type"], i["token_count"], i["shared"]) for i in items] == [
        (source, "file", 3, False), ("todo", "text", 1, True)]
    acp.call("memory.set", {"key": "lang", "value": "Go"})
    assert acp.call("share.add", {"target_agent": "coder", "share_type": "memory", "item_key": "lang"}) == {
        "shared": True}
    assert acp.call("share.add", {"target_agent": "coder", "share_type": "pin", "item_key": "brief.md"}) == {
        "shared": True}
    assert acp.error("share.add", {"target_agent": "coder", "share_type": "everything"}) == (
        1000, "share_type must be one of memory, pin, all")
    assert acp.error("share.add", {"target_agent": "default", "share_type": "all"}) == (
        1000, "cannot share with the same agent")
    shares = acp.call("share.list", {"agent_id": "coder"})["items"]
    assert [(s["source_agent"], s["target_agent"], s["share_type"], s["item_key"]) for s in shares] == [
        ("default", "coder", "memory", "lang"), ("default", "coder", "pin", source)]
    assert acp.call("share.remove", {"target_agent": "coder", "share_type": "pin", "item_key": "docs/brief.md"}) == {
        "removed": True}
    assert acp.call("pin.remove", {"source": "brief.md"}) == {"removed": True}
    assert acp.call("pin.remove", {"source": "brief.md"}) == {"removed": False}
    assert [row[0] for row in audit_rows(api, "pin.") + audit_rows(api, "share.")] == [
        "pin.add", "pin.add", "pin.add", "pin.remove", "share.add", "share.add", "share.remove"]


def test_a_scoped_key_reaches_only_its_agents_knowledge(daemon):
    api, _ = daemon
    scoped = Chat(api, token="scoped-key-0123")
    try:
        assert scoped.acp.error("memory.list", {}) == (1000, 'api key not permitted for agent "default"')
        assert scoped.acp.call("memory.set", {"agent_id": "coder", "key": "k", "value": "v"}) == {"saved": True}
        assert scoped.acp.error("context.show", {"session_id": scoped.session_id}) == (
            1000, 'api key not permitted for agent "default"')
    finally:
        scoped.close()
    headers = {"X-API-Key": "scoped-key-0123"}
    exported = requests.get(api.base + "/api/agents/coder/memory", headers=headers, timeout=10)
    assert exported.status_code == 200
    body = exported.json()
    assert body["agent_id"] == "coder" and [m["key"] for m in body["memories"]] == ["k"]
    assert set(body["memories"][0]) == {"key", "value", "source", "relevance_score", "access_count", "created_at",
                                        "updated_at", "last_accessed"}
    assert requests.get(api.base + "/api/agents/default/memory", headers=headers, timeout=10).status_code == 403
    assert api.get("/api/agents/ghost/memory").status_code == 404
    assert api.get("/api/agents/default/memory").json()["memories"] == []


def test_a_pinned_file_edited_on_disk_is_in_the_next_prompt(daemon, chat):
    api, server = daemon
    path = api.daemon.home / "workspace" / "plan.md"
    path.write_text("step one")
    chat.acp.call("pin.add", {"path": "plan.md"})
    chat.reply("go")
    assert system_prompts(server)[-1].endswith("<pinned_context>\n--- plan.md ---\nstep one\n</pinned_context>")
    path.write_text("step two, revised")

    def refreshed():
        return chat.acp.call("pin.list", {})["items"][0]["token_count"] == 5

    wait_until(refreshed, timeout=10, what="the PinWatcher to read the edited file")
    chat.reply("and now?")
    assert system_prompts(server)[-1].endswith("--- plan.md ---\nstep two, revised\n</pinned_context>")
    assert audit_rows(api, "pin.refresh")[0][:3] == ("pin.refresh", "allow", "file_changed")
    path.unlink()
    log = api.daemon.home / "logs" / "system.jsonl"
    wait_until(lambda: "pinned file vanished" in log.read_text(), timeout=15, what="the vanished-file warning")
    chat.reply("still there?")
    assert system_prompts(server)[-1].endswith("--- plan.md ---\nstep two, revised\n</pinned_context>")


def test_context_show_counts_what_the_brain_and_compaction_count(daemon, chat):
    api, _ = daemon
    for line in ("one", "two three", "four five six"):
        chat.reply(line)
    chat.acp.call("memory.set", {"key": "lang", "value": "Go"})
    chat.acp.call("pin.add", {"label": "todo", "text": "milk and bread"})
    budget = chat.acp.call("context.show", {"session_id": chat.session_id})
    with sqlite3.connect(api.daemon.home / "goclaw.db") as conn:
        history = session_history(conn, chat.session_id, "default")
    components = {c["name"]: c["tokens"] for c in budget["components"]}
    assert list(components) == ["soul", "skills", "memory", "pins", "shared_knowledge", "summaries", "messages",
                                "output_reserve"]
    assert budget["limit"] == 50_000 and budget["available"] == available_tokens(50_000)  # context_limits override
    assert components["messages"] == sum(message_tokens(m) for m in history) and len(history) == 6
    assert components["summaries"] == 0 and components["output_reserve"] == 4096
    assert components["memory"] > 0 and components["pins"] > 0 and components["shared_knowledge"] == 0
    assert budget["total"] == sum(components.values())
    assert (budget["model"], budget["provider"]) == ("o3", "openai")
    profile = api.daemon.runtime.registry.proxy("agent_actor:default").prompt_profile().get(timeout=5)
    assert profile.context_limit == budget["limit"]
    assert chat.acp.error("context.show", {}) == (1000, "session_id must be uuid")
    assert chat.acp.error("context.show", {"session_id": chat.session_id, "agent_id": "ghost"}) == (
        -32603, 'agent "ghost" not found')
    text = chat.reply("/context")
    assert f"  messages{components['messages']:>18}" in text and "of 50000" in text
