"""What matching derived data to recordings costs the object audit (not a test).

    python bench/inventory_gen.py --out /tmp/derived --derived --format parquet
    python bench/derived_audit.py /tmp/derived/parquet/inventory/recgov-bench-quality/recgov-daily/*/manifest.json

Runs, in rounds on the same inventory, the real ``recgov audit-objects`` twice: with the policy's
default derived kinds (transcripts, analysis and redacted copies are matched to their recordings, a
second scan finds the orphans), and with ``derived: {}`` (no derived data declared: the same keys are
then judged as misnamed recordings, one scan). Prints each median with its spread, CPU and peak, and
the ratio against the target of 1.5x.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.audit_objects import audit_argv, count_rows, data_files, measure_rounds, verdict
from lifecycle.loader import default_policy_text

TARGET = 1.5
QUALITY = "  quality:\n"


def without_derived(directory: Path) -> Path:
    """The packaged policy with no derived kind declared for any recording purpose."""
    text = default_policy_text()
    path = directory / "no-derived.yaml"
    path.write_text(text.replace(QUALITY, QUALITY + "    derived: {}\n", 1), encoding="utf-8")
    return path


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = count_rows(data_files(args.manifest))
    with tempfile.TemporaryDirectory() as tmp:
        plain = [*audit_argv(args.manifest), "--policy", str(without_derived(Path(tmp)))]
        base, derived = measure_rounds([("audit, no derived data declared", plain),
                                        ("audit, derived data matched", audit_argv(args.manifest))], args.repeat)
    print(f"{rows:,} rows, median of {args.repeat}")
    for m in (base, derived):
        print(f"  {m.label:<34} {m.seconds:6.2f} s ({m.fastest:.2f}-{m.slowest:.2f})  cpu {m.cpu_seconds:6.2f} s  "
              f"peak {m.peak_mb:5.0f} MB")
    ratio = derived.seconds / base.seconds
    print(verdict(f"derived matching within {TARGET}x of the audit without it", f"{ratio:.2f}x", ratio <= TARGET))


if __name__ == "__main__":
    main()
