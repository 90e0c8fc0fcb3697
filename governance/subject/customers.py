"""A data subject named by their phone number: the Amazon Connect contacts whose customer it was.

A request often names the caller, not the call. Amazon Connect's contact records carry the caller's
number as ``CustomerEndpoint.Address`` (E.164, e.g. ``+33123456789``); the records are read by the
proportionality audit's reader (:mod:`governance.audit.contact_records`), and each contact id found
is then searched like a ``--call-id``.

Matching is exact on the E.164 text once spaces are removed from both sides: ``+33 1 23 45 67 89``
matches ``+33123456789``; ``0123456789`` (a national number) or ``+33-1-23`` (other separators) is
refused, because the records never write them and a loose match would name someone else's calls.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

E164 = re.compile(r"\+[1-9][0-9]{1,14}")
"""ITU-T E.164: a '+', a country code that does not start with 0, at most 15 digits in all."""


class CustomerNumberError(ValueError):
    """A customer number or its contact records cannot be used; the message is one sentence."""


class RecordsUnreachableError(RuntimeError):
    """The S3 location of the contact records cannot be reached at all (no endpoint, no credentials): the
    search is unverifiable, not refused; the message is one sentence."""


def check_number(number: str) -> str:
    """The number with its spaces removed, or a :class:`CustomerNumberError` saying what E.164 needs."""
    compact = number.replace(" ", "")
    if not E164.fullmatch(compact):
        raise CustomerNumberError(
            f"--customer-number {number!r} is not an E.164 number; give it as Amazon Connect records it, '+', "
            "country code and number, digits only (spaces are ignored), such as +33123456789.")
    return compact


def check_numbers(numbers: Sequence[str], records: str | None) -> tuple[str, ...]:
    """Every number checked (duplicates dropped, in order), or an error when they and the records do not go
    together."""
    if numbers and not records:
        raise CustomerNumberError("--customer-number needs --contact-records PATH (a file, directory or "
                                  "s3://BUCKET/PREFIX of Amazon Connect contact records) to find the contacts.")
    if records and not numbers:
        raise CustomerNumberError("--contact-records is read only to resolve --customer-number NUMBER; give the "
                                  "number, or drop --contact-records.")
    return tuple(dict.fromkeys(check_number(n) for n in numbers))


def contacts_of(numbers: Sequence[str], records: str, s3_factory: Callable[[], Any]) -> dict[str, list[str]]:
    """Per checked number, the contact ids whose customer it was (sorted; empty when none).

    Raises :class:`CustomerNumberError` when the records cannot be read or are not JSON contact records,
    :class:`RecordsUnreachableError` when their S3 endpoint cannot be reached.
    """
    from governance.audit.contact_records import contacts_of_addresses, record_files
    from governance.audit.errors import ContactRecordsError
    from governance.audit.source import connect

    client = s3_factory() if records.startswith("s3://") else None
    if client is not None:
        _reach(client, records)
    con = connect()
    try:
        with record_files(records, lambda: client) as files:
            return contacts_of_addresses(con, files, records, numbers)
    except ContactRecordsError as err:
        raise CustomerNumberError(str(err)) from None
    finally:
        con.close()


def _reach(s3: Any, records: str) -> None:
    """Raise :class:`RecordsUnreachableError` when S3 does not answer at all; an answer, even a refusal, is
    left to the reader, whose sentence names the location and the cause."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, prefix = records.removeprefix("s3://").partition("/")
    if not bucket:
        return
    try:
        s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except ClientError:
        return
    except BotoCoreError as err:
        raise RecordsUnreachableError(f"{records}: the contact records cannot be reached ({err}); check the "
                                      "endpoint, the region and the credentials.") from None
