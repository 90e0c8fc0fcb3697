"""Headless Chromium for the HTML report tests, and a small PNG reader (stdlib zlib only).

Chromium runs offline: no sandbox (containers run as root), no GPU, and every background service
that would reach the network turned off. It loads the page from a ``file://`` URL in a fresh
profile, and its console goes to stderr, where each message is a ``CONSOLE`` line.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

OFFLINE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
)
WINDOW = (1280, 2000)


def chromium() -> str:
    """Debian's ``chromium``. Skipped when it is missing on a workstation; on CI (``CI`` set) a
    missing browser fails the test, since ``make test`` installs it there."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; `make test` installs Debian's chromium (make browser)")
    pytest.skip("chromium is not installed (run `make browser`, or set CI to make this a failure)")


@dataclass(frozen=True)
class Run:
    """What Chromium printed: the DOM or nothing on stdout, its log on stderr."""

    stdout: str
    stderr: str

    @property
    def console(self) -> list[str]:
        """The page's console messages (errors, CSP violations, uncaught exceptions, logs)."""
        return [line for line in self.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def run(page: Path, profile: Path, *args: str) -> Run:
    """Load ``page`` in headless Chromium with ``args`` (``--dump-dom``, ``--screenshot=...``)."""
    cmd = [chromium(), *OFFLINE_FLAGS, f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
           *args, page.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
    return Run(done.stdout, done.stderr)


@dataclass(frozen=True)
class Image:
    """A decoded 8-bit RGB or RGBA PNG: one bytes object of pixels per row."""

    width: int
    height: int
    channels: int
    rows: list[bytes]

    def colours(self) -> Counter[bytes]:
        """How many pixels have each colour (RGB, alpha dropped)."""
        counts: Counter[bytes] = Counter()
        step = self.channels
        for row in self.rows:
            counts.update(row[i : i + 3] for i in range(0, len(row), step))
        return counts


def read_png(data: bytes) -> Image:
    """Decode a non-interlaced 8-bit RGB/RGBA PNG, as Chromium writes screenshots."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    assert header is not None, "PNG without IHDR"
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    channels = 3 if colour_type == 2 else 4
    return Image(width, height, channels, _unfilter(zlib.decompress(b"".join(idat)), width, height, channels))


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytes]:
    """Undo PNG's per-row filters (None, Sub, Up, Average, Paeth)."""
    stride = width * bpp
    prev = bytes(stride)
    rows = []
    for r in range(height):
        start = r * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind == 0, f"unknown PNG filter {kind} on row {r}"
        prev = bytes(line)
        rows.append(prev)
    return rows
