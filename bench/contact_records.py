"""Benchmark ``recgov proportionality --contact-records`` against DuckDB's own ``read_json`` (not a test).

    python bench/contact_records.py --out /tmp/ctr                     # 10 M records, generated once
    python bench/contact_records.py --out /tmp/ctr --records 1000000 --repeat 3

Generates the data with ``bench/contact_records_gen.py`` unless ``--out`` already holds it for the
same count (gzip JSON Lines in ``year=/month=/day=`` partitions and a Parquet inventory of the
quality bucket), then runs, each in its own child process and in the same run:

- the floor: DuckDB's ``read_json`` over the same files, reading the same fields, keeping each
  contact's latest delivery and counting calls and recorded calls per agent and month (what
  proportionality computes, without validating a field or reading the bucket's inventory);
- ``recgov proportionality --contact-records DIR --inventory MANIFEST``: the real CLI with every
  check, the inventory's checksums and the report.

Both tables are compared row by row (the benchmark fails if they differ), then the wall and CPU
times, peak resident memory (from ``wait4``, see ``bench/peak.py``) and the ratio to the floor are
printed with the targets: within 1.5x of the floor, under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.peak import Peak, measure  # noqa: E402

PYTHON = sys.executable
RATIO_TARGET = 1.5
PEAK_TARGET_MB = 1024
READY = "ready.json"
MEMORY_LIMIT = "768MB"
"""recgov's default DuckDB memory ceiling (--memory-limit)."""


def ensure_data(out: Path, records: int) -> tuple[Path, Path]:
    """The records directory and inventory manifest for ``records`` records, generated if absent."""
    marker = out / READY
    if marker.is_file():
        done = json.loads(marker.read_text())
        if done.get("records") == records:
            return Path(done["folder"]), Path(done["manifest"])
    generated = subprocess.run([PYTHON, str(ROOT / "bench" / "contact_records_gen.py"), "--out", str(out),
                                "--records", str(records)], capture_output=True, text=True, check=True)
    folder, manifest = generated.stdout.split()
    marker.write_text(json.dumps({"records": records, "folder": folder, "manifest": manifest}))
    return Path(folder), Path(manifest)


FLOOR_SQL = """
SELECT r.agent, strftime(r.started, '%Y-%m') AS month, count(*) AS calls, count(r.location) AS recordings
FROM (
  SELECT arg_max(struct_pack(voice := Channel = 'VOICE', agent := Agent.Username,
                             started := CAST(InitiationTimestamp AS TIMESTAMPTZ), location := Recording.Location),
                 CAST(LastUpdateTimestamp AS TIMESTAMPTZ)) AS r
  FROM read_json({files}, columns = {{'ContactId': 'VARCHAR', 'Channel': 'VARCHAR',
                 'InitiationTimestamp': 'VARCHAR', 'LastUpdateTimestamp': 'VARCHAR',
                 'Agent': 'STRUCT(Username VARCHAR)', 'Recording': 'STRUCT(Location VARCHAR)'}})
  GROUP BY ContactId
) WHERE r.voice AND r.agent IS NOT NULL GROUP BY ALL ORDER BY 1, 2
"""


def floor_argv(folder: Path, table: Path, memory_limit: str | None = None) -> list[str]:
    """DuckDB alone: the same per-agent-month counts from the same files, written as JSON; with its own
    memory ceiling (80 % of RAM) unless ``memory_limit`` gives recgov's."""
    files = "'" + str(folder) + "/**/*.json.gz'"
    config = f"config={{'memory_limit': {memory_limit!r}}}" if memory_limit else ""
    code = ("import duckdb, json, sys\n"
            f"con = duckdb.connect({config}); con.execute(\"SET TimeZone = 'UTC'\")\n"
            "con.execute('SET enable_progress_bar = false')\n"
            f"rows = con.execute({FLOOR_SQL.format(files=files)!r}).fetchall()\n"
            f"json.dump([list(r) for r in rows], open({str(table)!r}, 'w'))\n")
    return [PYTHON, "-c", code]


def recgov_argv(folder: Path, manifest: Path, report: Path) -> list[str]:
    """The real CLI, every check, the JSON report written to ``report``."""
    return [PYTHON, "-c", "from governance.cli import main; main()", "proportionality", "--contact-records",
            str(folder), "--inventory", str(manifest), "--format", "json", "--output", str(report)]


def same_counts(floor_table: Path, report: Path) -> int:
    """The agent-months both computed; exits if any count differs."""
    floor = {(a, m): (c, r) for a, m, c, r in json.loads(floor_table.read_text())}
    ours = {(r["agent_id"], r["month"]): (r["calls"], r["recordings"])
            for r in json.loads(report.read_text())["tables"]["agent_months"]}
    if floor != ours:
        differing = sorted(k for k in floor.keys() | ours.keys() if floor.get(k) != ours.get(k))[:5]
        examples = [(k, floor.get(k), ours.get(k)) for k in differing]
        raise SystemExit(f"the per-agent-month counts differ (agent-month, floor, recgov), e.g. {examples}")
    return len(ours)


def run(argv: list[str], label: str) -> Peak:
    """One child's figures; exit codes 0 and 1 (violations, which the data has) are a completed run."""
    peak = measure(argv)
    if peak.returncode not in (0, 1):
        raise SystemExit(f"{label} failed ({peak.returncode}): {peak.stderr.strip()[-2000:]}")
    return peak


def main() -> None:
    """Generate if needed, measure in rounds, compare and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "recgov-contact-records")
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of both measurements; medians shown")
    args = parser.parse_args()
    folder, manifest = ensure_data(args.out, args.records)
    files = sorted(folder.rglob("*.json.gz"))
    size = sum(p.stat().st_size for p in files) / 1e6
    print(f"cores: {os.cpu_count()}; {args.records:,} contact records in {len(files)} gzip files ({size:,.0f} MB); "
          f"median of {args.repeat} run(s)")
    floors: list[Peak] = []
    limited: list[Peak] = []
    ours: list[Peak] = []
    with tempfile.TemporaryDirectory() as scratch:
        table, report = Path(scratch) / "floor.json", Path(scratch) / "report.json"
        for _ in range(args.repeat):
            floors.append(run(floor_argv(folder, table), "the floor"))
            limited.append(run(floor_argv(folder, table, MEMORY_LIMIT), "the floor under recgov's memory limit"))
            ours.append(run(recgov_argv(folder, manifest, report), "recgov proportionality"))
        months = same_counts(table, report)
    print(f"same per-agent-month counts: {months:,} agent-months\n")
    print(f"{'measurement':<46}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}{'x floor':>9}")
    floor_s = statistics.median(p.seconds for p in floors)
    for label, peaks in (("DuckDB read_json, same counts (floor)", floors),
                         (f"the same, DuckDB limited to {MEMORY_LIMIT}", limited),
                         ("recgov proportionality --contact-records", ours)):
        wall = statistics.median(p.seconds for p in peaks)
        cpu = statistics.median(p.cpu_seconds for p in peaks)
        peak_mb = max(p.peak_mb for p in peaks)
        print(f"{label:<46}{wall:>9.1f}{cpu:>9.1f}{peak_mb:>9.0f}{wall / floor_s:>9.2f}")
    ratio = statistics.median(p.seconds for p in ours) / floor_s
    peak = max(p.peak_mb for p in ours)
    print(f"\ntarget within {RATIO_TARGET}x of the floor: {ratio:.2f}x, "
          f"{'met' if ratio <= RATIO_TARGET else 'NOT met'}")
    print(f"target peak under {PEAK_TARGET_MB} MB: {peak:.0f} MB, {'met' if peak < PEAK_TARGET_MB else 'NOT met'}")


if __name__ == "__main__":
    main()
