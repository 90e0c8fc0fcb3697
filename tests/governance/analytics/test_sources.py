"""Listing and sampling analysis files: a directory walked, a bucket found by its layout, contacts kept whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from governance.analytics.sources import (
    UNDATED,
    Entry,
    FileReadError,
    LocalSource,
    SourceError,
    analysis_kinds,
    parse_s3_url,
    sample,
)
from tests.governance.analytics.contact_lens import key, policy, write


def test_a_directory_is_walked_for_json_files_only(tmp_path: Path) -> None:
    write(tmp_path, "c1")
    write(tmp_path, "c1", redacted=True)
    audio = "Analysis/Voice/Redacted/2025/03/14/c1_call_recording_redacted_2025-03-14T09:41:07Z.wav"
    (tmp_path / audio).write_bytes(b"")
    entries = LocalSource(tmp_path).entries()
    assert [e.key for e in entries] == sorted([key("c1"), key("c1", redacted=True)])
    assert {(e.contact_id, e.day) for e in entries} == {("c1", "2025-03-14")}
    assert LocalSource(tmp_path).read(entries[0]).startswith(b"{")


def test_a_single_file_is_a_source_too(tmp_path: Path) -> None:
    path = write(tmp_path, "c1")
    assert [e.name for e in LocalSource(path).entries()] == [str(path)]


def test_a_missing_directory_and_a_vanished_file_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="nowhere is neither"):
        LocalSource(tmp_path / "nowhere").entries()
    with pytest.raises(FileReadError, match=r"gone\.json cannot be read"):
        LocalSource(tmp_path).read(Entry("gone.json", str(tmp_path / "gone.json")))


def test_sampling_keeps_n_contacts_a_day_with_all_their_files_deterministically() -> None:
    entries = [Entry(key(f"c{n}", redacted=r, day=f"2025/03/{d:02d}"), f"x{n}{r}{d}")
               for d in (14, 15) for n in range(20) for r in (False, True)]
    entries.append(Entry("loose/file.json", "loose"))
    chosen = sample(entries, 3)
    by_day: dict[str, set[str]] = {}
    for e in chosen:
        by_day.setdefault(e.day, set()).add(e.contact_id)
    assert {d: len(c) for d, c in by_day.items()} == {"2025-03-14": 3, "2025-03-15": 3, UNDATED: 1}
    assert len(chosen) == 2 * 3 * 2 + 1, "each chosen contact keeps its redacted copy"
    assert sample(list(reversed(entries)), 3) == list(reversed(chosen)), "the choice does not depend on order"
    assert by_day["2025-03-14"] != {"c0", "c1", "c2"} or by_day["2025-03-15"] != {"c0", "c1", "c2"}
    assert sample(entries, None) == entries


def test_a_bucket_is_searched_where_the_purposes_layout_writes_analysis() -> None:
    kinds = analysis_kinds(policy(None)["quality"])
    assert [prefix for prefix, _ in kinds] == ["Analysis/Voice", "Analysis/Voice/Redacted"]
    analysis, redacted = (pattern for _, pattern in kinds)
    assert re.fullmatch(analysis, key("c1")) and not re.fullmatch(analysis, key("c1", redacted=True))
    assert re.fullmatch(redacted, key("c1", redacted=True))


@pytest.mark.parametrize(("url", "expected"), [
    ("s3://b/Analysis/Voice/", ("b", "Analysis/Voice/")), ("s3://b", ("b", "")), ("s3://b/", ("b", "")),
])
def test_s3_urls(url: str, expected: tuple[str, str]) -> None:
    assert parse_s3_url(url) == expected


def test_a_malformed_s3_url_is_refused() -> None:
    with pytest.raises(ValueError, match="is not an s3://BUCKET/PREFIX URL"):
        parse_s3_url("s3:///x")
