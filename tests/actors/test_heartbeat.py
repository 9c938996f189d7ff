"""The HeartbeatActor in a running daemon (SPEC §10): a beat only with content in HEARTBEAT.md, one task per
slot in the heartbeat session, its reply appended once, also when the daemon died before recording it."""

from goclaw_actors.heartbeat import HEARTBEAT_SESSION, RESULTS_FILE, result_marker
from goclaw_actors.home import HEARTBEAT_TEMPLATE
from goclaw_actors.processor import FALLBACK_REPLY
from goclaw_actors.store.heartbeat_reads import APPENDED_KEY
from goclaw_actors.store.kv_reads import get_kv
from goclaw_actors.store.sqlite_reads import get_task
from tests.actors.daemon_fixture import daemon  # noqa: F401  (fixture)
from tests.helpers import wait_until


def test_beats_fire_with_content_only_and_replies_are_appended_once(daemon):  # noqa: F811
    rt = daemon.runtime
    heartbeat = rt.registry.proxy("heartbeat")
    workspace = rt.home / "workspace"
    assert (workspace / "HEARTBEAT.md").read_text() == HEARTBEAT_TEMPLATE
    assert heartbeat.beat(1).get(timeout=10) == {"status": "skipped", "reason": "HEARTBEAT.md has no content"}
    (workspace / "HEARTBEAT.md").write_text("# Heartbeat\n- check the backups\n")
    first = heartbeat.beat(1).get(timeout=10)
    assert first["status"] == "enqueued"
    wait_until(lambda: rt.reads.run(get_task, first["task_id"]).status == "SUCCEEDED", 10, what="the heartbeat task")
    task = rt.reads.run(get_task, first["task_id"])
    assert (task.type, task.agent_id, task.session_id) == ("heartbeat", "default", HEARTBEAT_SESSION)
    assert "- check the backups" in task.payload["content"]
    assert heartbeat.beat(1).get(timeout=10)["task_id"] == first["task_id"]  # one task per slot
    results = workspace / RESULTS_FILE
    wait_until(lambda: results.exists() and result_marker(first["task_id"]) in results.read_text(), 10,
               what="the reply appended")
    mark_before = rt.reads.run(get_kv, APPENDED_KEY)
    second = heartbeat.beat(2).get(timeout=10)
    wait_until(lambda: results.exists() and result_marker(second["task_id"]) in results.read_text(), 10)
    wait_until(lambda: rt.reads.run(get_kv, APPENDED_KEY) != mark_before, 10, what="the watermark moved")
    rt.store.kv.put_kv(key=APPENDED_KEY, value=mark_before)  # as if the daemon died before recording it
    assert heartbeat.collect().get(timeout=10) == 0
    text = results.read_text()
    assert text.count(result_marker(first["task_id"])) == 1 and text.count(result_marker(second["task_id"])) == 1
    assert text.count(FALLBACK_REPLY) == 2 and text.count("\n## ") == 2
