"""Input the audit refuses. Each kind has its own class; the message is one sentence for the user.

The command line turns any of these into exit code 2, printed before any result: a report is never
half-written when its input could not be trusted.
"""

from __future__ import annotations


class AccountUnreachableError(RuntimeError):
    """The account cannot be read at all (no credentials, endpoint unreachable): the audit is unverifiable,
    not refused; ``str(err)`` is the cause, one sentence."""


class AuditInputError(ValueError):
    """Input that cannot be audited; ``str(err)`` is one sentence naming the file and the problem."""


class ManifestError(AuditInputError):
    """The inventory manifest is unreadable, malformed, or names files that cannot be read."""


class ChecksumError(AuditInputError):
    """A data file's MD5 differs from the manifest's: the file is not the one S3 Inventory wrote."""


class UnsupportedFormatError(AuditInputError):
    """The inventory's file format cannot be read by the engine in use."""


class CallsFileError(AuditInputError):
    """The calls export has missing columns, empty identifiers or dates that are not ISO 8601 UTC."""


class ContactRecordsError(AuditInputError):
    """Contact records that are not JSON, lack a required field, or carry a time without a zone."""
