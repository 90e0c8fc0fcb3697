"""The access matrix's machinery: principals on the emulator, what they attempt, and a deny oracle.

Shared by ``test_e2e_access`` (the stack's own principals) and ``test_e2e_access_principals``
(another account, anonymous callers); each module deploys one stack and measures every cell on it.
The buckets and the purposes' roles are derived from ``Purpose`` and DESIGN section 3, so a new
purpose joins the matrix by itself; a test compares them with what the deployed stack exports.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase
from typing import Any, Literal

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from lifecycle.access import retention_cap_days
from lifecycle.legal import LockMode, Purpose
from lifecycle.loader import load_policy
from lifecycle.render import render_bucket
from sandbox.deploy import deploy, emulator_clients, require_loopback
from sandbox.emulator import Emulator
from sandbox.seed import role_clients

REGION = "eu-west-3"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
OTHER_ACCOUNT = "210987654321"
"""An account of the emulator that the stack knows nothing about."""

LOGS = str(Purpose.ACCESS_LOGS)
BUCKETS = tuple(str(p) for p in Purpose)
LOCK_MODES: dict[str, LockMode | None] = {str(p.purpose): render_bucket(p).lock_mode for p in load_policy()}
"""Each bucket's default Object Lock mode under the packaged policy (the log bucket has none)."""
LOCKED = tuple(b for b in BUCKETS if LOCK_MODES[b] is not None)


def purpose_roles() -> dict[str, tuple[str, str]]:
    """The purposes' roles as DESIGN section 3 gives them: ``<purpose>-<kind>`` -> (purpose, kind).

    Every bucket of documents has a writer and a reader; an erasure role exists only where erasure
    before expiry is lawful; the log bucket has none (S3 writes it, the auditors read it).
    """
    early_erasure = {Purpose.QUALITY, Purpose.EVALUATIONS}
    roles = {}
    for purpose in Purpose:
        if purpose is Purpose.ACCESS_LOGS:
            continue
        for kind in ("writer", "reader", "erasure"):
            if kind != "erasure" or purpose in early_erasure:
                roles[f"{purpose}-{kind}"] = (str(purpose), kind)
    return roles


PURPOSE_ROLES = purpose_roles()
PRINCIPALS = (*PURPOSE_ROLES, "auditor", "deployer")
"""Everyone the stack itself creates or names."""
ACTIONS = ("read", "list", "write", "delete-version", "bypass-governance", "change-lifecycle", "change-lock",
           "change-policy", "retention-beyond-stack")
DELETES = ("delete-version", "bypass-governance")
RETENTION_ASKED_DAYS = {str(p.purpose): retention_cap_days(p.retention_days) + 1 for p in load_policy()}
"""One day past the per-object retention each bucket's policy allows under the packaged policy: the
stack's own retention, well within the legal maximum (proof: 365 days asked, 1825 allowed by law)."""

NOT_APPLICABLE = {
    # A bucket without Object Lock holds no retention: S3 refuses the request whoever sends it.
    (LOGS, "retention-beyond-stack"),
}
"""(bucket, action) pairs that are no access question."""

Outcome = Literal["allowed", "refused", "crashed"]


def _unsigned_clients(endpoint_url: str) -> Callable[[str], Any]:
    """Clients that sign nothing: the requests of an anonymous caller."""
    require_loopback(endpoint_url)
    make_client: Any = boto3.session.Session(region_name=REGION).client  # plain service names, not the stubs' literals
    # One attempt: a refusal is the answer, retrying it only costs time.
    config = Config(signature_version=UNSIGNED, s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    cache: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in cache:
            cache[service] = make_client(service, endpoint_url=endpoint_url, config=config)
        return cache[service]

    return client


def admin_user(iam: Any, name: str) -> dict[str, str]:
    """An IAM user of ``iam``'s account whose identity policy allows everything; its access key."""
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="admin", PolicyDocument=json.dumps(ADMIN))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def account_client(endpoint_url: str, account: str, service: str) -> Any:
    """A client whose requests moto files under ``account`` (its ``x-moto-account-id`` header).

    Access keys created through it belong to that account: requests signed with them are that
    account's, as a principal of another AWS account would sign them.
    """
    client = emulator_clients(endpoint_url, REGION)(service)

    def to_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    client.meta.events.register("before-sign", to_account)
    return client


def seeded_key(bucket: str) -> str:
    """The object every principal reads: a recording, or a server access log in the log bucket."""
    return "quality/2026-01-01-00-00-00-0123456789ABCDEF" if bucket == LOGS else f"{bucket}/2026/01/01/CALL-1.wav"


@dataclass
class Stack:
    """A deployed stack with one client factory per principal and an object in every bucket."""

    emulator: Emulator
    outputs: dict[str, Any]
    principals: dict[str, Callable[[str], Any]]
    arns: dict[str, str]
    versions: dict[str, str]
    policies: dict[str, str]
    rules: dict[str, list[Any]]
    locks: dict[str, dict[str, Any]]

    def name(self, bucket: str) -> str:
        """The bucket's physical name."""
        return str(self.outputs["buckets"][bucket])

    @property
    def admin(self) -> Any:
        """The deployer's S3 client."""
        return self.principals["deployer"]("s3")

    def put_args(self, bucket: str) -> dict[str, str]:
        """Upload arguments the bucket's policy requires: its own key, or the log bucket's default."""
        key = self.outputs["keyArns"].get(bucket)
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key} if key else {}

    def fresh_version(self, bucket: str, key: str) -> str:
        """A new version for a destructive attempt, so that cells do not depend on each other."""
        with policy_detached(self.admin, self.name(bucket)):
            put = self.admin.put_object(Bucket=self.name(bucket), Key=key, Body=b"RIFF", **self.put_args(bucket))
        return str(put["VersionId"])

    def holds(self, bucket: str, key: str, version: str) -> bool:
        """Whether the version is still stored (read with the policy detached: moto would apply it to
        the deployer too)."""
        with policy_detached(self.admin, self.name(bucket)):
            return self._stored(bucket, key, version)

    def _stored(self, bucket: str, key: str, version: str | None = None) -> bool:
        try:
            self.admin.head_object(Bucket=self.name(bucket), Key=key, **({"VersionId": version} if version else {}))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchVersion"):
                return False
            raise
        return True

    def fingerprint(self, bucket: str, attempt: Attempt) -> tuple[Any, ...]:
        """Everything the attempt could change: the version it deletes, the seeded object's latest
        version (a write adds one), the seeded version's lock, the lifecycle, lock configuration and policy."""
        s3, name = self.admin, self.name(bucket)
        with policy_detached(s3, name) as policy:
            # Object by object, not a listing: moto delivers an access log into the log bucket on
            # every request to a governed bucket, and a listing of it grows slower with the run.
            doomed = self._stored(bucket, attempt.doomed, attempt.version) if attempt.version else None
            latest = s3.head_object(Bucket=name, Key=seeded_key(bucket))["VersionId"]
            head = s3.head_object(Bucket=name, Key=seeded_key(bucket), VersionId=self.versions[bucket])
            lock = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"] if bucket in LOCKED else {}
            rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        return (doomed, latest, head.get("ObjectLockMode"), head.get("ObjectLockRetainUntilDate"),
                head.get("ObjectLockLegalHoldStatus"), rules, lock, policy)


@contextmanager
def policy_detached(s3: Any, name: str) -> Iterator[str | None]:
    """No bucket policy for the duration; yields the one detached (None if none), which comes back."""
    try:
        saved = s3.get_bucket_policy(Bucket=name)["Policy"]
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "NoSuchBucketPolicy":
            raise
        saved = None
    if saved is not None:
        s3.delete_bucket_policy(Bucket=name)
    try:
        yield saved
    finally:
        if saved is not None:
            s3.put_bucket_policy(Bucket=name, Policy=saved)


@contextmanager
def identity_layer(stack: Stack, bucket: str) -> Iterator[None]:
    """The bucket as moto judges it faithfully: only the policy's unconditional statements to everyone stay.

    moto evaluates a bucket policy without request context, so every conditional statement would
    apply to every caller; an unconditional statement to everyone (the log bucket's ``DenyDeletes``,
    or a grant to the public, were there one) means the same to moto as to AWS, and stays attached
    while the identity layer is measured.
    """
    s3, name = stack.admin, stack.name(bucket)
    kept = [s for s in json.loads(stack.policies[bucket])["Statement"]
            if s.get("Principal") in ("*", {"AWS": "*"}) and not s.get("Condition")]
    if kept:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": kept}))
    else:
        s3.delete_bucket_policy(Bucket=name)
    try:
        yield
    finally:
        s3.put_bucket_policy(Bucket=name, Policy=stack.policies[bucket])


def build_stack(emulator: Emulator, stack_name: str) -> Stack:
    """Deploy the real program as an admin ``deployer`` user, sign in every principal, seed every bucket.

    Call with the emulator's IAM enforcement off (the default): moto checks a role's trust policy
    against the exact caller ARN, which ``arn:aws:iam::<account>:root`` never is.
    """
    emulator.reset()
    url = emulator.endpoint_url
    deployer = admin_user(emulator_clients(url, REGION)("iam"), "deployer")
    outputs = deploy(url, stack=stack_name, config={"aws:region": REGION}, credentials=deployer).outputs
    principals: dict[str, Callable[[str], Any]] = {"deployer": emulator_clients(url, REGION, deployer)}
    arns = {"deployer": str(outputs["deployerArn"]), "auditor": str(outputs["auditorRoleArn"])}
    # Whatever roles the stack exports, named as the matrix names them; a test compares the two.
    for purpose, kinds in outputs["roleArns"].items():
        for kind, arn in kinds.items():
            arns[f"{purpose}-{kind}"] = str(arn)
    for principal, arn in arns.items():
        if principal != "deployer":
            principals[principal] = role_clients(url, arn, REGION, "matrix")
    principals["other-account"] = emulator_clients(
        url, REGION, admin_user(account_client(url, OTHER_ACCOUNT, "iam"), "intruder"))
    principals["anonymous"] = _unsigned_clients(url)
    s3 = principals["deployer"]("s3")
    names = {b: str(outputs["buckets"][b]) for b in BUCKETS}
    policies = {b: s3.get_bucket_policy(Bucket=n)["Policy"] for b, n in names.items()}
    rules = {b: s3.get_bucket_lifecycle_configuration(Bucket=n)["Rules"] for b, n in names.items()}
    # The log bucket has no lock to re-put: changing its lock means enabling one.
    locks = {b: s3.get_object_lock_configuration(Bucket=n)["ObjectLockConfiguration"] if b in LOCKED
             else {"ObjectLockEnabled": "Enabled"} for b, n in names.items()}
    stack = Stack(emulator, outputs, principals, arns, {}, policies, rules, locks)
    for b, n in names.items():
        with policy_detached(s3, n):
            stack.versions[b] = str(s3.put_object(Bucket=n, Key=seeded_key(b), Body=b"RIFF",
                                                  **stack.put_args(b))["VersionId"])
    return stack


@contextmanager
def enforced(emulator: Emulator) -> Iterator[None]:
    """The emulator's IAM enforcement on for the duration."""
    emulator.enforce_iam(True)
    try:
        yield
    finally:
        emulator.enforce_iam(False)


@dataclass(frozen=True)
class Attempt:
    """One principal's request, prepared: the call, and the version a delete aims at."""

    action: str
    call: Callable[[], Any]
    doomed: str
    version: str


def prepare(stack: Stack, principal: str, bucket: str, action: str) -> Attempt:
    """Build the request; a destructive one gets a version of its own to aim at."""
    s3 = stack.principals[principal]("s3")
    name = stack.name(bucket)
    prefix = seeded_key(bucket).split("/")[0]
    doomed = f"{prefix}/matrix/{principal}-{action}.wav"
    version = stack.fresh_version(bucket, doomed) if action in (*DELETES, "legal-hold") else ""
    calls: dict[str, Callable[[], Any]] = {
        "read": lambda: s3.get_object(Bucket=name, Key=seeded_key(bucket), VersionId=stack.versions[bucket]),
        "list": lambda: s3.list_object_versions(Bucket=name, MaxKeys=1),
        # Over the seeded object: versioning keeps the one read, and moto checks an unsigned request
        # against the bucket's policy and the object's ACL only when the object exists.
        "write": lambda: s3.put_object(Bucket=name, Key=seeded_key(bucket), Body=b"RIFF", **stack.put_args(bucket)),
        "delete-version": lambda: s3.delete_object(Bucket=name, Key=doomed, VersionId=version),
        "bypass-governance": lambda: s3.delete_object(Bucket=name, Key=doomed, VersionId=version,
                                                      BypassGovernanceRetention=True),
        # The settings' own values, put back: a permitted change leaves the stack as it was.
        "change-lifecycle": lambda: s3.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": stack.rules[bucket]}),
        # Past IAM, moto refuses a new lock configuration on a bucket holding objects (S3 does not):
        # that refusal is not AccessDenied, so it counts as permitted, which is what IAM decided.
        "change-lock": lambda: s3.put_object_lock_configuration(
            Bucket=name, ObjectLockConfiguration=stack.locks[bucket]),
        "change-policy": lambda: s3.put_bucket_policy(Bucket=name, Policy=stack.policies[bucket]),
        # Not in ACTIONS: moto cannot judge it (see test_moto_authorises_legal_holds_as_put_object).
        "legal-hold": lambda: s3.put_object_legal_hold(Bucket=name, Key=doomed, VersionId=version,
                                                       LegalHold={"Status": "ON"}),
        "retention-beyond-stack": lambda: s3.put_object_retention(
            Bucket=name, Key=seeded_key(bucket), VersionId=stack.versions[bucket],
            Retention={"Mode": str(LOCK_MODES[bucket] or LockMode.GOVERNANCE),
                       "RetainUntilDate": datetime.now(UTC) + timedelta(days=RETENTION_ASKED_DAYS[bucket])},
            BypassGovernanceRetention=False),
    }
    return Attempt(action, calls[action], doomed, version)


def run(stack: Stack, bucket: str, attempt: Attempt) -> Outcome:
    """Send the request: ``refused`` on AccessDenied, ``crashed`` when the emulator fails (HTTP 500),
    ``allowed`` otherwise, including a refusal for another reason once IAM let the request through."""
    try:
        attempt.call()
    except ClientError as err:
        if err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 500:
            return "crashed"
        code = str(err.response.get("Error", {}).get("Code"))
        return "refused" if code in ("AccessDenied", "403", "AccessDeniedException") else "allowed"
    if attempt.action in DELETES and stack.holds(bucket, attempt.doomed, attempt.version):
        return "refused"  # deleting a version that is gone also succeeds: only its absence proves the delete
    return "allowed"


def attempt(stack: Stack, principal: str, bucket: str, action: str) -> Outcome:
    """Prepare and send one cell's request."""
    return run(stack, bucket, prepare(stack, principal, bucket, action))


# --- what a deployed bucket policy denies, read from the document ---------------------------------

IAM_ACTIONS: dict[str, tuple[tuple[str, ...], bool]] = {
    "read": (("s3:GetObjectVersion",), True),
    "list": (("s3:ListBucketVersions",), False),
    "write": (("s3:PutObject",), True),
    "delete-version": (("s3:DeleteObjectVersion",), True),
    "bypass-governance": (("s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"), True),
    "change-lifecycle": (("s3:PutLifecycleConfiguration",), False),
    "change-lock": (("s3:PutBucketObjectLockConfiguration",), False),
    "change-policy": (("s3:PutBucketPolicy",), False),
    "retention-beyond-stack": (("s3:PutObjectRetention",), True),
    "legal-hold": (("s3:PutObjectLegalHold",), True),
}
"""The IAM actions AWS authorises for each attempt, and whether on an object (else the bucket)."""
NEGATED = ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike")


def request_context(stack: Stack, principal: str, bucket: str, action: str) -> dict[str, str]:
    """The condition keys AWS would see on the attempt's request (lower-case keys)."""
    # Every principal of the matrix is an identity of an account, never an AWS service principal.
    context = {"aws:principalarn": stack.arns[principal], "aws:securetransport": "true",
               "aws:principalisawsservice": "false"}
    if action == "write" and bucket in stack.outputs["keyArns"]:
        context["s3:x-amz-server-side-encryption"] = "aws:kms"
        context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = str(stack.outputs["keyArns"][bucket])
    if action == "retention-beyond-stack":
        context["s3:object-lock-remaining-retention-days"] = str(RETENTION_ASKED_DAYS[bucket])
    return context


def _values(value: Any) -> list[str]:
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in (value if isinstance(value, list) else [value])]


def _holds(operator: str, key: str, values: list[str], context: Mapping[str, str]) -> bool:
    """One condition of a statement, evaluated as IAM does; an operator it does not know is an error."""
    base = operator.removesuffix("IfExists")
    actual = context.get(key.lower())
    if base == "Null":
        return (actual is None) == (values[0].lower() == "true")
    if actual is None:
        # A missing key satisfies an IfExists condition and a negated one, nothing else.
        return operator.endswith("IfExists") or base in NEGATED
    if base in ("ArnLike", "StringLike", "ArnNotLike", "StringNotLike"):
        found = any(fnmatchcase(actual, v) for v in values)
        return not found if base in NEGATED else found
    if base in ("StringEquals", "ArnEquals", "StringNotEquals", "ArnNotEquals"):
        return (actual not in values) if base in NEGATED else (actual in values)
    if base == "Bool":
        return actual == values[0].lower()
    if base == "NumericGreaterThan":
        return float(actual) > float(values[0])
    raise ValueError(f"the oracle does not evaluate condition operator {operator}")


def denying_statements(document: Mapping[str, Any], actions: tuple[str, ...], resource: str,
                       context: Mapping[str, str]) -> list[str]:
    """The Sids of the Deny statements to everyone that refuse any of ``actions`` on ``resource``."""
    found = []
    for s in document["Statement"]:
        if s.get("Effect") != "Deny" or s.get("Principal") != "*":
            continue
        listed = _values(s["Action"])
        if not any(fnmatchcase(a.lower(), p.lower()) for a in actions for p in listed):
            continue
        if not any(fnmatchcase(resource, r) for r in _values(s["Resource"])):
            continue
        if all(_holds(op, key, _values(v), context) for op, pairs in s.get("Condition", {}).items()
               for key, v in pairs.items()):
            found.append(str(s.get("Sid")))
    return found


def deployed_denies(stack: Stack, principal: str, bucket: str, action: str) -> list[str]:
    """The deployed bucket policy's statements that refuse this cell on AWS."""
    actions, on_object = IAM_ACTIONS[action]
    arn = f"arn:aws:s3:::{stack.name(bucket)}"
    resource = f"{arn}/{seeded_key(bucket)}" if on_object else arn
    return denying_statements(json.loads(stack.policies[bucket]), actions, resource,
                              request_context(stack, principal, bucket, action))
