"""What matching derived data to recordings costs the object audit (not a test).

    python bench/inventory_gen.py --out /tmp/derived --derived --format parquet
    python bench/derived_audit.py /tmp/derived/parquet/inventory/recgov-bench-quality/recgov-daily/*/manifest.json

Runs, in rounds on the same inventory, the real ``recgov audit-objects`` twice: with the policy's
default derived kinds (transcripts, analysis and redacted copies are matched to their recordings, a
second scan finds the orphans), and with ``derived: {}`` (no derived data declared: the same keys are
then judged as misnamed recordings, one scan); beside each, a hand-written DuckDB query computing the
same findings over the same files (``bench/audit_objects.py``'s :func:`floor_sql`, with the derived
objects and their orphans added for the first). It first checks once, untimed, that the hand-written
query with orphans finds what the report says. Prints each median with its spread, CPU and peak, then
two ratios, wall and CPU: recgov with derived data against the hand-written query with orphans (the
rule every speed target of the audit follows: within 1.5x of a query doing the same work), and recgov
with derived data against recgov without (the target of 1.5x set for matching, which compares against
an audit that does strictly less work: one scan, no join).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.audit_objects import (
    AS_OF,
    Measure,
    audit_argv,
    compare_floor,
    count_rows,
    data_files,
    floor_sql,
    measure_rounds,
    plain_source,
    query_argv,
    verdict,
)
from governance.audit.limits import thresholds_for
from governance.audit.sql import Thresholds, literal
from lifecycle.legal import Purpose
from lifecycle.loader import default_policy_text, load_policy_file

TARGET = 1.5
QUALITY = "  quality:\n"


def without_derived(directory: Path) -> Path:
    """The packaged policy with no derived kind declared for any recording purpose."""
    text = default_policy_text()
    path = directory / "no-derived.yaml"
    path.write_text(text.replace(QUALITY, QUALITY + "    derived: {}\n", 1), encoding="utf-8")
    return path


def orphan_sql(files: list[Path], t: Thresholds) -> str:
    """The derived objects and their orphans of a recgov-layout bucket as one would write them by hand.

    Derived objects are the versions under a derived kind's prefix whose key matches its pattern (a
    regular expression over those keys only); recordings are the versions under the recording prefix.
    Both call ids are cut with ``parse_filename(key, true)``, the file name without its last extension:
    for a key of the layout that is exactly the pattern's call-id group, at the cost of a string function
    rather than a regular expression over every recording key. The recordings whose call id is a derived
    object's are kept (a semi join: the hash table holds the derived call ids, not the recordings'),
    and the derived objects whose call is not among them are the orphans: their count and the
    ``sample`` smallest keys. Keys under the recording prefix are taken as recordings without matching
    the pattern (the key finding counts those that are not); :func:`compare_floor` verifies that the
    findings are the report's.
    """
    source = plain_source(files)
    version = "NOT coalesce(is_delete_marker, false)"
    derived = " OR ".join(f"(starts_with(key, {literal(prefix)}) AND regexp_matches(key, {literal(pattern)}))"
                          for prefix, pattern in t.derived)
    recordings = literal(f"{t.recording_prefix}/")
    return (f"WITH d AS (SELECT key, parse_filename(key, true) AS call_id FROM {source}\n"
            f"  WHERE {version} AND ({derived})),\n"
            f"kept AS (SELECT DISTINCT call_id FROM (SELECT parse_filename(key, true) AS call_id FROM {source}\n"
            f"  WHERE {version} AND starts_with(key, {recordings})) AS r SEMI JOIN d USING (call_id))\n"
            f"SELECT (SELECT count(*) FROM d) AS derived_objects, count(*) AS orphans, "
            f"min(key, {t.sample}) AS orphans_keys\nFROM d ANTI JOIN kept USING (call_id)")


def derived_floor_sql(files: list[Path], t: Thresholds) -> str:
    """Every finding of the audit with derived data, in one statement: :func:`floor_sql`'s beside the orphans'."""
    return f"SELECT *\nFROM ({floor_sql(files, t)}) AS findings,\n({orphan_sql(files, t)}) AS matching"


def ratio(label: str, audit: Measure, reference: Measure) -> str:
    """One ratio, wall and CPU, judged against the target on wall time."""
    wall = audit.seconds / reference.seconds
    return verdict(label, f"{wall:.2f}x wall, {audit.cpu_seconds / reference.cpu_seconds:.2f}x CPU", wall <= TARGET)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = data_files(args.manifest)
    rows = count_rows(files)
    t = thresholds_for(load_policy_file(None), Purpose.QUALITY, AS_OF)
    with_orphans = derived_floor_sql(files, t)
    print(f"hand-written query with orphans and recgov audit-objects: "
          f"{compare_floor(args.manifest, files, t, with_orphans)}")
    with tempfile.TemporaryDirectory() as tmp:
        plain = [*audit_argv(args.manifest), "--policy", str(without_derived(Path(tmp)))]
        measures = measure_rounds([
            ("hand-written query, no derived data", query_argv(floor_sql(files, dataclasses.replace(t, derived=())))),
            ("hand-written query with orphans", query_argv(with_orphans)),
            ("audit, no derived data declared", plain),
            ("audit, derived data matched", audit_argv(args.manifest)),
        ], args.repeat)
    print(f"{rows:,} rows, median of {args.repeat}")
    for m in measures:
        print(f"  {m.label:<36} {m.seconds:6.2f} s ({m.fastest:.2f}-{m.slowest:.2f})  cpu {m.cpu_seconds:6.2f} s  "
              f"peak {m.peak_mb:5.0f} MB")
    plain_floor, floor, base, derived = measures
    print(ratio(f"within {TARGET}x of the hand-written query", derived, floor))
    print(ratio(f"within {TARGET}x of the audit without it", derived, base))
    print(f"  (without derived data: recgov {base.seconds / plain_floor.seconds:.2f}x wall, "
          f"{base.cpu_seconds / plain_floor.cpu_seconds:.2f}x CPU of its hand-written query)")


if __name__ == "__main__":
    main()
