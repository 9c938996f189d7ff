"""Telemetry over the daemon's life (SPEC §11.3, §2.7): off means OpenTelemetry is never imported; edits of
`telemetry.*` in config.yaml apply while the daemon runs; an edit with bad telemetry settings is refused."""

import subprocess
import sys
import textwrap
import uuid

from goclaw_actors import telemetry
from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat, wait_terminal
from supervisors.daemon import Daemon
from supervisors.gateway_context import DaemonGatewayContext
from supervisors.health import HealthProbe
from tests.actors.daemon_fixture import daemon  # noqa: F401  (fixture)
from tests.helpers import ROOT, wait_until

APPLY_SECONDS = 5.0

DISABLED_DAEMON = textwrap.dedent("""
    from gevent import monkey; monkey.patch_all()
    import sys, tempfile
    from pathlib import Path
    from supervisors.daemon import Daemon
    from supervisors.gateway_context import DaemonGatewayContext
    from supervisors.health import HealthProbe
    from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat, wait_terminal

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        (home / "config.yaml").write_text("agents: []\\nworker_count: 1\\ndelegation_max_hops: 0\\n"
                                          "bind_addr: 127.0.0.1:0\\n")
        daemon = Daemon(home, {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": "t"}, Path(tmp), log_to_stdout=False)
        daemon.start()
        ctx = DaemonGatewayContext(daemon.runtime, "t", home, HealthProbe(daemon.runtime).health)
        task_id = enqueue_chat(ctx, ChatRequest("default", "00000000-0000-4000-8000-000000000001", "hi"))
        assert wait_terminal(ctx, task_id, timeout=10).status == "SUCCEEDED"
        daemon.shutdown()
    print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
""")


def test_with_telemetry_off_opentelemetry_is_never_imported():
    result = subprocess.run([sys.executable, "-c", DISABLED_DAEMON], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_telemetry_settings_apply_live_and_bad_ones_are_refused(daemon):  # noqa: F811
    home = daemon.boot.home
    base = (home / "config.yaml").read_text()
    assert telemetry.installed() is None

    (home / "config.yaml").write_text(base + "telemetry: {enabled: true, exporter: none, service_name: live-1}\n")
    first = wait_until(telemetry.installed, APPLY_SECONDS, what="telemetry switched on")
    assert first.settings.service_name == "live-1"

    (home / "config.yaml").write_text(base + "telemetry: {enabled: true, exporter: kafka, service_name: live-2}\n")
    log = home / "logs" / "system.jsonl"
    wait_until(lambda: "telemetry.exporter must be one of" in log.read_text(), APPLY_SECONDS, what="the refusal")
    assert telemetry.installed() is first and daemon.runtime.config.get("telemetry.service_name") == "live-1"

    (home / "config.yaml").write_text(base + "telemetry: {enabled: true, exporter: none, sample_rate: 0.5}\n")
    second = wait_until(lambda: telemetry.installed() is not first and telemetry.installed(), APPLY_SECONDS,
                        what="telemetry reconfigured")
    assert (second.settings.sample_rate, second.settings.service_name) == (0.5, "goclaw")

    (home / "config.yaml").write_text(base)
    wait_until(lambda: telemetry.installed() is None, APPLY_SECONDS, what="telemetry switched off")
    assert '"msg": "telemetry stopped"' in log.read_text()


def test_under_the_dashboard_the_stdout_exporter_prints_nothing(tmp_path, capsys):
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\nbind_addr: 127.0.0.1:0\n"
                                      "telemetry: {enabled: true, exporter: stdout}\n")
    daemon = Daemon(home, {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": "t"}, tmp_path, log_to_stdout=False)
    daemon.start()
    try:
        ctx = DaemonGatewayContext(daemon.runtime, "t", home, HealthProbe(daemon.runtime).health)
        task_id = enqueue_chat(ctx, ChatRequest("default", str(uuid.uuid4()), "hi"))
        assert wait_terminal(ctx, task_id, timeout=10).status == "SUCCEEDED"
        assert telemetry.installed() is not None  # spans are made (the task has a trace), not printed
    finally:
        daemon.shutdown()
    assert capsys.readouterr().out == ""
    assert "stdout is not the daemon's" in (home / "logs" / "system.jsonl").read_text()
