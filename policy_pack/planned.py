"""A governed bucket's planned state, read from a stack's resources into a :class:`BucketSnapshot`.

The governance checks judge a snapshot of what S3 would answer. At ``pulumi preview`` there is no
S3 to ask, but the stack's resources say what it will answer: the bucket (``aws:s3/bucket:Bucket``
tagged ``recgov:purpose``) and its separate setting resources, each joined to the bucket through the
dependency of its ``bucket`` property (the bucket's name itself is unknown before it is created).

The three states of an observation keep their meaning:

* **present**: a setting resource is joined to the bucket, with known values, translated to the
  API's shape by :mod:`sandbox.wire` (the translation the sandbox applies to the emulator);
* **absent**: no such resource exists for the bucket, as S3 would answer ``NoSuch…``;
* **unreadable**: a value the setting needs is unknown until apply (computed from a resource not yet
  created), several resources would race to set it, or a resource of its type cannot be joined to
  any bucket. The check then yields ERROR: neither a pass nor a violation.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from governance.collect.kms import configured_key
from governance.collect.observed import Observed
from governance.collect.snapshot import BucketSnapshot
from lifecycle.legal import Purpose
from lifecycle.render import INVENTORY_ID, TAG_PURPOSE
from sandbox import wire

BUCKET_TYPES = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
"""The bucket resource (``BucketV2`` is its former name, still accepted by pulumi-aws 7)."""
KMS_KEY_TYPE = "aws:kms/key:Key"
KEY_POLICY_TYPE = "aws:kms/keyPolicy:KeyPolicy"
PLANNED = "planned stack"
"""The ``source`` of every observation: the stack's resources, not an S3 answer."""
UNKNOWN_AT_PREVIEW = "its value is unknown until the resources it is computed from are created"

_UNKNOWNS = frozenset({
    UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE, UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE, UNKNOWN_ARCHIVE_VALUE, UNKNOWN_OBJECT_VALUE,
})


def plain(value: Any) -> Any:
    """A property value as plain dicts and lists, unknown sentinels kept as they are.

    The analyzer wraps properties in proxies that raise on any unknown value they hand out; reading
    through ``"__target"`` (the proxies' own escape hatch) lets the pack see an unknown as a fact
    rather than as an exception that would abandon the whole policy. Nulls are dropped: the engine
    sends an unset optional field as null, and the API's shape simply leaves it out.
    """
    if isinstance(value, Mapping):
        target = _target(value)
        return {str(k): plain(v) for k, v in target.items() if v is not None}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(v) for v in _target(value)]
    return value


def _target(value: Any) -> Any:
    # pulumi_policy.proxy._DictProxy/_ListProxy answer "__target" with the wrapped container.
    if type(value).__module__ == "pulumi_policy.proxy":
        return value["__target"]
    return value


def is_unknown(value: Any) -> bool:
    """True when the value, or anything inside it, is unknown until apply."""
    if isinstance(value, str):
        return value in _UNKNOWNS
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return False


@dataclass(frozen=True)
class Setting:
    """One bucket setting resource type: which snapshot field it fills, from which properties, how."""

    type: str
    field: str
    reads: tuple[str, ...]
    value: Callable[[Mapping[str, Any]], Any]
    names_bucket: tuple[str, ...] = ()
    """Properties whose value is another bucket's name (a log target), resolvable by dependency."""
    selects: Callable[[Mapping[str, Any]], bool] = lambda _props: True
    """Whether a resource of the type is the one the snapshot holds (a bucket may have several inventories)."""


def _policy_document(props: Mapping[str, Any]) -> Any:
    return json.loads(wire.policy_text_from_wire(props))


SETTINGS: tuple[Setting, ...] = (
    Setting("aws:s3/bucketVersioning:BucketVersioning", "versioning", ("versioningConfiguration",),
            wire.versioning_configuration_from_wire),
    Setting("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "object_lock",
            ("objectLockEnabled", "rule"), wire.object_lock_configuration_from_wire),
    # GetBucketLifecycleConfiguration answers with the rules alone: the snapshot holds that list.
    Setting("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "lifecycle", ("rules",),
            lambda p: wire.lifecycle_configuration_from_wire(p)["Rules"]),
    Setting("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "encryption", ("rules",), wire.encryption_configuration_from_wire),
    Setting("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "public_access_block",
            wire.PUBLIC_ACCESS_FLAGS, wire.public_access_block_configuration_from_wire),
    Setting("aws:s3/bucketOwnershipControls:BucketOwnershipControls", "ownership", ("rule",),
            wire.ownership_controls_from_wire),
    Setting("aws:s3/bucketLogging:BucketLogging", "logging", ("targetBucket", "targetPrefix"),
            lambda p: wire.logging_status_from_wire(p)["LoggingEnabled"], names_bucket=("targetBucket",)),
    Setting("aws:s3/bucketPolicy:BucketPolicy", "policy", ("policy",), _policy_document),
    Setting("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "replication", ("role", "rules"),
            wire.replication_configuration_from_wire),
    # Collection reads the program's own inventory by its id; other inventories are not governed.
    Setting("aws:s3/inventory:Inventory", "inventory",
            ("name", "enabled", "includedObjectVersions", "schedule", "destination", "optionalFields"),
            wire.inventory_configuration_from_wire, selects=lambda p: p.get("name") in (INVENTORY_ID, *_UNKNOWNS)),
)
"""The table of joined resources, one row per setting, like the collection's table of S3 reads."""
SNAPSHOT_FIELDS = frozenset(f.name for f in fields(BucketSnapshot))
"""A row whose setting the snapshot does not hold is not read: no check could judge it."""


@dataclass
class PlannedBucket:
    """A governed bucket of the stack and the setting resources joined to it."""

    resource: PolicyResource
    purpose: Purpose
    name: str
    settings: dict[str, list[PolicyResource]] = field(default_factory=dict)


def _props(resource: PolicyResource) -> dict[str, Any]:
    return dict(plain(resource.props))


def bucket_name(logical_name: str, props: Mapping[str, Any]) -> str:
    """The bucket's name when known, else its logical name (a new bucket is named at creation)."""
    name = plain(props).get("bucket")
    return str(name) if isinstance(name, str) and not is_unknown(name) and name else logical_name


def governed_purpose(resource_type: str, props: Mapping[str, Any]) -> Purpose | str | None:
    """The purpose a bucket resource is tagged with; the raw text when it names no known purpose.

    None when the resource is not a bucket or carries no purpose tag.
    """
    if resource_type not in BUCKET_TYPES:
        return None
    tags = plain(props).get("tags")
    value = tags.get(TAG_PURPOSE) if isinstance(tags, Mapping) else None
    if value is None:
        return None
    try:
        return Purpose(str(value))
    except ValueError:
        return str(value)


def _referenced_buckets(resource: PolicyResource, prop: str) -> list[PolicyResource]:
    return [d for d in resource.property_dependencies.get(prop, []) if d.resource_type in BUCKET_TYPES]


def _joined_bucket(resource: PolicyResource, buckets: Sequence[PlannedBucket]) -> PlannedBucket | None:
    """The governed bucket a setting resource configures: by the dependency of its ``bucket``
    property, else by a known bucket name equal to a bucket's known name."""
    for dep in _referenced_buckets(resource, "bucket"):
        for b in buckets:
            if b.resource is dep or b.resource.urn == dep.urn:
                return b
    value = _props(resource).get("bucket")
    if isinstance(value, str) and not is_unknown(value):
        return next((b for b in buckets if b.name == value), None)
    return None


def _unresolved(resource: PolicyResource) -> bool:
    """True when nothing tells which bucket the resource configures: it may be a governed one."""
    value = _props(resource).get("bucket")
    return not _referenced_buckets(resource, "bucket") and (not isinstance(value, str) or is_unknown(value))


def join(resources: Iterable[PolicyResource]) -> tuple[list[PlannedBucket], dict[str, list[str]]]:
    """Every governed bucket with its setting resources, and the purposes no governed purpose names.

    The second value maps a bucket's logical name to the unknown purpose it is tagged with.
    """
    resources = list(resources)
    buckets: list[PlannedBucket] = []
    strays: dict[str, list[str]] = {}
    for r in resources:
        purpose = governed_purpose(r.resource_type, r.props)
        if isinstance(purpose, Purpose):
            buckets.append(PlannedBucket(r, purpose, bucket_name(r.name, r.props)))
        elif purpose is not None:
            strays.setdefault(r.name, []).append(purpose)
    types = {s.type: s for s in SETTINGS if s.field in SNAPSHOT_FIELDS}
    unresolved: set[str] = set()
    for r in resources:
        setting = types.get(r.resource_type)
        if setting is None or not setting.selects(_props(r)):
            continue
        joined = _joined_bucket(r, buckets)
        if joined is not None:
            joined.settings.setdefault(setting.field, []).append(r)
        elif _unresolved(r):
            unresolved.add(setting.field)
    for b in buckets:
        for name in unresolved - set(b.settings):
            b.settings[name] = []  # an empty list: a resource of this type may be this bucket's
    return buckets, strays


def _observe(setting: Setting, joined: list[PolicyResource] | None, resolve: Callable[[str, Any], Any]) -> Observed:
    where = {"source": f"{PLANNED}: {setting.type}"}
    if joined is None:
        return Observed.absent(**where)
    if not joined:
        return Observed.unreadable(f"the stack has a {setting.type.rsplit(':', 1)[-1]} whose bucket is a value "
                                   "unknown until apply, so it may configure this bucket", **where)
    if len(joined) > 1:
        names = ", ".join(r.name for r in joined)
        return Observed.unreadable(f"several resources set it ({names}); which one wins depends on apply order",
                                   **where)
    props = _props(joined[0])
    props = {k: resolve(k, v) for k, v in props.items()}
    unknown = [k for k in setting.reads if is_unknown(props.get(k))]
    if unknown:
        return Observed.unreadable(f"{', '.join(unknown)} of {joined[0].name}: {UNKNOWN_AT_PREVIEW}", **where)
    try:
        return Observed.present(setting.value(props), **where)
    except (KeyError, TypeError, ValueError) as err:
        return Observed.unreadable(f"{joined[0].name} is malformed ({type(err).__name__}: {err})", **where)


def _tags(bucket: PlannedBucket) -> Observed:
    tags = _props(bucket.resource).get("tags")
    if tags is None:
        return Observed.absent(source=PLANNED)
    if is_unknown(tags):
        return Observed.unreadable(f"tags of {bucket.resource.name}: {UNKNOWN_AT_PREVIEW}", source=PLANNED)
    return Observed.present({str(k): str(v) for k, v in tags.items()}, source=PLANNED)


def _lock_on_bucket(bucket: PlannedBucket, observed: Observed) -> Observed:
    """Object Lock exists only on a bucket created with it: S3 refuses a lock configuration otherwise,
    and answers ``ObjectLockConfigurationNotFoundError`` for such a bucket."""
    enabled = _props(bucket.resource).get("objectLockEnabled")
    if is_unknown(enabled):
        return Observed.unreadable(f"objectLockEnabled of {bucket.resource.name}: {UNKNOWN_AT_PREVIEW}",
                                   source=PLANNED)
    if enabled is not True:
        return Observed.absent(source=f"{PLANNED}: {bucket.resource.resource_type}")
    return observed


def _kms_key(encryption: Observed, resources: Sequence[PolicyResource], joined: list[PolicyResource] | None
             ) -> Observed:
    """The key the default encryption names, as the stack declares it (what DescribeKey would say)."""
    where = {"source": f"{PLANNED}: {KMS_KEY_TYPE}"}
    if encryption.is_unreadable:
        # No permission is missing: the key is unknown because the encryption is (not DescribeKey's).
        return Observed.unreadable(f"the default encryption naming it is not known ({encryption.reason})", **where)
    key_id, final = configured_key(encryption)
    if final is not None or key_id is None:
        return final or Observed.absent(**where)
    if key_id.startswith("alias/aws/"):
        return Observed.present({"KeyId": key_id, "KeyArn": None, "Exists": True, "KeyManager": "AWS"}, **where)
    # The key the rules were computed from is the one they name; else match its known identifiers.
    related = [d for r in joined or [] for d in r.property_dependencies.get("rules", [])
               if d.resource_type == KMS_KEY_TYPE]
    candidates = related if len(related) == 1 else [
        k for k in resources
        if k.resource_type == KMS_KEY_TYPE and key_id in (_props(k).get("arn"), _props(k).get("keyId"))
    ]
    for key in candidates[:1]:
        props = _props(key)
        rotation = props.get("enableKeyRotation", False)
        enabled = props.get("isEnabled", True)  # the provider's default: a new key is enabled
        for name, value in (("enableKeyRotation", rotation), ("isEnabled", enabled)):
            if is_unknown(value):
                return Observed.unreadable(f"{name} of {key.name}: {UNKNOWN_AT_PREVIEW}", **where)
        arn = props.get("arn")
        return Observed.present({"KeyId": key_id, "KeyArn": arn if isinstance(arn, str) and not is_unknown(arn)
                                 else key_id, "Exists": True, "KeyManager": "CUSTOMER",
                                 "KeyState": "Disabled" if enabled is False else "Enabled",
                                 "KeyRotationEnabled": rotation is True}, **where)
    return Observed.unreadable(f"the key {key_id} is not declared in this stack, so its rotation is not known "
                               "before apply", **where)


def _key_policy_document(value: Any, name: str) -> Observed:
    where = {"source": f"{PLANNED}: {KEY_POLICY_TYPE}"}
    if is_unknown(value):
        return Observed.unreadable(f"policy of {name}: {UNKNOWN_AT_PREVIEW}", **where)
    try:
        doc = json.loads(value) if isinstance(value, str) else value
    except ValueError as err:
        return Observed.unreadable(f"policy of {name} is not JSON ({err})", **where)
    if not isinstance(doc, dict):
        return Observed.unreadable(f"policy of {name} is not a JSON object", **where)
    return Observed.present(doc, **where)


def _key_policy(kms_key: Observed, resources: Sequence[PolicyResource]) -> Observed:
    """The policy the key will have: its ``KeyPolicy`` resource's, else the key's own ``policy``, else the
    default KMS gives a key created without one (the account's IAM decides)."""
    where = {"source": f"{PLANNED}: {KEY_POLICY_TYPE}"}
    if kms_key.is_unreadable:
        return Observed.unreadable(f"the key it belongs to is not known ({kms_key.reason})", **where)
    if not kms_key.is_present or not kms_key.value.get("Exists"):
        return Observed.absent(**where)
    wanted = {kms_key.value.get("KeyArn"), kms_key.value.get("KeyId")} - {None}
    keys = [k for k in resources if k.resource_type == KMS_KEY_TYPE
            and wanted & {_props(k).get("arn"), _props(k).get("keyId")}]
    if kms_key.value.get("KeyManager") == "AWS" or len(keys) != 1:
        return Observed.unreadable(f"the key {kms_key.value.get('KeyId')} is not declared in this stack, so its "
                                   "policy is not known before apply", **where)
    key = keys[0]
    policies = [r for r in resources if r.resource_type == KEY_POLICY_TYPE
                and (key.urn in {d.urn for d in r.property_dependencies.get("keyId", [])}
                     or _props(r).get("keyId") == _props(key).get("keyId"))]
    if len(policies) > 1:
        return Observed.unreadable(f"{len(policies)} key policies would race to set the policy of {key.name}",
                                   **where)
    if policies:
        return _key_policy_document(_props(policies[0]).get("policy"), policies[0].name)
    if _props(key).get("policy") is not None:
        return _key_policy_document(_props(key)["policy"], key.name)
    arn = str(_props(key).get("arn") or "")
    account = arn.split(":")[4] if arn.count(":") >= 5 and not is_unknown(arn) else "*"
    return Observed.present({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*",
        "Resource": "*"}]}, **where)


def snapshots(resources: Sequence[PolicyResource], buckets: Sequence[PlannedBucket]) -> dict[str, BucketSnapshot]:
    """The snapshot of every governed bucket, by the name its findings use."""
    by_urn = {b.resource.urn: b for b in buckets}

    def resolver(setting: Setting, resource: PolicyResource) -> Callable[[str, Any], Any]:
        # A bucket name computed from a governed bucket (the log target) is that bucket, whatever its
        # name turns out to be: the dependency says which, where the value cannot yet.
        def resolve(prop: str, value: Any) -> Any:
            if prop not in setting.names_bucket or not is_unknown(value):
                return value
            targets = {by_urn[d.urn].name for d in _referenced_buckets(resource, prop) if d.urn in by_urn}
            return targets.pop() if len(targets) == 1 else value

        return resolve

    out: dict[str, BucketSnapshot] = {}
    for b in buckets:
        observed: dict[str, Observed] = {}
        for setting in SETTINGS:
            if setting.field not in SNAPSHOT_FIELDS:
                continue
            joined = b.settings.get(setting.field)
            resolve = resolver(setting, joined[0]) if joined else (lambda _p, v: v)
            observed[setting.field] = _observe(setting, joined, resolve)
        observed["object_lock"] = _lock_on_bucket(b, observed["object_lock"])
        observed["kms_key"] = _kms_key(observed["encryption"], resources, b.settings.get("encryption"))
        observed["key_policy"] = _key_policy(observed["kms_key"], resources)
        observed["existence"] = Observed.present(True, source=PLANNED)  # declared: it will exist
        observed["tags"] = _tags(b)
        out[b.name] = BucketSnapshot(b.name, False, **observed)
    return out
