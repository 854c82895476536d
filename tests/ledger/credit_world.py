"""A credit and certification world on a real anvil, shared by the client and CLI tests.

Parties (anvil's development accounts, each with its own connection and clients):

    gov        account 0  governance of every contract; admin of the province (the root)
    verifier   account 1  CarbonCredit VERIFIER_ROLE; AccountingLedger verifier of the district
    issuer     account 2  CarbonCredit ISSUER_ROLE
    holder     account 3  admin of the institution: receives its credits, files applications
    buyer      account 4  holds settlement tokens
    district   account 5  direct admin of the district      city  account 6  of the city
    outsider   account 7  direct admin of another district of the same city

Catalogue (ids in creation order): class 1 ZCL-VERIFIED-SAVINGS / ZCL-MV-OPTION-C-v1 (internal),
class 2 VCS / VM0038 (external); project 1 the institution's own savings (class 1), project 2 a VCS
project outside the tree (class 2). Settlement: 1,000,000 tokens (6 decimals) each to holder and buyer.
Verifications of project 1 cite the institution's Final 2024 Savings result (`own_savings`, made on
first use: 10,000 t, so it takes the next AccountingLedger id).

Calendar: one, China Standard Time (ledger.calendar). Savings results span CST years (SAVINGS_2024,
ledger.accounting.metered's period_bounds), the calendar CarbonCredit reads a vintage in, so the 2024 savings
meet vintage 2024 only. START_2023..START_2025 are CST new years too, read by ledger.calendar.parse_instant as
`zcl retire --from 2024-01-01 --to 2025-01-01` and the web forms read them: the Emissions results
certification applications cite and the retirement claim periods lie on the same year boundaries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak

from ledger.accounting.factors import Period
from ledger.accounting.metered import period_bounds
from ledger.calendar import parse_instant
from ledger.chain.certification import CertificationClient
from ledger.chain.clients import LedgerContracts, NodeKind, ResultInput
from ledger.chain.codes import CertificationLevel, token_id
from ledger.chain.connection import Chain, connect
from ledger.chain.credits import CreditContracts
from ledger.chain.deployment import Deployment
from ledger.chain.devchain import dev_key
from ledger.config import Settings

CID = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"
DOC = "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
VINTAGE = 2024
TOKEN = 10**6  # settlement token smallest units per token (6 decimals)
PRICE = 130 * TOKEN  # the seed's 130 CNY per tonne
START_2023, START_2024, START_2025 = (parse_instant(f"{year}-01-01") for year in (2023, 2024, 2025))  # CST
SAVINGS_2024, SAVINGS_2025 = period_bounds(Period.year(2024)), period_bounds(Period.year(2025))  # CST [start, end)
YEAR = 365 * 86_400
AREA = 10_000
SAVINGS_CLASS, VCS_CLASS = 1, 2
OWN_PROJECT, VCS_PROJECT = 1, 2
OWN_TOKEN = token_id(SAVINGS_CLASS, OWN_PROJECT, VINTAGE)
MAX_NET = 2**127 - 1



def verification_id(label: str) -> bytes:
    return keccak(text=f"verification:{label}")


@dataclass
class Party:
    address: str
    key: str
    chain: Chain
    ledger: LedgerContracts
    credits: CreditContracts
    certification: CertificationClient


class CreditWorld:
    """Every party connected to one deployment, with the catalogue and tree roles set up."""

    def __init__(self, gov: LedgerContracts, deployment: Deployment, tree: object, rpc_url: str, data_dir: Path) -> None:
        self.tree = tree
        self.deployment = deployment
        self.rpc_url = rpc_url
        self.gov = self._party(0, gov)
        (self.verifier, self.issuer, self.holder, self.buyer, self.district, self.city, self.outsider) = (
            self._party(i, None, data_dir) for i in range(1, 8))
        orgs = self.gov.ledger.organizations
        self.other_district = orgs.create_node(tree.city, NodeKind.REGION, "Jinjiang")
        for node, party in ((tree.institution, self.holder), (tree.district, self.district), (tree.city, self.city),
                            (self.other_district, self.outsider)):
            orgs.add_admin(node, party.address)
        credits = self.gov.credits
        credits.credits.grant_role("verifier", self.verifier.address)
        credits.credits.grant_role("issuer", self.issuer.address)
        credits.credits.create_class("ZCL-VERIFIED-SAVINGS", "ZCL-MV-OPTION-C-v1", False)
        credits.credits.create_class("VCS", "VM0038", True)
        self.issuer.credits.credits.register_project(SAVINGS_CLASS, tree.institution, "Xihuamen retrofit savings")
        self.issuer.credits.credits.register_project(VCS_CLASS, 0, "VCS 4321 EV charging")
        for party in (self.holder, self.buyer):
            credits.settlement.mint(party.address, 1_000_000 * TOKEN)
        self._verifier_designated = False
        self._own_savings: int | None = None

    def designate_verifier(self) -> None:
        """The verifier party becomes an AccountingLedger verifier of the district (once)."""
        if not self._verifier_designated:
            self.gov.ledger.accounting.add_verifier(self.tree.district, self.verifier.address)
            self._verifier_designated = True

    def savings_result(self, tonnes: int, start: int = SAVINGS_2024[0], end: int = SAVINGS_2024[1],
                       label: str = "") -> int:
        """A Savings result of `tonnes` avoided by the institution over [start, end) (default China Standard
        Time's 2024), submitted by the holder, made Final."""
        self.designate_verifier()
        result_id = self.holder.ledger.accounting.submit_savings(
            self.tree.institution, self.tree.institution, result_input(start, end, tonnes, "savings" + label))
        self.verifier.ledger.accounting.verify(result_id, True, CID)
        return result_id

    @property
    def own_savings(self) -> int:
        """The institution's 2024 Savings result (10,000 t) that project 1's verifications cite."""
        if self._own_savings is None:
            self._own_savings = self.savings_result(10_000)
        return self._own_savings

    def _party(self, index: int, ledger: LedgerContracts | None, data_dir: Path | None = None) -> Party:
        if ledger is None:
            settings = Settings(rpc_url=self.rpc_url, data_dir=data_dir, private_key=dev_key(index), confirmations=1)
            ledger = LedgerContracts.attach(connect(settings), self.deployment)
        chain = ledger.organizations.chain
        return Party(chain.account.address, dev_key(index), chain, ledger, CreditContracts.of(ledger),
                     CertificationClient.of(ledger))

    def issue_own(self, tonnes: int, to: Party | None = None, verified: int | None = None, label: str = "own-2024"):
        """Verify `verified` (default `tonnes`) t of the institution's 2024 savings and issue `tonnes` to `to`."""
        vid = verification_id(label)
        self.verifier.credits.credits.approve_verification(vid, OWN_PROJECT, VINTAGE, verified or tonnes, CID,
                                                           self.own_savings)
        return self.issuer.credits.credits.issue(vid, (to or self.holder).address, tonnes)

    def final_results(self) -> tuple[int, int]:
        """Results 2023 (baseline, 1,000 t) and 2024 (300 t) of the institution, submitted by the holder
        and made Final by the district verifier; criteria v1 for low-carbon (≥ 30 %) and zero-carbon."""
        self.designate_verifier()
        ids = []
        for start, end, tonnes in ((START_2023, START_2024, 1_000), (START_2024, START_2025, 300)):
            result_id = self.holder.ledger.accounting.submit(self.tree.institution, self.tree.institution,
                                                             result_input(start, end, tonnes))
            self.verifier.ledger.accounting.verify(result_id, True, CID)
            ids.append(result_id)
        cert = self.gov.certification
        cert.publish_criteria(CertificationLevel.LOW_CARBON, MAX_NET, 3_000, YEAR, keccak(text="low v1"), CID)
        cert.publish_criteria(CertificationLevel.ZERO_CARBON, 0, 0, YEAR, keccak(text="zero v1"), CID)
        return ids[0], ids[1]


def result_input(start: int, end: int, tonnes: int, label: str = "") -> ResultInput:
    """A result of `tonnes` split 20/70/10 over scopes 1/2/3, in grams."""
    grams = tonnes * 10**6
    s1, s2 = grams * 2 // 10, grams * 7 // 10
    return ResultInput(start, end, keccak(text="zcl.ghg-inventory@1"), keccak(text="methodology"),
                       keccak(text="factors" + label), s1, s2, grams - s1 - s2, keccak(text="inputs" + label), 1, DOC)
