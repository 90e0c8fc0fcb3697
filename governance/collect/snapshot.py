"""The frozen picture of one bucket, as collected: one :class:`Observed` per setting."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from governance.collect.observed import Observed

NOT_COLLECTED = Observed.unreadable("not collected")


@dataclass(frozen=True)
class BucketSnapshot:
    """Every setting of one bucket that the checks judge.

    ``missing`` is true when S3 says the bucket does not exist (``NoSuchBucket``); the settings are
    then meaningless and left as not collected. Field names match the rows of the collection tables.
    """

    name: str
    missing: bool = False
    existence: Observed = NOT_COLLECTED
    tags: Observed = NOT_COLLECTED
    versioning: Observed = NOT_COLLECTED
    object_lock: Observed = NOT_COLLECTED
    lifecycle: Observed = NOT_COLLECTED
    encryption: Observed = NOT_COLLECTED
    public_access_block: Observed = NOT_COLLECTED
    ownership: Observed = NOT_COLLECTED
    policy: Observed = NOT_COLLECTED
    logging: Observed = NOT_COLLECTED
    replication: Observed = NOT_COLLECTED
    inventory: Observed = NOT_COLLECTED
    kms_key: Observed = NOT_COLLECTED
    key_policy: Observed = NOT_COLLECTED

    @property
    def arn(self) -> str:
        """The bucket's ARN (S3 bucket ARNs carry no region or account)."""
        return f"arn:aws:s3:::{self.name}"

    def tag(self, key: str) -> str | None:
        """A tag's value, or None when the tag (or the whole tag set) is absent or unreadable."""
        if not self.tags.is_present:
            return None
        value = self.tags.value.get(key)
        return str(value) if value is not None else None

    def settings(self) -> dict[str, Observed]:
        """Every observed setting by field name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), Observed)}

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON evidence and debugging."""
        settings = {k: {"state": str(o.state), "value": o.value, "reason": o.reason}
                    for k, o in self.settings().items()}
        return {"name": self.name, "missing": self.missing, **settings}
