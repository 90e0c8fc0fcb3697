"""Key layouts: how the platform that records calls names its objects, declared as data.

A layout says which keys of a recording bucket are recordings, how a recording's key yields its
call id and date, which keys are the platform's metadata beside a recording (counted with it), and
which part of the bucket it writes recordings into: keys elsewhere (Amazon Connect's Contact Lens
output under ``Analysis/``, for example) are counted apart instead of being judged as misnamed
recordings.

Each pattern is a regular expression in the subset RE2 (DuckDB), Joni (Athena) and Python agree on,
anchored at both ends, with the groups ``year``, ``month``, ``day`` and ``call`` at the positions
the layout declares (SQL engines extract groups by number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_PREFIX = 128
"""The longest key prefix Amazon Connect accepts (``S3Config.BucketPrefix``, 1-128 characters)."""

_YEAR = "([0-9]{4})"
_MONTH = "(0[1-9]|1[0-2])"
_DAY = "(0[1-9]|[12][0-9]|3[01])"
_EXT = "[.][A-Za-z0-9]+"
_ISO = "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?Z"
_CONNECT_TIME = "[0-9]{8}T[0-9]{2}:[0-9]{2}_UTC"
"""The time Contact Lens writes in an email analysis's name, as Connect does in a recording's: 20250314T09:30_UTC."""


@dataclass(frozen=True)
class RecordingKey:
    """What a recording's key says: its call and the UTC day it was recorded."""

    call_id: str
    year: int
    month: int
    day: int


@dataclass(frozen=True)
class DerivedKind:
    """Objects a platform derives from a recording and writes into the same bucket, by call id.

    ``pattern`` is a template with ``{prefix}`` for the kind's escaped prefix; its groups 1-4 are year,
    month, day and call id.
    """

    kind: str
    title: str
    default_prefix: str
    pattern: str
    example_tail: str

    def key_pattern(self, prefix: str | None = None) -> str:
        """The full-match pattern of this kind's keys under ``prefix`` (the default one if None)."""
        return self.pattern.replace("{prefix}", _escape(prefix or self.default_prefix))

    def example(self, prefix: str | None = None) -> str:
        """An example key of this kind."""
        return f"{prefix or self.default_prefix}/{self.example_tail}"

    def call_id(self, key: str, prefix: str | None = None) -> str | None:
        """The call a derived key belongs to, or None when the key is not of this kind."""
        match = re.fullmatch(self.key_pattern(prefix), key)
        return match.group(4) if match else None


DERIVED_GROUPS = (1, 2, 3, 4)
"""Year, month, day and call id in every derived kind's pattern."""


@dataclass(frozen=True)
class KeyLayout:
    """One platform's naming of recordings under a key prefix.

    ``recording`` and ``metadata`` are pattern templates with ``{prefix}`` for the escaped prefix;
    ``groups`` gives the group numbers of year, month, day and call id in both. ``scoped`` layouts
    write recordings only under ``<prefix>/``; the others own the whole bucket.
    """

    name: str
    title: str
    default_prefix: str | None
    """The prefix when the policy names none; None: the purpose's name."""
    recording: str
    example_prefix: str
    example_tail: str
    """An example key is ``<prefix>/<tail>``: the layout's documentation and the messages show it."""
    groups: tuple[int, int, int, int]
    metadata: str | None = None
    scoped: bool = False
    prefix_required: bool = False
    derived: tuple[DerivedKind, ...] = ()
    """The derived objects the platform writes beside recordings, by default all declared for a purpose."""
    contact_outputs: tuple[DerivedKind, ...] = ()
    """Files the platform writes about a contact that has no recording (Contact Lens on a chat or an email):
    not copies of a recording, so no audit judges them against one, yet a data subject's request reaches them."""
    call_marker: str | None = None
    """Where a recording key's call id starts: after this text, else after ``<prefix>/YYYY/MM/DD/``."""
    call_separator: str = "."
    """What ends the call id there (its first occurrence): cut there, any call id and its recording key
    give the same text, a cheap key to find a derived object's recording before the exact match."""

    def derived_kind(self, kind: str) -> DerivedKind | None:
        """One of the layout's derived kinds by name."""
        return next((d for d in self.derived if d.kind == kind), None)

    def prefix(self, configured: str | None, purpose: str) -> str:
        """The key prefix in force: the configured one, else the layout's default, else the purpose."""
        if configured:
            return configured
        return self.default_prefix if self.default_prefix is not None else purpose

    def example(self, prefix: str | None = None) -> str:
        """An example recording key under ``prefix`` (the layout's own example prefix if none)."""
        return f"{prefix or self.example_prefix}/{self.example_tail}"

    def _pattern(self, template: str, prefix: str) -> str:
        escaped = _escape(prefix) if prefix else "[^/]+"
        return template.replace("{prefix}", escaped)

    def recording_pattern(self, prefix: str) -> str:
        """The full-match pattern of a recording key under ``prefix`` (metadata may match it too: a
        recording is a key that matches it and not :meth:`metadata_pattern`)."""
        return self._pattern(self.recording, prefix)

    def is_recording(self, key: str, prefix: str) -> bool:
        """Whether ``key`` is a recording (not the platform's metadata beside one)."""
        meta = self.metadata_pattern(prefix)
        return bool(re.fullmatch(self.recording_pattern(prefix), key)) and not (meta and re.fullmatch(meta, key))

    def metadata_pattern(self, prefix: str) -> str | None:
        """The full-match pattern of the platform's metadata beside a recording, if it writes any."""
        return self._pattern(self.metadata, prefix) if self.metadata else None

    def valid_pattern(self, prefix: str) -> str:
        """A key that is a recording or the metadata of one: what the key check accepts."""
        meta = self.metadata_pattern(prefix)
        rec = self.recording_pattern(prefix)
        return rec if meta is None else f"({rec})|({meta})"

    def area(self, prefix: str) -> str:
        """The literal key prefix of the recording area ('' for the whole bucket)."""
        return f"{prefix}/" if self.scoped and prefix else ""

    def parse(self, key: str, prefix: str) -> RecordingKey | None:
        """The call and day of a recording key (metadata included), or None when it is not one."""
        for pattern in (self.recording_pattern(prefix), self.metadata_pattern(prefix)):
            match = re.fullmatch(pattern, key) if pattern else None
            if match:
                y, m, d, c = (match.group(g) for g in self.groups)
                return RecordingKey(c, int(y), int(m), int(d))
        return None


def _escape(prefix: str) -> str:
    """A literal prefix in a pattern: punctuation is escaped with a backslash, which RE2, Joni and
    Python all read as the character itself."""
    return "".join(c if c.isalnum() or c in "/_" else f"\\{c}" for c in prefix)


LAYOUTS: dict[str, KeyLayout] = {
    layout.name: layout
    for layout in (
        KeyLayout(
            "recgov",
            "recgov's own convention",
            default_prefix=None,
            recording=f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/]+){_EXT}$",
            example_prefix="quality",
            example_tail="2025/03/14/CALL-1.wav",
            groups=(1, 2, 3, 4),
            derived=(
                DerivedKind("transcript", "transcript of the call", "derived/transcripts",
                            f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/]+)[.]json$", "2025/03/14/CALL-1.json"),
                DerivedKind("analysis", "speech-analytics output (scores, categories)", "derived/analysis",
                            f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/]+)[.]json$", "2025/03/14/CALL-1.json"),
                DerivedKind("recording-redacted", "recording with personal data redacted", "derived/redacted",
                            f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/]+){_EXT}$", "2025/03/14/CALL-1.wav"),
            ),
        ),
        KeyLayout(
            "amazon-connect",
            "Amazon Connect call recordings",
            default_prefix=None,
            # <ContactId>_<YYYYMMDD>T<hh:mm>_UTC.wav: the contact id is what comes before the first '_'.
            recording=f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/_]+)_[0-9]{{8}}T[0-9]{{2}}:[0-9]{{2}}_UTC{_EXT}$",
            example_prefix="connect/acme/CallRecordings",
            example_tail="2025/03/14/6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90_20250314T09:30_UTC.wav",
            groups=(1, 2, 3, 4),
            scoped=True,
            prefix_required=True,
            call_separator="_",
            # Contact Lens writes its output in the recordings' bucket (admin guide, "Example Contact Lens
            # output locations"); deleting a recording means deleting the redacted files too.
            derived=(
                DerivedKind("analysis", "Contact Lens analysis (transcript, sentiment, categories)",
                            "Analysis/Voice", f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/_]+)_analysis_{_ISO}[.]json$",
                            "2025/03/14/6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90_analysis_2025-03-14T09:41:07Z.json"),
                DerivedKind("analysis-redacted", "Contact Lens analysis, redacted", "Analysis/Voice/Redacted",
                            f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/_]+)_analysis_redacted_{_ISO}[.]json$",
                            "2025/03/14/6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90_analysis_redacted_2025-03-14T09:41:07Z.json"),
                DerivedKind("recording-redacted", "call recording with personal data redacted",
                            "Analysis/Voice/Redacted",
                            f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/_]+)_call_recording_redacted_{_ISO}{_EXT}$",
                            "2025/03/14/6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90_call_recording_redacted_"
                            "2025-03-14T09:41:07Z.wav"),
            ),
            # The same admin guide page: chats' and emails' analyses, named by their contact id.
            contact_outputs=(
                DerivedKind("chat-analysis", "Contact Lens analysis of a chat", "Analysis/Chat",
                            f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/_]+)_analysis_{_ISO}[.]json$",
                            "2025/03/14/6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90_analysis_2025-03-14T09:41:07Z.json"),
                DerivedKind("chat-analysis-redacted", "Contact Lens analysis of a chat, redacted",
                            "Analysis/Chat/Redacted",
                            f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/_]+)_analysis_redacted_{_ISO}[.]json$",
                            "2025/03/14/6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90_analysis_redacted_"
                            "2025-03-14T09:41:07Z.json"),
                DerivedKind("email-analysis", "Contact Lens analysis of an email", "Analysis/Email",
                            f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/_]+)_analysis_{_CONNECT_TIME}[.]json$",
                            "2025/03/14/6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90_analysis_20250314T09:41_UTC.json"),
                DerivedKind("email-analysis-redacted", "Contact Lens analysis of an email, redacted",
                            "Analysis/Email/Redacted",
                            f"^{{prefix}}/{_YEAR}/{_MONTH}/{_DAY}/([^/_]+)_analysis_redacted_{_CONNECT_TIME}[.]json$",
                            "2025/03/14/6b3c3a2e-9f7d-4c1e-8a55-2f0e1d4b7c90_analysis_redacted_"
                            "20250314T09:41_UTC.json"),
            ),
        ),
        KeyLayout(
            "genesys-cloud",
            "Genesys Cloud recording export",
            # <organizationId>/year=Y/month=M/day=D/hour=H/conversation_id=<id>/<recordingId>.<ext>
            default_prefix="",
            recording="^{prefix}/year=([0-9]{4})/month=(0?[1-9]|1[0-2])/day=(0?[1-9]|[12][0-9]|3[01])/"
            "hour=([01]?[0-9]|2[0-3])/conversation_id=([^/]+)/([^/]+)" + _EXT + "$",
            metadata="^{prefix}/year=([0-9]{4})/month=(0?[1-9]|1[0-2])/day=(0?[1-9]|[12][0-9]|3[01])/"
            "hour=([01]?[0-9]|2[0-3])/conversation_id=([^/]+)/([^/]+)_metadata[.]json$",
            example_prefix="9f0e3c1a-org",
            example_tail="year=2025/month=3/day=14/hour=9/conversation_id=4e1c2b7a-conv/0a7d2c1e-rec.opus",
            groups=(1, 2, 3, 5),
            scoped=True,
            call_marker="conversation_id=",
            call_separator="/",
        ),
    )
}
"""Every key layout, by the name a policy gives it."""

DEFAULT_LAYOUT = "recgov"


def layout(name: str) -> KeyLayout:
    """A layout by name (validated names only; see :func:`prefix_problems`)."""
    return LAYOUTS[name]


def prefix_problems(where: str, prefix: str) -> list[str]:
    """Why a configured key prefix is refused: empty parts, ``..``, a leading '/', over 128 characters."""
    problems = []
    if prefix.startswith("/"):
        problems.append(f"{where}: keyPrefix {prefix!r} must not start with '/' (S3 keys have no leading slash).")
    if ".." in prefix.split("/"):
        problems.append(f"{where}: keyPrefix {prefix!r} must not contain '..'.")
    if len(prefix) > MAX_PREFIX:
        problems.append(f"{where}: keyPrefix is {len(prefix)} characters long; at most {MAX_PREFIX} are allowed "
                        "(Amazon Connect's S3 prefix limit).")
    if prefix.endswith("/") or "//" in prefix:
        problems.append(f"{where}: keyPrefix {prefix!r} must not end with '/' or contain '//'.")
    return problems
