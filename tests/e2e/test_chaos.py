"""The short chaos run (scripts/chaos): ~200 requests over ACP and /v1 with tools and delegations, 10 kill -9
with restarts; nothing acknowledged is lost, nothing is stuck, every event chain is legal, every SUCCEEDED task
has one stored reply, and no side effect runs twice under one idempotency key."""

import subprocess
import sys

from tests.helpers import ROOT


def test_short_chaos_run_keeps_every_promise(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "chaos.py"), "--tasks", "200", "--kills", "10",
                          "--dir", str(tmp_path / "chaos")], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    assert "lost=0 stuck=0 illegal=0 duplicates=0" in run.stdout and "kills=10" in run.stdout, run.stdout
