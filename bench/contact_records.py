"""Benchmark ``recgov proportionality --contact-records`` against DuckDB's own ``read_json`` (not a test).

    python bench/contact_records.py --out /tmp/ctr                     # 10 M records, generated once
    python bench/contact_records.py --out /tmp/ctr --records 1000000 --repeat 3

Generates the data with ``bench/contact_records_gen.py`` unless ``--out`` already holds it for the
same count (gzip JSON Lines in ``year=/month=/day=`` partitions and a Parquet inventory of the
quality bucket), then runs, each in its own child process and in the same run:

- the floor the target names: DuckDB's ``read_json`` over the same files, keeping each contact's
  latest delivery and counting calls and calls whose record names a recording, per agent and month
  (without validating a field or reading the bucket's inventory), with DuckDB's own memory ceiling
  and again under recgov's (``MEMORY_LIMIT``);
- the hand-written floor: the same findings proportionality reports, as one would write them by hand
  (:data:`FINDINGS_SQL`): each contact's latest delivery, its voice calls with an agent, the objects
  of the quality bucket's inventory (its files as ``bench/audit_objects.py`` reads them) tied to a
  contact by the records' locations, else by the layout's call id, and the per-agent-month counts of
  calls and recorded calls; no validation but what changes the counts; with both memory ceilings;
- ``recgov proportionality --contact-records DIR --inventory MANIFEST``: the real CLI with every
  check, the inventory's checksums and the report.

Every floor's table is compared row by row with the report's (the benchmark fails if any differs),
then the wall and CPU times and peak resident memory (from ``wait4``, see ``bench/peak.py``) of each
round and their medians are printed, with recgov's ratio to each floor and the targets: within 1.5x of
the floor, under 1 GB.
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

from bench.audit_objects import data_files, plain_source  # noqa: E402
from bench.peak import Peak, measure  # noqa: E402
from lifecycle.legal import Purpose  # noqa: E402
from lifecycle.loader import load_policy_file  # noqa: E402

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


FINDINGS_SQL = """
WITH contacts AS (
  SELECT ContactId AS call_id,
         arg_max(struct_pack(voice := Channel = 'VOICE', agent := Agent.Username,
                             started := CAST(InitiationTimestamp AS TIMESTAMPTZ),
                             locs := CASE WHEN Channel = 'VOICE' AND (Recording IS NOT NULL OR Recordings IS NOT NULL)
                                     THEN list_concat([Recording.Location],
                                                      [r.Location FOR r IN coalesce(Recordings, [])
                                                       IF coalesce(r.StorageType, 'S3') = 'S3']) END),
                 CAST(LastUpdateTimestamp AS TIMESTAMPTZ)) AS r
  FROM read_json({files}, columns = {{'ContactId': 'VARCHAR', 'Channel': 'VARCHAR',
                 'InitiationTimestamp': 'VARCHAR', 'LastUpdateTimestamp': 'VARCHAR',
                 'Agent': 'STRUCT(Username VARCHAR)', 'Recording': 'STRUCT(Location VARCHAR)',
                 'Recordings': 'STRUCT(Location VARCHAR, StorageType VARCHAR)[]'}})
  GROUP BY ContactId
), located AS (
  SELECT substr(loc, {key_start}) AS key, any_value(call_id) AS call_id
  FROM (SELECT call_id, unnest(r.locs) AS loc FROM contacts WHERE r.voice AND r.locs IS NOT NULL)
  WHERE starts_with(loc, {bucket_slash}) GROUP BY 1
), recorded AS (
  SELECT DISTINCT coalesce(l.call_id, regexp_extract(o.key, {pattern}, {call_group})) AS call_id
  FROM (SELECT key FROM {inventory} WHERE NOT coalesce(is_delete_marker, false)) o LEFT JOIN located l USING (key)
  WHERE l.call_id IS NOT NULL OR ({is_recording})
)
SELECT c.r.agent, strftime(c.r.started, '%Y-%m') AS month, count(*) AS calls, count(d.call_id) AS recordings
FROM contacts c LEFT JOIN recorded d USING (call_id)
WHERE c.r.voice AND c.r.agent IS NOT NULL GROUP BY ALL ORDER BY 1, 2
"""
"""The hand-written floor: the per-agent-month counts proportionality reports, computed as one would by
hand. A recording is an object of the inventory (any version, no delete marker) that a voice contact's
latest record locates (``Recording.Location``, ``Recordings[].Location`` stored in S3; the first contact
naming it), else whose key the purpose's layout reads a call id from."""


def records_glob(folder: Path) -> str:
    """Every gzip file of contact records under ``folder``, as a DuckDB path literal."""
    return "'" + str(folder) + "/**/*.json.gz'"


def findings_sql(folder: Path, manifest: Path) -> str:
    """:data:`FINDINGS_SQL` over the records in ``folder`` and the inventory ``manifest`` lists, with the
    key layout the packaged policy gives the quality purpose (the one recgov's run uses)."""
    bucket = json.loads(manifest.read_text())["sourceBucket"]
    quality = load_policy_file(None)[Purpose.QUALITY]
    layout, prefix = quality.key_layout, quality.recording_prefix
    pattern = "'" + layout.recording_pattern(prefix).replace("'", "''") + "'"
    metadata = layout.metadata_pattern(prefix)
    is_recording = f"regexp_matches(o.key, {pattern})" + (
        f" AND NOT regexp_matches(o.key, '{metadata.replace(chr(39), chr(39) * 2)}')" if metadata else "")
    return FINDINGS_SQL.format(files=records_glob(folder), key_start=len(bucket) + 2, bucket_slash=f"'{bucket}/'",
                               pattern=pattern, call_group=layout.groups[3],
                               inventory=plain_source(data_files(manifest)), is_recording=is_recording)


def query_argv(sql: str, table: Path, memory_limit: str | None = None) -> list[str]:
    """DuckDB alone running ``sql`` in a child, its rows written to ``table`` as JSON; with its own
    memory ceiling (80 % of RAM) unless ``memory_limit`` gives recgov's."""
    config = f"config={{'memory_limit': {memory_limit!r}}}" if memory_limit else ""
    code = ("import duckdb, json, sys\n"
            f"con = duckdb.connect({config}); con.execute(\"SET TimeZone = 'UTC'\")\n"
            "con.execute('SET enable_progress_bar = false')\n"
            f"rows = con.execute({sql!r}).fetchall()\n"
            f"json.dump([list(r) for r in rows], open({str(table)!r}, 'w'))\n")
    return [PYTHON, "-c", code]


def floor_argv(folder: Path, table: Path, memory_limit: str | None = None) -> list[str]:
    """The target's floor: the same per-agent-month counts from the same files, ``read_json`` alone."""
    return query_argv(FLOOR_SQL.format(files=records_glob(folder)), table, memory_limit)


def recgov_argv(folder: Path, manifest: Path, report: Path) -> list[str]:
    """The real CLI, every check, the JSON report written to ``report``."""
    return [PYTHON, "-c", "from governance.cli import main; main()", "proportionality", "--contact-records",
            str(folder), "--inventory", str(manifest), "--format", "json", "--output", str(report)]


def agent_months(table: list[list[object]]) -> dict[tuple[object, object], tuple[object, object]]:
    """A floor's rows (agent, month, calls, recordings) by agent-month."""
    return {(a, m): (c, r) for a, m, c, r in table}


def same_counts(tables: dict[str, Path], report: Path) -> int:
    """The agent-months every floor and recgov computed; exits naming the first floor whose counts differ."""
    ours = {(r["agent_id"], r["month"]): (r["calls"], r["recordings"])
            for r in json.loads(report.read_text())["tables"]["agent_months"]}
    for label, path in tables.items():
        floor = agent_months(json.loads(path.read_text()))
        if floor != ours:
            differing = sorted(k for k in floor.keys() | ours.keys() if floor.get(k) != ours.get(k))[:5]
            examples = [(k, floor.get(k), ours.get(k)) for k in differing]
            raise SystemExit(f"{label}: the per-agent-month counts differ from recgov's (agent-month, floor, "
                             f"recgov), e.g. {examples}")
    return len(ours)


def run(argv: list[str], label: str) -> Peak:
    """One child's figures; exit codes 0 and 1 (violations, which the data has) are a completed run."""
    peak = measure(argv)
    if peak.returncode not in (0, 1):
        raise SystemExit(f"{label} failed ({peak.returncode}): {peak.stderr.strip()[-2000:]}")
    return peak


def median_figures(peaks: list[Peak]) -> tuple[float, float, float]:
    """Median wall and CPU seconds, and the highest peak in MB."""
    return (statistics.median(p.seconds for p in peaks), statistics.median(p.cpu_seconds for p in peaks),
            max(p.peak_mb for p in peaks))


def main() -> None:
    """Generate if needed, measure in rounds, compare and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "recgov-contact-records")
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every measurement; medians shown")
    args = parser.parse_args()
    folder, manifest = ensure_data(args.out, args.records)
    files = sorted(folder.rglob("*.json.gz"))
    size = sum(p.stat().st_size for p in files) / 1e6
    print(f"cores: {os.cpu_count()}; {args.records:,} contact records in {len(files)} gzip files ({size:,.0f} MB); "
          f"median of {args.repeat} run(s)", flush=True)
    findings = findings_sql(folder, manifest)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        report = out / "report.json"
        plan = {
            "read_json floor, same counts": floor_argv(folder, out / "floor.json"),
            f"read_json floor, limited to {MEMORY_LIMIT}": floor_argv(folder, out / "limited.json", MEMORY_LIMIT),
            "hand-written floor, same findings": query_argv(findings, out / "hand.json"),
            f"hand-written floor, limited to {MEMORY_LIMIT}": query_argv(findings, out / "hand-limited.json",
                                                                        MEMORY_LIMIT),
            "recgov proportionality --contact-records": recgov_argv(folder, manifest, report),
        }
        peaks: dict[str, list[Peak]] = {label: [] for label in plan}
        for round_number in range(1, args.repeat + 1):
            for label, argv in plan.items():
                measured = run(argv, label)
                peaks[label].append(measured)
                print(f"round {round_number}: {label:<46}{measured.seconds:>9.1f} s wall"
                      f"{measured.cpu_seconds:>9.1f} s CPU{measured.peak_mb:>9.0f} MB", flush=True)
        months = same_counts({"the floor": out / "floor.json", "the floor under the memory limit": out / "limited.json",
                              "the hand-written floor": out / "hand.json",
                              "the hand-written floor under the memory limit": out / "hand-limited.json"}, report)
    print(f"\nsame per-agent-month counts in every floor and recgov's report: {months:,} agent-months\n")
    medians = {label: median_figures(p) for label, p in peaks.items()}
    labels = list(plan)
    floor_wall, floor_cpu, _ = medians[labels[0]]
    print(f"{'measurement':<46}{'wall s':>9}{'cpu s':>9}{'peak MB':>9}{'x floor':>9}{'x cpu':>9}")
    for label, (wall, cpu, peak_mb) in medians.items():
        print(f"{label:<46}{wall:>9.1f}{cpu:>9.1f}{peak_mb:>9.0f}{wall / floor_wall:>9.2f}{cpu / floor_cpu:>9.2f}")
    wall, cpu, peak = medians[labels[-1]]
    # Under a changing load the medians of separate measurements can come from different rounds; the
    # ratio within each round compares runs made minutes apart, so its median is shown too.
    ours = peaks[labels[-1]]
    print("\nrecgov against each floor: ratio of the medians (wall, CPU), then median of each round's ratio")
    for label in labels[:-1]:
        walls = [o.seconds / f.seconds for o, f in zip(ours, peaks[label], strict=True)]
        cpus = [o.cpu_seconds / f.cpu_seconds for o, f in zip(ours, peaks[label], strict=True)]
        print(f"  {label:<46}{wall / medians[label][0]:>6.2f}x{cpu / medians[label][1]:>6.2f}x"
              f"{statistics.median(walls):>9.2f}x{statistics.median(cpus):>6.2f}x")
    for label in (labels[0], labels[2]):
        ratio = wall / medians[label][0]
        met = "met" if ratio <= RATIO_TARGET else "NOT met"
        print(f"target within {RATIO_TARGET}x of {label}: {ratio:.2f}x, {met}")
    print(f"target peak under {PEAK_TARGET_MB} MB: {peak:.0f} MB, {'met' if peak < PEAK_TARGET_MB else 'NOT met'}")


if __name__ == "__main__":
    main()
