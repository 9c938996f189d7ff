"""Supervisor: strategies, restart types, intensity and escalation, stop order, no leaked greenlets."""

import gc
import time

import greenlet
import pykka
import pytest

from actors.exit_reason import stop_normally
from supervisors.child_spec import PERMANENT, TEMPORARY, TRANSIENT, ChildSpec
from supervisors.supervisor import Supervisor, describe_tree
from tests.helpers import wait_until


class Child(pykka.ThreadingActor):
    """A test child: records start/stop in a shared journal; crashes or exits on request."""

    def __init__(self, name: str, journal: list, fail_on_start: bool = False):
        super().__init__()
        self.name = name
        self.journal = journal
        self.fail_on_start = fail_on_start

    def on_start(self):
        self.journal.append(("start", self.name))
        if self.fail_on_start:
            raise RuntimeError("cannot start")

    def on_stop(self):
        self.journal.append(("stop", self.name))

    def on_receive(self, message):
        if message == "crash":
            raise RuntimeError("injected fault")
        if message == "exit":
            stop_normally(self)
        return message


def spec(name, journal, restart=PERMANENT, **kwargs):
    return ChildSpec(name, lambda: Child.start(name, journal, **kwargs), restart=restart)


def live_greenlets() -> int:
    return sum(1 for obj in gc.get_objects() if isinstance(obj, greenlet.greenlet) and not obj.dead)


@pytest.fixture
def journal():
    yield []
    pykka.ActorRegistry.stop_all()


def child(sup, name):
    return sup.proxy().get_child(name).get(timeout=2)


def restarted(sup, name, old):
    """The new ref of `name` once it differs from `old` and is alive."""
    return wait_until(lambda: (ref := child(sup, name)) is not None and ref is not old and ref, timeout=2,
                      what=f"restart of {name}")


def test_starts_in_order_and_stops_in_reverse(journal):
    sup = Supervisor.start("s", [spec(n, journal) for n in "abc"])
    wait_until(lambda: len(journal) == 3)
    assert journal == [("start", "a"), ("start", "b"), ("start", "c")]
    sup.stop()
    assert journal[3:] == [("stop", "c"), ("stop", "b"), ("stop", "a")]


def test_one_for_one_restarts_only_the_crashed_child_within_100ms(journal):
    sup = Supervisor.start("s", [spec(n, journal) for n in "abc"], strategy="one_for_one")
    a, b, c = (child(sup, n) for n in "abc")
    crashed_at = time.monotonic()
    b.tell("crash")
    new_b = restarted(sup, "b", b)
    assert time.monotonic() - crashed_at < 0.1
    assert a.is_alive() and c.is_alive() and new_b.ask("ping", timeout=1) == "ping"
    assert sup.proxy().total_restarts().get() == 1


def test_rest_for_one_restarts_the_crashed_child_and_those_after_it(journal):
    sup = Supervisor.start("s", [spec(n, journal) for n in "abc"], strategy="rest_for_one")
    a, b, c = (child(sup, n) for n in "abc")
    b.tell("crash")
    restarted(sup, "c", c)
    restarted(sup, "b", b)
    assert child(sup, "a") is a
    # c is stopped before b restarts, then b and c start again in order
    tail = [entry for entry in journal[3:] if entry[1] in "bc"]
    assert tail == [("stop", "c"), ("start", "b"), ("start", "c")]


def test_one_for_all_restarts_every_child(journal):
    sup = Supervisor.start("s", [spec(n, journal) for n in "ab"], strategy="one_for_all")
    a, b = child(sup, "a"), child(sup, "b")
    a.tell("crash")
    restarted(sup, "a", a)
    restarted(sup, "b", b)


def test_transient_child_restarts_after_crash_but_not_after_normal_exit(journal):
    sup = Supervisor.start("s", [spec("t", journal, restart=TRANSIENT)])
    first = child(sup, "t")
    first.tell("crash")
    second = restarted(sup, "t", first)
    second.tell("exit")
    wait_until(lambda: not second.is_alive())
    children = sup.proxy().which_children().get(timeout=2)
    assert children[0]["id"] == "t" and children[0]["alive"] is False
    assert sup.proxy().total_restarts().get() == 1


def test_temporary_child_is_never_restarted_and_forgotten(journal):
    sup = Supervisor.start("s", [spec("tmp", journal, restart=TEMPORARY), spec("p", journal)])
    child(sup, "tmp").tell("crash")
    wait_until(lambda: [c["id"] for c in sup.proxy().which_children().get(timeout=2)] == ["p"])
    assert sup.proxy().total_restarts().get() == 0


def test_intensity_exceeded_stops_children_escalates_and_dies(journal):
    escalations = []
    sup = Supervisor.start("s", [spec("a", journal), spec("b", journal)], max_restarts=2, max_seconds=10,
                           on_escalate=lambda name, reason: escalations.append((name, reason)))
    b = child(sup, "b")
    for _ in range(2):
        b.tell("crash")
        b = restarted(sup, "b", b)
    b.tell("crash")
    wait_until(lambda: not sup.is_alive(), timeout=2, what="supervisor to give up")
    assert escalations and escalations[0][0] == "s" and "intensity" in escalations[0][1]
    assert not any(ref.is_alive() for ref in pykka.ActorRegistry.get_all())


def test_nested_supervisor_failure_escalates_to_the_parent_which_restarts_it(journal):
    def inner():
        return Supervisor.start("inner", [spec("leaf", journal)], max_restarts=0, max_seconds=10)

    outer = Supervisor.start("outer", [ChildSpec("inner", inner)])
    first_inner = child(outer, "inner")
    leaf = first_inner.proxy().get_child("leaf").get(timeout=2)
    leaf.tell("crash")
    new_inner = restarted(outer, "inner", first_inner)
    wait_until(lambda: new_inner.proxy().get_child("leaf").get(timeout=2) is not None)
    tree = describe_tree(outer)
    assert tree["name"] == "outer" and tree["restarts"] == 1
    assert tree["children"][0]["children"][0]["id"] == "leaf"


def test_child_failing_in_on_start_fails_the_supervisor_start(journal):
    escalations = []
    sup = Supervisor.start("s", [spec("a", journal), spec("bad", journal, fail_on_start=True), spec("c", journal)],
                           on_escalate=lambda name, reason: escalations.append(reason))
    wait_until(lambda: escalations, timeout=3, what="escalation")
    assert "bad died while starting" in str(escalations[0]) or "bad failed to start" in escalations[0]
    assert ("start", "c") not in journal  # siblings after it never start
    assert ("stop", "a") in journal
    wait_until(lambda: not sup.is_alive(), timeout=3)


def test_start_waits_for_on_start_so_siblings_start_in_order(journal):
    class Slow(Child):
        def on_start(self):
            import gevent
            gevent.sleep(0.05)  # yields: without waiting, the next sibling would start first
            super().on_start()

    Supervisor.start("s", [ChildSpec("slow", lambda: Slow.start("slow", journal)), spec("next", journal)])
    wait_until(lambda: len(journal) == 2)
    assert journal == [("start", "slow"), ("start", "next")]


def test_a_restart_that_fails_in_on_start_is_retried_until_intensity(journal):
    escalations, failing = [], []

    class Flaky(Child):
        def on_start(self):
            self.journal.append(("start", self.name))
            if failing:
                raise RuntimeError("cannot start")

    sup = Supervisor.start("s", [ChildSpec("flaky", lambda: Flaky.start("flaky", journal))], max_restarts=3,
                           max_seconds=10, on_escalate=lambda name, reason: escalations.append(reason))
    first = child(sup, "flaky")
    failing.append(True)
    first.tell("crash")
    wait_until(lambda: escalations, timeout=3, what="escalation")
    assert journal.count(("start", "flaky")) == 4  # the first start, then three failed restarts


def test_start_function_raising_fails_the_supervisor(journal):
    escalations = []

    def broken():
        raise OSError("no such resource")

    sup = Supervisor.start("s", [spec("a", journal), ChildSpec("b", broken)],
                           on_escalate=lambda name, reason: escalations.append(reason))
    wait_until(lambda: not sup.is_alive(), timeout=2)
    assert "b failed to start" in escalations[0]
    assert ("stop", "a") in journal


def test_start_terminate_and_restart_child_on_request(journal):
    sup = Supervisor.start("s", [spec("a", journal)]).proxy()
    sup.start_child(spec("b", journal)).get(timeout=2)
    with pytest.raises(ValueError):
        sup.start_child(spec("b", journal)).get(timeout=2)
    old = sup.get_child("b").get()
    assert sup.restart_child("b").get(timeout=2) is not old
    assert sup.terminate_child("b").get(timeout=2) is True
    assert [c["id"] for c in sup.which_children().get()] == ["a"]
    assert sup.terminate_child("zzz").get() is False
    assert sup.total_restarts().get() == 0  # requested restarts do not count


def test_invalid_specs_are_rejected():
    with pytest.raises(ValueError):
        ChildSpec("x", lambda: None, restart="sometimes")
    with pytest.raises(ValueError):
        Supervisor("s", [], strategy="one_for_some")
    with pytest.raises(ValueError):
        Supervisor("s", [ChildSpec("x", lambda: None), ChildSpec("x", lambda: None)])


def test_no_greenlets_leak_across_crashes_and_stop(journal):
    gc.collect()
    before = live_greenlets()
    sup = Supervisor.start("s", [spec(n, journal) for n in "abc"], strategy="rest_for_one")
    for _ in range(3):
        a = child(sup, "a")
        a.tell("crash")
        restarted(sup, "a", a)
    sup.stop()
    wait_until(lambda: (gc.collect(), live_greenlets())[1] <= before, timeout=3,
               what="greenlets to finish")
