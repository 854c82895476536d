"""`zcl certify …`: published criteria, applications, approvals district → city → province, and a
certificate's status. Every verdict comes from the registry's one on-chain evaluation."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import typer
from eth_utils import keccak
from rich.table import Table

from ledger.calendar import DATE_HELP
from ledger.chain.certification import ApplicationInput, CertificationClient, Evaluation, StatusChange
from ledger.chain.codes import GRAMS_PER_TONNE
from zcl import context as ctx
from zcl.context import console, reports_errors
from zcl.credit_args import level_name, parse_address, parse_level, parse_time, tx_line, when

certify_app = typer.Typer(help="Certification of institutions: criteria, applications, approvals, status.",
                          no_args_is_help=True)


def _client() -> CertificationClient:
    return CertificationClient.of(ctx.contracts())


def _percent(bps: int) -> str:
    return f"{Decimal(bps).scaleb(-2).normalize():,f} %"


def _tonnes(grams: int) -> str:
    """gCO2e as tonnes, exactly (integer arithmetic; a remainder shows all six decimals)."""
    sign, (whole, rest) = "-" if grams < 0 else "", divmod(abs(grams), GRAMS_PER_TONNE)
    return f"{sign}{whole:,}.{rest:06d} t" if rest else f"{sign}{whole:,} t"


@certify_app.command("criteria")
@reports_errors
def criteria(
    level: str = typer.Argument(..., help="low-carbon, near-zero-carbon or zero-carbon"),
    publish: bool = typer.Option(False, "--publish", help="Publish a new version (governance key)."),
    max_net_tonnes: int = typer.Option(None, help="Highest net emissions allowed, whole tonnes (0 for zero-carbon)."),
    min_reduction_bps: int = typer.Option(0, help="Intensity reduction against the baseline, basis points (3000 = 30 %)."),
    validity_days: int = typer.Option(365, help="How long a certification stays valid."),
    rules: Path = typer.Option(None, help="The published rules document; stored as evidence, its keccak-256 on chain."),
) -> None:
    """Show a level's latest criteria, or publish a new version of them."""
    client = _client()
    parsed = parse_level(level)
    if publish:
        if max_net_tonnes is None or rules is None:
            raise ctx.fail("--publish needs --max-net-tonnes and --rules")
        if not 0 <= min_reduction_bps <= 10_000 or validity_days <= 0:
            raise ctx.fail("--min-reduction-bps must be 0..10000 and --validity-days positive")
        try:
            document = rules.read_bytes()
        except OSError as exc:
            raise ctx.fail(f"cannot read {rules}: {exc.strerror}") from None
        cid = ctx.evidence_store().add(document)
        published = client.publish_criteria(parsed, max_net_tonnes * GRAMS_PER_TONNE, min_reduction_bps,
                                            validity_days * 86_400, keccak(document), cid)
        console.print(tx_line(f"{level_name(parsed)} criteria version {published.version} published", published.tx))
    c = client.criteria(parsed)
    table = Table(title=f"{level_name(parsed)} criteria v{c.version}", show_header=False)
    table.add_row("net emissions at most", _tonnes(c.max_net_emissions) if c.max_net_emissions < 2**126 else "any")
    table.add_row("intensity reduction at least", f"{_percent(c.min_reduction_bps)} against a baseline"
                  if c.min_reduction_bps else "none required")
    table.add_row("validity", f"{c.validity // 86_400:,} days")
    table.add_row("rules", f"{c.rules_cid} (keccak 0x{c.rules_hash.hex()})")
    console.print(table)


@certify_app.command("require-level")
@reports_errors
def require_level(region: int, required: bool = typer.Option(..., "--required/--waived")) -> None:
    """Require or waive a region's approval stage for applications filed from now on."""
    client = _client()
    tx = client.set_level_required(region, required)
    console.print(tx_line(f"region {region} {'must approve' if required else 'waived'}", tx))
    console.print(f"region {region} required: {client.is_level_required(region)}")


def _input(institution: int, level: str, result: int, baseline: int, activity: int, baseline_activity: int,
           document: str) -> ApplicationInput:
    if min(institution, result, baseline, activity, baseline_activity) < 0:
        raise ctx.fail("ids and activities cannot be negative")
    return ApplicationInput(institution, parse_level(level), result, baseline, activity, baseline_activity, document)


@certify_app.command("apply")
@reports_errors
def apply(
    institution: int = typer.Option(...),
    level: str = typer.Option(..., help="low-carbon, near-zero-carbon or zero-carbon"),
    result: int = typer.Option(..., help="Final institution-wide accounting result; its period is the claim's."),
    baseline: int = typer.Option(0, help="Earlier Final result, when the criteria ask for a reduction."),
    activity: int = typer.Option(0, help="Intensity denominator in the period (e.g. floor area m²)."),
    baseline_activity: int = typer.Option(0, help="The same measure in the baseline period."),
    document: str = typer.Option(..., help="CID of the application dossier."),
) -> None:
    """File an application as the signing account (an admin of the institution)."""
    client = _client()
    application = _input(institution, level, result, baseline, activity, baseline_activity, document)
    evaluation = client.evaluate(application, client.me)
    _print_evaluation(evaluation, "evaluation before filing")
    filed = client.apply(application)
    console.print(tx_line(f"application {filed.application_id} filed (criteria v{filed.criteria_version}, "
                          f"claim 0x{filed.claim_id.hex()})", filed.tx))
    _print_status(client, filed.application_id, None)


@certify_app.command("decide")
@reports_errors
def decide(application_id: int = typer.Argument(..., metavar="APPLICATION"),
           approve: bool = typer.Option(..., "--approve/--reject"),
           reason: str = typer.Option(...), document: str = typer.Option(..., help="CID of the decision document.")) -> None:
    """Approve or reject the application's current stage, as a direct admin of that stage's region."""
    client = _client()
    decision = client.decide(application_id, approve, reason, document)
    verdict = "approved" if decision.approved else "rejected"
    console.print(tx_line(f"stage {decision.stage + 1} (region {decision.region_id}) {verdict}", decision.tx))
    if decision.certified_until is not None:
        console.print(f"[green]certified[/green] from {when(decision.certified_from)} until "
                      f"{when(decision.certified_until)}")
    _print_status(client, application_id, None)


@certify_app.command("status")
@reports_errors
def status(application_id: int = typer.Argument(..., metavar="APPLICATION"),
           at: str = typer.Option(None, help=f"Check validity at this date or date-time ({DATE_HELP}; default: the latest block's time)."),
           as_json: bool = typer.Option(False, "--json")) -> None:
    """An application's status, approval chain and decisions; whether it is certified at a moment."""
    client = _client()
    moment = parse_time(at, "--at") if at else int(client.chain.w3.eth.get_block("latest")["timestamp"])
    if as_json:
        a = client.application(application_id)
        console.print_json(json.dumps({
            "application": application_id, "institution": a.institution_id, "level": level_name(a.level),
            "status": client.status(application_id).name.lower(), "approvals": a.approvals, "stages": a.stages,
            "approval_chain": client.approval_chain(application_id), "valid_from": a.valid_from,
            "valid_until": a.valid_until, "certified_at": {str(moment): client.is_certified_at(application_id, moment)},
            "claim_id": "0x" + a.claim_id.hex()}))
        return
    _print_status(client, application_id, moment)


def _transition(name: str, application_id: int, reason: str) -> None:
    client = _client()
    change: StatusChange = getattr(client, name)(application_id, reason)
    console.print(tx_line(f"application {application_id}: {change.before.name.lower()} → {change.after.name.lower()}",
                          change.tx))
    _print_status(client, application_id, None)


@certify_app.command("suspend")
@reports_errors
def suspend(application_id: int = typer.Argument(..., metavar="APPLICATION"), reason: str = typer.Option(...)) -> None:
    """Certified → suspended (a regulator of the approval chain)."""
    _transition("suspend", application_id, reason)


@certify_app.command("reinstate")
@reports_errors
def reinstate(application_id: int = typer.Argument(..., metavar="APPLICATION"), reason: str = typer.Option(...)) -> None:
    """Suspended → certified; the validity period is unchanged."""
    _transition("reinstate", application_id, reason)


@certify_app.command("revoke")
@reports_errors
def revoke(application_id: int = typer.Argument(..., metavar="APPLICATION"), reason: str = typer.Option(...)) -> None:
    """Certified or suspended → revoked, for good."""
    _transition("revoke", application_id, reason)


@certify_app.command("evaluate")
@reports_errors
def evaluate(
    application_id: int = typer.Argument(None, metavar="[APPLICATION]"),
    institution: int = typer.Option(None, help="Evaluate a prospective application instead of a filed one."),
    level: str = typer.Option(None),
    result: int = typer.Option(None),
    baseline: int = typer.Option(0),
    activity: int = typer.Option(0),
    baseline_activity: int = typer.Option(0),
    applicant: str = typer.Option(None, help="Whose retirement counts; default the signing account."),
) -> None:
    """Run the registry's evaluation: a filed application as an approval would now, or a prospective one.

    Exit 1 when the criteria are not met.
    """
    client = _client()
    if application_id is not None:
        evaluation = client.evaluate_application(application_id)
        title = f"application {application_id}"
    else:
        if institution is None or level is None or result is None:
            raise ctx.fail("give an APPLICATION id, or --institution, --level and --result")
        application = _input(institution, level, result, baseline, activity, baseline_activity, "")
        evaluation = client.evaluate(application, parse_address(applicant, "--applicant") if applicant else client.me)
        title = f"institution {institution}, {level_name(application.level)}"
        claim = client.claim_id_of(institution, application.level, *_period_of(result))
        console.print(f"claim 0x{claim.hex()}: back it with `zcl retire --for-certification "
                      f"{institution}:{level_name(application.level)}` over the result's period", highlight=False)
    _print_evaluation(evaluation, title)
    if not evaluation.meets_criteria:
        raise typer.Exit(int(ctx.ExitCode.FINDINGS))


def _period_of(result_id: int) -> tuple[int, int]:
    record = ctx.contracts().accounting.result(result_id)
    return record.period_start, record.period_end


def _print_evaluation(e: Evaluation, title: str) -> None:
    table = Table(title=title, show_header=False)
    table.add_row("emissions (scope 1+2+3)", _tonnes(e.emissions))
    table.add_row("retired for the claim", f"{_tonnes(e.retired)} (certificate {e.certificate_id or '-'})")
    table.add_row("net emissions", _tonnes(e.net_emissions))
    table.add_row("intensity reduction", _percent(e.reduction_bps))
    table.add_row("meets the criteria", "[green]yes[/green]" if e.meets_criteria else "[red]no[/red]")
    console.print(table)


def _print_status(client: CertificationClient, application_id: int, moment: int | None) -> None:
    a = client.application(application_id)
    current = client.status(application_id)
    table = Table(title=f"application {application_id}", show_header=False)
    table.add_row("institution / level", f"{a.institution_id} / {level_name(a.level)} (criteria v{a.criteria_version})")
    table.add_row("status", current.name.lower())
    table.add_row("period", f"{when(a.period_start)} – {when(a.period_end)}")
    table.add_row("results (current / baseline)", f"{a.result_id} / {a.baseline_result_id or '-'}")
    table.add_row("applicant", a.applicant)
    table.add_row("approvals", f"{a.approvals} of {a.stages}")
    if a.valid_from:
        table.add_row("valid", f"{when(a.valid_from)} – {when(a.valid_until)}")
    if moment is not None:
        table.add_row(f"certified at {when(moment)}", "yes" if client.is_certified_at(application_id, moment) else "no")
    console.print(table)
    chain = client.approval_chain(application_id)
    decisions = {d.stage: d for d in client.decisions(application_id) if d.approved}
    rejected = [d for d in client.decisions(application_id) if not d.approved]
    stages = Table(title="approval chain (nearest region first)")
    for column in ("stage", "region", "decision", "by", "reason", "document"):
        stages.add_column(column)
    for i, region in enumerate(chain):
        d = decisions.get(i) or next((r for r in rejected if r.stage == i), None)
        stages.add_row(str(i + 1), str(region), ("approved" if d.approved else "rejected") if d else "waiting",
                       d.regulator if d else "", d.reason if d else "", d.document_cid if d else "")
    console.print(stages)
