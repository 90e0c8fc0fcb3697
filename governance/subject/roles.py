"""Who may act: the caller's principal against the principals the deployed stack exempts.

The bucket policies deny each action to everyone but one principal kind (lifecycle.access
``deny_requirements``); checking the caller against the same principals before acting turns what
would be a denial halfway through into one sentence before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from governance.targets import StackOutputs
from lifecycle.access import Principals, principal_arn
from lifecycle.legal import Purpose


@dataclass(frozen=True)
class Need:
    """A principal kind an action needs on a purpose's bucket."""

    attribute: str
    """The :class:`~lifecycle.access.Principals` field that holds the exempted ARNs."""
    title: str


READER = Need("readers", "reader")
ERASURE = Need("erasure", "erasure role")
DISPUTE = Need("legal_hold", "dispute team (its reader role, which places legal holds)")
WRITER = Need("writers", "writer role")


def principals(outputs: StackOutputs | None, purpose: Purpose) -> Principals | None:
    """The stack's principals for a purpose; None when the stack outputs do not give them."""
    return outputs.principals(purpose) if outputs is not None else None


def allowed(caller_arn: str, arns: tuple[str, ...]) -> bool:
    """Whether the caller is one of ``arns`` as ``aws:PrincipalArn`` sees it (wildcards as ArnLike)."""
    principal = principal_arn(caller_arn)
    return any(fnmatchcase(principal, pattern) for pattern in arns)
