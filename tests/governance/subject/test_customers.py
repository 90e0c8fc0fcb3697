"""A customer's number resolved to Amazon Connect contacts: E.164 checks, exact matching, the records' formats."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from governance.subject.customers import CustomerNumberError, check_number, check_numbers, contacts_of


def _no_s3() -> Any:
    raise AssertionError("no S3 client is needed for local contact records")


def record(contact: str, address: str | None, channel: str = "VOICE", updated: str = "2025-03-14T09:40:00Z"
           ) -> dict[str, Any]:
    """A contact record with the fields Connect writes around the customer's endpoint."""
    return {"ContactId": contact, "Channel": channel, "InitiationTimestamp": "2025-03-14T09:30:00Z",
            "LastUpdateTimestamp": updated, "Agent": None, "Attributes": {},
            "CustomerEndpoint": None if address is None else {"Address": address, "Type": "TELEPHONE_NUMBER"},
            "SystemEndpoint": {"Address": "+33999999999", "Type": "TELEPHONE_NUMBER"}}


RECORDS = [
    record("C1", "+33123456789"),
    record("C1", "+33123456789", updated="2025-03-14T09:50:00Z"),  # delivered twice
    record("C2", "+33 1 23 45 67 89", channel="CHAT"),
    record("C10", "+331234567890"),  # the number with one more digit
    record("C3", "+44123456789"),
    record("C4", None),
]


@pytest.mark.parametrize(("given", "expected"), [
    ("+33123456789", "+33123456789"),
    ("+33 1 23 45 67 89", "+33123456789"),
    (" +1 202 555 0100 ", "+12025550100"),
])
def test_numbers_are_compared_without_spaces(given: str, expected: str) -> None:
    assert check_number(given) == expected


@pytest.mark.parametrize("bad", ["0123456789", "33123456789", "+0123456789", "+33-1-23-45-67-89", "+33(1)2345",
                                 "+1234567890123456", "+", "", "tel:+33123456789"])
def test_a_number_that_is_not_e164_is_refused_in_one_sentence(bad: str) -> None:
    with pytest.raises(CustomerNumberError, match=r"is not an E\.164 number") as err:
        check_number(bad)
    assert str(err.value).count(". ") == 0 and str(err.value).endswith(".")


def test_numbers_and_records_go_together() -> None:
    with pytest.raises(CustomerNumberError, match="needs --contact-records"):
        check_numbers(("+33123456789",), None)
    with pytest.raises(CustomerNumberError, match="only to resolve --customer-number"):
        check_numbers((), "ctr.json")
    assert check_numbers(("+33123456789", "+33 1 23 45 67 89"), "ctr.json") == ("+33123456789",)
    assert check_numbers((), None) == ()


def write_lines(path: Path, records: list[dict[str, Any]], *, compress: bool = False) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(text) if compress else text)
    return path


def test_the_contacts_of_a_number_are_exact_deduplicated_and_of_any_channel(tmp_path: Path) -> None:
    records = write_lines(tmp_path / "ctr.json", RECORDS)
    found = contacts_of(("+33123456789", "+44123456789", "+49301234567"), str(records), _no_s3)
    assert found == {"+33123456789": ["C1", "C2"], "+44123456789": ["C3"], "+49301234567": []}


def test_firehose_files_gzip_concatenated_in_a_directory_are_read(tmp_path: Path) -> None:
    root = tmp_path / "ctr" / "year=2025" / "month=03"
    root.mkdir(parents=True)
    write_lines(root / "part-1", RECORDS[:3], compress=True)  # no suffix: Firehose may omit it
    (root / "part-2").write_bytes(gzip.compress("".join(json.dumps(r) for r in RECORDS[3:]).encode()))
    assert contacts_of(("+33123456789", "+44123456789"), str(tmp_path / "ctr"), _no_s3) == {
        "+33123456789": ["C1", "C2"], "+44123456789": ["C3"]}


def test_records_that_are_not_json_are_refused_naming_the_file_and_line(tmp_path: Path) -> None:
    records = tmp_path / "ctr.json"
    records.write_text(json.dumps(RECORDS[0]) + "\n{not json\n")
    with pytest.raises(CustomerNumberError, match=r"ctr.json line 2: not JSON"):
        contacts_of(("+33123456789",), str(records), _no_s3)


def test_a_missing_location_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CustomerNumberError, match="no such file or directory of contact records"):
        contacts_of(("+33123456789",), str(tmp_path / "absent"), _no_s3)
