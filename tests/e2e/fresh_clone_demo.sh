#!/usr/bin/env bash
# Prove that a fresh clone of the committed tree runs `make demo` to exit 0 with reports on disk.
# To keep it cheap it reuses an installed environment (RECGOV_VENV, default: this checkout's .venv) instead
# of reinstalling: the clone gets a .venv whose bin/ links there and whose set-up stamp is current,
# and PYTHONPATH makes the clone's own code the code that runs (checked below).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
venv="${RECGOV_VENV:-$here/.venv}"
# make reads VENV from the environment: the clone must use its own .venv, never install into another.
unset VENV
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

git clone --quiet "$here" "$work/recgov"
cd "$work/recgov"
mkdir .venv
ln -s "$venv/bin" .venv/bin
touch .venv/.installed
export PYTHONPATH="$PWD"
.venv/bin/python -c 'import sys, sandbox; assert sandbox.__file__.startswith(sys.argv[1]), sandbox.__file__' "$PWD"

installed() { "$venv/bin/python" -c 'import importlib.metadata as m; print(m.distribution("recgov").read_text("direct_url.json"))'; }
before="$(installed)"
started=$(date +%s.%N)
make --no-print-directory demo VENV=.venv
finished=$(date +%s.%N)
# The shared environment must still be installed from where it was: the clone set nothing up.
test "$(installed)" = "$before" || { echo "make demo reinstalled the shared environment" >&2; exit 1; }

for report in verify.txt verify.json verify.md verify.junit.xml verify.sarif verify.html \
              audit-objects.json proportionality.json report.html stack-outputs.json calls.csv; do
  test -s "reports/$report" || { echo "missing reports/$report" >&2; exit 1; }
done
.venv/bin/python - <<'PY'
import json
for kind in ("verify", "audit-objects", "proportionality"):
    summary = json.load(open(f"reports/{kind}.json", encoding="utf-8"))["summary"]
    assert summary["fail"] == 0 and summary["error"] == 0 and summary["pass"] > 0, (kind, summary)
PY
echo "fresh clone: make demo exited 0 in $(awk "BEGIN {printf \"%.1f\", $finished - $started}") s, reports in reports/"
