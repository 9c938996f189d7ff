"""A supervisor actor with Erlang/OTP semantics, written for pykka (which has none).

Children start in order and stop in reverse order. A watcher green thread per child notices its
death at once; the strategy (one_for_one, rest_for_one, one_for_all) decides which children come
back, and the restart intensity (max_restarts in max_seconds) decides when the supervisor gives up:
it then stops its children, calls `on_escalate` and dies abnormally, so its own parent sees a crash.
"""

from typing import Any, Callable

import gevent
import pykka
from pykka.messages import ProxyGetAttr

from actors.exit_reason import exited_normally
from goclaw_actors.logs.system_log import get_logger
from supervisors.child_spec import TEMPORARY, ChildSpec
from supervisors.restart_intensity import RestartIntensity

STRATEGIES = ("one_for_one", "rest_for_one", "one_for_all")

log = get_logger("supervisor")

EscalateHook = Callable[[str, str], None]


class _ChildDown:
    """Told by a watcher when the child actor behind `ref` has stopped."""

    def __init__(self, child_id: str, ref: pykka.ActorRef):
        self.child_id = child_id
        self.ref = ref


class Supervisor(pykka.ThreadingActor):
    """Starts, watches and restarts its children; inspect it with which_children()."""

    def __init__(self, name: str, children: list[ChildSpec], strategy: str = "one_for_one",
                 max_restarts: int = 5, max_seconds: float = 10.0, on_escalate: EscalateHook | None = None):
        super().__init__()
        if strategy not in STRATEGIES:
            raise ValueError(f"supervisor {name!r}: strategy must be one of {STRATEGIES}, got {strategy!r}")
        ids = [spec.id for spec in children]
        if len(set(ids)) != len(ids):
            raise ValueError(f"supervisor {name!r}: duplicate child ids in {ids}")
        self.name = name
        self.strategy = strategy
        self._specs: list[ChildSpec] = list(children)
        self._refs: dict[str, pykka.ActorRef] = {}
        self._watchers: dict[str, gevent.Greenlet] = {}
        self._restarts: dict[str, int] = {spec.id: 0 for spec in children}
        self._intensity = RestartIntensity(max_restarts, max_seconds)
        self._on_escalate = on_escalate
        self._gave_up = False

    # --- lifecycle -------------------------------------------------------------------------

    def on_start(self) -> None:
        for spec in list(self._specs):
            try:
                self._start_child(spec)
            except Exception as exc:  # noqa: BLE001 - a child that cannot start fails the supervisor
                self._give_up(f"child {spec.id} failed to start: {exc}")
                return

    def on_stop(self) -> None:
        self._stop_children()

    def on_failure(self, exc_type, exc_value, traceback) -> None:
        log.error("supervisor crashed", supervisor=self.name, error=repr(exc_value))
        self._stop_children()

    def on_receive(self, message: Any) -> None:
        if not isinstance(message, _ChildDown):
            log.warn("supervisor ignored unknown message", supervisor=self.name, message=repr(message))
            return
        try:
            self._child_down(message.child_id, message.ref)
        except Exception as exc:  # noqa: BLE001 - a supervisor that cannot supervise must give up loudly
            self._give_up(f"handling exit of {message.child_id} failed: {exc!r}")

    # --- inspection and control (call through the proxy) ------------------------------------

    def which_children(self) -> list[dict[str, Any]]:
        """One entry per child spec, in start order."""
        out = []
        for spec in self._specs:
            ref = self._refs.get(spec.id)
            out.append({
                "id": spec.id,
                "alive": ref is not None and ref.is_alive(),
                "restart": spec.restart,
                "restarts": self._restarts.get(spec.id, 0),
                "supervisor": ref is not None and issubclass(ref.actor_class, Supervisor),
            })
        return out

    def get_child(self, child_id: str) -> pykka.ActorRef | None:
        """The running child called `child_id`, or None."""
        ref = self._refs.get(child_id)
        return ref if ref is not None and ref.is_alive() else None

    def start_child(self, spec: ChildSpec) -> pykka.ActorRef:
        """Add a child at the end and start it; raises ValueError if the id is taken."""
        if any(existing.id == spec.id for existing in self._specs):
            raise ValueError(f"supervisor {self.name!r} already has a child {spec.id!r}")
        self._specs.append(spec)
        self._restarts[spec.id] = 0
        try:
            return self._start_child(spec)
        except Exception:
            self._specs.remove(spec)
            raise

    def terminate_child(self, child_id: str) -> bool:
        """Stop a child and forget its spec; returns False if there was none."""
        spec = self._spec(child_id)
        if spec is None:
            return False
        self._stop_child(spec)
        self._specs.remove(spec)
        self._restarts.pop(child_id, None)
        return True

    def restart_child(self, child_id: str) -> pykka.ActorRef:
        """Stop and start one child on request (not counted against the intensity)."""
        spec = self._spec(child_id)
        if spec is None:
            raise KeyError(child_id)
        self._stop_child(spec)
        return self._start_child(spec)

    def total_restarts(self) -> int:
        """Restarts this supervisor has performed after crashes."""
        return self._intensity.total

    # --- internals --------------------------------------------------------------------------

    def _spec(self, child_id: str) -> ChildSpec | None:
        return next((spec for spec in self._specs if spec.id == child_id), None)

    def _start_child(self, spec: ChildSpec) -> pykka.ActorRef:
        ref = spec.start()
        if not isinstance(ref, pykka.ActorRef):
            raise TypeError(f"start of child {spec.id!r} returned {type(ref).__name__}, not an ActorRef")
        _await_started(spec, ref)
        self._refs[spec.id] = ref
        self._watchers[spec.id] = gevent.spawn(self._watch, spec.id, ref)
        return ref

    def _watch(self, child_id: str, ref: pykka.ActorRef) -> None:
        ref.actor_stopped.wait()
        try:
            self.actor_ref.tell(_ChildDown(child_id, ref))
        except pykka.ActorDeadError:
            pass  # the supervisor itself is gone; its parent deals with that

    def _stop_child(self, spec: ChildSpec) -> None:
        watcher = self._watchers.pop(spec.id, None)
        if watcher is not None:
            watcher.kill(block=False)
        ref = self._refs.pop(spec.id, None)
        if ref is None or not ref.is_alive():
            return
        try:
            stopped = ref.stop(block=True, timeout=spec.shutdown_timeout)
        except pykka.Timeout:
            stopped = False
        if stopped is False and ref.is_alive():
            log.error("child did not stop in time", supervisor=self.name, child=spec.id,
                      shutdown_timeout=spec.shutdown_timeout)

    def _stop_children(self) -> None:
        for spec in reversed(self._specs):
            try:
                self._stop_child(spec)
            except Exception as exc:  # noqa: BLE001 - keep stopping the others
                log.error("stopping child failed", supervisor=self.name, child=spec.id, error=repr(exc))

    def _child_down(self, child_id: str, ref: pykka.ActorRef) -> None:
        if self._refs.get(child_id) is not ref or self._gave_up:
            return  # stale notice: the child was stopped on purpose or already replaced
        spec = self._spec(child_id)
        self._refs.pop(child_id, None)
        self._watchers.pop(child_id, None)
        abnormal = not exited_normally(ref)
        log.log("warn" if abnormal else "info", "child exited", supervisor=self.name, child=child_id,
                reason="crash" if abnormal else "normal")
        if not spec.should_restart(abnormal):
            if spec.restart == TEMPORARY:
                self._specs.remove(spec)
            return
        if not self._intensity.record():
            self._give_up(f"restart intensity exceeded ({self._intensity.max_restarts} restarts in "
                          f"{self._intensity.max_seconds:g}s); last crash: {child_id}")
            return
        for again in self._affected(spec):
            if not self._restart(again):
                return

    def _affected(self, failed: ChildSpec) -> list[ChildSpec]:
        """Stop the siblings the strategy takes down with `failed`; returns the specs to start, in order."""
        if self.strategy == "one_for_one":
            return [failed]
        index = self._specs.index(failed)
        siblings = self._specs[index + 1:] if self.strategy == "rest_for_one" else \
            [spec for spec in self._specs if spec is not failed]
        running = [spec for spec in siblings if spec.id in self._refs]
        for spec in reversed(running):
            self._stop_child(spec)
        for spec in running:
            if spec.restart == TEMPORARY:
                self._specs.remove(spec)
        return [spec for spec in self._specs if spec is failed or spec in running]

    def _restart(self, spec: ChildSpec) -> bool:
        """Start `spec` again, retrying failed starts within the intensity; False when giving up."""
        while True:
            try:
                self._start_child(spec)
                self._restarts[spec.id] = self._restarts.get(spec.id, 0) + 1
                log.info("child restarted", supervisor=self.name, child=spec.id)
                return True
            except (Exception, gevent.Timeout) as exc:  # noqa: BLE001 - a failed start is a crash
                log.error("child restart failed", supervisor=self.name, child=spec.id, error=repr(exc))
                if not self._intensity.record():
                    self._give_up(f"child {spec.id} cannot be restarted: {exc}")
                    return False

    def _give_up(self, reason: str) -> None:
        """Stop every child, escalate, and die abnormally so the parent sees a crash."""
        if self._gave_up:
            return
        self._gave_up = True
        log.error("supervisor giving up", supervisor=self.name, reason=reason)
        self._stop_children()
        if self._on_escalate is not None:
            try:
                self._on_escalate(self.name, reason)
            except Exception as exc:  # noqa: BLE001 - the hook must not keep the supervisor alive
                log.error("escalation hook failed", supervisor=self.name, error=repr(exc))
        self.stop()


def _await_started(spec: ChildSpec, ref: pykka.ActorRef) -> None:
    """Block until the child's `on_start` has run, as OTP's start_link does, so the next sibling starts
    only after this one is up (a sub-supervisor is up once its own children are)."""
    try:
        ref.ask(ProxyGetAttr(attr_path=("actor_urn",)), timeout=spec.start_timeout)  # answered after on_start
    except pykka.ActorDeadError as exc:
        raise RuntimeError(f"child {spec.id!r} died while starting") from exc
    except pykka.Timeout as exc:
        ref.stop(block=False)
        raise RuntimeError(f"child {spec.id!r} did not start within {spec.start_timeout:g}s") from exc


def describe_tree(ref: pykka.ActorRef, timeout: float = 2.0) -> dict[str, Any]:
    """The running tree under a supervisor as nested dicts (for /healthz, metrics, the dashboard)."""
    proxy = ref.proxy()
    node: dict[str, Any] = {"name": proxy.name.get(timeout=timeout), "strategy": proxy.strategy.get(timeout=timeout),
                            "restarts": proxy.total_restarts().get(timeout=timeout), "children": []}
    for child in proxy.which_children().get(timeout=timeout):
        if child["supervisor"] and child["alive"]:
            child_ref = proxy.get_child(child["id"]).get(timeout=timeout)
            if child_ref is not None:
                try:
                    child = {**child, **describe_tree(child_ref, timeout)}
                except pykka.ActorDeadError:
                    child = {**child, "alive": False}
        node["children"].append(child)
    return node
