#!/usr/bin/env bash
# .venv-fuzz: schemathesis in its own venv. It needs a newer hypothesis than eth-brownie pins in .venv,
# so the two cannot share one. Idempotent: a second run with schemathesis present does nothing.
set -euo pipefail
PYTHON="${PYTHON:-python3}"
VENV="${1:-.venv-fuzz}"
if [ -x "$VENV/bin/schemathesis" ]; then
  exit 0
fi
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
"$VENV/bin/schemathesis" --version
