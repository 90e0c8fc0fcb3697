"""Run a command and report its wall time and peak resident memory (``ru_maxrss`` from ``wait4``).

    python -m bench.peak -- COMMAND [ARG ...]

The command inherits standard output and error; once it has ended, one JSON line follows on
standard output: ``{"peak_mb": ..., "seconds": ..., "returncode": ..., "cpu_seconds": ...}``.

Why a launcher: on Linux a child's ``ru_maxrss`` starts at the resident size of the process that
spawned it (``exec`` folds the old address space's high-water mark into the child's), so a child
spawned by a benchmark holding the emulator and hundreds of buckets would report the benchmark's
size, not its own. This launcher imports nothing but the standard library, so the floor it passes
on is a few MB, well under any command worth measuring.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEAK_KEY = "peak_mb"


@dataclass(frozen=True)
class Peak:
    """A finished command: what it printed, its exit code, wall time, peak RSS and CPU time (user and
    system, its own children included)."""

    stdout: str
    stderr: str
    returncode: int
    seconds: float
    peak_mb: float
    cpu_seconds: float


def launch(argv: Sequence[str]) -> int:
    """Run ``argv`` to completion and print its figures as the last line of standard output."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv))
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    returncode = os.waitstatus_to_exitcode(status)
    proc.returncode = returncode  # reaped here, so Popen must not wait for it again
    sys.stdout.flush()
    print(json.dumps({PEAK_KEY: usage.ru_maxrss / 1024, "seconds": seconds, "returncode": returncode,
                      "cpu_seconds": usage.ru_utime + usage.ru_stime}), flush=True)
    return 0


def measure(argv: Sequence[str], *, env: dict[str, str] | None = None) -> Peak:
    """Run ``argv`` under the launcher (from any process, however large), in the repository's root,
    and return its figures."""
    done = subprocess.run([sys.executable, "-m", "bench.peak", "--", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    lines = done.stdout.rstrip("\n").split("\n")
    try:
        figures = json.loads(lines[-1])
        peak_mb = float(figures[PEAK_KEY])
    except (ValueError, KeyError, TypeError):
        raise RuntimeError(f"the launcher failed ({done.returncode}): {done.stderr.strip()[-2000:]}") from None
    return Peak("\n".join(lines[:-1]), done.stderr, int(figures["returncode"]), float(figures["seconds"]), peak_mb,
                float(figures["cpu_seconds"]))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: everything after ``--`` is the command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m bench.peak -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    return launch(args)


if __name__ == "__main__":
    sys.exit(main())
