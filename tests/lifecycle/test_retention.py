"""The effective worst-case age under S3 semantics (DESIGN section 4)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lifecycle.retention import (
    cleans_expired_delete_markers,
    multipart_worst_case,
    parse_rules,
    worst_case_age,
)


def rule(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"ID": fields.pop("ID", "r"), "Status": fields.pop("Status", "Enabled"),
                            "Filter": fields.pop("Filter", {"Prefix": ""})}
    base.update(fields)
    return base


CASES = [
    # (rules, versioned, lock, expected days or None, why)
    ([rule(Expiration={"Days": 87}, NoncurrentVersionExpiration={"NoncurrentDays": 1})], True, None, 90,
     "expiry + 1 rounding + noncurrent + 1 rounding"),
    ([rule(Expiration={"Days": 87})], True, None, None, "versioned without noncurrent expiry keeps bytes forever"),
    ([rule(Expiration={"Days": 87})], False, None, 88, "unversioned: expiry + rounding"),
    ([rule(Expiration={"Days": 87}, NoncurrentVersionExpiration={"NoncurrentDays": 1})], True, 200, 201,
     "a lock longer than the lifecycle defers removal"),
    ([rule(Status="Disabled", Expiration={"Days": 10}, NoncurrentVersionExpiration={"NoncurrentDays": 1})], True,
     None, None, "a disabled rule does nothing"),
    ([rule(Filter={"Prefix": "quality/"}, Expiration={"Days": 10}, NoncurrentVersionExpiration={"NoncurrentDays": 1})],
     True, None, None, "a prefix rule leaves other keys uncovered"),
    ([rule(Filter={"And": {"Prefix": "", "Tags": [{"Key": "k", "Value": "v"}]}}, Expiration={"Days": 10},
           NoncurrentVersionExpiration={"NoncurrentDays": 1})], True, None, None, "a tag filter is partial"),
    ([rule(Filter={"ObjectSizeGreaterThan": 0}, Expiration={"Days": 10},
           NoncurrentVersionExpiration={"NoncurrentDays": 1})], True, None, None, "a size filter is partial"),
    ([rule(Expiration={"Date": "2027-01-01T00:00:00Z"}, NoncurrentVersionExpiration={"NoncurrentDays": 1})], True,
     None, None, "a date is not a retention period"),
    ([rule(ID="long", Expiration={"Days": 300}, NoncurrentVersionExpiration={"NoncurrentDays": 30}),
      rule(ID="short", Expiration={"Days": 87}, NoncurrentVersionExpiration={"NoncurrentDays": 1})], True, None, 90,
     "the earliest expiry of covering rules wins"),
    ([rule(ID="a", Expiration={"Days": 50}), rule(ID="b", NoncurrentVersionExpiration={"NoncurrentDays": 5})], True,
     None, 57, "expiry and noncurrent removal may come from different rules"),
    ([rule(Expiration={"Days": 10}, NoncurrentVersionExpiration={"NoncurrentDays": 1, "NewerNoncurrentVersions": 3})],
     True, None, None, "retained newer noncurrent versions are never removed by days"),
    ([{"ID": "legacy", "Status": "Enabled", "Prefix": "", "Expiration": {"Days": 5},
       "NoncurrentVersionExpiration": {"NoncurrentDays": 2}}], True, None, 9, "legacy top-level empty prefix"),
    ([], True, None, None, "no lifecycle at all"),
]


@pytest.mark.parametrize(("rules", "versioned", "lock", "expected", "why"), CASES, ids=[c[4] for c in CASES])
def test_worst_case_age(rules: list[dict[str, Any]], versioned: bool, lock: int | None, expected: int | None,
                        why: str) -> None:
    bound = worst_case_age(parse_rules(rules), versioned=versioned, lock_days=lock)
    assert bound.days == expected, f"{why}: {bound.reasons}"
    assert bound.reasons, "every bound explains itself"


def test_reasons_name_the_uncovering_rule() -> None:
    bound = worst_case_age(parse_rules([rule(ID="only-quality", Filter={"Prefix": "quality/"},
                                             Expiration={"Days": 10})]), versioned=True)
    assert any("only-quality covers only keys with prefix 'quality/'" in r for r in bound.reasons)


def test_multipart_and_delete_markers() -> None:
    rules = parse_rules([rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 2}),
                         rule(ID="m", Expiration={"ExpiredObjectDeleteMarker": True})])
    assert multipart_worst_case(rules).days == 3
    assert cleans_expired_delete_markers(rules)
    assert multipart_worst_case(parse_rules([])).days is None
    assert not cleans_expired_delete_markers(parse_rules([rule(Status="Disabled",
                                                                Expiration={"ExpiredObjectDeleteMarker": True})]))


@given(
    expiry=st.integers(1, 3000),
    noncurrent=st.integers(1, 3000),
    lock=st.none() | st.integers(1, 3000),
    extra=st.lists(st.tuples(st.integers(1, 3000), st.integers(1, 3000)), max_size=3),
)
def test_worst_case_is_monotonic_and_at_least_each_setting(
    expiry: int, noncurrent: int, lock: int | None, extra: list[tuple[int, int]]
) -> None:
    rules = [rule(Expiration={"Days": expiry}, NoncurrentVersionExpiration={"NoncurrentDays": noncurrent})]
    rules += [rule(ID=f"x{i}", Expiration={"Days": e}, NoncurrentVersionExpiration={"NoncurrentDays": n})
              for i, (e, n) in enumerate(extra)]
    bound = worst_case_age(parse_rules(rules), versioned=True, lock_days=lock)
    assert bound.days is not None
    pairs = [(expiry, noncurrent), *extra]
    best = min(e for e, _ in pairs) + min(n for _, n in pairs)
    assert bound.days >= best + 2
    if lock is not None:
        assert bound.days >= lock + 1
    # Adding a longer redundant rule never makes it worse.
    longer = [*rules, rule(ID="long", Expiration={"Days": 5000}, NoncurrentVersionExpiration={"NoncurrentDays": 5000})]
    assert worst_case_age(parse_rules(longer), versioned=True, lock_days=lock).days == bound.days
