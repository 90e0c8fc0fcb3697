"""Generate Amazon Connect contact records and the inventory of their recordings (benchmark data, not a test).

    python bench/contact_records_gen.py --out /tmp/ctr                  # 10 M records
    python bench/contact_records_gen.py --out /tmp/ctr --records 200000

Writes ``records/year=YYYY/month=MM/day=DD/*.json.gz`` (gzip JSON Lines, partitioned by the day of
``InitiationTimestamp`` as AWS's analytics sample delivers them through Firehose) and a Parquet S3
Inventory of the quality bucket holding each recorded contact's recording under the Amazon Connect
layout. Prints the records directory and the manifest path.

Records carry the fields Connect writes for a voice contact (agent with routing profile and hold
figures, queue, endpoints, instance ARN, attributes, recording and recordings; about 2 KB of JSON
each, as real records are), spread over 90 days before 2025-06-01: 85 % VOICE, the rest CHAT and
TASK; 2 % of voice contacts reached no agent (``"Agent": null``); 5 % of the records are second
deliveries of a contact with a later ``LastUpdateTimestamp``. A seventh of the calls are recorded, and
every call of three agents (over-recorded). Rows are generated and written by DuckDB, never held whole.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from isal import igzip

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.inventory_gen import DELIVERED, DESTINATION, write_parquet
from governance.audit.layout import PARQUET_SCHEMA, config_dir, write_manifest
from lifecycle.render import INVENTORY_ID, INVENTORY_PREFIX

QUALITY = "recgov-bench-quality"
PREFIX = "connect/acme/CallRecordings"
INSTANCE = "arn:aws:connect:eu-west-3:111122223333:instance/5d3f7a1e-0b9c-4e2a-9f61-7c2d8e4b1a09"
END_EPOCH = 1748736000  # 2025-06-01T00:00:00Z
SPREAD_SECONDS = 90 * 86400
AGENTS = 2000
DUPLICATE_SHARE = 20
"""One record in 20 is a second delivery."""
OVER_RECORDED = 3
"""Agents 0000-0002 have every call recorded."""


def contacts_sql(records: int) -> str:
    """One row per record (deliveries included) with what every other query derives from."""
    originals = records - records // DUPLICATE_SHARE
    return f"""
    SELECT i, c, i >= {originals} AS redelivered,
      md5(CAST(c AS VARCHAR)) AS h,
      CAST(to_timestamp({END_EPOCH} - 3600 - (c * 7919) % {SPREAD_SECONDS}) AS TIMESTAMP) AS started,
      CASE c % 20 WHEN 0 THEN 'CHAT' WHEN 1 THEN 'TASK' WHEN 2 THEN 'CHAT' ELSE 'VOICE' END AS channel,
      CASE WHEN c % 50 = 7 THEN NULL ELSE lpad(CAST(hash(c * 31 + 17) % {AGENTS} AS VARCHAR), 4, '0') END AS agent
    FROM (SELECT i, CASE WHEN i < {originals} THEN i ELSE ((i - {originals}) * 7919) % {originals} END AS c
          FROM range({records}) t(i))
    """


def _uuid(h: str) -> str:
    return (f"substr({h}, 1, 8) || '-' || substr({h}, 9, 4) || '-4' || substr({h}, 14, 3) || '-a' || "
            f"substr({h}, 18, 3) || '-' || substr({h}, 21, 12)")


def recorded_sql() -> str:
    """Whether a row's contact is recorded: a seventh of the calls, every call of the over-recorded agents."""
    return (f"(channel = 'VOICE' AND agent IS NOT NULL AND (c % 7 = 0 OR CAST(agent AS INTEGER) < {OVER_RECORDED}))")


def key_sql() -> str:
    """The recording's key in the Amazon Connect layout."""
    return (f"'{PREFIX}/' || strftime(started, '%Y/%m/%d') || '/' || {_uuid('h')} || '_' || "
            "strftime(started, '%Y%m%dT%H:%M') || '_UTC.wav'")


def _ts(expr: str) -> str:
    return f"strftime({expr}, '%Y-%m-%dT%H:%M:%SZ')"


def records_sql(records: int, day: int) -> str:
    """The records of contacts initiated on ``day`` (days before the end), as Connect writes them."""
    agent_arn = f"'{INSTANCE}/agent/' || md5(agent)"
    recording = (f"CASE WHEN {recorded_sql()} THEN struct_pack(DeletionReason := CAST(NULL AS VARCHAR), "
                 f"Location := '{QUALITY}/' || {key_sql()}, Status := 'AVAILABLE', Type := 'AUDIO') END")
    recordings = (f"CASE WHEN {recorded_sql()} THEN [struct_pack(DeletionReason := CAST(NULL AS VARCHAR), "
                  f"FragmentStartNumber := CAST(NULL AS VARCHAR), FragmentStopNumber := CAST(NULL AS VARCHAR), "
                  f"Location := '{QUALITY}/' || {key_sql()}, MediaStreamType := 'AUDIO', ParticipantType := 'AGENT', "
                  f"StartTimestamp := {_ts('started + INTERVAL 40 SECOND')}, Status := 'AVAILABLE', "
                  f"StopTimestamp := {_ts('started + INTERVAL 400 SECOND')}, StorageType := 'S3')] END")
    agent = (f"CASE WHEN agent IS NOT NULL THEN struct_pack(ARN := {agent_arn}, "
             "AfterContactWorkDuration := 15 + c % 90, "
             f"AfterContactWorkEndTimestamp := {_ts('started + INTERVAL 520 SECOND')}, "
             f"AfterContactWorkStartTimestamp := {_ts('started + INTERVAL 430 SECOND')}, "
             f"AgentInteractionDuration := 120 + c % 600, "
             f"ConnectedToAgentTimestamp := {_ts('started + INTERVAL 35 SECOND')}, CustomerHoldDuration := c % 60, "
             "HierarchyGroups := CAST(NULL AS VARCHAR), LongestHoldDuration := c % 40, NumberOfHolds := c % 3, "
             f"RoutingProfile := struct_pack(ARN := '{INSTANCE}/routing-profile/' || substr(md5(agent), 1, 12), "
             "Name := 'Sales ' || CAST(c % 7 AS VARCHAR)), Username := 'agent.' || agent) END")
    return f"""
    SELECT
      '111122223333' AS AWSAccountId, '2017-03-10' AS AWSContactTraceRecordFormatVersion,
      {agent} AS Agent, CASE WHEN agent IS NULL THEN 0 ELSE 1 END AS AgentConnectionAttempts,
      struct_pack(transaction_id := CASE WHEN c % 3 = 0 THEN 'TX-' || substr(h, 1, 10) END,
                  language := 'fr-FR', intent := 'billing', customer_segment := 'retail') AS Attributes,
      channel AS Channel,
      {_ts('started + INTERVAL 2 SECOND')} AS ConnectedToSystemTimestamp,
      {_uuid('h')} AS ContactId,
      struct_pack(Address := '+3361' || lpad(CAST(c % 10000000 AS VARCHAR), 7, '0'),
                  Type := 'TELEPHONE_NUMBER') AS CustomerEndpoint,
      'CUSTOMER_DISCONNECT' AS DisconnectReason,
      {_ts('started + INTERVAL 430 SECOND')} AS DisconnectTimestamp,
      {_uuid('h')} AS InitialContactId,
      'INBOUND' AS InitiationMethod,
      {_ts('started')} AS InitiationTimestamp,
      '{INSTANCE}' AS InstanceARN,
      {_ts("started + CASE WHEN redelivered THEN INTERVAL 2 HOUR ELSE INTERVAL 10 MINUTE END")}
        AS LastUpdateTimestamp,
      [struct_pack(Type := 'AUDIO')] AS MediaStreams,
      CAST(NULL AS VARCHAR) AS NextContactId, CAST(NULL AS VARCHAR) AS PreviousContactId,
      struct_pack(ARN := '{INSTANCE}/queue/' || substr(md5(CAST(c % 12 AS VARCHAR)), 1, 36),
                  DequeueTimestamp := {_ts('started + INTERVAL 35 SECOND')}, Duration := 30 + c % 20,
                  EnqueueTimestamp := {_ts('started + INTERVAL 5 SECOND')},
                  Name := 'BasicQueue') AS Queue,
      {recording} AS Recording, {recordings} AS Recordings,
      struct_pack(Address := '+33180000000', Type := 'TELEPHONE_NUMBER') AS SystemEndpoint,
      CAST(NULL AS VARCHAR) AS TransferCompletedTimestamp, CAST(NULL AS VARCHAR) AS TransferredToEndpoint
    FROM ({contacts_sql(records)})
    WHERE started >= to_timestamp({END_EPOCH} - {day + 1} * 86400)::TIMESTAMP
      AND started < to_timestamp({END_EPOCH} - {day} * 86400)::TIMESTAMP
    ORDER BY i
    """


def inventory_sql(records: int) -> str:
    """The quality bucket's inventory rows: one current, SSE-KMS version per recorded contact."""
    return f"""
    SELECT '{QUALITY}' AS bucket, {key_sql()} AS key, printf('%016x', hash(c)) AS version_id, true AS is_latest,
      false AS is_delete_marker, 3000000 + c % 900000 AS size,
      CAST(started + INTERVAL 500 SECOND AS TIMESTAMP_MS) AS last_modified_date,
      'd41d8cd98f00b204e9800998ecf8427e' AS e_tag, 'STANDARD' AS storage_class, false AS is_multipart_uploaded,
      'SSE-KMS' AS encryption_status, CAST(NULL AS TIMESTAMP_MS) AS object_lock_retain_until_date,
      CAST(NULL AS VARCHAR) AS object_lock_mode, 'OFF' AS object_lock_legal_hold_status
    FROM ({contacts_sql(records)}) WHERE NOT redelivered AND {recorded_sql()}
    """


def compress(plain: Path, path: Path) -> None:
    """Gzip ``plain`` into ``path`` with ISA-L's fastest level, and remove it: DuckDB's own gzip writer
    compresses at zlib's default level, several times slower, and generating 20 GB of JSON through it
    took longer than everything measured."""
    with plain.open("rb") as src, igzip.open(path, "wb", compresslevel=1) as dst:
        shutil.copyfileobj(src, dst, 8 << 20)
    plain.unlink()


def generate(out: Path, records: int) -> tuple[Path, Path]:
    """Write the records and the inventory under ``out``; returns the records directory and the manifest."""
    # Bounded memory: one day's file is written at a time (a partitioned COPY buffers every day at once).
    con = duckdb.connect(config={"memory_limit": "1GB"})
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    folder = out / "records"

    def write_day(day: int) -> None:
        date = datetime.fromtimestamp(END_EPOCH - (day + 1) * 86400, UTC)
        path = folder / f"year={date:%Y}" / f"month={date:%m}" / f"day={date:%d}" / f"ctr-{date:%Y-%m-%d}.json.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        plain = path.with_suffix("")
        con.cursor().execute(f"COPY ({records_sql(records, day)}) TO '{plain}' (FORMAT json)")
        compress(plain, path)

    # Two days at a time: one is compressed (ISA-L releases the GIL) while DuckDB writes the other.
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(write_day, range(SPREAD_SECONDS // 86400 + 1)))
    root = out / "inventory"
    data = config_dir(root, INVENTORY_PREFIX, QUALITY, INVENTORY_ID) / "data"
    data.mkdir(parents=True, exist_ok=True)
    path = data / "part-00000.parquet"
    write_parquet(con, inventory_sql(records), path)
    manifest = write_manifest(root, prefix=INVENTORY_PREFIX, source_bucket=QUALITY, config_id=INVENTORY_ID,
                              destination_bucket=DESTINATION, when=DELIVERED, file_format="Parquet",
                              file_schema=PARQUET_SCHEMA, data_files=[path])
    return folder, manifest


def main() -> None:
    """Parse the flags and generate."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--records", type=int, default=10_000_000)
    args = parser.parse_args()
    folder, manifest = generate(args.out, args.records)
    print(folder)
    print(manifest)


if __name__ == "__main__":
    main()
