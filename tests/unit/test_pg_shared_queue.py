"""What only a store shared by several daemons needs (PostgreSQL): event ids in commit order across
daemons, other daemons' events fed to this one, lease owners naming the daemon, one scheduler at a time."""

from goclaw_actors.queue import states as st
from goclaw_actors.store.pg_connection import PgConnection
from goclaw_actors.store.pg_event_feed import EventFeed, foreign_event_ids
from goclaw_actors.store.pg_queue import PostgresQueue, notify_payloads
from goclaw_actors.store.pg_database import open_postgres
from goclaw_actors.store.scheduler_lock import SchedulerLock
from goclaw_actors.store.store_target import PostgresTarget
from tests.helpers import wait_until


def store(dsn):
    conn = open_postgres(dsn)
    conn.execute("BEGIN")
    PostgresQueue(conn).upsert_agent("default", {"max_queue_depth": 0, "worker_count": 4})
    conn.execute("COMMIT")
    return conn


def begin(conn, instance):
    conn.execute("BEGIN")
    return PostgresQueue(conn, instance)


def commit(conn, queue):
    queue.flush_events()
    conn.execute("COMMIT")


def test_event_ids_follow_commit_order_across_daemons(pg_dsn):
    first, second = store(pg_dsn), PgConnection(pg_dsn)
    try:
        early = begin(first, "daemon-a")
        early_task = early.enqueue("s1", {"content": "recorded first, committed last"})["task_id"]
        late = begin(second, "daemon-b")
        late_task = late.enqueue("s2", {"content": "recorded second, committed first"})["task_id"]
        commit(second, late)
        commit(first, early)
        ids = dict(first.execute("SELECT task_id, event_id FROM task_events").fetchall())
        assert ids[late_task] < ids[early_task]  # a client resuming after the earlier id misses nothing
        assert early.committed_events[0]["event_id"] == ids[early_task]
    finally:
        first.close()
        second.close()


def test_claims_name_the_daemon_and_never_share_a_task(pg_dsn):
    first, second = store(pg_dsn), PgConnection(pg_dsn)
    try:
        queue = begin(first, "daemon-a")
        for index in range(4):
            queue.enqueue(f"s{index}", {"content": f"task {index}"})
        commit(first, queue)
        a = begin(first, "daemon-a")
        mine = a.claim_batch("default", 30, limit=3)  # held, uncommitted: the other daemon skips them
        b = begin(second, "daemon-b")
        theirs = b.claim_batch("default", 30, limit=3)
        commit(second, b)
        commit(first, a)
        assert len(mine) == 3 and len(theirs) == 1
        assert {task.id for task in mine}.isdisjoint(task.id for task in theirs)
        assert all(task.lease_owner.startswith("daemon-a:") for task in mine)
        assert theirs[0].lease_owner.startswith("daemon-b:") and theirs[0].status == st.RUNNING
    finally:
        first.close()
        second.close()


def test_the_feed_delivers_other_daemons_events_not_its_own(pg_dsn):
    conn = store(pg_dsn)
    feed = EventFeed(pg_dsn, "daemon-a")
    try:
        own = begin(conn, "daemon-a")
        own.enqueue("s-own", {"content": "mine"})
        commit(conn, own)
        other = begin(conn, "daemon-b")
        task_id = other.enqueue("s-other", {"content": "theirs"})["task_id"]
        claimed = other.claim("default", 30)
        commit(conn, other)
        events = wait_until(lambda: feed.next_events(0.2), timeout=5, what="relayed events")
        assert [(e["task_id"], e["event_type"]) for e in events] == [(task_id, st.EV_ENQUEUED),
                                                                    (claimed.id, st.EV_CLAIMED)]
        assert events[0] == other.committed_events[0]  # the same shape the store publishes locally
    finally:
        feed.close()
        conn.close()


def test_notify_payloads_stay_small_and_parse_back():
    payloads = notify_payloads("abc", list(range(1, 1001)))
    assert all(len(payload) < 8000 for payload in payloads)
    assert [i for payload in payloads for i in foreign_event_ids(payload, "other")] == list(range(1, 1001))
    assert foreign_event_ids(payloads[0], "abc") == [] and foreign_event_ids("junk", "abc") == []


def test_one_scheduler_at_a_time_and_a_dead_holders_lock_is_taken_over(pg_dsn):
    first = SchedulerLock(PostgresTarget(pg_dsn, instance_id="daemon-a"))
    second = SchedulerLock(PostgresTarget(pg_dsn, instance_id="daemon-b"))
    admin = PgConnection(pg_dsn)
    try:
        assert first.held() and not second.held()
        assert first.held() and not second.held()
        # the holder dies without a word (kill -9): the server ends its session and frees the lock
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE application_name = 'goclaw-scheduler:daemon-a'")
        wait_until(second.held, timeout=5, what="the lock taken over")
        assert not first.held()
    finally:
        first.release()
        second.release()
        admin.close()
