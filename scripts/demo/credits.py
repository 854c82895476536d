"""Credits from a SIMULATED retrofit: M&V savings → Final Savings result → verification → issuance →
market → retirement, so the credit, market and retirement pages and the big screen have something true to show.

The published factor sets cover 2022 only, so the simulated compound is given a simulated retrofit inside
2022: the seed's smart LED lighting (at least 25 % less lighting energy) on every lighting load from
RETROFIT_DATE (scripts/demo/compound.py; the simulator's `led_lighting_retrofit`). The real compound's
lighting retrofits were done in 2020–2021; these savings exist only in the simulation, and every document
and line printed says so.

M&V is `zcl savings submit`'s (ledger/accounting/savings_report.py, IPMVP option C): the compound's metered
grid electricity per calendar month, January–June 2022 as the baseline, regressed on cooling and heating
degree-days (base 18 °C, from the simulator's Chengdu weather: the drivers the meters do not measure),
against each whole month from the retrofit to the end of the replay; factor set cn-public-institution@2022.1.

Parties (anvil development accounts): the institution's admin (4) submits the Savings result; the district's
verifier (2) makes it Final and, holding CarbonCredit's VERIFIER_ROLE, approves the verification citing it;
the credit registry's issuer (7) registers the project and issues the verified tonnes to the institution;
the institution lists half; a buyer (3) buys half of the listing (a partial fill) and retires half of what it
bought, with itself as the beneficiary. Every step goes through ledger.chain's clients, as the CLI does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal

from eth_utils import keccak

from ledger.accounting.errors import AccountingError
from ledger.accounting.factors import Period
from ledger.accounting.published import CN_PUBLIC_INSTITUTION_2022, PUBLIC_INSTITUTION_INVENTORY
from ledger.accounting.quantities import Quantity
from ledger.accounting.savings_report import ObservationPeriod, SavingsReport, build_savings_report
from ledger.chain.clients import LedgerContracts
from ledger.chain.codes import decode_token_id
from ledger.chain.credits import CreditContracts
from ledger.chain.devchain import dev_key
from ledger.evidence import EvidenceStore
from oracles.simulation import climate

from scripts.demo.clock import DEMO_YEAR, YEAR_END, YEAR_START
from scripts.demo.compound import RETROFIT, CompoundNodes

INSTITUTION_KEY, BUYER_KEY, ISSUER_KEY = dev_key(4), dev_key(3), dev_key(7)
DRIVERS = ("cdd", "hdd")
DEGREE_DAY_BASE = 18.0  # °C
CREDIT_STANDARD, CREDIT_METHODOLOGY = "ZCL-VERIFIED-SAVINGS", "ZCL-MV-OPTION-C-v1"
PRICE_PER_TONNE = 130  # settlement tokens; the seed's 130 CNY per tonne
SIMULATED = "SIMULATED"
DESCRIPTION = (f"{SIMULATED} retrofit (zcl demo): smart LED lighting on every lighting load of the simulated "
               f"Xihuamen compound from {RETROFIT.effective.isoformat()}, {RETROFIT.share * 100:.0f} % less lighting "
               "energy (the seed's 智能照明 LED 灯具 figure). The readings are simulated; the savings exist only in "
               "the simulation.")


@dataclass(frozen=True)
class CreditsFlow:
    """What the credit workflow did, in the figures the console and the marker file show."""

    savings_result_id: int
    report_cid: str
    reporting_first_day: str
    reporting_last_day: str
    avoided_kwh: str
    savings_kgco2e: str
    savings_tonnes: int  # whole tonnes the contract books for the result
    verified: int
    issued: int
    token_id: str
    listing_id: int
    listed: int
    bought: int
    retired: int
    certificate_id: int
    r_squared: str
    cv_rmse: str

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def _months(first: date, last: date) -> list[Period]:
    """The whole calendar months from `first` (a 1st) ending on or before `last`."""
    months, month = [], Period.month(first.year, first.month)
    while month.end <= last:
        months.append(month)
        after = month.end + timedelta(days=1)
        month = Period.month(after.year, after.month)
    return months


def degree_days(period: Period) -> dict[str, Quantity]:
    """Cooling and heating degree-days of the simulated compound's weather over `period` (daily means)."""
    cdd = hdd = 0.0
    day = period.start
    while day <= period.end:
        mean = climate.daily_mean_temperature(day)
        cdd += max(0.0, mean - DEGREE_DAY_BASE)
        hdd += max(0.0, DEGREE_DAY_BASE - mean)
        day += timedelta(days=1)
    return {"cdd": Quantity(f"{cdd:.2f}", "K·d"), "hdd": Quantity(f"{hdd:.2f}", "K·d")}


def mv_periods(last_day: date) -> tuple[list[ObservationPeriod], list[ObservationPeriod]]:
    """Baseline months (1 January to the day before the retrofit) and reporting months (whole months from
    the retrofit up to `last_day`), each with its degree-days; no reporting month → empty list."""
    baseline = _months(date(DEMO_YEAR, 1, 1), RETROFIT.effective - timedelta(days=1))
    reporting = _months(RETROFIT.effective, last_day)
    return ([ObservationPeriod(p, degree_days(p)) for p in baseline],
            [ObservationPeriod(p, degree_days(p)) for p in reporting])


def savings_report(contracts: LedgerContracts, evidence: EvidenceStore, institution: int,
                   last_day: date) -> SavingsReport:
    """The M&V report of the simulated retrofit; AccountingError when there is no whole reporting month
    yet or the baseline model fails its acceptance criteria."""
    baseline, reporting = mv_periods(last_day)
    if not reporting:
        raise AccountingError(f"the simulated retrofit of {RETROFIT.effective} has no whole month of readings after "
                              f"it yet (the replay reaches {last_day}); credits need one")
    return build_savings_report(contracts, evidence, institution, institution, baseline, reporting, list(DRIVERS),
                                PUBLIC_INSTITUTION_INVENTORY, CN_PUBLIC_INSTITUTION_2022, description=DESCRIPTION)


def run_credits(admin: LedgerContracts, verifier: LedgerContracts, connect_as: Callable[[str], LedgerContracts],
                evidence: EvidenceStore, nodes: CompoundNodes, last_day: date) -> CreditsFlow:
    """The whole flow on the chain (see the module's docstring); AccountingError before anything is sent
    when the M&V report cannot be made. `admin` is governance; `verifier` the district's verifier."""
    institution = nodes.institution
    report = savings_report(admin, evidence, institution, last_day)
    owner, buyer, issuer = connect_as(INSTITUTION_KEY), connect_as(BUYER_KEY), connect_as(ISSUER_KEY)

    # the Savings result, as `zcl savings submit` makes it, made Final by the district's verifier
    report_cid = evidence.add(report.encode())
    result_id = owner.accounting.submit_savings(institution, institution, report.result_input(report_cid))
    verifier.accounting.verify(result_id, True, evidence.add(
        (f"Verification statement ({SIMULATED} savings, zcl demo): savings result {result_id} of institution "
         f"{institution} re-derived from report {report_cid} and its {len(report.batch_roots)} input batches; "
         "baseline model meets its criteria; approved.\n").encode()))

    # the credit class, project and roles (governance and the registry's issuer)
    gov, registry = CreditContracts.of(admin), CreditContracts.of(issuer)
    verifier_address = verifier.accounting.chain.account.address
    gov.credits.grant_role("verifier", verifier_address)
    gov.credits.grant_role("issuer", issuer.accounting.chain.account.address)
    class_id = gov.credits.create_class(CREDIT_STANDARD, CREDIT_METHODOLOGY, False).id
    project_id = registry.credits.register_project(
        class_id, institution, f"Xihuamen LED lighting retrofit ({SIMULATED}, zcl demo)").id

    # the verification body approves what the Savings result allows; the issuer issues all of it
    booking = gov.credits.savings(result_id)
    statement = evidence.add(
        (f"Credit verification ({SIMULATED} savings, zcl demo): project {project_id}, vintage {DEMO_YEAR}, "
         f"{booking.savings_tonnes} t verified against Final savings result {result_id} "
         f"({report.savings.emissions.rounded} avoided, report {report_cid}).\n").encode())
    verification = keccak(text=statement)  # `zcl credits verify`'s default id: the evidence CID, hashed
    CreditContracts.of(verifier).credits.approve_verification(verification, project_id, DEMO_YEAR,
                                                              booking.savings_tonnes, statement, result_id)
    owner_address = owner.accounting.chain.account.address
    issued = registry.credits.issue(verification, owner_address, booking.savings_tonnes)

    # the market: the institution lists half; the buyer takes half of the listing and retires half of that
    seller, purchaser = CreditContracts.of(owner), CreditContracts.of(buyer)
    listed = max(1, issued.serials.count // 2)
    bought = max(1, listed // 2)
    retired = max(1, bought // 2)
    price = PRICE_PER_TONNE * 10 ** gov.settlement.decimals()
    seller.ensure_market_approval()
    listing = seller.market.list_units(issued.token_id, listed, price).listing
    buyer_address = buyer.accounting.chain.account.address
    gov.settlement.mint(buyer_address, bought * price)
    purchaser.ensure_allowance(bought * price)
    purchaser.market.buy(listing.listing_id, bought)
    retirement = purchaser.credits.retire(
        issued.token_id, retired, beneficiary=buyer_address,
        reason=f"Voluntary offset of the buyer's {DEMO_YEAR} emissions (zcl demo; credits of {SIMULATED} savings)",
        period_start=YEAR_START, period_end=YEAR_END)

    s = report.savings
    return CreditsFlow(
        savings_result_id=result_id, report_cid=report_cid,
        reporting_first_day=report.period.start.isoformat(), reporting_last_day=report.period.end.isoformat(),
        avoided_kwh=str(s.avoided_energy.value), savings_kgco2e=str(s.emissions.rounded.value),
        savings_tonnes=booking.savings_tonnes, verified=gov.credits.verification(verification).verified_tonnes,
        issued=issued.serials.count, token_id=str(issued.token_id), listing_id=listing.listing_id, listed=listed,
        bought=bought, retired=retirement.tonnes, certificate_id=retirement.certificate_id,
        r_squared=str(round(Decimal(s.model.r_squared.numerator) / Decimal(s.model.r_squared.denominator), 4)),
        cv_rmse=str(s.model.cv_rmse()))


def summary(flow: CreditsFlow) -> list[str]:
    """Two lines for the console: the savings and what became of them, labelled as simulated."""
    tonnes = Decimal(flow.savings_kgco2e) / 1000
    return [f"credits ({SIMULATED} LED lighting retrofit from {RETROFIT.effective}): savings result "
            f"{flow.savings_result_id} for {flow.reporting_first_day} → {flow.reporting_last_day}: "
            f"{Decimal(flow.avoided_kwh):,} kWh avoided = {tonnes:,.3f} tCO2e (R² {flow.r_squared}, "
            f"CV(RMSE) {flow.cv_rmse})",
            f"credits: {flow.verified} t verified, {flow.issued} t issued as token {_label(int(flow.token_id))}, "
            f"{flow.listed} t listed at {PRICE_PER_TONNE}/t, {flow.bought} t bought, {flow.retired} t retired "
            f"(certificate {flow.certificate_id})"]


def _label(token: int) -> str:
    class_id, project_id, vintage = decode_token_id(token)
    return f"{class_id}/{project_id}/{vintage}"
