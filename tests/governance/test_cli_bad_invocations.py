"""Bad invocations through the installed ``recgov``: each is one sentence on standard error, exit 2 or 3.

Exit 1 means a violation to CI, so no mistake of the caller's and no outage may end with it, nor with a
traceback. Each case runs the real command line in a child process with an empty AWS configuration:
fake credentials (so that an unreachable endpoint is what fails), no shared config files, no endpoint.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from governance.model import ExitCode

RECGOV = str(Path(sys.executable).with_name("recgov"))
USAGE, INCOMPLETE = int(ExitCode.USAGE), int(ExitCode.INCOMPLETE)


def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CLOSED = f"http://127.0.0.1:{closed_port()}"
MISSING_DIR = "no-such-directory/report.out"

CASES: list[tuple[str, list[str], dict[str, str], int]] = [
    # --output into a directory that does not exist: refused before any work.
    ("verify output dir", ["verify", "--bucket", "b=quality", "--output", MISSING_DIR], {}, USAGE),
    ("audit-objects output dir", ["audit-objects", "--bucket", "b=quality", "--output", MISSING_DIR], {}, USAGE),
    ("proportionality output dir", ["proportionality", "--calls", "calls.csv", "--bucket", "b=quality",
                                    "--output", MISSING_DIR], {}, USAGE),
    ("policy register output dir", ["policy", "register", "--output", MISSING_DIR], {}, USAGE),
    ("sandbox deploy output dir", ["sandbox", "deploy", "--endpoint-url", CLOSED, "--output", MISSING_DIR], {}, USAGE),
    ("audit-analytics output dir", ["audit-analytics", "--bucket", "b=quality", "--endpoint-url", CLOSED,
                                    "--output", MISSING_DIR], {}, USAGE),
    ("subject find output dir", ["subject", "find", "--call-id", "C1", "--bucket", "b=quality", "--endpoint-url",
                                 CLOSED, "--output", MISSING_DIR], {}, USAGE),
    # AWS_PROFILE naming a profile that does not exist, on every command that talks to AWS.
    ("verify profile", ["verify", "--bucket", "b=quality"], {"AWS_PROFILE": "missing"}, USAGE),
    ("verify discover profile", ["verify", "--discover"], {"AWS_PROFILE": "missing"}, USAGE),
    ("audit-objects profile", ["audit-objects", "--bucket", "b=quality"], {"AWS_PROFILE": "missing"}, USAGE),
    ("audit-objects s3 inventory profile", ["audit-objects", "--inventory", "s3://b/inv/manifest.json"],
     {"AWS_PROFILE": "missing"}, USAGE),
    ("proportionality profile", ["proportionality", "--calls", "calls.csv", "--bucket", "b=quality"],
     {"AWS_PROFILE": "missing"}, USAGE),
    ("sandbox deploy profile", ["sandbox", "deploy", "--endpoint-url", CLOSED], {"AWS_PROFILE": "missing"}, USAGE),
    # A closed port: nothing could be verified (3), said once.
    ("verify closed port", ["verify", "--bucket", "b=quality", "--endpoint-url", CLOSED], {}, INCOMPLETE),
    ("audit-objects closed port", ["audit-objects", "--bucket", "b=quality", "--endpoint-url", CLOSED], {}, INCOMPLETE),
    ("proportionality closed port", ["proportionality", "--calls", "calls.csv", "--bucket", "b=quality",
                                     "--endpoint-url", CLOSED], {}, INCOMPLETE),
    ("sandbox deploy closed port", ["sandbox", "deploy", "--endpoint-url", CLOSED], {}, INCOMPLETE),
    # No credentials at all.
    ("verify no credentials", ["verify", "--bucket", "b=quality", "--endpoint-url", CLOSED],
     {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, INCOMPLETE),
    # A stack file that does not exist (neither here nor beside the program).
    ("sandbox deploy unknown stack", ["sandbox", "deploy", "--endpoint-url", CLOSED, "--stack", "nosuchstack"],
     {}, USAGE),
    # Missing files.
    ("verify missing outputs", ["verify", "--stack-outputs", "missing.json"], {}, USAGE),
    ("verify missing policy", ["verify", "--bucket", "b=quality", "--policy", "missing.yaml"], {}, USAGE),
    ("validate missing stack config", ["policy", "validate", "--stack-config", "Pulumi.missing.yaml"], {}, USAGE),
    ("audit-objects missing manifest", ["audit-objects", "--inventory", "missing/manifest.json"], {}, USAGE),
    ("proportionality missing calls", ["proportionality", "--calls", "missing.csv", "--inventory",
                                       "missing/manifest.json"], {}, USAGE),
    # Bad flags and values.
    ("unknown command", ["verfiy"], {}, USAGE),
    ("unknown option", ["verify", "--nope"], {}, USAGE),
    ("no target", ["verify"], {}, USAGE),
    ("two targets", ["verify", "--discover", "--bucket", "b=quality"], {}, USAGE),
    ("bad format", ["verify", "--bucket", "b=quality", "--format", "xml"], {}, USAGE),
    ("bad bucket", ["verify", "--bucket", "b=sales"], {}, USAGE),
    ("bad endpoint", ["verify", "--bucket", "b=quality", "--endpoint-url", "not a url"], {}, USAGE),
    ("audit-objects bad endpoint", ["audit-objects", "--bucket", "b=quality", "--endpoint-url", "ftp://x"], {}, USAGE),
    ("missing required option", ["proportionality", "--bucket", "b=quality"], {}, USAGE),
    ("bad as-of", ["audit-objects", "--bucket", "b=quality", "--as-of", "yesterday"], {}, USAGE),
    ("non-loopback sandbox", ["sandbox", "deploy", "--endpoint-url", "https://s3.amazonaws.com"], {}, USAGE),
]


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``recgov ARGS`` in ``cwd`` with an empty AWS configuration plus ``env``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update({
        "HOME": str(cwd), "AWS_CONFIG_FILE": str(cwd / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(cwd / "no-credentials"), "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-3",
    })
    base.update(env)
    base = {k: v for k, v in base.items() if v != ""}
    return subprocess.run([RECGOV, *args], capture_output=True, text=True, env=base, cwd=cwd, timeout=120)


@pytest.mark.parametrize(("args", "env", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_invocation_is_one_sentence_and_its_exit_code(
    args: list[str], env: dict[str, str], code: int, tmp_path: Path
) -> None:
    # A valid calls export where a case names one: each case is about its own mistake only.
    (tmp_path / "calls.csv").write_text("call_id,agent_id,started_at,transaction_id\nC1,A1,2025-05-01T10:00:00Z,\n",
                                        encoding="utf-8")
    done = run(args, env, tmp_path)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert done.returncode == code, (done.returncode, done.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0].rstrip().endswith("."), done.stderr


def test_every_case_is_distinct() -> None:
    assert len({c[0] for c in CASES}) == len(CASES)
