"""The SARIF 2.1.0 report, for code-scanning tools such as GitHub's.

Decisions, because SARIF was made for source code and this tool judges cloud resources:

- **Rules**: one per check, with its title, description, remediation, the legal rules it cites and
  the IAM permissions it needs, in ``help`` (text and Markdown); ``properties.security-severity``
  maps the check's severity onto code scanning's 0-10 scale.
- **Results** exist only for ``fail`` and ``error``; passes are counted in ``run.properties``.
  A fail's ``level`` is ``error`` for critical and high checks, ``warning`` for medium and low.
- **Unverifiable results** (status ``error``) go to a companion rule ``<check>/unverified`` at
  level ``warning``, without a security severity, and their message starts "Could not verify". An
  unreadable setting is neither a violation nor compliance; under the check's own rule code
  scanning would show it with the check's security severity, as if the violation were proven.
- **Locations**: code scanning needs a file in the repository. The bucket is declared by the Pulumi
  program, so the physical location is ``Pulumi.yaml`` line 1 (or ``target["program"]`` when the
  verify command knows the project file), and the bucket itself is a logical location of kind
  ``resource``. A stack-outputs file is not used: it is a CI artefact, usually not in the repository,
  so code scanning could not show it.
- **Fingerprints**: every result shares that one file and line, so ``partialFingerprints`` carry a
  hash of (check, resource, purpose); setting ``primaryLocationLineHash`` ourselves stops the upload
  action from computing one from the file, which would merge the findings of different buckets.
- **Outages and notices**: when the account could not be reached at all (no credentials, endpoint
  unreachable) the run's invocation carries one ``toolExecutionNotification`` at level ``error``
  and is not ``executionSuccessful``; the unverifiable results it caused are not listed one by one
  (they are counted in ``run.properties``). Other notices are notifications at level ``warning``.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from governance.model import Report, Result, Severity, Status
from governance.report.common import RuleInfo, dump_json, jsonable, rule_info, summary_sentence, verdict

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
DEFAULT_ARTIFACT = "Pulumi.yaml"

SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
"""Code scanning reads > 9.0 as critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low."""

FAIL_LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "warning",
}
UNVERIFIED_SUFFIX = "/unverified"


def _pascal(text: str) -> str:
    """A rule ``name``: SARIF suggests an identifier-like, human-readable name."""
    return "".join(w[:1].upper() + w[1:] for w in re.findall(r"[A-Za-z0-9]+", text)) or "Check"


def _help(info: RuleInfo) -> dict[str, str]:
    text = [info.description or info.title]
    md = [info.description or info.title]
    if info.remediation:
        text.append(f"Remediation: {info.remediation}")
        md += ["", f"**Remediation:** {info.remediation}"]
    if info.citations:
        text.append("Rules: " + "; ".join(info.citations))
        md += ["", "**Rules cited:**", ""] + [f"- {c}" for c in info.citations]
    if info.permissions:
        text.append("Permissions needed: " + ", ".join(info.permissions))
        md += ["", "**Permissions needed:** " + ", ".join(f"`{p}`" for p in info.permissions)]
    return {"text": "\n".join(text), "markdown": "\n".join(md)}


def _rule(info: RuleInfo) -> dict[str, Any]:
    return {
        "id": info.id,
        "name": _pascal(info.title),
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": info.description or info.title},
        "defaultConfiguration": {"level": FAIL_LEVEL[info.severity]},
        "help": _help(info),
        "properties": {
            "tags": ["compliance", "retention", "security"],
            "security-severity": SECURITY_SEVERITY[info.severity],
            "precision": "high",
            "problem.severity": "error" if FAIL_LEVEL[info.severity] == "error" else "warning",
        },
    }


def _unverified_rule(info: RuleInfo) -> dict[str, Any]:
    help_ = _help(info)
    note = "This result means the setting could not be read, so the check could not be judged."
    return {
        "id": info.id + UNVERIFIED_SUFFIX,
        "name": _pascal(info.title) + "Unverified",
        "shortDescription": {"text": f"Could not verify: {info.title}"},
        "fullDescription": {"text": f"{note} {info.description or info.title}"},
        "defaultConfiguration": {"level": "warning"},
        "help": {"text": f"{note}\n{help_['text']}", "markdown": f"{note}\n\n{help_['markdown']}"},
        "properties": {"tags": ["compliance", "unverified"], "precision": "high", "problem.severity": "warning"},
    }


def fingerprint(result: Result) -> str:
    """A stable id for a finding across runs: its check, resource and purpose, nothing that varies."""
    key = json.dumps([result.check, result.resource, result.purpose], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _result(result: Result, rule_index: dict[str, int], artifact: str) -> dict[str, Any]:
    unverified = result.status is Status.ERROR
    rule_id = result.check + (UNVERIFIED_SUFFIX if unverified else "")
    message = f"Could not verify: {result.message}" if unverified else result.message
    digest = fingerprint(result)
    return {
        "ruleId": rule_id,
        "ruleIndex": rule_index[rule_id],
        # "fail" for both: SARIF lets only a "fail" carry a level, and an unreadable setting is a
        # problem to act on (a missing permission or a hidden bucket), though not a violation.
        "kind": "fail",
        "level": "warning" if unverified else FAIL_LEVEL[result.severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [
                    {
                        "name": result.resource,
                        "fullyQualifiedName": f"{result.purpose}/{result.resource}",
                        "kind": "resource",
                    }
                ],
            }
        ],
        "partialFingerprints": {"primaryLocationLineHash": digest[:32], "recgovFinding/v1": digest},
        "properties": {
            "status": str(result.status),
            "severity": str(result.severity),
            "purpose": result.purpose,
            "observed": jsonable(result.observed),
            "expected": jsonable(result.expected),
            "citations": list(result.citations),
        },
    }


def _invocation(report: Report) -> dict[str, Any]:
    notes = [{"level": "error", "message": {"text": report.outage}}] if report.outage else []
    notes += [{"level": "warning", "message": {"text": n}} for n in report.notices]
    return {"executionSuccessful": not report.outage, "toolExecutionNotifications": notes}


def sarif_document(report: Report) -> dict[str, Any]:
    """The report as a SARIF log with one run."""
    infos = rule_info(report)
    rules = [_rule(i) for i in infos.values()]
    # An outage explains every error at once: one notification instead of a warning per result.
    listed = [r for r in report.results
              if r.status is Status.FAIL or (r.status is Status.ERROR and not report.outage)]
    unverified = sorted({r.check for r in listed if r.status is Status.ERROR})
    rules += [_unverified_rule(infos[c]) for c in unverified]
    rule_index = {r["id"]: n for n, r in enumerate(rules)}
    artifact = str(report.target.get("program") or DEFAULT_ARTIFACT)
    summary = report.summary
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": {"name": "recgov", "version": report.tool_version, "rules": rules}},
                "automationDetails": {"id": f"recgov/{report.kind}/"},
                "invocations": [_invocation(report)],
                "results": [_result(r, rule_index, artifact) for r in listed],
                "properties": {
                    "verdict": verdict(summary),
                    "summary": summary.as_dict(),
                    "summaryText": summary_sentence(summary),
                    "generated_at": report.generated_at,
                    "policy_digest": report.policy_digest,
                    "target": jsonable(report.target),
                    # Evidence without a location of its own (per-agent rates, legal holds).
                    "tables": {name: [jsonable(dict(row)) for row in rows]
                               for name, rows in sorted(report.tables.items())},
                },
            }
        ],
    }


def render_sarif(report: Report) -> str:
    """The report as a SARIF 2.1.0 JSON document."""
    return dump_json(sarif_document(report))
