"""mypy, with the configuration in setup.cfg, finds nothing in the store's interface, its facade and the
modules that call the store (a wrong argument to `store.<noun>.<op>(...)` fails here)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_store_interface_and_its_callers_type_check():
    done = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
