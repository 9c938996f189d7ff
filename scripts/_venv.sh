# Shared by scripts/run and scripts/test: create .venv once and install the project into it.
# Usage: . scripts/_venv.sh EXTRAS   (EXTRAS is "" or "[test]")
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.installed$1"
if [ ! -f "$STAMP" ] || [ "$ROOT/setup.cfg" -nt "$STAMP" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT$1"
  touch "$STAMP"
fi

# ensure_pinned NAME==VERSION...: install (without dependencies) each pinned package that is missing
# from .venv or at another version.
ensure_pinned() {
  local missing
  missing=$("$VENV/bin/python" - "$@" <<'PY'
import importlib.metadata as metadata
import sys

for spec in sys.argv[1:]:
    name, version = spec.split("==")
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        installed = None
    if installed != version:
        print(spec)
PY
)
  if [ -n "$missing" ]; then
    # shellcheck disable=SC2086  # one argument per line of $missing
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps $missing
  fi
}
