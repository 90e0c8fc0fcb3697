"""Call ids are refused before anything is read when they could reach other keys."""

from __future__ import annotations

import pytest

from governance.subject.callid import CallIdError, check_call_id, check_call_ids


@pytest.mark.parametrize("bad", ["", " ", "C1/", "../C1", "C1/..", "a..b", "C*", "C1\x00", " C1", "x" * 257])
def test_refused(bad: str) -> None:
    with pytest.raises(CallIdError) as err:
        check_call_id(bad)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("good", ["C1", "6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90", "CALL-1.2", "a_b"])
def test_accepted(good: str) -> None:
    assert check_call_id(good) == good


def test_duplicates_dropped_in_order() -> None:
    assert check_call_ids(["C2", "C1", "C2"]) == ("C2", "C1")
