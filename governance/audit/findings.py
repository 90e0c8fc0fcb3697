"""Turn one bucket's audit aggregates into results an auditor can read (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from governance.audit import catalog
from governance.audit.sql import Thresholds, listed_keys
from governance.model import CheckMeta, Result, Severity, Status
from lifecycle.legal import LIMITS, cite

FIELD_NAMES = {
    "encryption_status": "EncryptionStatus",
    "object_lock_retain_until_date": "ObjectLockRetainUntilDate",
    "object_lock_legal_hold_status": "ObjectLockLegalHoldStatus",
}


@dataclass(frozen=True)
class BucketAudit:
    """What the engine found in one bucket: aggregate counts and keys, the hold register, uploads."""

    bucket: str
    thresholds: Thresholds
    fields: frozenset[str]
    aggregates: Mapping[str, Any]
    holds: Sequence[Mapping[str, Any]] = ()
    multipart: Mapping[str, Any] | None = None
    source: str = "inventory"
    notes: Sequence[str] = field(default=())
    ages: Sequence[Mapping[str, int]] = field(default=())
    """Versions per week of age (DuckDB engine): the age histogram of the HTML report."""
    refusals: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Live listing: column -> the refused call (``call``, ``code``, ``status``, ``permission``)."""

    @property
    def resource(self) -> str:
        """The bucket as a report names it."""
        return f"s3://{self.bucket}"


def keys_of(value: Any) -> list[str]:
    """First offending keys from either engine, deduplicated."""
    return list(dict.fromkeys(listed_keys(value)))


def count_of(value: Any) -> int:
    """A count from either engine (Athena returns every value as text)."""
    return int(value or 0)


def _result(meta: CheckMeta, audit: BucketAudit, status: Status, message: str, *, observed: Any = None,
            expected: Any = None, severity: Severity | None = None, citations: tuple[str, ...] = ()) -> Result:
    return Result(meta.id, audit.resource, str(audit.thresholds.purpose), status, severity or meta.severity,
                  message, observed, expected, citations)


SINGULARS = {"versions": "version", "delete markers": "delete marker", "keys": "key",
             "incomplete multipart uploads": "incomplete multipart upload"}
"""The counted nouns a finding starts with, and their singular: ``1 version``, never ``1 versions``."""


def counted(count: int, what: str) -> str:
    """``count`` and ``what`` (which starts with a plural noun of :data:`SINGULARS`) in the right number."""
    if count == 1:
        for plural, singular in SINGULARS.items():
            if what.startswith(plural):
                return f"1 {singular}{what[len(plural):]}"
    return f"{count} {what}"


def _count_check(meta: CheckMeta, audit: BucketAudit, name: str, what: str, expected: str,
                 citations: tuple[str, ...], extra: Mapping[str, Any] | None = None) -> Result:
    count = count_of(audit.aggregates.get(f"{name}_count"))
    keys = keys_of(audit.aggregates.get(f"{name}_keys"))
    where = f"{audit.resource} ({audit.thresholds.purpose})"
    observed = {"count": count, "first_keys": keys, **(extra or {})}
    if count:
        first = ", ".join(keys[:3]) + (" ..." if count > 3 else "")
        message = f"{where} holds {counted(count, what)}; {expected}. First: {first}."
        return _result(meta, audit, Status.FAIL, message, observed=observed, expected=expected, citations=citations)
    return _result(meta, audit, Status.PASS, f"{where} holds 0 {what}.", observed=observed, expected=expected,
                   citations=citations)


def _missing(meta: CheckMeta, audit: BucketAudit, field_name: str, citations: tuple[str, ...]) -> Result:
    what = f"{meta.id} ({meta.title[0].lower() + meta.title[1:].rstrip('.')})"
    refusal = audit.refusals.get(field_name)
    if refusal is not None:
        return _result(
            meta, audit, Status.ERROR,
            f"Access was denied to {refusal['call']} on the versions of {audit.resource} ({refusal['code']}), so "
            f"{what} cannot be verified; list the bucket as a principal allowed {refusal['permission']} (such as "
            "the purpose's reader role), or audit its S3 Inventory.",
            observed={"state": "unreadable", **refusal}, expected={"permission": refusal["permission"]},
            citations=citations,
        )
    if audit.source == "listing":
        return _result(
            meta, audit, Status.ERROR,
            f"The listing of {audit.resource} did not read {FIELD_NAMES.get(field_name, field_name)}, so {what} "
            "cannot be verified; audit the bucket's S3 Inventory, which carries it.",
            citations=citations,
        )
    return _result(
        meta, audit, Status.ERROR,
        f"The {audit.source} of {audit.resource} has no {FIELD_NAMES.get(field_name, field_name)} field, so "
        f"{what} cannot be verified; add it to the inventory's optional fields.",
        citations=citations,
    )


def object_results(audit: BucketAudit, as_of_text: str) -> list[Result]:
    """Every object-level result for one bucket, in the catalogue's order."""
    t = audit.thresholds
    purpose = t.purpose
    limit = LIMITS[purpose]
    retention = catalog.retention_citations(purpose)
    results = [
        _count_check(
            catalog.AGE, audit, "aged_versions",
            f"versions older than the effective limit of {t.age_limit_days} days at {as_of_text}",
            f"none may be older than {t.age_limit_days} days (legal maximum {limit.max_days} days, {limit.max_text})",
            retention,
        ),
        _count_check(
            catalog.MARKER_AGE, audit, "aged_markers",
            f"delete markers older than {t.age_limit_days} days at {as_of_text}",
            "expired delete markers are removed within the limit", cite("R8"),
        ),
    ]
    if "object_lock_retain_until_date" in audit.fields:
        results.append(_count_check(
            catalog.LOCK_RETENTION, audit, "lock_beyond_retention",
            f"versions locked beyond the retention (retain-until more than {t.lock_limit_days} days after "
            "last modification)", f"a lock of at most {t.lock_limit_days} days fits the {t.age_limit_days}-day limit",
            retention,
        ))
        compliance = count_of(audit.aggregates.get("lock_beyond_legal_compliance_count"))
        results.append(_count_check(
            catalog.LOCK_LEGAL, audit, "lock_beyond_legal",
            f"versions locked beyond the legal maximum of {limit.max_days} days ({compliance} in COMPLIANCE "
            "mode, which no one can shorten)", f"no retain-until date beyond {limit.max_days} days after creation",
            retention, {"compliance_mode": compliance},
        ))
    else:
        results += [_missing(m, audit, "object_lock_retain_until_date", retention)
                    for m in (catalog.LOCK_RETENTION, catalog.LOCK_LEGAL)]
    results.append(legal_hold_result(audit))
    if "encryption_status" in audit.fields:
        results.append(_count_check(catalog.KMS, audit, "not_kms", "versions not encrypted with SSE-KMS",
                                    "every recording is encrypted with the purpose's KMS key", cite("R10")))
    else:
        results.append(_missing(catalog.KMS, audit, "encryption_status", cite("R10")))
    if t.checks_keys:
        area = f" under {t.area}" if t.area else ""
        results.append(_count_check(
            catalog.KEY_NAME, audit, "bad_keys", f"keys{area} outside the {t.layout} layout",
            f"recording keys follow the {t.layout} layout, such as {t.key_layout.example(t.recording_prefix or None)}",
            cite("R1", "R3"),
        ))
    if t.checks_keys and t.area:
        results.append(outside_layout_result(audit))
    if t.derived:
        derived = count_of(audit.aggregates.get("derived_objects_count"))
        results.append(_count_check(
            catalog.DERIVED_ORPHAN, audit, "orphans",
            f"derived objects (of {derived}) whose recording has no version left",
            "a transcript, analysis file or redacted copy goes with its recording", retention,
            {"derived_objects": derived},
        ))
    if audit.multipart is not None:
        results.append(_count_check(
            catalog.MULTIPART, audit, "multipart",
            f"incomplete multipart uploads older than {t.multipart_limit_days} days",
            f"the lifecycle aborts uploads within {t.multipart_limit_days} days", retention,
        ))
    return results


def outside_layout_result(audit: BucketAudit) -> Result:
    """How many objects lie outside the layout's recording prefix: informational, never a failure."""
    t = audit.thresholds
    count = count_of(audit.aggregates.get("outside_layout_count"))
    keys = keys_of(audit.aggregates.get("outside_layout_keys"))
    where = f"{audit.resource} ({t.purpose})"
    message = (f"{count} objects in {where} lie outside {t.area}, where the {t.layout} layout writes recordings; "
               f"they are judged for age and encryption, not as recordings. First: {', '.join(keys[:3])}"
               f"{' ...' if count > 3 else ''}." if count else
               f"Every object in {where} lies under {t.area}, the {t.layout} layout's recording prefix.")
    return _result(catalog.OUTSIDE_LAYOUT, audit, Status.PASS, message,
                   observed={"count": count, "first_keys": keys}, expected={"recording_prefix": t.area},
                   citations=cite("R8"))


def legal_hold_result(audit: BucketAudit) -> Result:
    """The register's summary: informational while each hold serves a live dispute (Art. 17(3)(e))."""
    if "object_lock_legal_hold_status" not in audit.fields:
        return _missing(catalog.LEGAL_HOLD, audit, "object_lock_legal_hold_status", cite("R8"))
    held = count_of(audit.aggregates.get("legal_holds_count"))
    aged = count_of(audit.aggregates.get("legal_holds_aged_count"))
    message = (
        f"{counted(held, 'versions')} under legal hold in {audit.resource}, {aged} of them older than the "
        f"{audit.thresholds.age_limit_days}-day limit; each is kept only while its dispute is live "
        "(see the legal_holds register)." if held else f"No version under legal hold in {audit.resource}."
    )
    return _result(catalog.LEGAL_HOLD, audit, Status.PASS, message,
                   observed={"count": held, "older_than_limit": aged, "listed": len(audit.holds)},
                   citations=cite("R8"))


def hold_rows(audit: BucketAudit, as_of: datetime) -> list[dict[str, Any]]:
    """The legal-hold register's rows: bucket, key, version, last modified, age in days, retain-until."""
    rows = []
    for h in audit.holds:
        modified = h["last_modified_date"]
        rows.append({
            "bucket": audit.bucket,
            "key": h["key"],
            "version_id": h.get("version_id"),
            "last_modified": modified.isoformat() if modified else None,
            "age_days": (as_of - modified).days if modified else None,
            "retain_until": h["retain_until"].isoformat() if h.get("retain_until") else None,
        })
    return rows
