#!/usr/bin/env bash
# Make (or refresh) the baselines' own venv, .venv-baselines at the repo root, from
# bench/baselines/requirements.txt. Idempotent: a no-op while the venv matches the requirements.
# Quiet on success; on failure prints why (and pip's log) and exits non-zero.
# Override: PYTHON=python3.11 (interpreter), BASELINES_VENV=path (venv location).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-python3.11}"
VENV="${BASELINES_VENV:-$ROOT/.venv-baselines}"
REQS="$HERE/requirements.txt"
STAMP="$VENV/.requirements.sha256"
LOG="$VENV/.setup.log"

fail() {
    echo "bench/baselines/setup.sh: $*" >&2
    exit 1
}

command -v "$PYTHON" >/dev/null 2>&1 || fail "$PYTHON not found (Python 3.11 is required)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
    fail "$PYTHON is not Python 3.11"
[ -f "$REQS" ] || fail "missing $REQS"

want="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ] &&
    "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    exit 0  # up to date
fi

# A venv that is half made or of another Python is rebuilt from scratch.
if [ -e "$VENV" ] && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV" || fail "could not create the venv at $VENV"
fi

rm -f "$STAMP"
if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "$REQS" >"$LOG" 2>&1; then
    tail -n 30 "$LOG" >&2
    fail "pip install -r $REQS failed (full log: $LOG)"
fi
# The installed set must be importable, not just installed.
if ! "$VENV/bin/python" -c 'import jailguard, profanity_check' >>"$LOG" 2>&1; then
    tail -n 30 "$LOG" >&2
    fail "the baselines venv at $VENV installed but does not import (log: $LOG)"
fi
echo "$want" >"$STAMP"
