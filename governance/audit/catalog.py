"""The object-level checks as data: stable id, severity, rules, the permissions each needs."""

from __future__ import annotations

from governance.model import CheckMeta, Severity
from lifecycle.legal import LIMITS, Purpose, cite

INVENTORY_READ = ("s3:GetObject (inventory manifest and data files)",)
LISTING = ("s3:ListBucketVersions",)

AGE = CheckMeta(
    "RG-OBJ-AGE", "No version is older than the purpose's effective limit", Severity.HIGH,
    ("R4", "R5", "R6", "R7", "R8"), INVENTORY_READ + LISTING,
    "Find why the lifecycle did not remove these versions (rule disabled or filtered, missing "
    "NoncurrentVersionExpiration, lock) and erase them.",
    "Every version, current or not, is younger than the purpose's effective limit at the audit date; versions "
    "under legal hold are listed in the register instead.",
)
MARKER_AGE = CheckMeta(
    "RG-OBJ-MARKER-AGE", "No delete marker is older than the purpose's effective limit", Severity.LOW,
    ("R8",), INVENTORY_READ + LISTING,
    "Enable ExpiredObjectDeleteMarker: a marker still names the call in its key after the bytes are gone.",
    "Every delete marker is younger than the purpose's effective limit: its key still names the call.",
)
LOCK_RETENTION = CheckMeta(
    "RG-OBJ-LOCK-RETENTION", "No retain-until date keeps a version beyond the retention", Severity.HIGH,
    ("R4", "R5", "R6", "R8"), (*INVENTORY_READ, "s3:GetObjectRetention"),
    "Shorten GOVERNANCE retention with the erasure role; a COMPLIANCE lock cannot be shortened.",
    "No version's retain-until date, plus the lifecycle's next midnight run, lies beyond the retention.",
)
LOCK_LEGAL = CheckMeta(
    "RG-OBJ-LOCK-LEGAL-MAX", "No retain-until date lies beyond the legal maximum", Severity.CRITICAL,
    ("R4", "R5", "R6", "R8"), (*INVENTORY_READ, "s3:GetObjectRetention"),
    "A COMPLIANCE lock beyond the legal maximum is irreversible: record it with the DPO; shorten GOVERNANCE ones.",
    "No retain-until date lies beyond the legal maximum after the version's creation; COMPLIANCE ones are counted "
    "apart, since nobody can shorten them.",
)
LEGAL_HOLD = CheckMeta(
    "RG-OBJ-LEGAL-HOLD", "Register of versions under legal hold, with their age", Severity.LOW,
    ("R8",), (*INVENTORY_READ, "s3:GetObjectLegalHold"),
    "Review each hold: it is lawful only while the dispute it serves is live (GDPR Art. 17(3)(e)).",
    "Informational: every version under legal hold, oldest first, with its age (table legal_holds).",
)
KMS = CheckMeta(
    "RG-OBJ-KMS", "Every version is encrypted with SSE-KMS", Severity.HIGH,
    ("R10",), (*INVENTORY_READ, "s3:GetObject (HEAD, live mode)"),
    "Re-encrypt the objects with the purpose's KMS key (copy in place with SSE-KMS).",
    "Every version is encrypted with SSE-KMS (or DSSE-KMS).",
)
KEY_NAME = CheckMeta(
    "RG-OBJ-KEY-NAME", "Every recording key follows the purpose's key layout", Severity.MEDIUM,
    ("R1", "R3"), INVENTORY_READ + LISTING,
    "Fix the recorder's key template, or the policy's layout and keyPrefix: a recording must be traceable to "
    "its call to prove proportionality.",
    "Keys in the layout's recording area name their call and day (recgov: `<purpose>/YYYY/MM/DD/<call_id>.<ext>`; "
    "amazon-connect: `<keyPrefix>/YYYY/MM/DD/<ContactId>_<YYYYMMDD>T<hh:mm>_UTC.wav`; genesys-cloud: "
    "`<organizationId>/year=Y/month=M/day=D/hour=H/conversation_id=<id>/<recordingId>.<ext>`, metadata beside).",
)
OUTSIDE_LAYOUT = CheckMeta(
    "RG-OBJ-OUTSIDE-LAYOUT", "Objects outside the recording layout's prefix are counted apart", Severity.LOW,
    ("R8",), INVENTORY_READ + LISTING,
    "Know what these objects are (a platform's analysis output, exports): each is still judged for age and "
    "encryption, and must be kept no longer than the recordings it derives from.",
    "Informational: where a layout writes recordings under a prefix, the bucket's other keys are not judged as "
    "misnamed recordings; their count and first keys are reported.",
)
DERIVED_ORPHAN = CheckMeta(
    "RG-OBJ-DERIVED-ORPHAN", "No derived copy outlives its recording", Severity.HIGH,
    ("R8",), INVENTORY_READ + LISTING,
    "Erase the orphaned transcripts, analysis files and redacted copies with every version: deleting a "
    "recording means deleting what was derived from it.",
    "Every transcript, analysis file or redacted copy the purpose declares is matched to its recording by call "
    "id; one whose recording has no version left (current or noncurrent) keeps the conversation beyond its "
    "retention.",
)
MULTIPART = CheckMeta(
    "RG-OBJ-MULTIPART", "No incomplete multipart upload outlives the lifecycle", Severity.HIGH,
    ("R8",), ("s3:ListBucketMultipartUploads",),
    "Abort the uploads and enable AbortIncompleteMultipartUpload: their parts are recording bytes.",
    "No incomplete multipart upload is older than the lifecycle allows (live listing).",
)
PROP_RATE = CheckMeta(
    "RG-PROP-RATE", "Each agent's monthly quality-recording rate stays within the sampling rate", Severity.HIGH,
    ("R2", "R1"), INVENTORY_READ + LISTING,
    "Lower the recorder's sampling for the agent; recording (nearly) every call is systematic surveillance.",
    "Per agent and month, recorded calls over calls handled stay within the sampling rate (high above it, "
    "critical at 95 % or more: systematic recording).",
)
PROP_UNMATCHED = CheckMeta(
    "RG-PROP-UNMATCHED", "Every recording in the calls export's period matches a handled call", Severity.MEDIUM,
    ("R1", "R3"), INVENTORY_READ + LISTING,
    "Export the calls of the whole period, or find which system recorded calls the export does not know.",
    "Every recording dated within the calls' period matches a handled call; one that does not is unverifiable "
    "(error).",
)
PROOF_TX = CheckMeta(
    "RG-PROP-PROOF-TX", "Every proof recording's call concluded a transaction", Severity.HIGH,
    ("R3",), INVENTORY_READ + LISTING,
    "Record for proof only the calls that contain the transaction; erase the others.",
    "Every proof recording matched to a call is of a call that concluded a transaction.",
)

OBJECT_CHECKS = (AGE, MARKER_AGE, LOCK_RETENTION, LOCK_LEGAL, LEGAL_HOLD, KMS, KEY_NAME, OUTSIDE_LAYOUT,
                 DERIVED_ORPHAN, MULTIPART)
PROPORTIONALITY_CHECKS = (PROP_RATE, PROP_UNMATCHED, PROOF_TX)


def retention_citations(purpose: Purpose) -> tuple[str, ...]:
    """The purpose's retention rule, then storage limitation (R8)."""
    return cite(LIMITS[purpose].rule, "R8")
