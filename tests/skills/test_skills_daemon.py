"""Skills in a running daemon: /api/skills and system.status, hot reload with `tools.updated`, quarantine
recorded in skill_registry and lifted by skill.enable, reload rollback, ABI mismatch, health and metrics,
the random fast path, prompt injection and use_skill seen by a fake provider (SPEC §8, §4.6, §9.8)."""

import json
import os
import sqlite3
import stat

import pytest

from goclaw_actors.wasm import faults
from goclaw_actors.wasm.faults import WasmFault
from goclaw_actors.wasm.sandbox import module_bytes
from tests.brain.fake_server import FakeServer, json_reply
from tests.e2e.tool_fixtures import completion, tool_calls_message
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import running_daemon
from tests.helpers import wait_until
from tests.skills.skill_fixtures import RANDOM_WAT, TRAP_WAT, write_skill

POLICY = "allow_capabilities: [acp.read, acp.mutate, skill.inject]\n"
CONFIG = "skills:\n  wasm:\n    timeout_seconds: 2\n"


@pytest.fixture
def api(tmp_path):
    home = tmp_path / "home"
    (home / "skills").mkdir(parents=True)
    (home / "policy.yaml").write_text(POLICY)
    write_skill(home / "skills", "pdf", "name: pdf\ndescription: Read PDF files", "Use pdftotext -layout.\n")
    (home / "skills" / "random.wat").write_text(RANDOM_WAT)
    write_skill(tmp_path / "skills", "Zed", "name: zed\ndescription: project skill")  # the project dir (cwd)
    with running_daemon(tmp_path, CONFIG) as api:
        yield api


def skills_of(api):
    return {item["Info"]["Name"]: item for item in api.get("/api/skills").json()["skills"]}


def registry(api, skill_id):
    with sqlite3.connect(api.daemon.runtime.db_path) as conn:
        return conn.execute("SELECT state, fault_count, content_hash FROM skill_registry WHERE skill_id = ?",
                            (skill_id,)).fetchone()


def test_skill_lists_report_the_catalog(api):
    body = api.get("/api/skills").json()
    assert [item["Info"]["Name"] for item in body["skills"]] == ["pdf", "random", "zed"]
    pdf, random, zed = body["skills"]
    assert (pdf["Info"]["Type"], pdf["Info"]["Source"], pdf["Enabled"], pdf["Info"]["Capabilities"]) == (
        "instruction", "user", True, ["skill.inject"])
    assert (random["Info"]["Type"], random["State"], random["Enabled"]) == ("wasm", "active", True)
    assert zed["Info"]["Source"] == "project"
    acp = AcpClient(port_of(api)).hello()
    try:
        status = acp.call("system.status")
    finally:
        acp.close()
    assert status["skills"] == body["skills"]
    assert status["tinygo_available"] is False and "tinygo not found on PATH" in status["tinygo_detail"]
    health = api.get("/healthz").json()
    assert health["skill_runtime"] == "wasmtime" and health["wasm_memory_limit_pages"] == 640
    assert health["skill_detail"] == "3 skills (2 instruction, 0 legacy, 1 wasm); 1 wasm modules loaded, 0 quarantined"
    assert registry(api, "random")[:2] == ("active", 0)


def test_a_new_skill_is_hot_loaded_and_announced(api, tmp_path):
    acp = AcpClient(port_of(api)).hello()
    try:
        write_skill(tmp_path / "home" / "skills", "notes", "name: notes\ndescription: Take notes")
        assert acp.next_notification("tools.updated", timeout=5) == {"name": "notes"}
    finally:
        acp.close()
    assert skills_of(api)["notes"]["Info"]["Description"] == "Take notes"
    (tmp_path / "home" / "skills" / "random.wat").unlink()
    wait_until(lambda: "random" not in skills_of(api), timeout=5, what="random to be unloaded")


def test_faults_quarantine_a_skill_until_it_is_re_enabled(api, tmp_path):
    (tmp_path / "home" / "skills" / "trap.wat").write_text(TRAP_WAT)
    wait_until(lambda: "trap" in skills_of(api), timeout=5, what="the trap skill")
    skills = api.daemon.runtime.skills
    for count in range(1, 6):
        with pytest.raises(WasmFault) as caught:
            skills.call("trap")
        assert caught.value.code == faults.FAULT and registry(api, "trap")[1] == count
    assert registry(api, "trap")[:2] == ("quarantined", 5)
    with pytest.raises(WasmFault) as caught:
        skills.call("trap")
    assert caught.value.code == faults.QUARANTINED
    item = skills_of(api)["trap"]
    assert (item["State"], item["Enabled"]) == ("quarantined", False)
    with sqlite3.connect(api.daemon.runtime.db_path) as conn:
        assert conn.execute("SELECT decision, action, reason, subject FROM audit_log WHERE decision = 'quarantine'"
                            ).fetchall() == [("quarantine", "skill.invoke", "fault_threshold_exceeded", "trap")]
    acp = AcpClient(port_of(api)).hello()
    try:
        assert acp.call("skill.enable", {"name": "trap"}) == {"name": "trap", "state": "active"}
    finally:
        acp.close()
    assert registry(api, "trap")[:2] == ("active", 0)
    with pytest.raises(WasmFault) as caught:
        skills.call("trap")
    assert caught.value.code == faults.FAULT


def test_new_content_lifts_quarantine_and_a_broken_module_keeps_the_old_one(api, tmp_path):
    path = tmp_path / "home" / "skills" / "random.wat"
    skills = api.daemon.runtime.skills
    path.write_text(TRAP_WAT.replace('"run"', '"random"'))
    wait_until(lambda: _calls_fault(skills), timeout=5, what="the faulty random module loaded")
    # faults past the threshold quarantine it (each call is one fault while the trap module runs)
    wait_until(lambda: _calls_fault(skills) and registry(api, "random")[0] == "quarantined", timeout=5,
               what="the faulty random module quarantined")
    path.write_text(RANDOM_WAT)
    wait_until(lambda: registry(api, "random")[0] == "active", timeout=5, what="new content to lift quarantine")
    assert skills.call("random") == 4
    path.write_text("(module (func (export \"random\") (result i32)")  # does not compile
    wait_until(lambda: skills_of(api)["random"]["Missing"], timeout=5, what="the load failure to be reported")
    assert skills_of(api)["random"]["Missing"][0].startswith("module not loaded: random.wat does not load")
    assert skills_of(api)["random"]["Missing"][0].endswith("the previous module keeps running")
    assert skills.call("random") == 4


def _calls_fault(skills):
    try:
        skills.call("random")
    except WasmFault:
        return True
    return False


def test_an_abi_mismatch_activates_nothing(api, tmp_path):
    skills_dir = tmp_path / "home" / "skills"
    (skills_dir / "future.abi").write_text("v2\n")
    (skills_dir / "future.wat").write_text(RANDOM_WAT)
    wait_until(lambda: "future" in skills_of(api), timeout=5, what="the future skill")
    item = skills_of(api)["future"]
    assert (item["Eligible"], item["Missing"]) == (False, ["Skill ABI mismatch: got v2 want v1"])
    with pytest.raises(WasmFault) as caught:
        api.daemon.runtime.skills.call("future")
    assert caught.value.code == faults.MODULE_NOT_FOUND
    log = (tmp_path / "home" / "logs" / "system.jsonl").read_text()
    assert '"msg": "Skill ABI mismatch"' in log


def test_random_fast_path_and_wasm_metrics(api):
    reply = api.post("/v1/chat/completions", json={"model": "goclaw-v1", "messages": [
        {"role": "user", "content": "Give me a random number please"}]}).json()
    assert reply["choices"][0]["message"]["content"] == "Random number: 4 (via random skill)"
    other = api.post("/v1/chat/completions", json={"model": "goclaw-v1", "messages": [
        {"role": "user", "content": "hello"}]}).json()
    assert "random" not in other["choices"][0]["message"]["content"]
    assert api.get("/metrics").json()["wasm_memory_limit_pages"] == 640
    text = api.get("/metrics/prometheus").text
    assert 'goclaw_wasm_module_memory_pages{module="random"} 0.0' in text


def test_tinygo_builds_go_skills_when_on_path(tmp_path):
    """A stand-in `tinygo` on PATH (the real one is not installed here) proves the hot-swap path: the build
    goes to <name>.staged.wasm, is loaded, and only then becomes <name>.wasm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "built.wasm").write_bytes(module_bytes(_wat(tmp_path, RANDOM_WAT)))
    tool = bin_dir / "tinygo"
    tool.write_text(f"#!/bin/sh\n# tinygo build -target=wasi -o OUT SRC\ncp {tmp_path / 'built.wasm'} \"$4\"\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    home = tmp_path / "home"
    (home / "skills").mkdir(parents=True)
    (home / "skills" / "random.go").write_text("package main\n")
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    with running_daemon(tmp_path, CONFIG, env) as api:
        assert (home / "skills" / "random.wasm").is_file() and not (home / "skills" / "random.staged.wasm").exists()
        assert api.daemon.runtime.skills.call("random") == 4
        acp = AcpClient(port_of(api)).hello()
        try:
            status = acp.call("system.status")
        finally:
            acp.close()
        assert status["tinygo_available"] is True and status["tinygo_detail"] == f"tinygo found at {tool}"


def _wat(tmp_path, text):
    path = tmp_path / "module.wat"
    path.write_text(text)
    return path


def injection_model(seen):
    """Calls use_skill once when asked to, then echoes the system prompt and the tool results it got."""
    messages = seen.body["messages"]
    user = next(m for m in reversed(messages) if m["role"] == "user")["content"]
    if user.startswith("load ") and messages[-1]["role"] != "tool":
        return json_reply(completion(tool_calls_message([("use_skill", {"skill_name": user[5:]})]), "tool_calls"))
    tools = [m["content"] for m in messages if m["role"] == "tool"]
    return json_reply(completion({"content": json.dumps({"system": messages[0]["content"], "tools": tools})}))


def test_skills_reach_the_model_by_name_and_through_use_skill(tmp_path):
    home = tmp_path / "home"
    (home / "skills").mkdir(parents=True)
    (home / "policy.yaml").write_text(POLICY)
    write_skill(home / "skills", "pdf", "name: pdf", "Use pdftotext -layout.\n")
    write_skill(home / "skills", "pdf-tools", "name: pdf-tools", "Prefer qpdf.\n")
    write_skill(home / "skills", "hidden", "name: hidden", "Filtered out.\n")
    with FakeServer(handler=injection_model) as model:
        config = ("llm:\n  provider: openai\nagents:\n  - agent_id: default\n    skills_filter: [pdf, pdf-tools]\n"
                  "delegation_max_hops: 1\n")
        env = {"OPENAI_API_KEY": "sk-test-0123456789abcdefghij", "OPENAI_BASE_URL": model.url + "/v1"}
        with running_daemon(tmp_path, config, env) as api:
            def ask(text):
                reply = api.post("/v1/chat/completions", json={"model": "goclaw-v1", "messages": [
                    {"role": "user", "content": text}]}).json()
                return json.loads(reply["choices"][0]["message"]["content"])

            system = ask("split this PDF with pdf-tools and hidden")["system"]
            assert system.endswith("# Skill: pdf-tools\n\nPrefer qpdf.\n\n# Skill: pdf\n\nUse pdftotext -layout.")
            assert "Filtered out" not in system and "# Skill:" not in ask("plain question")["system"]
            assert ask("load pdf")["tools"] == ["# Skill: pdf\n\nUse pdftotext -layout."]
            assert ask("load hidden")["tools"] == ["error: no skill named 'hidden'; available: pdf, pdf-tools"]
            (home / "policy.yaml").write_text("allow_capabilities: [acp.read, acp.mutate]\n")
            wait_until(lambda: not api.daemon.runtime.current_policy().allows("skill.inject"), timeout=5,
                       what="the policy without skill.inject")
            assert "# Skill:" not in ask("use pdf")["system"]


def test_an_installed_skill_reaches_the_running_daemon_without_capabilities(tmp_path, monkeypatch, capsys):
    from supervisors.commands import skill as skill_command
    source = tmp_path / "notes"
    write_skill(tmp_path, "notes", "name: notes\ndescription: Take notes")
    home = tmp_path / "home"
    home.mkdir()
    (home / "policy.yaml").write_text("allow_capabilities: [acp.read, acp.mutate]\n")
    with running_daemon(tmp_path, CONFIG) as api:
        monkeypatch.setenv("GOCLAW_HOME", str(home))
        capsys.readouterr()  # the daemon's log lines so far
        assert skill_command.main(["install", str(source)]) == 0 and "installed" in capsys.readouterr().out.splitlines()
        item = wait_until(lambda: skills_of(api).get("notes"), timeout=5, what="the installed skill")
        assert (item["Info"]["Source"], item["Info"]["SourceURL"], item["Info"]["Capabilities"]) == (
            "local", str(source), [])
        assert (item["Enabled"], item["Eligible"], item["Missing"]) == (False, True, ["Capability: skill.inject"])
        assert skill_command.main(["remove", "local-notes"]) == 0
        wait_until(lambda: "notes" not in skills_of(api), timeout=5, what="the removed skill to go")
