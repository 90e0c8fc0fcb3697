"""The purpose registry: what each purpose *is*, declared once.

Every face of the toolkit derives a purpose's behaviour from its entry here: the Pulumi program
(which roles it creates, what it protects, where logs and inventories go), the stack config (which
principal kinds it accepts), the policy's validation (lock modes, sampling), the bucket policy (who
is exempted from which deny), verify's expectations, the object audit (whose keys follow a
recording layout), proportionality, the Art. 30 register and the demo.

Adding a purpose is one member of :class:`~lifecycle.legal.Purpose`, one :class:`PurposeTraits`
entry below, and its defaults in ``default_policy.yaml``; ``tests/lifecycle/test_purposes.py``
refuses a purpose without an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from lifecycle.legal import LIMITS, LockMode, Purpose, RetentionLimit


class RoleKind(StrEnum):
    """A principal's part on a purpose's bucket; the program creates one role per kind unless the stack names one."""

    WRITER = "writer"
    READER = "reader"
    ERASURE = "erasure"

    def __str__(self) -> str:
        return self.value


class Proportion(StrEnum):
    """How recording for a purpose is kept proportionate (R1-R3)."""

    SAMPLE = "sample"
    """A random sample of calls, at most the policy's sampling rate (R2)."""
    TRANSACTION = "transaction"
    """Only calls that concluded a transaction (R3)."""

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PurposeTraits:
    """Everything about a purpose that is not a configurable number.

    ``roles`` are the role kinds its bucket has (a reader on a ``legal_hold`` purpose is the
    dispute team and also places legal holds). ``lock_modes`` are the Object Lock modes its policy
    may choose (empty: Object Lock is not allowed), ``lock_required`` whether it must choose one.
    ``protect`` buckets and keys are never removed by ``pulumi destroy``. ``log_target``
    marks the bucket that receives the other buckets' server access logs and inventories: S3
    delivers logs only to an SSE-S3 bucket without default retention.
    """

    purpose: Purpose
    description: str
    data: str
    persons: str
    roles: tuple[RoleKind, ...]
    lock_modes: frozenset[LockMode]
    lock_required: bool = False
    legal_hold: bool = False
    protect: bool = False
    log_target: bool = False
    proportion: Proportion | None = None

    @property
    def limit(self) -> RetentionLimit:
        """The legal limits of the purpose (``lifecycle.legal``, with their citations)."""
        return LIMITS[self.purpose]

    @property
    def early_erasure(self) -> bool:
        """Whether an erasure role may remove objects before expiry (objection, GDPR Art. 21)."""
        return RoleKind.ERASURE in self.roles

    @property
    def recordings(self) -> bool:
        """Whether the bucket holds call recordings, whose keys follow a recording layout."""
        return self.proportion is not None

    @property
    def kms(self) -> bool:
        """Whether objects are encrypted with the purpose's own KMS key (the log target cannot be)."""
        return not self.log_target

    @property
    def rules(self) -> tuple[str, ...]:
        """The rules a bucket of this purpose answers to: its retention, storage limitation, security."""
        return (self.limit.rule, "R8", "R10")


_GOVERNANCE_ONLY = frozenset({LockMode.GOVERNANCE})
_ANY_LOCK = frozenset(LockMode)

PURPOSES: dict[Purpose, PurposeTraits] = {
    t.purpose: t
    for t in (
        PurposeTraits(
            Purpose.QUALITY,
            description="Training of agents and quality of service, on a random sample of calls",
            data="Voice of the caller and of the agent; call identifier, agent identifier, date and time",
            persons="Callers (customers, prospects); agents (employees)",
            roles=(RoleKind.WRITER, RoleKind.READER, RoleKind.ERASURE),
            # COMPLIANCE would make erasure on objection impossible before expiry.
            lock_modes=_GOVERNANCE_ONLY,
            proportion=Proportion.SAMPLE,
        ),
        PurposeTraits(
            Purpose.PROOF,
            description="Proof of a transaction concluded by telephone (e.g. an oral sales agreement)",
            data="Voice of the caller and of the agent; call, agent and transaction identifiers, date and time",
            persons="Callers (customers); agents (employees)",
            # Kept for legal claims (Art. 17(3)(e)): nobody erases before expiry; the dispute team holds.
            roles=(RoleKind.WRITER, RoleKind.READER),
            lock_modes=_ANY_LOCK,
            legal_hold=True,
            protect=True,
            proportion=Proportion.TRANSACTION,
        ),
        PurposeTraits(
            Purpose.EVALUATIONS,
            description="Evaluation grids and analysis reports drawn from quality recordings",
            data="Agent identifier, evaluation criteria and comments, call identifier",
            persons="Agents (employees)",
            roles=(RoleKind.WRITER, RoleKind.READER, RoleKind.ERASURE),
            lock_modes=_GOVERNANCE_ONLY,
        ),
        PurposeTraits(
            Purpose.ACCESS_LOGS,
            description="Traceability of access to recordings (security of processing)",
            data="Requester identity (IAM principal), object key, time, operation, source address",
            persons="Staff who access recordings",
            # Only S3's delivery writes and only the lifecycle deletes; auditors read.
            roles=(),
            lock_modes=frozenset(),
            protect=True,  # the evidence of who accessed recordings
            log_target=True,
        ),
        PurposeTraits(
            Purpose.EVIDENCE,
            description="Evidence that recordings were kept no longer than allowed (audit reports)",
            data="Bucket names, object keys (call identifiers), agent identifiers and recording rates",
            persons="Agents (employees); callers through call identifiers",
            roles=(RoleKind.WRITER, RoleKind.READER),
            lock_modes=_ANY_LOCK,
            lock_required=True,
            protect=True,
        ),
    )
}
"""Every purpose's traits; ``Purpose`` members without an entry are refused by the registry's test."""


def traits(purpose: Purpose | str) -> PurposeTraits:
    """The traits of a purpose (by member or name)."""
    return PURPOSES[Purpose(purpose)]


LOG_TARGET: Purpose = next(p for p, t in PURPOSES.items() if t.log_target)
"""The purpose whose bucket receives server access logs and inventories."""

RECORDING_PURPOSES: tuple[Purpose, ...] = tuple(p for p, t in PURPOSES.items() if t.recordings)
"""Purposes whose buckets hold call recordings (keys follow a layout; proportionality applies)."""
