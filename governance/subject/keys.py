"""Which stored keys belong to a call: the purpose's key layout, and the copies a platform derives.

Matching is exact on the call id the layout extracts (:meth:`lifecycle.layouts.KeyLayout.parse`),
never a substring or a prefix of the key: ``C1`` does not match ``C10``. Derived copies are the files
a platform writes beside the recordings about one call (Amazon Connect's Contact Lens analysis,
redacted analysis and redacted recording under ``Analysis/``); GDPR Art. 17 erasure must reach
them too (PLATFORMS.md, "Data-subject rights over recordings").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from lifecycle.policy import PurposePolicy


class Kind(StrEnum):
    """What a matched object is to the call."""

    RECORDING = "recording"
    METADATA = "metadata"
    DERIVED = "derived"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class DerivedArea:
    """Where a platform writes its own files about a call, and how their key names the call."""

    prefix: str
    pattern: str
    """Full-match pattern whose group ``call`` is the call id."""
    what: str


DERIVED: dict[str, tuple[DerivedArea, ...]] = {
    "amazon-connect": (
        DerivedArea(
            "Analysis/",
            r"Analysis/(?:Voice|Chat|Email)/(?:Redacted/)?[0-9]{4}/[0-9]{2}/[0-9]{2}/(?P<call>[^/_]+)_[^/]+",
            "Contact Lens output (analysis, redacted analysis, redacted recording)",
        ),
    ),
}
"""Derived copies by key layout name: Contact Lens writes at the root of the recordings bucket
(admin guide, "example-contact-lens-output-locations"), named by the contact id before the first '_'."""


@dataclass(frozen=True)
class KeyMatcher:
    """The keys of one purpose's bucket that belong to a call."""

    policy: PurposePolicy

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The narrowest key prefixes to list: the layout's recording area and each derived area.

        A recording key puts the date before the call id, so the call id cannot narrow the listing.
        """
        layout = self.policy.key_layout
        prefix = self.policy.recording_prefix
        area = layout.area(prefix) or (f"{prefix}/" if prefix else "")
        derived = tuple(d.prefix for d in DERIVED.get(layout.name, ()))
        if any(area.startswith(d) or d.startswith(area) for d in derived):
            return (min([area, *derived], key=len),)
        return (area, *derived)

    def match(self, key: str) -> tuple[str, Kind] | None:
        """The call id and kind of a key of this bucket, or None when it belongs to no call."""
        layout = self.policy.key_layout
        prefix = self.policy.recording_prefix
        parsed = layout.parse(key, prefix)
        if parsed is not None:
            return parsed.call_id, (Kind.RECORDING if layout.is_recording(key, prefix) else Kind.METADATA)
        for area in DERIVED.get(layout.name, ()):
            found = re.fullmatch(area.pattern, key)
            if found:
                return found.group("call"), Kind.DERIVED
        return None

    def call_of(self, key: str, call_ids: frozenset[str]) -> tuple[str, Kind] | None:
        """The match when its call id is exactly one of ``call_ids``."""
        found = self.match(key)
        return found if found is not None and found[0] in call_ids else None
