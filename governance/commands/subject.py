"""``recgov subject find|export|erase|receipts`` and ``recgov hold place|release|list``.

Thin: options, refusals as one sentence with the contract's exit code, output. The work is in
:mod:`governance.subject`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from governance.commands.shared import (
    POLICY_OPTION,
    STACK_CONFIG_OPTION,
    athena_options,
    aws_options,
    effective_policy,
    fail,
    output_option,
)
from governance.model import ExitCode
from governance.subject import roles
from governance.subject.callid import CallIdError, check_call_ids
from governance.subject.context import EVIDENCE, Context, ContextError
from governance.subject.erase import Outcome, Reason, Step, plan
from governance.subject.erase import execute as execute_plan
from governance.subject.export import ExportError, check_out_dir, export, exportable, write_manifest
from governance.subject.find import Found, find
from governance.subject.hold import (
    CaseHold,
    HoldOutcome,
    age_days,
    holdable,
    not_holdable_reason,
    open_holds,
    set_hold,
)
from governance.subject.notice import render_html, render_markdown
from governance.subject.receipts import Caller, Receipt, ReceiptError, pair, read_receipts
from governance.subject.render import FORMATS, document, render
from governance.subject.stored import StoredVersion, early_erasure
from governance.targets import StackOutputs, TargetError, parse_bucket_option
from lifecycle.legal import Purpose
from lifecycle.purposes import traits

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T", StoredVersion, Step)

FIND_COLUMNS = ("call_id", "purpose", "kind", "key", "version_id", "is_latest", "delete_marker", "lock_mode",
                "retain_until", "lifecycle_end", "legal_hold")


def target_options(f: F) -> F:
    """Where to look, with whose policy, through which endpoint, and how to show the result."""
    for option in reversed((
        POLICY_OPTION,
        STACK_CONFIG_OPTION,
        click.option("--stack-outputs", "stack_outputs", type=click.Path(path_type=Path, dir_okay=False),
                     default=None, help="JSON printed by `pulumi stack output --json`: buckets and role ARNs."),
        click.option("--bucket", "buckets", multiple=True, metavar="NAME=PURPOSE",
                     help="A bucket and the purpose it serves (repeatable); NAME=evidence for the receipts."),
        click.option("--purpose", "purposes", multiple=True, type=click.Choice([str(p) for p in Purpose]),
                     help="Only these purposes' buckets (repeatable): each purpose has its own roles."),
        aws_options,
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True),
        output_option("Write the output to FILE instead of standard output."),
    )):
        f = option(f)
    return f


CALL_ID_OPTION = click.option("--call-id", "call_ids", multiple=True, metavar="ID",
                              help="A call (contact, conversation) id exactly as the key layout names it.")


def subject_options(f: F) -> F:
    """Whose calls: call ids, and/or a customer's number resolved through Amazon Connect contact records."""
    for option in reversed((
        CALL_ID_OPTION,
        click.option("--customer-number", "numbers", multiple=True, metavar="NUMBER",
                     help="The caller's number in E.164 (+33123456789; spaces ignored): its contacts' ids are "
                          "searched as --call-id (repeatable; needs --contact-records)."),
        click.option("--contact-records", "contact_records", default=None, metavar="PATH",
                     help="Amazon Connect contact records (JSON Lines or concatenated JSON, gzip or not): a file, "
                          "a directory or s3://BUCKET/PREFIX; their CustomerEndpoint.Address is matched."),
    )):
        f = option(f)
    return f
RECEIPT_ROLE_OPTION = click.option(
    "--receipt-role", default=None, metavar="ARN",
    help="Role that writes the receipts (default: the stack's evidence writer, assumed unless the caller is it).")


def make_context(policy_path: Path | None, stack_config: Path | None, stack_outputs: Path | None,
                 buckets: tuple[str, ...], endpoint_url: str | None, region: str | None) -> Context:
    """The context of a run, or exit 2 with the sentence naming the bad option."""
    if (stack_outputs is None) == (not buckets):
        fail("give exactly one of --stack-outputs FILE or --bucket NAME=PURPOSE (repeatable).", ExitCode.USAGE)
    policy = effective_policy(policy_path, stack_config)
    try:
        outputs = StackOutputs.read(stack_outputs) if stack_outputs is not None else None
        targets = outputs.targets() if outputs is not None else [parse_bucket_option(b) for b in buckets]
    except TargetError as err:
        fail(str(err), ExitCode.USAGE)
    import boto3

    try:
        session = boto3.session.Session(region_name=region)
        session.client("sts", endpoint_url=endpoint_url, region_name=region)
    except ValueError as err:  # botocore refuses a malformed endpoint URL
        fail(f"--endpoint-url {endpoint_url!r} is not usable ({err}).", ExitCode.USAGE)
    return Context(policy, targets, outputs, session, endpoint_url, region)


def call_ids_of(given: tuple[str, ...]) -> tuple[str, ...]:
    """The checked call ids, or exit 2."""
    if not given:
        fail("give at least one --call-id ID.", ExitCode.USAGE)
    try:
        return check_call_ids(given)
    except CallIdError as err:
        fail(str(err), ExitCode.USAGE)


@dataclass(frozen=True)
class Request:
    """The calls a request names: its call ids and its customer numbers' contacts, with what each number gave."""

    ids: tuple[str, ...]
    notes: tuple[str, ...] = ()


def requested(call_ids: tuple[str, ...], numbers: tuple[str, ...], records: str | None, endpoint_url: str | None,
              region: str | None, *, what: str | None) -> Request:
    """The checked call ids plus the contacts of each customer number, or exit 2.

    ``what`` is what the command would have done: a number without a contact then exits 2 (nothing
    to act on); None (``find``) notes it and goes on.
    """
    from governance.subject.customers import CustomerNumberError, RecordsUnreachableError, check_numbers, contacts_of

    try:
        checked = check_numbers(numbers, records)
        given = check_call_ids(call_ids)
    except (CustomerNumberError, CallIdError) as err:
        fail(str(err), ExitCode.USAGE)
    if not given and not checked:
        fail("give at least one --call-id ID, or --customer-number NUMBER with --contact-records PATH.",
             ExitCode.USAGE)
    if not checked or records is None:
        return Request(given)

    def s3() -> Any:
        import boto3

        return boto3.session.Session(region_name=region).client("s3", endpoint_url=endpoint_url)

    try:
        contacts = contacts_of(checked, records, s3)
    except CustomerNumberError as err:
        fail(str(err), ExitCode.USAGE)
    except RecordsUnreachableError as err:
        fail(str(err), ExitCode.INCOMPLETE)
    except ValueError as err:  # botocore refuses a malformed endpoint URL
        fail(f"--endpoint-url {endpoint_url!r} is not usable ({err}).", ExitCode.USAGE)
    notes = []
    for number, found in contacts.items():
        if not found and what is not None:
            fail(f"no contact of customer number {number} is in the contact records {records}; check the number "
                 f"(E.164, as CustomerEndpoint.Address gives it) and the records. Nothing was {what}.", ExitCode.USAGE)
        notes.append(f"customer number {number}: contacts {', '.join(found)} (CustomerEndpoint.Address in {records})."
                     if found else f"no contact of customer number {number} is in the contact records {records}.")
    resolved = [c for found in contacts.values() for c in found]
    try:
        ids = check_call_ids([*given, *resolved])
    except CallIdError as err:
        fail(f"{records}: a contact of the customer number cannot be searched: {err}", ExitCode.USAGE)
    return Request(ids, tuple(notes))


def show(doc: Mapping[str, Any], columns: Sequence[str], fmt: str, output: Path | None) -> None:
    """Print the document, or write it to ``output``."""
    text = render(doc, columns, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


def search(ctx: Context, call_ids: Sequence[str], purposes: Sequence[str], *, locks: bool = True,
           clients: Mapping[Purpose, Any] | None = None) -> Found:
    """Find the calls' versions in the chosen purposes, each bucket read by its purpose's client."""
    scopes = ctx.scopes(purposes)
    if not scopes:
        fail("no bucket of recordings is among the targets; give the purposes' buckets.", ExitCode.USAGE)
    found = Found()
    try:
        for purpose in dict.fromkeys(s.purpose for s in scopes):
            s3 = clients[purpose] if clients is not None else ctx.client("s3")
            part = find(s3, [s for s in scopes if s.purpose is purpose], call_ids, locks=locks)
            found.versions += part.versions
            found.unreadable += part.unreadable
    except ValueError as err:
        fail(f"the endpoint could not be used ({err}).", ExitCode.USAGE)
    found.versions.sort(key=lambda v: (v.call_id, str(v.purpose), v.key, v.last_modified, v.version_id))
    return found


@dataclass
class Acting:
    """Per purpose, the client acting as its principal, and who that is (recorded in the receipts)."""

    clients: dict[Purpose, Any] = field(default_factory=dict)
    principals: dict[str, str] = field(default_factory=dict)


def acting_clients(ctx: Context, caller: Caller, purposes: Sequence[str], need: roles.Need, action: str,
                   applies: Callable[[Purpose], bool]) -> Acting:
    """Per purpose searched, a client acting as its ``need`` principal where ``applies`` (the caller's
    own client elsewhere); exit 3 with one sentence, before anything is done, when one is out of reach."""
    own = ctx.client("s3")
    out = Acting()
    for scope in ctx.scopes(purposes):
        if scope.purpose in out.clients:
            continue
        if not applies(scope.purpose):
            out.clients[scope.purpose] = own
            continue
        try:
            client, who = ctx.acting(caller, scope.purpose, need, action)
        except ContextError as err:
            fail(str(err), ExitCode.INCOMPLETE)
        out.clients[scope.purpose] = client
        out.principals[str(scope.purpose)] = who.arn
    return out


def require_found(found: Found, call_ids: Sequence[str], what: str) -> None:
    """Exit 3 when a bucket could not be listed, 2 when a call has nothing stored: before acting."""
    if found.unreadable:
        fail(f"{found.unreadable[0]} Nothing was {what}; restrict with --purpose to the buckets your role may read.",
             ExitCode.INCOMPLETE)
    missing = [c for c in call_ids if not found.of_call(c)]
    if missing:
        fail(f"no stored version of call {', '.join(missing)} was found; check the id (exact, as the platform "
             f"names it). Nothing was {what}.", ExitCode.USAGE)


def start_receipt(ctx: Context, caller: Caller, receipt_role: str | None, action: str, call_ids: Sequence[str],
                  versions: Sequence[Mapping[str, Any]], *, reason: str | None = None, case: str | None = None,
                  acting: Mapping[str, str] | None = None) -> Receipt:
    """Write the intent receipt, or exit before anything is done."""
    try:
        store = ctx.receipt_store(caller, receipt_role)
        receipt = Receipt(store, action, caller, list(call_ids), ctx.policy.digest, reason=reason, case=case,
                          acting=dict(acting or {}))
        address = receipt.write_intent(versions)
    except ContextError as err:
        fail(str(err), ExitCode.USAGE if err.usage else ExitCode.INCOMPLETE)
    except ReceiptError as err:
        fail(f"{err} Nothing was done.", ExitCode.INCOMPLETE)
    click.echo(f"receipt of intent {address}", err=True)
    return receipt


def finish_receipt(receipt: Receipt, versions: Sequence[Mapping[str, Any]], result: Mapping[str, Any]) -> bool:
    """Write the outcome receipt; False (and a sentence) when it could not be written."""
    try:
        click.echo(f"receipt of outcome {receipt.write_outcome(versions, result)}", err=True)
        return True
    except ReceiptError as err:
        click.echo(f"error: {err} The action was carried out; its intent receipt stands and the outcome is "
                   "printed here.", err=True)
        return False


def caller_of(ctx: Context) -> Caller:
    """The caller, or exit 3."""
    try:
        return ctx.caller()
    except ContextError as err:
        fail(str(err), ExitCode.INCOMPLETE)


# --- subject ------------------------------------------------------------------------------------


@click.group("subject")
def subject_group() -> None:
    """Data-subject requests over stored recordings: find, export, erase, and the receipts of each."""


@subject_group.command("find")
@subject_options
@click.option("--inventory", "inventories", multiple=True, metavar="MANIFEST",
              help="Search an S3 Inventory manifest.json (local or s3://) instead of listing; repeatable.")
@click.option("--engine", type=click.Choice(["duckdb", "athena"]), default="duckdb", show_default=True,
              help="With --inventory: duckdb reads the inventory's files here; athena queries its table in place.")
@athena_options
@target_options
def find_command(call_ids: tuple[str, ...], numbers: tuple[str, ...], contact_records: str | None,
                 inventories: tuple[str, ...], engine: str, athena_database: str | None, athena_table: str | None,
                 athena_workgroup: str, athena_output: str | None, policy_path: Path | None,
                 stack_config: Path | None, stack_outputs: Path | None, buckets: tuple[str, ...],
                 purposes: tuple[str, ...], endpoint_url: str | None, region: str | None, fmt: str,
                 output: Path | None) -> None:
    """Every stored version, delete marker and derived copy of the calls, read-only.

    Each with its purpose, lock (mode, retain-until), the lifecycle's worst-case end, and legal hold.
    Matching is exact on the call id the purpose's key layout extracts: C1 never matches C10.
    With --inventory, the inventory's files are read instead (checksums verified; --purpose names the
    bucket's purpose when its name does not); with --engine athena, one query over the inventory's
    Athena table finds every call's versions in the delivery. --customer-number with --contact-records searches the
    contacts whose CustomerEndpoint.Address is that number. Exit 0 (also when nothing is stored or
    the number has no contact), 2 bad input, 3 a bucket or a lock could not be read.

    Example: recgov subject find --call-id CALL-1 --stack-outputs outputs.json
    """
    athena = athena_target(engine, inventories, athena_database, athena_table, athena_workgroup, athena_output)
    request = requested(call_ids, numbers, contact_records, endpoint_url, region, what=None)
    if athena is not None:
        athena_find(request, inventories[0], athena, purposes, policy_path, stack_config, endpoint_url, region, fmt,
                    output)
    if inventories:
        inventory_find(request, inventories, purposes, policy_path, stack_config, fmt, output)
    ctx = make_context(policy_path, stack_config, stack_outputs, buckets, endpoint_url, region)
    found = search(ctx, request.ids, purposes) if request.ids else Found()
    show_found(found, request, ctx.policy.digest, ctx.target_text, fmt, output)


def inventory_find(request: Request, inventories: Sequence[str], purposes: Sequence[str],
                   policy_path: Path | None, stack_config: Path | None, fmt: str, output: Path | None) -> NoReturn:
    """``find --inventory``: the same output, from inventories."""
    from governance.audit.errors import AuditInputError
    from governance.subject.inventory import InventoryPurposeError, find_in_inventory

    if len(purposes) > 1:
        fail("with --inventory, --purpose names the inventoried bucket's purpose: give it once.", ExitCode.USAGE)
    policy = effective_policy(policy_path, stack_config)
    found = Found()
    try:
        for location in inventories if request.ids else ():
            part = find_in_inventory(location, policy, Purpose(purposes[0]) if purposes else None, request.ids)
            found.versions.extend(part.versions)
    except (AuditInputError, InventoryPurposeError) as err:
        fail(str(err), ExitCode.USAGE)
    show_found(found, request, policy.digest, ", ".join(inventories), fmt, output)


def athena_target(engine: str, inventories: Sequence[str], database: str | None, table: str | None,
                  workgroup: str, output: str | None) -> Any:
    """The Athena table to query with ``--engine athena`` (None with duckdb), or exit 2."""
    from governance.audit.athena import AthenaTarget

    if engine != "athena":
        if database or table or output:
            fail("--athena-database, --athena-table and --athena-output go with --engine athena.", ExitCode.USAGE)
        return None
    if len(inventories) != 1 or not inventories[0].startswith("s3://"):
        fail("--engine athena searches exactly one --inventory s3://.../manifest.json (the delivery its table "
             "holds).", ExitCode.USAGE)
    if not database or not table:
        fail("--engine athena needs --athena-database and --athena-table.", ExitCode.USAGE)
    return AthenaTarget(database, table, workgroup, output)


def athena_find(request: Request, location: str, target: Any, purposes: Sequence[str], policy_path: Path | None,
                stack_config: Path | None, endpoint_url: str | None, region: str | None, fmt: str,
                output: Path | None) -> NoReturn:
    """``find --engine athena``: the same output, from one Athena query over the inventory table."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from governance.audit.athena import verify_etags
    from governance.audit.errors import AuditInputError
    from governance.audit.files import read_s3_manifest
    from governance.audit.run import infer_purpose
    from governance.subject.athena import find_in_athena
    from governance.subject.stored import Scope

    if len(purposes) > 1:
        fail("with --inventory, --purpose names the inventoried bucket's purpose: give it once.", ExitCode.USAGE)
    policy = effective_policy(policy_path, stack_config)
    found = Found()
    try:
        session = boto3.session.Session(region_name=region)
        s3, athena, glue = (session.client(name, endpoint_url=endpoint_url) for name in ("s3", "athena", "glue"))
    except ValueError as err:  # botocore refuses a malformed endpoint URL
        fail(f"--endpoint-url {endpoint_url!r} is not usable ({err}).", ExitCode.USAGE)
    try:
        manifest = read_s3_manifest(location, s3)
        chosen = Purpose(purposes[0]) if purposes else infer_purpose(manifest.source_bucket)
        if chosen is None:
            fail(f"{location}: the purpose of bucket {manifest.source_bucket} cannot be told from its name; give it "
                 "with --purpose.", ExitCode.USAGE)
        if request.ids:
            verify_etags(s3, manifest)
            found = find_in_athena(athena, glue, target, manifest, Scope(manifest.source_bucket, policy[chosen]),
                                   request.ids)
    except AuditInputError as err:
        fail(str(err), ExitCode.USAGE)
    except (ClientError, BotoCoreError) as err:
        fail(f"{location}: the inventory could not be queried ({err}).", ExitCode.INCOMPLETE)
    show_found(found, request, policy.digest, f"{location} (Athena {target.relation})", fmt, output)


def show_found(found: Found, request: Request, digest: str, target: str, fmt: str, output: Path | None) -> NoReturn:
    """Print what ``find`` found; exit 0, or 3 when something could not be read."""
    ids = request.ids
    notes = [*request.notes, *found.unreadable]
    notes += [f"s3://{v.bucket}/{v.key} version {v.version_id}: {v.lock_error} could not be read."
              for v in found.versions if v.lock_error]
    notes += [f"no stored version of call {c} was found." for c in ids if not found.of_call(c)]
    summary = {"versions": sum(not v.delete_marker for v in found.versions),
               "delete_markers": sum(v.delete_marker for v in found.versions),
               "legal_holds": sum(bool(v.legal_hold) for v in found.versions)}
    doc = document("subject find", digest, target, ids, [v.as_dict() for v in found.versions], summary, notes)
    show(doc, FIND_COLUMNS, fmt, output)
    sys.exit(int(ExitCode.COMPLIANT if found.complete else ExitCode.INCOMPLETE))


@subject_group.command("export")
@subject_options
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="A new (or empty) directory for the copy, manifest.json and the notice.")
@RECEIPT_ROLE_OPTION
@target_options
def export_command(call_ids: tuple[str, ...], numbers: tuple[str, ...], contact_records: str | None, out: Path,
                   receipt_role: str | None, policy_path: Path | None, stack_config: Path | None,
                   stack_outputs: Path | None, buckets: tuple[str, ...], purposes: tuple[str, ...],
                   endpoint_url: str | None, region: str | None, fmt: str, output: Path | None) -> None:
    """Copy the calls' current recordings to DIR for the data subject (GDPR Art. 15(3)).

    Streamed to disk and read back against their SHA-256; manifest.json names each file's digest,
    size, purpose, legal basis, retention end, source key and version; notice.md and notice.html give
    the Art. 15(1) information. Receipts (intent, then outcome) go to the evidence bucket first and
    last. Acts as each purpose's reader: the caller if it is one, else the stack's reader role,
    assumed. Exit 0 exported, 2 bad input, 3 not done.

    Example: recgov subject export --call-id CALL-1 --out request-017 --stack-outputs outputs.json --purpose quality
    """
    try:
        check_out_dir(out)
    except ExportError as err:
        fail(str(err), ExitCode.USAGE)
    request = requested(call_ids, numbers, contact_records, endpoint_url, region, what="exported")
    ids = request.ids
    ctx = make_context(policy_path, stack_config, stack_outputs, buckets, endpoint_url, region)
    caller = caller_of(ctx)
    acting = acting_clients(ctx, caller, purposes, roles.READER, "reading recordings", lambda _: True)
    found = search(ctx, ids, purposes, clients=acting.clients)
    require_found(found, ids, "exported")
    chosen = exportable(found.versions)
    receipt = start_receipt(ctx, caller, receipt_role, "export", ids, [v.as_dict() for v in chosen],
                            acting=acting.principals)
    try:
        files = [f for p, group in by_purpose(chosen).items()
                 for f in export(acting.clients[p], group, ctx.policy, out)]
    except ExportError as err:
        finish_receipt(receipt, [v.as_dict() for v in chosen], {"status": "failed", "error": str(err)})
        fail(str(err), ExitCode.INCOMPLETE)
    meta = {"generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "policy_digest": ctx.policy.digest}
    write_manifest(out, files, meta | {"call_ids": list(ids), "receipt_id": receipt.receipt_id,
                                       "caller": caller.as_dict()})
    (out / "notice.md").write_text(render_markdown(ctx.policy, files, ids, meta), encoding="utf-8")
    (out / "notice.html").write_text(render_html(ctx.policy, files, ids, meta), encoding="utf-8")
    entries = [f.as_dict() for f in files]
    written = finish_receipt(receipt, entries, {"status": "exported", "files": len(files)})
    doc = document("subject export", ctx.policy.digest, ctx.target_text, ids, entries,
                   {"files": len(files), "bytes": sum(f.size for f in files)},
                   [*request.notes, f"copy, manifest and notice in {out}"])
    show(doc, ("call_id", "purpose", "kind", "path", "size", "sha256", "retention_end"), fmt, output)
    sys.exit(int(ExitCode.COMPLIANT if written else ExitCode.INCOMPLETE))


@subject_group.command("erase")
@subject_options
@click.option("--reason", type=click.Choice([str(r) for r in Reason]), required=True,
              help="objection (GDPR Art. 21) or erasure (Art. 17).")
@click.option("--execute", is_flag=True, help="Remove the versions; without it, only the plan is shown.")
@RECEIPT_ROLE_OPTION
@target_options
def erase_command(call_ids: tuple[str, ...], numbers: tuple[str, ...], contact_records: str | None, reason: str,
                  execute: bool, receipt_role: str | None,
                  policy_path: Path | None, stack_config: Path | None, stack_outputs: Path | None,
                  buckets: tuple[str, ...], purposes: tuple[str, ...], endpoint_url: str | None, region: str | None,
                  fmt: str, output: Path | None) -> None:
    """Erase every version, delete marker and derived copy of the calls, where the law allows.

    Without --execute: the plan, each version to remove or refused with its reason (proof and
    evidence are kept for legal claims, Art. 17(3)(e); legal holds). With --execute: a receipt of
    intent, the removals (bypassing GOVERNANCE retention), a second listing proving each removed
    version gone, a receipt of outcome. Acts as each purpose's erasure role (the caller's, or
    assumed). Exit 0 every erasable version gone, 2 bad input (nothing changed), 3 some not removed or not proven gone.

    Example: recgov subject erase --call-id CALL-1 --reason objection --stack-outputs outputs.json --execute
    """
    request = requested(call_ids, numbers, contact_records, endpoint_url, region, what="erased")
    ids = request.ids
    ctx = make_context(policy_path, stack_config, stack_outputs, buckets, endpoint_url, region)
    caller = caller_of(ctx) if execute else None
    acting = (acting_clients(ctx, caller, purposes, roles.ERASURE, "erasing recordings", early_erasure)
              if caller is not None else None)
    found = search(ctx, ids, purposes, clients=acting.clients if acting is not None else None)
    require_found(found, ids, "erased")
    now = datetime.now(UTC)
    steps = plan(found.versions, now)
    why = Reason(reason)
    rows = [s.as_dict() for s in steps]
    removable = [s for s in steps if s.remove]
    columns = ("call_id", "purpose", "kind", "key", "version_id", "delete_marker", "action", "bypass_governance",
               "refusal")
    if caller is None or acting is None:
        doc = document("subject erase (plan)", ctx.policy.digest, ctx.target_text, ids, rows,
                       {"to_remove": len(removable), "kept": len(steps) - len(removable)},
                       [*request.notes, f"reason: {why} ({why.article}); nothing was changed: add --execute to "
                        "remove."])
        show(doc, columns, fmt, output)
        sys.exit(int(ExitCode.COMPLIANT))
    receipt = start_receipt(ctx, caller, receipt_role, "erase", ids, rows, reason=f"{why} ({why.article})",
                            acting=acting.principals)
    outcome = Outcome()
    for purpose, group in by_purpose(steps).items():
        scopes = [s for s in ctx.scopes(purposes) if s.purpose is purpose]
        part = execute_plan(acting.clients[purpose], scopes, group, ids)
        outcome.removed += part.removed
        outcome.failed += part.failed
        outcome.remaining += part.remaining
        outcome.unexpected += part.unexpected
    removed = {v.ident for v in outcome.removed}
    results = [r | {"result": "removed" if (r["bucket"], r["key"], r["version_id"]) in removed
                    else ("kept" if r["action"] == "keep" else "not removed")} for r in rows]
    notes = [*outcome.failed,
             *(f"s3://{v.bucket}/{v.key} version {v.version_id} is still stored after its removal." for v in
               outcome.remaining),
             *(f"s3://{v.bucket}/{v.key} version {v.version_id} appeared during the erasure and was not erased."
               for v in outcome.unexpected)]
    proof = "proven gone by a second listing" if outcome.proven else "NOT proven gone"
    written = finish_receipt(receipt, results, {"status": "erased" if outcome.proven else "incomplete",
                                                "removed": len(outcome.removed), "problems": notes})
    doc = document("subject erase", ctx.policy.digest, ctx.target_text, ids, results,
                   {"removed": len(outcome.removed), "kept": len(steps) - len(removable), "problems": len(notes)},
                   [*request.notes, *notes,
                    f"reason: {why} ({why.article}); every removed version {proof}; receipt {receipt.receipt_id}"])
    show(doc, (*columns[:-1], "result", "refusal"), fmt, output)
    sys.exit(int(ExitCode.COMPLIANT if outcome.proven and written else ExitCode.INCOMPLETE))


@subject_group.command("receipts")
@click.option("--call-id", "call_ids", multiple=True, metavar="ID", help="Only receipts naming these calls.")
@target_options
def receipts_command(call_ids: tuple[str, ...], policy_path: Path | None, stack_config: Path | None,
                     stack_outputs: Path | None, buckets: tuple[str, ...], purposes: tuple[str, ...],
                     endpoint_url: str | None, region: str | None, fmt: str, output: Path | None) -> None:
    """List the receipts of exports, erasures and holds in the evidence bucket, oldest first.

    Each action shows its intent and, once done, its outcome; an intent without an outcome is an
    action interrupted or whose outcome could not be written. Needs the evidence reader role.

    Example: recgov subject receipts --stack-outputs outputs.json --format markdown
    """
    ids = check_call_ids(call_ids) if call_ids else ()
    ctx = make_context(policy_path, stack_config, stack_outputs, buckets, endpoint_url, region)
    rows = receipt_rows(ctx)
    if ids:
        rows = [r for r in rows if set(ids) & set(r["call_ids"])]
    doc = document("subject receipts", ctx.policy.digest, ctx.target_text, ids, rows,
                   {"receipts": len(rows), "without_outcome": sum(r["status"] == "no outcome" for r in rows)})
    show(doc, ("started_at", "action", "call_ids", "reason", "case", "caller", "versions", "status", "receipt_id"),
         fmt, output)
    sys.exit(int(ExitCode.COMPLIANT))


def stored_receipts(ctx: Context) -> list[dict[str, Any]]:
    """The paired receipts, read as the evidence reader, or exit."""
    try:
        s3, bucket = ctx.receipt_reader(caller_of(ctx))
        return pair(list(read_receipts(s3, bucket)))
    except ContextError as err:
        fail(str(err), ExitCode.USAGE if err.usage else ExitCode.INCOMPLETE)
    except ReceiptError as err:
        fail(str(err), ExitCode.INCOMPLETE)


def receipt_rows(ctx: Context) -> list[dict[str, Any]]:
    """One row per action for the receipts listing."""
    rows = []
    for p in stored_receipts(ctx):
        doc = p["outcome"] or p["intent"]
        rows.append({
            "receipt_id": p["receipt_id"], "action": doc.get("action"), "started_at": doc.get("started_at"),
            "call_ids": doc.get("call_ids", []), "reason": doc.get("reason"), "case": doc.get("case"),
            "caller": (doc.get("caller") or {}).get("arn"), "versions": len(doc.get("versions", [])),
            "status": (p["outcome"] or {}).get("result", {}).get("status", "no outcome") if p["outcome"]
            else "no outcome",
            "intent": p["intent"] and p["intent"]["key"], "outcome": p["outcome"] and p["outcome"]["key"],
        })
    return rows


# --- hold ---------------------------------------------------------------------------------------


@click.group("hold")
def hold_group() -> None:
    """Legal holds for disputes on a call's recordings, with the case kept in the receipts."""


CASE_OPTION = click.option("--case", required=True, metavar="REF", help="The dispute's case reference.")


def _hold(call_ids: tuple[str, ...], case: str, on: bool, receipt_role: str | None, policy_path: Path | None,
          stack_config: Path | None, stack_outputs: Path | None, buckets: tuple[str, ...],
          purposes: tuple[str, ...], endpoint_url: str | None, region: str | None, fmt: str,
          output: Path | None) -> None:
    ids = call_ids_of(call_ids)
    if not case.strip() or "\x00" in case or len(case) > 256:
        fail("--case must name the dispute (a reference of at most 256 characters).", ExitCode.USAGE)
    ctx = make_context(policy_path, stack_config, stack_outputs, buckets, endpoint_url, region)
    caller = caller_of(ctx)
    acting = acting_clients(ctx, caller, purposes, roles.DISPUTE, "placing or releasing legal holds",
                            lambda p: traits(p).legal_hold)
    found = search(ctx, ids, purposes, locks=False, clients=acting.clients)
    require_found(found, ids, "held" if on else "released")
    chosen = [v for v in found.versions if holdable(v)]
    skipped = [v for v in found.versions if not holdable(v)]
    action = "hold-place" if on else "hold-release"
    if not chosen:
        fail(f"no version of call {', '.join(ids)} is in a purpose with a dispute team "
             f"({not_holdable_reason(found.versions[0])}); nothing was {'held' if on else 'released'}.",
             ExitCode.INCOMPLETE)
    keep_for: dict[tuple[str, str, str], list[str]] = {}
    if not on:
        held = open_holds(stored_receipts(ctx))
        keep_for = {ident: [c.case for c in cases if c.case != case] for ident, cases in held.items()}
    receipt = start_receipt(ctx, caller, receipt_role, action, ids, [v.as_dict() for v in chosen], case=case,
                            acting=acting.principals)
    outcome = HoldOutcome()
    for purpose, group in by_purpose(chosen).items():
        part = set_hold(acting.clients[purpose], group, on, keep_for)
        outcome.done += part.done
        outcome.kept += part.kept
        outcome.failed += part.failed
    done = {v.ident for v in outcome.done}
    kept = {v.ident: others for v, others in outcome.kept}
    rows = []
    for v in chosen:
        result = ("held" if on else "released") if v.ident in done else ("kept" if v.ident in kept else "failed")
        rows.append(v.as_dict() | {"case": case, "result": result, "other_cases": kept.get(v.ident, [])})
    rows += [v.as_dict() | {"case": case, "result": "not held", "reason": not_holdable_reason(v)} for v in skipped]
    written = finish_receipt(receipt, rows, {"status": "done" if not outcome.failed else "incomplete",
                                             "problems": outcome.failed})
    doc = document(f"hold {'place' if on else 'release'}", ctx.policy.digest, ctx.target_text, ids, rows,
                   {"done": len(outcome.done), "kept_for_other_cases": len(outcome.kept),
                    "failed": len(outcome.failed), "not_held": len(skipped)},
                   [*outcome.failed, f"case {case}; receipt {receipt.receipt_id}"])
    show(doc, ("call_id", "purpose", "kind", "key", "version_id", "result", "other_cases", "reason"), fmt, output)
    sys.exit(int(ExitCode.COMPLIANT if not outcome.failed and written else ExitCode.INCOMPLETE))


@hold_group.command("place")
@CALL_ID_OPTION
@CASE_OPTION
@RECEIPT_ROLE_OPTION
@target_options
def hold_place(call_ids: tuple[str, ...], case: str, **kwargs: Any) -> None:
    """Place a legal hold on every version of the calls' recordings and derived copies.

    Only purposes with a dispute team hold (proof, under the packaged registry); the case reference
    is kept in the receipts. Acts as the dispute team (the caller's role, or assumed). Exit 0 held,
    2 bad input, 3 not done.

    Example: recgov hold place --call-id CALL-1 --case DISPUTE-2025-044 --stack-outputs outputs.json
    """
    _hold(call_ids, case, True, **kwargs)


@hold_group.command("release")
@CALL_ID_OPTION
@CASE_OPTION
@RECEIPT_ROLE_OPTION
@target_options
def hold_release(call_ids: tuple[str, ...], case: str, **kwargs: Any) -> None:
    """Release a case's legal hold on the calls' versions; a version another open case holds keeps it.

    Example: recgov hold release --call-id CALL-1 --case DISPUTE-2025-044 --stack-outputs outputs.json
    """
    _hold(call_ids, case, False, **kwargs)


@hold_group.command("list")
@target_options
def hold_list(policy_path: Path | None, stack_config: Path | None, stack_outputs: Path | None,
              buckets: tuple[str, ...], purposes: tuple[str, ...], endpoint_url: str | None, region: str | None,
              fmt: str, output: Path | None) -> None:
    """The open legal holds: each held version with its cases and their age, checked against S3.

    Cases come from the hold receipts; each version's legal hold is read again and a version whose
    hold is no longer ON is reported. Holds placed outside recgov are in audit-objects' legal-hold
    register. Run by the dispute team (the receipts are read as the evidence reader, assumed).
    Exit 0, 3 when a hold could not be confirmed.

    Example: recgov hold list --stack-outputs outputs.json
    """
    ctx = make_context(policy_path, stack_config, stack_outputs, buckets, endpoint_url, region)
    held = open_holds(stored_receipts(ctx))
    caller = caller_of(ctx)
    clients = acting_clients(ctx, caller, purposes, roles.DISPUTE, "reading legal holds",
                             lambda p: traits(p).legal_hold).clients
    purpose_of = {t.bucket: t.purpose for t in ctx.targets}
    rows, notes = [], []
    for (bucket, key, version), cases in sorted(held.items()):
        s3 = clients.get(purpose_of.get(bucket, EVIDENCE)) or ctx.client("s3")
        status = hold_status(s3, bucket, key, version)
        if status != "ON":
            notes.append(f"s3://{bucket}/{key} version {version}: the receipts hold it for "
                         f"{', '.join(c.case for c in cases)} but S3 says the legal hold is {status}.")
        rows.append({"bucket": bucket, "key": key, "version_id": version, "cases": [c.case for c in cases],
                     "since": min(c.since for c in cases), "age_days": max_age(cases), "legal_hold": status})
    doc = document("hold list", ctx.policy.digest, ctx.target_text, (), rows,
                   {"held_versions": len(rows), "cases": len({c.case for cs in held.values() for c in cs})}, notes)
    show(doc, ("cases", "since", "age_days", "legal_hold", "bucket", "key", "version_id"), fmt, output)
    sys.exit(int(ExitCode.INCOMPLETE if notes else ExitCode.COMPLIANT))


def max_age(cases: Sequence[CaseHold]) -> int | None:
    """The age in days of the oldest case holding a version."""
    ages = [a for a in (age_days(c.since) for c in cases) if a is not None]
    return max(ages) if ages else None


def hold_status(s3: Any, bucket: str, key: str, version: str) -> str:
    """``ON``, ``OFF``, ``gone`` or ``unreadable (<code>)``."""
    from botocore.exceptions import BotoCoreError, ClientError

    from governance.subject.find import error_code

    try:
        return str(s3.get_object_legal_hold(Bucket=bucket, Key=key, VersionId=version)["LegalHold"]["Status"])
    except ClientError as err:
        code = error_code(err)
        return "gone" if code in ("NoSuchKey", "NoSuchVersion") else "OFF" if code == "NoSuchObjectLockConfiguration" \
            else f"unreadable ({code})"
    except BotoCoreError as err:
        return f"unreadable ({err})"


def by_purpose(items: Sequence[T]) -> dict[Purpose, list[T]]:
    """Versions (or plan steps) grouped by their purpose, in order: each purpose acts through its own role."""
    groups: dict[Purpose, list[T]] = {}
    for item in items:
        version = item.version if isinstance(item, Step) else item
        groups.setdefault(version.purpose, []).append(item)
    return groups


def register(main: click.Group) -> None:
    """Add ``subject`` and ``hold`` to ``recgov``."""
    main.add_command(subject_group)
    main.add_command(hold_group)

