"""The purpose key's policy, judged by its effect: who may decrypt, who may encrypt, who administers.

A key policy is the only thing that decides who uses a KMS key: a principal it names is granted
directly, and the account's own principal (``arn:aws:iam::<account>:root``) hands the decision to
whatever IAM policy anyone attaches. So the check reads every Allow statement as the set of
principals it reaches and the key actions it covers (``kms:*``, ``kms:Re*`` and ``NotAction``
included), and requires:

* only the purpose's readers reach the plaintext (Decrypt, ReEncryptFrom, or CreateGrant, which
  could hand either to anyone);
* only its writers produce ciphertext (Encrypt, GenerateDataKey*, ReEncryptTo);
* the account keeps ``kms:PutKeyPolicy``, so an IAM administrator can always repair the policy and
  the key can never become unmanageable.

Conditions on an Allow are not credited (a condition narrows a grant, it never makes an unexpected
principal expected), and Deny statements are credited only against the account's administration.
One statement is the exception: with Amazon Connect, the program lets the deployer have Connect grant
the key to the instance's role (``lifecycle.access.connect_grant_statement``); that statement, exactly
as rendered for the stack's deployer and instance, is not counted. Any broader grant permission is.
Without stack outputs the roles are unknown: then everyone, the account itself and AWS services
still may not use the key, and the message says what could not be compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from governance.checks.base import Check, Expected
from governance.checks.policy_semantics import as_list, covers_action, matches
from governance.collect.snapshot import BucketSnapshot
from governance.model import CheckMeta, Result, Severity
from lifecycle.access import KEY_DECRYPT_CAPABLE, KEY_ENCRYPT_CAPABLE, Principals, account_root, connect_grant_statement

EVERYONE = "*"


def principals_of(statement: Mapping[str, Any]) -> set[str]:
    """The principals a statement reaches: ARNs, ``*``, an account id as its root, ``service:<name>``.

    ``NotPrincipal`` reaches everyone but the few it names, so it counts as everyone.
    """
    if "NotPrincipal" in statement:
        return {EVERYONE}
    principal = statement.get("Principal")
    if principal == EVERYONE:
        return {EVERYONE}
    found: set[str] = set()
    for kind, values in principal.items() if isinstance(principal, Mapping) else ():
        for value in as_list(values):
            text = str(value)
            if kind != "AWS":
                found.add(f"{kind.lower()}:{text}")
            elif text == EVERYONE:
                found.add(EVERYONE)
            elif text.isdigit() and len(text) == 12:
                found.add(account_root(text))
            else:
                found.add(text)
    return found


STATEMENT_FIELDS = frozenset({"Sid", "Effect", "Principal", "Action", "Resource", "Condition"})


def _conditions(statement: Mapping[str, Any]) -> dict[tuple[str, str], tuple[str, ...]]:
    # IAM reads condition keys without regard to case, and JSON true as "true" under Bool.
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    condition = statement.get("Condition")
    for op, pairs in condition.items() if isinstance(condition, Mapping) else ():
        for key, value in pairs.items() if isinstance(pairs, Mapping) else ():
            found[(op, key.lower())] = tuple(sorted(
                str(v).lower() if isinstance(v, bool) or op == "Bool" else str(v) for v in as_list(value)))
    return found


def same_statement(found: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    """Whether a statement says exactly what ``expected`` says, whatever its Sid and list spellings."""
    return (set(found) <= STATEMENT_FIELDS and found.get("Effect") == expected["Effect"]
            and principals_of(found) == principals_of(expected)
            and {str(a).lower() for a in as_list(found.get("Action"))}
            == {str(a).lower() for a in as_list(expected["Action"])}
            and set(map(str, as_list(found.get("Resource")))) == set(as_list(expected["Resource"]))
            and _conditions(found) == _conditions(expected))


def expected_grants(principals: Principals | None) -> list[dict[str, Any]]:
    """The grant statements the program renders for the stack's principals (none when they are unknown)."""
    if principals is None or principals.connect is None:
        return []
    return [connect_grant_statement(principals.deployer, principals.connect)]


def without_expected_grants(document: Mapping[str, Any], grants: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The document without the statements that are exactly one of ``grants``."""
    kept = [s for s in as_list(document.get("Statement"))
            if not (isinstance(s, Mapping) and any(same_statement(s, g) for g in grants))]
    return {**document, "Statement": kept}


def _statements(document: Mapping[str, Any], effect: str) -> list[Mapping[str, Any]]:
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping) and s.get("Effect") == effect]


def reaching(document: Mapping[str, Any], actions: Iterable[str]) -> set[str]:
    """Every principal some Allow statement grants any of ``actions``."""
    wanted = tuple(actions)
    return {p for s in _statements(document, "Allow") if any(covers_action(s, a) for a in wanted)
            for p in principals_of(s)}


def is_root(principal: str) -> bool:
    """``arn:aws:iam::<account>:root``: the account delegating to its IAM policies."""
    return principal.startswith("arn:") and principal.endswith(":root")


def manageable_by(document: Mapping[str, Any], root: str | None) -> bool:
    """Whether the account keeps ``kms:PutKeyPolicy`` (any account's root when the account is unknown)."""
    allowed = reaching(document, ("kms:PutKeyPolicy",))
    admins = {p for p in allowed if (p == root if root else is_root(p))}
    for s in _statements(document, "Deny"):
        if covers_action(s, "kms:PutKeyPolicy") and not s.get("Condition"):
            denied = principals_of(s)
            admins = set() if EVERYONE in denied else admins - denied
    return bool(admins)


def _never_intended(principal: str) -> bool:
    """Everyone, an account's IAM at large, or a service or federated principal: no purpose's role."""
    return principal == EVERYONE or is_root(principal) or not principal.startswith("arn:")


def unexpected(principals: Iterable[str], allowed: Sequence[str] | None) -> list[str]:
    """The principals beyond ``allowed``; with ``allowed`` unknown, those no stack could intend."""
    if allowed is None:
        return [p for p in sorted(principals) if _never_intended(p)]
    return [p for p in sorted(principals) if p not in allowed and (p == EVERYONE or not matches(allowed, p))]


def _who(principal: str) -> str:
    if principal == EVERYONE:
        return "everyone"
    if is_root(principal):
        return f"{principal} (every identity of the account that IAM allows)"
    return principal


@dataclass(frozen=True)
class KeyVerdict:
    """What a key policy lets happen, against what the purpose allows."""

    extra_decrypt: tuple[str, ...]
    extra_encrypt: tuple[str, ...]
    manageable: bool

    @property
    def problems(self) -> list[str]:
        """One phrase per problem, for the finding's sentence."""
        out = []
        if self.extra_decrypt:
            out.append("lets " + ", ".join(_who(p) for p in self.extra_decrypt) + " decrypt")
        if self.extra_encrypt:
            out.append("lets " + ", ".join(_who(p) for p in self.extra_encrypt) + " encrypt")
        if not self.manageable:
            out.append("leaves the account no kms:PutKeyPolicy, so nobody could repair it")
        return out


def judge_key_policy(
    document: Mapping[str, Any], account_id: str | None, readers: Sequence[str] | None, writers: Sequence[str] | None,
    grants: Sequence[Mapping[str, Any]] = (),
) -> KeyVerdict:
    """The verdict on a key policy; ``readers``/``writers`` None when the stack's principals are unknown.

    ``grants`` are statements the program itself renders (:func:`expected_grants`): exactly those are
    not counted as reaching the plaintext.
    """
    document = without_expected_grants(document, grants)
    return KeyVerdict(
        extra_decrypt=tuple(unexpected(reaching(document, KEY_DECRYPT_CAPABLE), readers)),
        extra_encrypt=tuple(unexpected(reaching(document, KEY_ENCRYPT_CAPABLE), writers)),
        manageable=manageable_by(document, account_root(account_id) if account_id else None),
    )


def _account(arn: Any) -> str | None:
    parts = str(arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" and parts[4] else None


def _key_policy(check: Check, exp: Expected, snap: BucketSnapshot) -> list[Result]:
    readers = list(exp.principals.readers) if exp.principals else None
    writers = list(exp.principals.writers) if exp.principals else None
    required = {"decrypt": readers or "the purpose's readers (stack outputs not given)",
                "encrypt": writers or "the purpose's writers (stack outputs not given)",
                "administer": "the account (kms:PutKeyPolicy), using the key never"}
    key, obs = snap.kms_key, snap.key_policy
    if obs.is_unreadable:
        return check.unreadable(exp, "key policy", obs, required)
    if not obs.is_present:
        # No policy to read: the bucket names no key, or one that does not exist.
        if key.is_unreadable:
            return check.unreadable(exp, "KMS key the bucket names", key, required)
        if key.is_present and not key.value.get("Exists"):
            return check.failed(exp, f"{exp.label} names KMS key {key.value.get('KeyId')}, which does not exist; it "
                                "must name the purpose's key, whose policy limits who decrypts.", key.value, required)
        return check.failed(exp, f"{exp.label} names no KMS key in its default encryption, so no key policy limits "
                            "who decrypts its recordings; it must use the purpose's key.", key.evidence(), required)
    # The rotation read may have failed while the policy was read: the policy is judged all the same.
    arn = (key.value.get("KeyArn") if key.is_present else None) or exp.key_arn or "(the key the bucket names)"
    verdict = judge_key_policy(obs.value, _account(arn) or _account(exp.key_arn), readers, writers,
                               expected_grants(exp.principals))
    if verdict.problems:
        return check.failed(exp, f"{exp.label} uses KMS key {arn}, whose key policy {'; '.join(verdict.problems)}; "
                            "only the purpose's readers may decrypt, only its writers encrypt, and the account "
                            "must keep the key manageable.", obs.value, required)
    unknown = "" if exp.principals else (
        " (roles unknown without stack outputs: only everyone, the account and services were ruled out)")
    return check.passed(exp, f"{exp.label} uses KMS key {arn}, whose key policy lets only the purpose's readers "
                        f"decrypt and its writers encrypt, and keeps the key manageable by the account{unknown}.",
                        obs.value, required)


KEY_POLICY = Check(
    CheckMeta(
        id="RG-KMS-KEY-POLICY",
        title="The key policy limits who decrypts to the purpose's readers",
        severity=Severity.HIGH,
        rules=("R7", "R10"),
        permissions=("kms:DescribeKey", "kms:GetKeyPolicy"),
        remediation="Deploy the key policy rendered by the program (lifecycle.access.key_policy): the account "
        "administers, the purpose's writers encrypt and its readers decrypt, through S3.",
        description="The policy of the KMS key the bucket names lets only the purpose's readers decrypt (or "
        "re-encrypt, or create grants), only its writers encrypt, nobody else, not the account's IAM at large nor "
        "everyone; and the account keeps kms:PutKeyPolicy so the key stays manageable. Judged by effect: "
        "wildcards, NotAction and NotPrincipal count.",
    ),
    _key_policy,
    applies=lambda e: e.spec.kms,
)
