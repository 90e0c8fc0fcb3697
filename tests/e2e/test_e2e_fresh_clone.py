"""A fresh clone of the committed tree runs `make demo` to exit 0 with reports on disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
SCRIPT = Path(__file__).with_name("fresh_clone_demo.sh")


def test_fresh_clone_make_demo_exits_0() -> None:
    venv = Path(sys.prefix)  # the environment running the tests is the one the clone reuses
    done = subprocess.run([str(SCRIPT)], env={**os.environ, "RECGOV_VENV": str(venv)}, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "fresh clone: make demo exited 0" in done.stdout
