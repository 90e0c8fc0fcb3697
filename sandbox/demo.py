"""``recgov demo``: the whole flow on the embedded emulator, reports on disk, in well under a minute.

Start the emulator, deploy the real program (stack ``dev``), write synthetic recordings through the
recorder roles, optionally inject drift, verify the buckets, audit the objects they hold and the
proportion of calls recorded, write every report format and one combined HTML page, stop the emulator.
With ``platform="amazon-connect"`` the quality purpose uses Amazon Connect's key layout (set through
the stack's ``recgov:purposes`` config) and the calls come from Connect's contact records, read back
from an S3 prefix; Contact Lens output lies beside the recordings, declared under ``analytics:`` in a
policy file the demo writes (a stack may not declare analytics) and judged by ``audit-analytics``.
This is an emulation for trying and testing; production deployments use ``pulumi up``.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from governance.analytics.run import Planned, analytics_report
from governance.analytics.sources import bucket_source
from governance.audit.run import Options, audit_objects, proportionality_report
from governance.model import ExitCode, Report, Status
from governance.report import FORMATS
from governance.report.common import counts, plural
from governance.report.html import render_combined
from governance.targets import Target
from governance.verify import verify
from lifecycle.legal import Purpose
from lifecycle.loader import CONFIG_NAMESPACE, default_policy_text, load_policy_file, read_stack_config
from lifecycle.policy import Policy
from lifecycle.purposes import PURPOSES, RECORDING_PURPOSES
from lifecycle.stack_config import parse_stack_settings
from sandbox.connect_seed import KEY_PREFIX, ContactRecordsWritten, seed_connect
from sandbox.contact_lens import ANALYTICS
from sandbox.deploy import deploy, emulator_clients, stack_config
from sandbox.drift import DEMO_DRIFTS, drift
from sandbox.emulator import Emulator, emulator_environment
from sandbox.seed import SeedResult, bucket_policies_lifted, role_clients, seed

PROJECT_DIR = Path(__file__).resolve().parent.parent
STACK = "dev"
PLATFORMS = ("recgov", "amazon-connect")
"""Where the demo's recordings come from: recgov's own convention, or Amazon Connect."""
OVER_RECORDED = "AGENT-03"
"""Under ``--drift`` on Amazon Connect, every call of this agent is recorded for quality."""
AUDITED = tuple(p for p, t in PURPOSES.items() if not t.log_target and p is not Purpose.EVIDENCE)
"""Buckets whose objects the demo audits by live listing (the emulator writes no S3 Inventory); the
evidence bucket is empty until reports are archived."""


@dataclass
class DemoRun:
    """What the demo did, step by step, and the verdict."""

    steps: list[tuple[str, str, float]] = field(default_factory=list)
    report: Report | None = None
    audits: list[Report] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    @property
    def reports(self) -> list[Report]:
        """Verify first, then the object and proportionality audits (and, on Amazon Connect, the analytics audit)."""
        return [r for r in (self.report, *self.audits) if r is not None]

    @contextmanager
    def step(self, name: str, describe: Callable[[], str]) -> Iterator[None]:
        """Time one step; ``describe`` is called after it, to say what it did."""
        started = time.perf_counter()
        yield
        self.steps.append((name, describe(), time.perf_counter() - started))

    @property
    def exit_code(self) -> int:
        """The worst of the reports' exit codes: 1 on any violation, else 3 if anything was unverifiable."""
        codes = {r.summary.exit_code for r in self.reports}
        if not self.report:
            return int(ExitCode.INCOMPLETE)
        for code in (ExitCode.VIOLATION, ExitCode.INCOMPLETE):
            if code in codes:
                return int(code)
        return int(ExitCode.COMPLIANT)


Principals = dict[str, dict[str, tuple[str, ...]]]


def stack_policy(stack: str = STACK, project_dir: Path = PROJECT_DIR,
                 config: Mapping[str, Any] | None = None) -> tuple[Policy, Principals]:
    """The stack's effective policy and its configured principals, as the program reads them.

    ``config`` is the whole stack config (``Pulumi.<stack>.yaml``'s ``config``) when it is not the file's.
    """
    prefix = f"{CONFIG_NAMESPACE}:"
    raw = (read_stack_config(project_dir / f"Pulumi.{stack}.yaml") if config is None else
           {k.removeprefix(prefix): v for k, v in config.items() if k.startswith(prefix)})
    settings = parse_stack_settings(raw, stack=stack)
    policy_path = project_dir / settings.policy_file if settings.policy_file else None
    principals = {k: dict(v) for k, v in settings.principals.items()}
    return load_policy_file(policy_path, settings.purposes), principals


def connect_config(stack: str = STACK, project_dir: Path = PROJECT_DIR,
                   key_prefix: str = KEY_PREFIX, policy_file: Path | None = None) -> dict[str, Any]:
    """The stack's config with the quality purpose on Amazon Connect's layout under ``key_prefix``, and
    ``policy_file`` as its policy (``recgov:policyFile``) when given."""
    config = copy.deepcopy(stack_config(stack, project_dir))
    purposes = config.setdefault(f"{CONFIG_NAMESPACE}:purposes", {})
    purposes["quality"] = {**(purposes.get("quality") or {}), "layout": "amazon-connect", "keyPrefix": key_prefix}
    if policy_file is not None:
        config[f"{CONFIG_NAMESPACE}:policyFile"] = str(policy_file)
    return config


ANALYTICS_POLICY = "policy.yaml"
"""The policy file the Amazon Connect demo writes into ``--out`` and deploys with."""


def analytics_policy_text(analytics: Mapping[str, Any] = ANALYTICS) -> str:
    """The packaged policy with the quality purpose's speech analytics declared, as a user would edit it:
    ``analytics:`` belongs to the policy's owner, so only the policy file can declare it."""
    text = default_policy_text()
    entry = "  quality:\n"
    assert entry in text, "the packaged policy has no quality purpose"
    flow = yaml.safe_dump(dict(analytics), default_flow_style=True, sort_keys=False).strip()
    declared = f"    analytics: {flow}  # Contact Lens: transcripts, customer sentiment only, redacted\n"
    return text.replace(entry, entry + declared, 1)


def _seed_connect(run: DemoRun, emu: Emulator, outputs: Mapping[str, Any], out_dir: Path, calls: int, rate: float,
                  inject_drift: bool, records_bucket: str) -> tuple[SeedResult, ContactRecordsWritten]:
    def describe() -> str:
        seeded, records = done
        erased = "".join(f"; the recording of contact {r.call.call_id} erased, its Contact Lens output left"
                         for r in seeded.erased)
        return (f"{len(seeded.calls)} calls; {seeded.count('quality')} quality recordings under {KEY_PREFIX} "
                f"({seeded.count('quality') / len(seeded.calls):.0%}), {seeded.count('proof')} proof recordings; "
                f"{len(seeded.derived)} Contact Lens objects under Analysis/Voice{erased}; "
                f"{records.deliveries} contact records of {records.contacts} contacts "
                f"({records.deliveries - records.contacts} redelivered) in {records.url}")

    with run.step("seed", describe):
        done = seed_connect(emu.endpoint_url, outputs, out_dir, records_bucket=records_bucket, calls=calls,
                            sampling_rate=rate, over_recorded=OVER_RECORDED if inject_drift else None,
                            contact_lens=True, contact_lens_drift=inject_drift, region=emu.region)
    return done


def _audit_analytics(run: DemoRun, emu: Emulator, outputs: Mapping[str, Any], policy: Policy) -> None:
    """Judge the Contact Lens output in the quality bucket against the policy's declaration, read as the
    purpose's reader (a principal allowed to read its content), where the layout writes it."""
    bucket = outputs["buckets"][str(Purpose.QUALITY)]
    reader = role_clients(emu.endpoint_url, outputs["roleArns"][str(Purpose.QUALITY)]["reader"], emu.region,
                          "audit-analytics")("s3")
    source = bucket_source(reader, bucket, policy[Purpose.QUALITY])
    assert source is not None, "the amazon-connect layout writes analysis files"
    lifted = bucket_policies_lifted(emulator_clients(emu.endpoint_url, emu.region)("s3"), [bucket])
    with lifted, run.step("analytics", lambda: f"{plural(len(report.tables.get('analytics_contacts', [])), 'contact')}"
                                               f" analysed; {counts(report.summary)}"):
        report = analytics_report(policy, [Planned(source, policy[Purpose.QUALITY], explicit=False)])
        run.audits.append(report)


def run_demo(out_dir: Path, *, inject_drift: bool = False, calls: int = 80, platform: str = "recgov") -> DemoRun:
    """Run the demo, writing the reports, stack outputs and calls export (or contact records) to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    run = DemoRun()
    connect = platform == "amazon-connect"
    config = None
    if connect:
        policy_file = out_dir / ANALYTICS_POLICY
        policy_file.write_text(analytics_policy_text(), encoding="utf-8")
        run.written.append(policy_file)
        config = connect_config(policy_file=policy_file.resolve())
    policy, principals = stack_policy(config=config)
    rate = policy[Purpose.QUALITY].sampling_rate or 0.25
    emu = Emulator()
    with run.step("emulator", lambda: f"moto server on {emu.endpoint_url} (in this process, discarded at exit)"):
        emu.start()
    with emu, emulator_environment(emu):
        with run.step("deploy", lambda: f"stack {STACK}: {len(deployment.applied)} resources applied, "
                                        f"buckets {', '.join(sorted(deployment.outputs['buckets'].values()))}"):
            deployment = deploy(emu.endpoint_url, stack=STACK, config=config, project_dir=PROJECT_DIR)
        outputs_file = out_dir / "stack-outputs.json"
        outputs_file.write_text(deployment.outputs_json(), encoding="utf-8")
        run.written.append(outputs_file)
        records: ContactRecordsWritten | None = None
        if connect:
            records_bucket = f"{deployment.outputs['buckets']['quality'].rsplit('-quality', 1)[0]}-contact-records"
            seeded, records = _seed_connect(run, emu, deployment.outputs, out_dir, calls, rate, inject_drift,
                                            records_bucket)
        else:
            with run.step("seed", lambda: f"{len(seeded.calls)} calls; {seeded.count('quality')} quality "
                                          f"recordings ({seeded.count('quality') / len(seeded.calls):.0%} sample), "
                                          f"{seeded.count('proof')} proof recordings (calls with a transaction)"):
                seeded = seed(emu.endpoint_url, deployment.outputs, out_dir, calls=calls, sampling_rate=rate,
                              region=emu.region)
        run.written.append(seeded.calls_export)
        if inject_drift:
            chosen = [drift(name) for name in DEMO_DRIFTS]
            with run.step("drift", lambda: "; ".join(d.description for d in chosen)):
                clients = emulator_clients(emu.endpoint_url, emu.region)
                for d in chosen:
                    d.apply(clients, deployment.outputs)
        with run.step("verify", lambda: counts(summary)):
            run.report = verify(None, policy, outputs=deployment.outputs, principals_config=principals,
                                endpoint_url=emu.endpoint_url, region=emu.region, source="sandbox")
            summary = run.report.summary
        listed = [Target(deployment.outputs["buckets"][str(p)], p) for p in AUDITED]
        # Live listing HEADs every version (s3:GetObject, as a purpose's reader may on AWS). The
        # emulator applies the bucket policy's conditional denies to every caller, so the policies
        # are detached for the audit and put back unchanged, as the seeder does.
        lifted = bucket_policies_lifted(emulator_clients(emu.endpoint_url, emu.region)("s3"),
                                        [t.bucket for t in listed])
        with lifted, run.step("audit", lambda: f"{counts(objects.summary)} over every stored version"):
            objects = audit_objects(policy, [], listed, Options(workers=4))
            run.audits.append(objects)
        with run.step("sampling", lambda: f"{plural(len(ratio.tables.get('agent_months', [])), 'agent-month')}; "
                                          f"{counts(ratio.summary)}"):
            recordings = [t for t in listed if t.purpose in RECORDING_PURPOSES]
            if records is None:
                ratio = proportionality_report(policy, seeded.calls_export, [], recordings, Options(workers=4))
            else:  # read back through S3, as an auditor would from the stream's destination
                ratio = proportionality_report(policy, None, [], recordings, Options(workers=4),
                                               contact_records=records.url)
            run.audits.append(ratio)
        if connect:
            _audit_analytics(run, emu, deployment.outputs, policy)
    for report in run.reports:
        for fmt in FORMATS.values():
            path = out_dir / fmt.file_name(report.kind)
            path.write_text(fmt.render(report), encoding="utf-8")
            run.written.append(path)
    combined = out_dir / "report.html"
    combined.write_text(render_combined(run.reports), encoding="utf-8")
    run.written.append(combined)
    return run


def summary_lines(run: DemoRun) -> list[str]:
    """What the demo prints: each step with its time, the files, and the failures if any."""
    lines = ["recgov demo: an emulation for trying and testing; production deployments use `pulumi up`.", ""]
    lines += [f"  {name:<9} {what}  ({seconds:.1f} s)" for name, what, seconds in run.steps]
    lines += ["", "Written:"] + [f"  {path}" for path in run.written]
    problems = [r for report in run.reports for r in report.results if r.status is not Status.PASS]
    if problems:
        lines += ["", f"{plural(len(problems), 'finding')}:"]
        lines += [f"  {str(r.status).upper():<5} {r.check}: {r.message}" for r in problems]
    elif run.reports:
        total = sum(r.summary.passed for r in run.reports)
        lines += ["", f"Compliant: every check passed on every bucket and object ({total} results)."]
    return lines
