"""The erasure plan refuses what the law keeps, and acting never reaches another call's versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from governance.subject.erase import decide, execute, plan
from governance.subject.find import find
from governance.subject.keys import Kind
from governance.subject.stored import Scope, StoredVersion
from lifecycle.legal import Purpose
from lifecycle.loader import load_policy
from tests.governance.subject.fakes import WHEN, FakeS3

POLICY = load_policy()
QUALITY = Scope("q-bucket", POLICY["quality"])
CONNECT = Scope("c-bucket", replace(POLICY["quality"], layout="amazon-connect", key_prefix="connect/acme/Rec"))
PROOF = Scope("p-bucket", POLICY["proof"])


def version(purpose: Purpose = Purpose.QUALITY, **changes: object) -> StoredVersion:
    base = StoredVersion("b", purpose, f"{purpose}/2026/11/20/C1.wav", "v1", "C1", Kind.RECORDING, True, False, 4,
                         WHEN, WHEN + timedelta(days=90), legal_hold=False)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_quality_is_removed_bypassing_a_running_governance_lock() -> None:
    step = decide(version(lock_mode="GOVERNANCE", retain_until=WHEN + timedelta(days=80)), WHEN)
    assert step.remove and step.bypass


def test_proof_is_kept_for_legal_claims() -> None:
    step = decide(version(Purpose.PROOF, lock_mode="COMPLIANCE", retain_until=WHEN + timedelta(days=300)), WHEN)
    assert not step.remove and "Art. 17(3)(e)" in (step.refusal or "") and "COMPLIANCE" in (step.refusal or "")


def test_legal_hold_and_unreadable_hold_are_refused() -> None:
    assert "legal hold" in (decide(version(legal_hold=True), WHEN).refusal or "")
    assert "could not be read" in (decide(version(legal_hold=None, lock_error="legal hold (AccessDenied)"),
                                          WHEN).refusal or "")


def test_a_compliance_lock_on_an_erasable_purpose_is_refused() -> None:
    step = decide(version(lock_mode="COMPLIANCE", retain_until=WHEN + timedelta(days=3)), WHEN)
    assert not step.remove and "COMPLIANCE" in (step.refusal or "")


def test_delete_markers_come_last() -> None:
    steps = plan([version(delete_marker=True, version_id="m"), version()], WHEN)
    assert [s.version.delete_marker for s in steps] == [False, True]


def test_execute_proves_removal_and_reports_what_remains() -> None:
    s3 = FakeS3()
    s3.add("q-bucket", "quality/2026/11/20/C1.wav", "v1")
    s3.add("q-bucket", "quality/2026/11/20/C1.wav", "m1", marker=True)
    found = find(s3, [QUALITY], ["C1"])
    outcome = execute(s3, [QUALITY], plan(found.versions, WHEN), ["C1"])
    assert outcome.proven and len(outcome.removed) == 2
    s3.add("q-bucket", "quality/2026/11/20/C1.wav", "v2")
    s3.deny = frozenset({"delete"})
    found = find(s3, [QUALITY], ["C1"])
    outcome = execute(s3, [QUALITY], plan(found.versions, WHEN), ["C1"])
    assert not outcome.proven and outcome.failed and [v.version_id for v in outcome.remaining] == ["v2"]


REDACTED = "Analysis/Voice/Redacted/2026/11/20"
ID = st.text(alphabet="C1-0ab.", min_size=1, max_size=6).filter(
    lambda s: ".." not in s and s[0] != "." and s[-1] != ".")


@settings(max_examples=150, deadline=None)
@given(bases=st.lists(ID, min_size=1, max_size=4), suffixes=st.lists(st.sampled_from(["", "0", "1", "-1", ".5", "a"]),
       min_size=1, max_size=4), pick=st.integers(min_value=0))
def test_erase_never_touches_another_calls_versions(bases: list[str], suffixes: list[str], pick: int) -> None:
    ids = sorted({b + s for b in bases for s in suffixes if not (b + s).endswith(".")})
    target = ids[pick % len(ids)]
    s3 = FakeS3()
    for i, call in enumerate(ids):
        s3.add("q-bucket", f"quality/2026/11/20/{call}.wav", f"q{i}")
        s3.add("q-bucket", f"quality/2026/11/20/{call}.wav", f"m{i}", marker=True)
        if "." not in call:  # an Amazon Connect contact id is what comes before the first '_'
            s3.add("c-bucket", f"connect/acme/Rec/2026/11/20/{call}_20261120T09:30_UTC.wav", f"c{i}")
            s3.add("c-bucket", f"{REDACTED}/{call}_call_recording_redacted_2026-11-20T09:41:07Z.wav", f"d{i}")
    found = find(s3, [QUALITY, CONNECT], [target])
    outcome = execute(s3, [QUALITY, CONNECT], plan(found.versions, WHEN), [target])
    touched = {key for _, key, _, _ in s3.deleted}
    expected = {f"quality/2026/11/20/{target}.wav"}
    if "." not in target:
        expected |= {f"connect/acme/Rec/2026/11/20/{target}_20261120T09:30_UTC.wav",
                     f"{REDACTED}/{target}_call_recording_redacted_2026-11-20T09:41:07Z.wav"}
    assert touched == expected
    assert outcome.proven
    for other in (c for c in ids if c != target):
        assert any(k == f"quality/2026/11/20/{other}.wav" for k, _, _ in s3.versions["q-bucket"])


def test_proof_plan_keeps_everything() -> None:
    s3 = FakeS3()
    s3.add("p-bucket", "proof/2026/11/20/C1.wav", "p1")
    steps = plan(find(s3, [PROOF], ["C1"]).versions, WHEN)
    assert [s.remove for s in steps] == [False]
