"""Nothing lost, read side: no command but an explicit ``--archive`` writes to the account it judges.

Every read-side command runs in this process through the installed entry point (``recgov`` is
``governance.cli:main``), against the deployed stack holding seeded recordings and an S3 Inventory of
the proof bucket in the log bucket, as AWS delivers it. Three witnesses watch each run:

- every HTTP request any boto3 client sends (:class:`~tests.e2e.account_watch.CallRecorder`, hooked
  on every client whoever creates it), each of which must be a read: an operation named Get, List,
  Head or Describe; with ``--archive``, also PutObject with ``If-None-Match: *`` under the archive prefix;
- the emulator's own log of the requests it received, which must be exactly those, so nothing
  reached the account by another route;
- the whole account read before and after (every bucket setting, version, lock, delete marker,
  upload, IAM role and user, KMS key), which must be unchanged but for S3's own server access log
  deliveries and, with ``--archive``, the archived objects.

Each run starts in an empty working directory with ``TMPDIR`` and ``HOME`` pointed at empty
directories of its own; afterwards only the ``--output`` file may exist there.

What the emulator forces on the test: it applies a bucket policy's conditional denies to every
object request (see tests/e2e/test_e2e_access.py), so runs that read objects (live listing, an
inventory in the log bucket, an archive into the evidence bucket) run with those buckets' policies
detached by the test, outside the recording, and put back byte for byte. ``--engine athena`` makes
one non-read call by design, StartQueryExecution: its queries must be single SELECTs, and Athena
stores their results at ``--athena-output`` (on AWS; moto runs no query and stores nothing).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from governance.audit.layout import PARQUET_SCHEMA, config_dir, write_manifest
from governance.cli import main
from governance.report import FORMATS
from lifecycle.render import INVENTORY_ID, INVENTORY_PREFIX
from sandbox.deploy import emulator_clients
from sandbox.seed import bucket_policies_lifted, seed
from tests.e2e.account_watch import (
    Call,
    CallRecorder,
    EmulatorRequestLog,
    ServerRequest,
    account_state,
    differences,
    is_log_delivery,
    request_counts,
)
from tests.e2e.conftest import Deployed
from tests.governance.audit.inventories import DELIVERED, Row, write_inventory

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
ATHENA_OUTPUT = "athena-results/"
SELECT_ONLY = re.compile(r"\b(CREATE|INSERT|UNLOAD|DROP|ALTER|DELETE|UPDATE|MERGE|MSCK|VACUUM|OPTIMIZE|GRANT)\b",
                         re.IGNORECASE)
"""Statements that would make Athena write anything but its query results."""
SCRATCH = "recgov-watch-scratch"
"""A bucket outside the stack, for the one test whose command is altered to write."""


@dataclass
class Stack:
    """The deployed, seeded stack and the files a user would hand to the commands."""

    deployed: Deployed
    outputs_file: Path
    calls_export: Path
    inventory_url: str
    local_manifest: Path
    client: Callable[[str], Any]
    """The deployer's clients, made once (a new session per call costs a third of a second)."""

    def bucket(self, purpose: str) -> str:
        return self.deployed.bucket(purpose)

    def buckets(self, *purposes: str) -> list[str]:
        """``--bucket NAME=PURPOSE`` for each purpose."""
        return [arg for p in purposes for arg in ("--bucket", f"{self.bucket(p)}={p}")]


Args = Callable[[Stack], list[str]]


@dataclass(frozen=True)
class Run:
    """One command line, and what the test must do around it."""

    id: str
    args: Args
    exit_code: int = 0
    lifted: tuple[str, ...] = ()
    """Purposes whose bucket policies the emulator forces the test to detach (see the module docstring)."""
    output: str | None = None
    aws: bool = True
    archive: str | None = None
    """The archive prefix inside the evidence bucket, when the run archives."""


@dataclass
class Outcome:
    """What one run did: its exit code, the requests sent and received, the files it left."""

    run: Run
    exit_code: int
    stderr: str
    calls: list[Call]
    received: list[ServerRequest]
    files: dict[str, list[str]] = field(default_factory=dict)


LIVE = ("quality", "proof", "evaluations")
RECORDED = ("quality", "proof")


def _fixed(*args: str) -> Args:
    """Arguments that do not depend on the stack."""
    return lambda _: list(args)


def _stack_outputs(fmt: str) -> Args:
    return lambda s: ["verify", "--stack-outputs", str(s.outputs_file), "--format", fmt]


def _verify_runs() -> list[Run]:
    runs = [Run(f"verify-stack-outputs-{fmt}", _stack_outputs(fmt)) for fmt in FORMATS]
    return [
        *runs,
        Run("verify-output-file", lambda s: ["verify", "--stack-outputs", str(s.outputs_file), "--format", "junit",
                                             "--output", "verify.xml"], output="verify.xml"),
        Run("verify-buckets", lambda s: ["verify", *s.buckets("quality", "proof", "evaluations", "evidence",
                                                               "access-logs")]),
        Run("verify-discover", lambda s: ["verify", "--discover", "--format", "json"]),
        Run("verify-endpoint-and-region", lambda s: [
            "verify", "--stack-outputs", str(s.outputs_file), "--endpoint-url", s.deployed.emulator.endpoint_url,
            "--region", s.deployed.emulator.region, "--format", "sarif"]),
        # The dev stack shortens quality to 60 days: the e2e stack keeps 90, a violation (exit 1).
        Run("verify-policy-and-stack-config", lambda s: [
            "verify", "--stack-outputs", str(s.outputs_file), "--policy", str(REPO / "lifecycle/default_policy.yaml"),
            "--stack-config", str(REPO / "Pulumi.dev.yaml")], exit_code=1),
    ]


def _audit_runs() -> list[Run]:
    # One format besides the file: the formats render one report, the calls are the same (verify runs
    # every format above).
    return [
        Run("audit-objects-live", lambda s: ["audit-objects", *s.buckets(*LIVE), "--format", "markdown"], lifted=LIVE),
        Run("audit-objects-output-file", lambda s: ["audit-objects", *s.buckets(*LIVE), "--format", "html",
                                                    "--output", "audit.html"], lifted=LIVE, output="audit.html"),
        Run("audit-objects-inventory-s3", lambda s: ["audit-objects", "--inventory", s.inventory_url, "--format",
                                                     "json"], lifted=("access-logs",)),
        Run("audit-objects-inventory-local", lambda s: ["audit-objects", "--inventory", str(s.local_manifest)],
            aws=False),
        Run("audit-objects-athena", lambda s: [
            "audit-objects", "--inventory", s.inventory_url, "--engine", "athena", "--athena-database", "inventories",
            "--athena-table", "proof", "--athena-output", f"s3://{s.bucket('access-logs')}/{ATHENA_OUTPUT}"],
            # moto runs no query, so Athena reads no row from the listed files: refused (2), never passed.
            lifted=("access-logs",), exit_code=2),
        Run("proportionality-live", lambda s: ["proportionality", "--calls", str(s.calls_export),
                                               *s.buckets(*RECORDED)], lifted=RECORDED),
        Run("proportionality-inventory-s3", lambda s: ["proportionality", "--calls", str(s.calls_export),
                                                       "--inventory", s.inventory_url, "--format", "markdown"],
            lifted=("access-logs",)),
        Run("proportionality-output-file", lambda s: ["proportionality", "--calls", str(s.calls_export),
                                                      *s.buckets(*RECORDED), "--format", "sarif", "--output",
                                                      "sampling.sarif"], lifted=RECORDED, output="sampling.sarif"),
    ]


def _policy_runs() -> list[Run]:
    dev = str(REPO / "Pulumi.dev.yaml")
    runs = [Run("policy-validate", _fixed("policy", "validate"), aws=False),
            Run("policy-validate-stack-config", _fixed("policy", "validate", "--stack-config", dev), aws=False)]
    runs += [Run(f"policy-show-{fmt}", _fixed("policy", "show", "--format", fmt), aws=False)
             for fmt in ("text", "json", "markdown")]
    runs += [Run(f"policy-register-{fmt}", _fixed("policy", "register", "--stack-config", dev, "--format", fmt),
                 aws=False) for fmt in ("markdown", "html", "json")]
    return [*runs, Run("policy-register-output-file", _fixed("policy", "register", "--format", "html", "--output",
                                                             "register.html"), aws=False, output="register.html")]


READS = [*_policy_runs(), *_verify_runs(), *_audit_runs()]
"""Every read-side command, target kind and format: none may write anything anywhere."""


def _archive(prefix: str) -> Callable[[Stack], list[str]]:
    return lambda s: ["--archive", f"s3://{s.bucket('evidence')}/{prefix}"]


ARCHIVES = [
    Run("verify-archive", lambda s: ["verify", *s.buckets("quality", "proof"), "--format", "markdown",
                                     *_archive("nightly/verify")(s)], lifted=("evidence",), archive="nightly/verify"),
    Run("audit-objects-archive", lambda s: ["audit-objects", *s.buckets(*LIVE), "--format", "html", "--output",
                                            "audit.html", *_archive("nightly/audit")(s)],
        lifted=(*LIVE, "evidence"), output="audit.html", archive="nightly/audit"),
    Run("audit-objects-inventory-archive", lambda s: ["audit-objects", "--inventory", s.inventory_url, "--format",
                                                      "junit", *_archive("nightly/inventory")(s)],
        lifted=("access-logs", "evidence"), archive="nightly/inventory"),
    Run("proportionality-archive", lambda s: ["proportionality", "--calls", str(s.calls_export),
                                              *s.buckets(*RECORDED), "--format", "json",
                                              *_archive("nightly/sampling")(s)],
        lifted=(*RECORDED, "evidence"), archive="nightly/sampling"),
]
"""Each report command once more with ``--archive``: its only writes are the archive's."""


def plant_inventory(deployed: Deployed, s3: Any, root: Path) -> Path:
    """The proof bucket's S3 Inventory (every version, lock fields included), delivered into the log
    bucket in AWS's layout, as the deployed inventory configuration asks; the emulator delivers none."""
    proof, logs = deployed.bucket("proof"), deployed.bucket("access-logs")
    rows = []
    with bucket_policies_lifted(s3, [proof]):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=proof):
            for v in page.get("Versions", []):
                head = s3.head_object(Bucket=proof, Key=v["Key"], VersionId=v["VersionId"])
                rows.append(Row(v["Key"], v["LastModified"], v["VersionId"], v["IsLatest"],
                                retain_until=head.get("ObjectLockRetainUntilDate"),
                                lock_mode=head.get("ObjectLockMode"),
                                legal_hold=head.get("ObjectLockLegalHoldStatus", "OFF")))
    assert rows, "the seeded proof bucket holds recordings"
    write_inventory(root, proof, rows)
    data = sorted((config_dir(root, INVENTORY_PREFIX, proof, INVENTORY_ID) / "data").iterdir())
    manifest = write_manifest(root, prefix=INVENTORY_PREFIX, source_bucket=proof, config_id=INVENTORY_ID,
                              destination_bucket=logs, when=DELIVERED, file_format="Parquet",
                              file_schema=PARQUET_SCHEMA, data_files=data)
    with bucket_policies_lifted(s3, [logs]):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            s3.put_object(Bucket=logs, Key=path.relative_to(root).as_posix(), Body=path.read_bytes())
    return manifest


@pytest.fixture(scope="module")
def stack(deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    """The deployed stack with 60 calls' recordings, the proof inventory in place, and an unmanaged scratch
    bucket (for the test that the witnesses see writes, so that every phase's account holds it)."""
    files = tmp_path_factory.mktemp("read-only-inputs")
    client = emulator_clients(deployed.emulator.endpoint_url, deployed.emulator.region)
    client("s3").create_bucket(Bucket=SCRATCH,
                               CreateBucketConfiguration={"LocationConstraint": deployed.emulator.region})
    seeded = seed(deployed.emulator.endpoint_url, deployed.outputs, files, seed=21, calls=60,
                  now=datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2))
    assert seeded.count("quality") and seeded.count("proof")
    outputs = files / "outputs.json"
    outputs.write_text(deployed.deployment.outputs_json(), encoding="utf-8")
    manifest = plant_inventory(deployed, client("s3"), files / "inventory")
    url = f"s3://{deployed.bucket('access-logs')}/{manifest.relative_to(files / 'inventory').as_posix()}"
    return Stack(deployed, outputs, seeded.calls_export, url, manifest, client)


@dataclass
class Watch:
    """The witnesses of one module: client-side recorder, emulator log, and where runs happen."""

    stack: Stack
    recorder: CallRecorder
    log: EmulatorRequestLog
    workdir: Path

    def execute(self, run: Run, patch: Callable[[pytest.MonkeyPatch], None] | None = None) -> Outcome:
        """Run one command line in a fresh working directory, watched; ``patch`` alters the code under test."""
        dirs = {name: self.workdir / run.id / name for name in ("cwd", "tmp", "home")}
        for d in dirs.values():
            d.mkdir(parents=True)
        s3 = self.stack.client("s3")
        with pytest.MonkeyPatch.context() as mp:
            mp.chdir(dirs["cwd"])
            mp.setenv("TMPDIR", str(dirs["tmp"]))
            mp.setenv("HOME", str(dirs["home"]))
            mp.setattr(tempfile, "tempdir", None)  # gettempdir() caches; make it read TMPDIR again
            if patch is not None:
                patch(mp)
            # Detached outside the recording: the test's own calls are not the command's.
            with bucket_policies_lifted(s3, [self.stack.bucket(p) for p in run.lifted]), \
                    self.log.recording() as received, self.recorder.watching(mp) as calls:
                result = CliRunner().invoke(main, run.args(self.stack), catch_exceptions=False)
        files = {name: sorted(p.relative_to(d).as_posix() for p in d.rglob("*")) for name, d in dirs.items()}
        return Outcome(run, result.exit_code, result.stderr, calls, received, files)


@pytest.fixture(scope="module")
def watch(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watch]:
    """The witnesses, with the emulator's request log kept outside every run's directories."""
    logs = tmp_path_factory.mktemp("emulator-request-log")
    with pytest.MonkeyPatch.context() as mp:
        yield Watch(stack, CallRecorder(), EmulatorRequestLog(stack.deployed.emulator.endpoint_url,
                                                              logs / "requests.jsonl", mp),
                    tmp_path_factory.mktemp("runs"))


@dataclass
class Phase:
    """A series of runs with the account read before and after."""

    before: dict[str, Any]
    after: dict[str, Any]
    outcomes: dict[str, Outcome]


@pytest.fixture(scope="module")
def reads(watch: Watch) -> Phase:
    """Every read-side run, the account read before the first and after the last."""
    before = account_state(watch.stack.client)
    outcomes = {run.id: watch.execute(run) for run in READS}
    return Phase(before, account_state(watch.stack.client), outcomes)


@pytest.fixture(scope="module")
def archives(watch: Watch, reads: Phase) -> Phase:
    """The archiving runs, after the read-side ones (the only writes of the module)."""
    outcomes = {run.id: watch.execute(run) for run in ARCHIVES}
    return Phase(reads.after, account_state(watch.stack.client), outcomes)


def log_targets(state: dict[str, Any]) -> dict[str, set[str]]:
    """Log bucket -> the prefixes S3 server access logging delivers to, as the account configures them."""
    targets: dict[str, set[str]] = {}
    for bucket in state.values():
        enabled = bucket.get("config", {}).get("get_bucket_logging", {}).get("LoggingEnabled") if isinstance(
            bucket, dict) else None
        if enabled:
            targets.setdefault(enabled["TargetBucket"], set()).add(enabled["TargetPrefix"])
    return targets


def without_log_deliveries(changes: list[str], state: dict[str, Any]) -> tuple[list[str], int]:
    """The changes that are not S3's own server access log deliveries, and how many deliveries there were.

    Reading a bucket with logging on makes S3 add a log object to the log bucket: the evidence of
    access that R7 requires, written by the logging service, not by the reader (the emulator does it
    too). A delivery is an added version, under a configured target prefix, with S3's log name.
    """
    others, delivered = [], 0
    for change in changes:
        match = re.fullmatch(r"added s3://([^/]+)/versions/(.+)\?versionId=[^/?]+", change)
        if match and is_log_delivery(match.group(2), log_targets(state).get(match.group(1), ())):
            delivered += 1
        else:
            others.append(change)
    return others, delivered


def _ids(runs: list[Run]) -> list[str]:
    return [r.id for r in runs]


@pytest.mark.parametrize("run", READS + ARCHIVES, ids=_ids(READS + ARCHIVES))
def test_every_run_reached_its_verdict(reads: Phase, archives: Phase, run: Run) -> None:
    """Not vacuous: each command did its work and judged (0 compliant, 1 for the stricter dev stack)."""
    outcome = {**reads.outcomes, **archives.outcomes}[run.id]
    assert outcome.exit_code == run.exit_code, outcome.stderr


@pytest.mark.parametrize("run", READS, ids=_ids(READS))
def test_without_archive_every_call_is_a_read(reads: Phase, run: Run) -> None:
    outcome = reads.outcomes[run.id]
    writes = [c.name for c in outcome.calls if not c.is_read and c.name != "athena:StartQueryExecution"]
    assert writes == []
    if run.aws:
        assert outcome.calls, "the command reached the account"
    else:
        assert outcome.calls == [], "the command needs no account"


@pytest.mark.parametrize("run", READS + ARCHIVES, ids=_ids(READS + ARCHIVES))
def test_the_emulator_received_exactly_what_the_clients_sent(reads: Phase, archives: Phase, run: Run) -> None:
    """No request reached the account by any route but a recorded client (nor was one recorded but lost)."""
    outcome = {**reads.outcomes, **archives.outcomes}[run.id]
    assert request_counts(outcome.received) == request_counts(outcome.calls)


@pytest.mark.parametrize("run", READS + ARCHIVES, ids=_ids(READS + ARCHIVES))
def test_no_local_file_but_the_output(reads: Phase, archives: Phase, run: Run) -> None:
    """The working directory holds the --output file alone; the temporary and home directories stay empty
    (an s3:// inventory is downloaded into TMPDIR and removed)."""
    outcome = {**reads.outcomes, **archives.outcomes}[run.id]
    assert outcome.files == {"cwd": [run.output] if run.output else [], "tmp": [], "home": []}


def test_read_side_commands_change_nothing_in_the_account(reads: Phase) -> None:
    changes, delivered = without_log_deliveries(differences(reads.before, reads.after), reads.before)
    assert changes == []
    assert delivered > 0, "server access logging recorded the reads (R7), so the comparison saw the log bucket"
    versions = sum(len(b["versions"]) for k, b in reads.before.items() if k.startswith("s3://"))
    assert versions >= 20, "the account compared holds the seeded recordings and the inventory"


def test_athena_is_asked_for_select_queries_only(reads: Phase, stack: Stack) -> None:
    """The Athena engine's one non-read call: each query is one SELECT, its results go to --athena-output."""
    outcome = reads.outcomes["audit-objects-athena"]
    started = [c for c in outcome.calls if not c.is_read]
    assert {c.name for c in started} == {"athena:StartQueryExecution"}
    for call in started:
        request = json.loads(call.body)
        query = request["QueryString"].strip()
        assert query.upper().startswith(("SELECT", "WITH")) and ";" not in query, query[:200]
        assert not SELECT_ONLY.search(query), query[:200]
        assert request["ResultConfiguration"] == {
            "OutputLocation": f"s3://{stack.bucket('access-logs')}/{ATHENA_OUTPUT}"}
    # The audit query; having read no row (moto runs none), the audit is refused before the register's.
    assert len(started) == 1, "the audit query alone"


def archived_keys(outcome: Outcome) -> list[str]:
    """The keys the run archived, as its ``archived s3://…`` lines name them."""
    return re.findall(r"^archived s3://[^/]+/(\S+)$", outcome.stderr, re.MULTILINE)


@pytest.mark.parametrize("run", ARCHIVES, ids=_ids(ARCHIVES))
def test_the_archive_writes_only_write_once_objects_under_its_prefix(archives: Phase, stack: Stack, run: Run) -> None:
    outcome = archives.outcomes[run.id]
    evidence = stack.bucket("evidence")
    writes = [c for c in outcome.calls if not c.is_read]
    assert {c.name for c in writes} == {"s3:PutObject"}
    for call in writes:
        assert call.path.startswith(f"/{evidence}/{run.archive}/"), call.path
        assert call.headers.get("If-None-Match") == "*", f"{call.path} could replace an existing archive"
    keys = archived_keys(outcome)
    assert sorted(c.path.removeprefix(f"/{evidence}/") for c in writes) == sorted(keys)
    assert len(keys) == (2 if "json" in run.args(stack) else 3), "evidence.json, the report, manifest.json"
    assert "s3:GetObjectLockConfiguration" in {c.name for c in outcome.calls}, "write-once is checked first"


def test_the_archive_adds_its_objects_and_changes_nothing_else(archives: Phase, stack: Stack) -> None:
    changes, _ = without_log_deliveries(differences(archives.before, archives.after), archives.before)
    evidence = f"s3://{stack.bucket('evidence')}"
    expected = sorted(k for o in archives.outcomes.values() for k in archived_keys(o))
    added = sorted(re.sub(r"\?versionId=.*$", "", c.removeprefix(f"added {evidence}/versions/")) for c in changes)
    assert all(c.startswith(f"added {evidence}/versions/") for c in changes), changes
    assert added == expected and len(expected) == 11
    for key, version in archives.after[evidence]["versions"].items():
        if key.split("?")[0] in expected:
            assert version["lock"]["ObjectLockMode"] == "COMPLIANCE", key
            assert version["lock"]["ObjectLockRetainUntilDate"] > datetime.now(UTC) + timedelta(days=1800), key


# --- the witnesses are not blind ----------------------------------------------------------------------------


def _writing_verify(mp: pytest.MonkeyPatch) -> None:
    """``verify`` altered to write twice: a tag set re-put unchanged (seen by the recorder alone, since the
    account ends as it was) and an object in a scratch bucket (seen by the recorder and the account
    comparison), and to leave a file in the working directory."""
    # Imported here: the command module loads only through governance.cli, which registers it.
    import governance.commands.verify

    original = governance.commands.verify.verify

    def verify_then_write(*args: Any, **kwargs: Any) -> Any:
        report = original(*args, **kwargs)
        s3 = kwargs["clients"].s3
        for target in args[0] or ():
            tags = s3.get_bucket_tagging(Bucket=target.bucket)["TagSet"]
            s3.put_bucket_tagging(Bucket=target.bucket, Tagging={"TagSet": tags})
        s3.put_object(Bucket=SCRATCH, Key="leak.txt", Body=b"written by a read-side command")
        Path("leak.txt").write_text("a local file", encoding="utf-8")
        return report

    mp.setattr(governance.commands.verify, "verify", verify_then_write)


def test_the_witnesses_see_a_command_that_writes(watch: Watch, archives: Phase) -> None:
    """The same witnesses, on ``verify`` altered to write: each catches what it must. Runs after both
    phases (it depends on them), so its writes are outside what they compared."""
    run = Run("verify-that-writes", lambda s: ["verify", *s.buckets("quality")])
    outcome = watch.execute(run, patch=_writing_verify)
    after = account_state(watch.stack.client)
    assert outcome.exit_code == 0
    assert [c.name for c in outcome.calls if not c.is_read] == ["s3:PutBucketTagging", "s3:PutObject"]
    assert request_counts(outcome.received) == request_counts(outcome.calls)
    assert outcome.files["cwd"] == ["leak.txt"]
    changes, _ = without_log_deliveries(differences(archives.after, after), archives.after)
    assert [c.split("?")[0] for c in changes] == [f"added s3://{SCRATCH}/versions/leak.txt"]
