"""Amazon Connect contact records as the calls relation, and the recordings they locate.

Amazon Connect exports one JSON contact record per contact through Kinesis Data Streams or Firehose
(admin guide, "ctr-data-model"): one object per line, or objects concatenated with no separator when
Firehose has no delimiter processor, gzip or not. A record is delivered *at least once*, so only the
latest ``LastUpdateTimestamp`` of each ``ContactId`` is kept.

DuckDB reads every file in one parallel scan and deduplicates as it reads; the result is the same
``calls`` relation the calls export gives (``call_id, agent_id, started_at, transaction_id``), so
proportionality judges both sources with the same SQL, plus the relation
``recording_locations`` (``call_id, bucket, key, day, deleted``): where each contact's recordings
are, from ``Recording.Location`` and ``Recordings[].Location`` (``bucket/key``, no scheme).

A call is a VOICE contact. ``Agent.Username`` is its agent, and the month of ``InitiationTimestamp``
(UTC) its month. A contact no agent handled (``"Agent": null``, as Connect writes for a contact that
ended in the flow or the queue; an absent ``Agent`` reads the same) is in the relation with no agent:
it is in no agent's rate, yet its recordings belong to a known contact.

Bad input is refused whole before any result: a record without ``ContactId``,
``InitiationTimestamp`` or ``LastUpdateTimestamp`` (without it, deliveries cannot be ordered), an
``Agent`` without ``Username``, a time without a zone, a file that is not JSON. The scan only counts
problems; the sentence naming the file and line comes from reading the offending file again in
Python, which happens only when something is wrong.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from isal import igzip

from governance.audit.calls import CALLS
from governance.audit.errors import ContactRecordsError
from governance.audit.sql import literal

LOCATIONS = "recording_locations"
"""The relation of recordings the contact records locate: call_id, bucket, key, day, deleted."""
RECORDS = "contact_records"
DEFAULT_ATTRIBUTE = "transaction_id"
EXAMPLE_TIME = "2025-03-14T09:30:00Z"
ZONED = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?"
                   r"(Z|[+-][0-9]{2}:?[0-9]{2})$")
"""An ISO 8601 time with an explicit zone: a local time would move contacts across months."""
GZIP_MAGIC = b"\x1f\x8b"
DOWNLOAD_WORKERS = 8

PROBLEMS = (
    "",
    "has no ContactId",
    "has no InitiationTimestamp",
    "has no LastUpdateTimestamp",
    f"has an InitiationTimestamp without a time zone (contact records carry UTC times such as {EXAMPLE_TIME})",
    f"has a LastUpdateTimestamp without a time zone (contact records carry UTC times such as {EXAMPLE_TIME})",
    "has an Agent without a Username",
)
"""What is wrong with a record, by the code the scan gives it (0: nothing)."""


@dataclass(frozen=True)
class RecordFile:
    """One file of contact records on local disk, and the name messages give it."""

    path: Path
    name: str
    gzip: bool


@dataclass(frozen=True)
class ContactRecords:
    """What was loaded: deliveries read, contacts kept, calls with an agent, recordings located."""

    location: str
    files: int
    deliveries: int
    contacts: int
    calls: int
    unattended: int
    located: int

    def described(self) -> dict[str, Any]:
        """The report's description of the source."""
        return {"contact_records": self.location, "files": self.files, "deliveries": self.deliveries,
                "contacts": self.contacts, "calls": self.calls, "voice_contacts_without_agent": self.unattended,
                "located_recordings": self.located}


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def _local_files(root: Path) -> list[RecordFile]:
    if root.is_file():
        paths = [root]
    elif root.is_dir():
        # Hidden files (.DS_Store, editors' swap files) are not deliveries.
        paths = sorted(p for p in root.rglob("*") if p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(root).parts))
    else:
        raise ContactRecordsError(f"{root}: no such file or directory of contact records.")
    return [RecordFile(p, str(p), _is_gzip(p)) for p in paths]


def _s3_files(url: str, s3: Any, into: Path) -> list[RecordFile]:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise ContactRecordsError(f"{url}: an S3 location of contact records is written s3://BUCKET/PREFIX.")
    try:
        keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for o in page.get("Contents", []) if not o["Key"].endswith("/")]
    except (ClientError, BotoCoreError) as exc:
        raise ContactRecordsError(f"{url}: the contact records cannot be listed ({exc}).") from None

    def download(numbered: tuple[int, str]) -> RecordFile:
        number, key = numbered
        target = into / f"{number:06d}"
        try:
            s3.download_file(bucket, key, str(target))
        except (ClientError, BotoCoreError) as exc:
            raise ContactRecordsError(f"s3://{bucket}/{key}: the contact records cannot be read ({exc}).") from None
        return RecordFile(target, f"s3://{bucket}/{key}", _is_gzip(target))

    with ThreadPoolExecutor(DOWNLOAD_WORKERS) as pool:
        return list(pool.map(download, enumerate(sorted(keys))))


@contextmanager
def record_files(location: str, s3_factory: Callable[[], Any]) -> Iterator[list[RecordFile]]:
    """The files of contact records at ``location``: a file, a directory walked recursively, or
    ``s3://BUCKET/PREFIX`` (downloaded, read-only, to a temporary directory removed afterwards)."""
    if not location.startswith("s3://"):
        files = _local_files(Path(location))
        if not files:
            raise ContactRecordsError(f"{location}: the directory holds no contact records.")
        yield files
        return
    into = Path(tempfile.mkdtemp(prefix="recgov-contact-records-"))
    try:
        files = _s3_files(location, s3_factory(), into)
        if not files:
            raise ContactRecordsError(f"{location}: no object under this prefix; no contact records to read.")
        yield files
    finally:
        shutil.rmtree(into, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The scan: every file once, deduplicated as it is read.


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(attribute: str, customer: bool = False) -> str:
    """The record's fields the audit reads, typed; every other field is skipped by the parser.

    ``customer`` adds ``CustomerEndpoint``, which only the search by a customer's number reads.
    """
    fields = {
        "ContactId": "VARCHAR",
        "Channel": "VARCHAR",
        "InitiationTimestamp": "VARCHAR",
        "LastUpdateTimestamp": "VARCHAR",
        "Agent": "STRUCT(Username VARCHAR)",
        "Attributes": f"STRUCT({_ident(attribute)} VARCHAR)",
        "Recording": "STRUCT(Location VARCHAR, Status VARCHAR)",
        "Recordings": "STRUCT(Location VARCHAR, Status VARCHAR, StorageType VARCHAR)[]",
    }
    if customer:
        fields["CustomerEndpoint"] = "STRUCT(Address VARCHAR, Type VARCHAR)"
    return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in fields.items()) + "}"


def _read_json(files: Sequence[RecordFile], attribute: str, filename: bool = False, fmt: str = "auto",
               customer: bool = False) -> str:
    """One relation over every file: gzip is told by its magic bytes, not by a suffix Firehose may omit.

    ``auto`` tells JSON Lines (split and parsed in parallel) from concatenated objects file by file;
    ``unstructured`` reads either anywhere, a little slower, and is the fallback when ``auto`` refuses.
    """
    parts = []
    for compressed in (True, False):
        chosen = [f for f in files if f.gzip is compressed]
        if chosen:
            paths = "[" + ", ".join(literal(str(f.path)) for f in chosen) + "]"
            parts.append(
                f"SELECT * FROM read_json({paths}, columns = {_columns(attribute, customer)}, "
                f"format = {literal(fmt)}, records = true, compression = {literal('gzip' if compressed else 'none')}"
                f"{', filename = true' if filename else ''})"
            )
    return " UNION ALL ".join(parts)


TIMES = {"InitiationTimestamp": "initiated_tz", "LastUpdateTimestamp": "updated_tz"}
"""Each timestamp field and the column holding it cast, once per delivery (see :func:`_typed`)."""


def _typed(files: Sequence[RecordFile], attribute: str, filename: bool = False, fmt: str = "auto") -> str:
    """The records with each timestamp cast once: the zone check and the value both read the cast."""
    casts = ", ".join(f"TRY_CAST({field} AS TIMESTAMPTZ) AS {cast}" for field, cast in TIMES.items())
    return f"SELECT *, {casts} FROM ({_read_json(files, attribute, filename, fmt)})"


def _utc(column: str) -> str:
    # Integer microseconds, not a cast: the same UTC wall-clock value without a zone conversion per row.
    return f"make_timestamp(epoch_us({TIMES[column]}))"


def _zoned(column: str) -> str:
    # The cast accepts a date alone or a time without a zone (as local, here UTC); the checks on the
    # separator and the suffix refuse both, as :data:`ZONED` does, at a fraction of a regex's cost.
    return (f"(substr({column}, 11, 1) IN ('T', ' ') AND (right({column}, 1) = 'Z' "
            f"OR substr({column}, -6, 1) IN ('+', '-') OR substr({column}, -5, 1) IN ('+', '-')) "
            f"AND {TIMES[column]} IS NOT NULL)")


def _problem() -> str:
    """The code (index in :data:`PROBLEMS`) of what is wrong with a record, 0 when nothing is; over
    :func:`_typed`'s relation."""
    return (
        "CASE WHEN coalesce(ContactId, '') = '' THEN 1 "
        "WHEN coalesce(InitiationTimestamp, '') = '' THEN 2 "
        "WHEN coalesce(LastUpdateTimestamp, '') = '' THEN 3 "
        f"WHEN NOT {_zoned('InitiationTimestamp')} THEN 4 "
        f"WHEN NOT {_zoned('LastUpdateTimestamp')} THEN 5 "
        "WHEN Agent IS NOT NULL AND coalesce(Agent.Username, '') = '' THEN 6 ELSE 0 END"
    )


RECORDED = "(Channel = 'VOICE' AND (Recording IS NOT NULL OR Recordings IS NOT NULL))"
"""A call whose record names a recording: only these need their locations worked out (and kept)."""


def _locations(status: str) -> str:
    """The recordings' S3 locations (a Kinesis Video Streams one is not an object), optionally only those
    whose status is ``status``. The first recording is in both fields; the list is made distinct later."""
    recording = "Recording.Location" if not status else f"CASE WHEN Recording.Status = {literal(status)} " \
                                                        "THEN Recording.Location END"
    keep = "coalesce(r.StorageType, 'S3') = 'S3'" + (f" AND r.Status = {literal(status)}" if status else "")
    return (f"list_filter(list_concat([{recording}], "
            f"list_transform(list_filter(coalesce(Recordings, []), lambda r: {keep}), lambda r: r.Location)), "
            "lambda l: l LIKE '%_/_%')")


def scan_sql(files: Sequence[RecordFile], attribute: str, fmt: str = "auto") -> str:
    """Create the table of contacts: each ContactId's latest delivery and the worst problem of any."""
    return (
        f"CREATE OR REPLACE TEMP TABLE {RECORDS} AS SELECT ContactId AS contact_id, max(problem) AS problem, "
        "count(*) AS deliveries, arg_max(latest, updated) AS latest FROM ("
        f"SELECT ContactId, {_problem()} AS problem, {_utc('LastUpdateTimestamp')} AS updated, "
        "struct_pack(voice := Channel = 'VOICE', agent := nullif(Agent.Username, ''), "
        f"started := {_utc('InitiationTimestamp')}, "
        f"tx := nullif(Attributes.{_ident(attribute)}, ''), "
        # Only calls need their recordings: other channels' transcripts stay out of the state, and most
        # calls' records name none, so the lists are worked out only where there is something to list.
        f"locs := CASE WHEN {RECORDED} THEN {_locations('')} END, "
        f"gone := CASE WHEN {RECORDED} THEN {_locations('DELETED')} END) AS latest "
        f"FROM ({_typed(files, attribute, fmt=fmt)})) GROUP BY ContactId"
    )


def relations_sql() -> list[str]:
    """The ``calls`` view and the ``recording_locations`` table over the deduplicated contacts."""
    return [
        f"CREATE OR REPLACE VIEW {CALLS} AS SELECT contact_id AS call_id, latest.agent AS agent_id, "
        f"latest.started AS started_at, latest.tx AS transaction_id FROM {RECORDS} WHERE latest.voice",
        f"CREATE OR REPLACE TEMP TABLE {LOCATIONS} AS SELECT call_id, split_part(loc, '/', 1) AS bucket, "
        "substr(loc, strpos(loc, '/') + 1) AS key, day, coalesce(list_contains(gone, loc), false) AS deleted FROM ("
        "SELECT DISTINCT contact_id AS call_id, CAST(latest.started AS DATE) AS day, "
        "unnest(latest.locs) AS loc, latest.gone AS gone "
        f"FROM {RECORDS} WHERE latest.voice AND len(latest.locs) > 0)",
    ]


def load_contact_records(con: duckdb.DuckDBPyConnection, files: Sequence[RecordFile], location: str,
                         attribute: str = DEFAULT_ATTRIBUTE) -> ContactRecords:
    """Create ``calls`` and ``recording_locations`` from the files, or raise ContactRecordsError."""
    fmt = "auto"
    try:
        try:
            con.execute(scan_sql(files, attribute))
        except duckdb.Error:
            # A file auto-detected as JSON Lines may hold a line of concatenated objects further on.
            fmt = "unstructured"
            con.execute(scan_sql(files, attribute, fmt))
        problem, deliveries, contacts = con.execute(
            f"SELECT max(problem), sum(deliveries), count(*) FROM {RECORDS}").fetchone() or (0, 0, 0)
    except duckdb.Error as exc:
        raise ContactRecordsError(first_problem(files, attribute) or _duckdb_sentence(location, exc)) from None
    if problem:
        culprit = con.execute(
            f"SELECT filename FROM ({_typed(files, attribute, filename=True, fmt=fmt)}) "
            f"WHERE ({_problem()}) > 0 LIMIT 1"
        ).fetchone()
        suspects = [f for f in files if culprit and str(f.path) == culprit[0]] or list(files)
        raise ContactRecordsError(first_problem(suspects, attribute)
                                  or f"{location}: a contact record {PROBLEMS[int(problem)]}.")
    if not deliveries:
        raise ContactRecordsError(f"{location}: no contact record in {len(files)} files; a rate needs the calls "
                                  "handled.")
    for sql in relations_sql():
        con.execute(sql)
    calls, unattended = con.execute(
        f"SELECT count(agent_id), count(*) - count(agent_id) FROM {CALLS}").fetchone() or (0, 0)
    located = (con.execute(f"SELECT count(*) FROM {LOCATIONS}").fetchone() or (0,))[0]
    return ContactRecords(location, len(files), int(deliveries), int(contacts), int(calls), int(unattended),
                          int(located))


def contacts_of_addresses(con: duckdb.DuckDBPyConnection, files: Sequence[RecordFile], location: str,
                          addresses: Sequence[str]) -> dict[str, list[str]]:
    """Per address, the ContactIds (sorted) of every record whose ``CustomerEndpoint.Address`` is it once
    spaces are removed from both; any channel, any delivery. Raise ContactRecordsError for files that are
    not JSON contact records."""
    wanted = ", ".join(literal(a) for a in addresses)

    def query(fmt: str) -> str:
        address = "replace(CustomerEndpoint.Address, ' ', '')"
        return (f"SELECT DISTINCT {address} AS address, ContactId "
                f"FROM ({_read_json(files, DEFAULT_ATTRIBUTE, fmt=fmt, customer=True)}) "
                f"WHERE coalesce(ContactId, '') <> '' AND {address} IN ({wanted}) ORDER BY address, ContactId")

    try:
        try:
            rows = con.execute(query("auto")).fetchall()
        except duckdb.Error:
            # As in the scan: a file auto-detected as JSON Lines may hold concatenated objects further on.
            rows = con.execute(query("unstructured")).fetchall()
    except duckdb.Error as exc:
        raise ContactRecordsError(first_problem(files) or _duckdb_sentence(location, exc)) from None
    found: dict[str, list[str]] = {a: [] for a in addresses}
    for address, contact in rows:
        found[address].append(contact)
    return found


def _duckdb_sentence(location: str, exc: duckdb.Error) -> str:
    first = str(exc).strip().splitlines()[0]
    return f"{location}: the contact records cannot be read ({first})."


# ---------------------------------------------------------------------------------------------
# Diagnosis: the file and line of the first bad record, read again in Python (error path only).


def record_problem(record: Any, attribute: str = DEFAULT_ATTRIBUTE) -> str | None:
    """What is wrong with one decoded record, in the words of :data:`PROBLEMS`, or None."""
    if not isinstance(record, dict):
        return f"is a JSON {type(record).__name__}, not an object (a contact record is a JSON object)"
    if not _text(record.get("ContactId")):
        return PROBLEMS[1]
    for code, name in ((2, "InitiationTimestamp"), (3, "LastUpdateTimestamp")):
        value = record.get(name)
        if not _text(value):
            return PROBLEMS[code]
        if not ZONED.match(str(value)):
            return f"has {name} {value!r} without a time zone (contact records carry UTC times such as {EXAMPLE_TIME})"
        try:
            datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return f"has {name} {value!r}, which is not a date and time"
    for name, kind in (("Agent", dict), ("Attributes", dict), ("Recording", dict), ("Recordings", list)):
        if record.get(name) is not None and not isinstance(record[name], kind):
            article = "an" if name[0] in "AEIOU" else "a"
            return f"has {article} {name} that is not a JSON {'object' if kind is dict else 'array'}"
    agent = record.get("Agent")
    if agent is not None and not _text(agent.get("Username")):
        return PROBLEMS[6]
    return None


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def iter_records(text: str) -> Iterator[tuple[int, Any]]:
    """Each JSON value of a file (one per line, or concatenated) with the line it starts on; a value that
    is not JSON raises ValueError whose message names the line."""
    decoder = json.JSONDecoder()
    position, line, end = 0, 1, len(text)
    while True:
        start = position
        while position < end and text[position] in " \t\r\n":
            position += 1
        line += text.count("\n", start, position)
        if position >= end:
            return
        try:
            value, stop = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {exc.lineno}: not JSON ({exc.msg})") from None
        yield line, value
        line += text.count("\n", position, stop)
        position = stop


def first_problem(files: Sequence[RecordFile], attribute: str = DEFAULT_ATTRIBUTE) -> str | None:
    """The sentence naming the first bad record (or non-JSON text) in ``files``, or None if all are good."""
    for f in files:
        try:
            raw = igzip.open(f.path, "rb").read() if f.gzip else f.path.read_bytes()
            text = raw.decode("utf-8")
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            return f"{f.name}: not a readable file of JSON contact records ({exc})."
        try:
            for line, record in iter_records(text):
                problem = record_problem(record, attribute)
                if problem:
                    return f"{f.name} line {line}: the contact record {problem}."
        except ValueError as exc:
            return f"{f.name} {exc}; contact records are JSON objects, one per line or concatenated."
    return None
