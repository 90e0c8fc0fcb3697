"""Which stored keys belong to a call: the purpose's key layout, and the copies a platform derives.

Matching is exact on the call id the layout extracts (:meth:`lifecycle.layouts.KeyLayout.parse`),
never a substring or a prefix of the key: ``C1`` does not match ``C10``. Derived copies are the files
a platform writes beside the recordings about one call (Amazon Connect's Contact Lens analysis,
redacted analysis and redacted recording under ``Analysis/``), and the files it writes about a
contact without recording (a chat's or an email's analysis); GDPR Art. 17 erasure must reach them
too. Both are the layout's declarations (``derived`` and ``contact_outputs`` in
:mod:`lifecycle.layouts`), placed where the purpose's policy puts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from lifecycle.layouts import DERIVED_GROUPS
from lifecycle.policy import PurposePolicy
from lifecycle.render import derived_prefix


class Kind(StrEnum):
    """What a matched object is to the call."""

    RECORDING = "recording"
    METADATA = "metadata"
    DERIVED = "derived"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class DerivedArea:
    """Where one derived kind of the layout is written in this bucket, and how its key names the call."""

    prefix: str
    """The literal key prefix, ending in '/'."""
    pattern: re.Pattern[str]
    """The kind's full-match pattern; its group :data:`CALL_GROUP` is the call id."""


CALL_GROUP = DERIVED_GROUPS[3]


def derived_areas(policy: PurposePolicy) -> tuple[DerivedArea, ...]:
    """Every derived kind and contact output the purpose's layout declares, where the policy places it.

    All of the layout's kinds, not only those the policy keeps: a request must reach every copy that
    may be stored, declared for the purpose or not.
    """
    layout = policy.key_layout
    placed = [(derived_prefix(policy, k.kind), k) for k in layout.derived]
    placed += [(k.default_prefix, k) for k in layout.contact_outputs]
    return tuple(DerivedArea(f"{prefix}/", re.compile(kind.key_pattern(prefix))) for prefix, kind in placed)


@dataclass(frozen=True)
class KeyMatcher:
    """The keys of one purpose's bucket that belong to a call."""

    policy: PurposePolicy

    @cached_property
    def derived(self) -> tuple[DerivedArea, ...]:
        """The derived areas of this bucket (:func:`derived_areas`)."""
        return derived_areas(self.policy)

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The narrowest key prefixes to list: the layout's recording area and each derived area not inside
        another. A recording key puts the date before the call id, so the call id cannot narrow the listing.
        """
        prefix = self.policy.recording_prefix
        area = self.policy.key_layout.area(prefix) or (f"{prefix}/" if prefix else "")
        areas = list(dict.fromkeys([area, *(d.prefix for d in self.derived)]))
        return tuple(a for a in areas if not any(b != a and a.startswith(b) for b in areas))

    def match(self, key: str) -> tuple[str, Kind] | None:
        """The call id and kind of a key of this bucket, or None when it belongs to no call."""
        layout = self.policy.key_layout
        prefix = self.policy.recording_prefix
        parsed = layout.parse(key, prefix)
        if parsed is not None:
            return parsed.call_id, (Kind.RECORDING if layout.is_recording(key, prefix) else Kind.METADATA)
        for area in self.derived:
            found = area.pattern.fullmatch(key) if key.startswith(area.prefix) else None
            if found:
                return found.group(CALL_GROUP), Kind.DERIVED
        return None

    def call_of(self, key: str, call_ids: frozenset[str]) -> tuple[str, Kind] | None:
        """The match when its call id is exactly one of ``call_ids``."""
        found = self.match(key)
        return found if found is not None and found[0] in call_ids else None
