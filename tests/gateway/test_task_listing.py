"""`GET /api/tasks` lists summaries (no payload or result bodies unless `include` asks for them) and pages on
the creation-time index, so its cost does not grow with the bytes of the tasks it lists or skips (SPEC §9.5)."""

import json
import sqlite3

import pytest

from goclaw_actors.store import api_reads
from tests.gateway.rest_fixtures import running_daemon
from tests.helpers import insert_task

BIG = "p" * 200_000  # each task carries 200 KB of payload


@pytest.fixture
def listed(tmp_path):
    """(api, task ids newest first) with 45 big queued tasks of an agent no lane serves."""
    with running_daemon(tmp_path) as api:
        with sqlite3.connect(api.daemon.boot.db_path, timeout=5) as conn:
            for index in range(45):
                insert_task(conn, f"{index} {BIG}", agent_id="ghost")
            ids = [row[0] for row in conn.execute("SELECT id FROM tasks ORDER BY created_at DESC, id DESC")]
        yield api, ids


def test_a_listing_is_summaries_unless_bodies_are_asked_for(listed):
    api, ids = listed
    response = api.get("/api/tasks", params={"limit": 20})
    body = response.json()
    assert set(body) == {"tasks", "total"} and body["total"] == 45
    assert [task["id"] for task in body["tasks"]] == ids[:20]
    assert all("payload" not in task and "result" not in task for task in body["tasks"])
    assert {"id", "session_id", "type", "status", "attempt", "max_attempts", "available_at", "created_at",
            "updated_at", "agent_id"} <= set(body["tasks"][0])
    assert len(response.content) < 20_000  # 20 summaries, not 4 MB of payloads

    full = api.get("/api/tasks", params={"limit": 2, "include": "payload,result"}).json()["tasks"]
    assert [json.loads(task["payload"])["content"][:3] for task in full] == ["44 ", "43 "]
    assert api.get(f"/api/tasks/{ids[0]}").json()["payload"] == full[0]["payload"]  # the same text as GET by id
    response = api.get("/api/tasks", params={"include": "everything"})
    assert (response.status_code, response.json()) == (400, {"error": 'invalid include "everything": use payload '
                                                                      'and/or result'})


def test_pages_follow_each_other_newest_first(listed):
    api, ids = listed
    pages = [api.get("/api/tasks", params={"limit": 20, "offset": offset}).json()["tasks"] for offset in (0, 20, 40)]
    assert [task["id"] for page in pages for task in page] == ids
    assert api.get("/api/tasks", params={"offset": 45}).json() == {"tasks": [], "total": 45}
    queued = api.get("/api/tasks", params={"status": "queued", "limit": 5}).json()
    assert [task["id"] for task in queued["tasks"]] == ids[:5] and queued["total"] == 45


def test_listing_queries_walk_an_index_and_never_sort_the_table(listed):
    api, _ = listed
    with sqlite3.connect(api.daemon.boot.db_path, timeout=5) as conn:
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        for statuses, agents, session in [(None, None, None), (["QUEUED"], None, None), (None, ["ghost"], None),
                                          (None, None, "s-1")]:
            api_reads.list_tasks(conn, statuses, 20, 10, agents, session, payload=False, result=False)
        conn.set_trace_callback(None)
        pages = [s for s in statements if "ORDER BY" in s]
        assert len(pages) == 4
        for statement in pages:  # the page is found on an index; only its own rows are sorted afterwards
            inner = statement[statement.index("(SELECT rowid"):statement.rindex(") ORDER BY") + 1][1:-1]
            plan = " | ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + inner))
            assert "TEMP B-TREE" not in plan and "COVERING INDEX idx_tasks_" in plan, plan
        for statement in pages:
            columns = statement.split(" FROM ")[0]
            assert "payload" not in columns.replace("NULL", "") and " result" not in columns
