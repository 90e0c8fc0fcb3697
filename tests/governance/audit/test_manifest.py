"""Manifests: AWS's layout, strict parsing, MD5 verified before any data is trusted, ORC refused."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from governance.audit.errors import ChecksumError, ManifestError, UnsupportedFormatError
from governance.audit.files import open_inventory
from governance.audit.manifest import parse_manifest, snake_case
from governance.audit.source import connect, create_view
from sandbox.emulator import Emulator
from tests.governance.audit.inventories import DESTINATION, write_inventory
from tests.governance.audit.planted import BUCKET, planted_rows


def test_layout_is_the_one_aws_writes(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=2)
    expected = f"inventory/{BUCKET}/recgov-daily/2025-06-01T01-00Z/manifest.json"
    assert manifest.relative_to(tmp_path).as_posix() == expected
    doc = json.loads(manifest.read_text())
    assert all(f["key"].startswith(f"inventory/{BUCKET}/recgov-daily/data/") for f in doc["files"])
    assert (manifest.parent / "manifest.checksum").is_file()


@pytest.mark.parametrize(("field", "snake"), [("LastModifiedDate", "last_modified_date"), ("ETag", "e_tag"),
                                              ("ObjectLockLegalHoldStatus", "object_lock_legal_hold_status")])
def test_csv_fields_map_to_aws_parquet_names(field: str, snake: str) -> None:
    assert snake_case(field) == snake


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"sourceBucket": "b", "fileFormat": "XLS", "fileSchema": "Key", "files": []}', "fileFormat 'XLS'"),
        ('{"sourceBucket": "b", "fileFormat": "CSV", "fileSchema": "Bucket, Key", "files": []}',
         "IncludedObjectVersions=All"),
        ('{"fileFormat": "CSV", "fileSchema": "Key", "files": []}', "'sourceBucket' is missing"),
        ('{"sourceBucket": "b", "fileFormat": "CSV", "fileSchema": "Key", "files": [{"key": "k", "size": 1}]}',
         "'MD5checksum' is missing"),
    ],
)
def test_malformed_manifest_is_one_sentence(text: str, words: str) -> None:
    with pytest.raises(ManifestError) as err:
        parse_manifest(text, "manifest.json")
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def _data_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "inventory" / BUCKET / "recgov-daily" / "data").iterdir())


def test_a_data_file_altered_in_place_is_refused(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "CSV")
    target = _data_files(tmp_path)[0]
    raw = bytearray(target.read_bytes())
    raw[-9] ^= 0xFF  # same size, different bytes
    target.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError, match="differs from the manifest"), open_inventory(str(manifest)):
        pass


def test_a_truncated_data_file_is_refused(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet")
    target = _data_files(tmp_path)[1]
    target.write_bytes(target.read_bytes()[:-10])
    with pytest.raises(ChecksumError, match="bytes on disk"), open_inventory(str(manifest)):
        pass


def test_a_missing_data_file_is_refused(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet")
    _data_files(tmp_path)[1].unlink()
    with pytest.raises(ManifestError, match="does not exist"), open_inventory(str(manifest)):
        pass


def test_an_altered_manifest_is_refused_by_its_checksum(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet")
    manifest.write_text(manifest.read_text().replace('"version"', '"versio"'))
    with pytest.raises(ManifestError, match=r"manifest\.checksum"), open_inventory(str(manifest)):
        pass


def test_orc_is_refused_rather_than_passed(tmp_path: Path) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet", files=1)
    doc = json.loads(manifest.read_text())
    doc.update(fileFormat="ORC", fileSchema="struct<bucket:string,key:string,version_id:string,is_latest:boolean,"
               "is_delete_marker:boolean,last_modified_date:timestamp>")
    manifest.write_text(json.dumps(doc))
    (manifest.parent / "manifest.checksum").unlink()
    with open_inventory(str(manifest)) as inv, pytest.raises(UnsupportedFormatError, match="ORC"):
        create_view(connect(), inv)


def test_s3_manifest_is_downloaded_verified_and_read(tmp_path: Path, clean_emulator: Emulator) -> None:
    manifest = write_inventory(tmp_path, BUCKET, planted_rows(), "Parquet")
    s3 = boto3.client("s3", region_name=clean_emulator.region)
    s3.create_bucket(Bucket=DESTINATION, CreateBucketConfiguration={"LocationConstraint": clean_emulator.region})
    for path in tmp_path.rglob("*"):
        if path.is_file():
            s3.put_object(Bucket=DESTINATION, Key=path.relative_to(tmp_path).as_posix(), Body=path.read_bytes())
    url = f"s3://{DESTINATION}/{manifest.relative_to(tmp_path).as_posix()}"
    with open_inventory(url) as inv:
        con = connect()
        create_view(con, inv)
        assert con.execute("SELECT count(*) FROM inventory").fetchone() == (len(planted_rows()),)
    key = _data_files(tmp_path)[0].relative_to(tmp_path).as_posix()
    s3.put_object(Bucket=DESTINATION, Key=key, Body=b"tampered")
    with pytest.raises(ChecksumError), open_inventory(url):
        pass
