"""The credit benchmark's world: its parties (each signing with its own key), the log of the gas every
transaction used, the organisation tree, and the catalogue the benchmark's steps and range runs share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from eth_account import Account
from eth_utils import keccak
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from ledger.chain.certification import CertificationClient
from ledger.chain.clients import LedgerContracts, NodeKind, ResultInput
from ledger.chain.codes import MIN_VINTAGE
from ledger.chain.connection import Chain, connect
from ledger.chain.credits import CarbonCreditClient, CreditContracts, Project
from ledger.chain.deployment import Deployment
from ledger.config import Settings

T = TypeVar("T")

CID = "QmTrSfXB5akb3PXbifjwqBde7yz7gtjYj69udV4JXxctyk"  # what `ipfs add` prints for b"hello carbon ledger\n"
TOKEN = 10**6  # settlement token (6 decimals)
PRICE = 130 * TOKEN  # the seed's 130 CNY per tonne
YEAR = 365 * 86_400
START_2023, START_2024, START_2025 = 1_672_531_200, 1_704_067_200, 1_735_689_600
VINTAGE = 2024
PARTY_BALANCE_WEI = 10**24  # a million ether each, set with anvil_setBalance
PARTIES = ("verifier", "issuer", "holder", "buyer", "district", "city")


# --- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GasStep:
    group: str
    step: str
    gas: int
    seconds: float
    tx: str


@dataclass
class GasLog:
    """Every receipt the watched connections mined, so a client call that returns only an id still yields its gas."""

    receipts: list[TxReceipt] = field(default_factory=list)
    steps: list[GasStep] = field(default_factory=list)

    def watch(self, chain: Chain) -> Chain:
        send = chain.transact

        def transact(call: ContractFunction, gas: int | None = None) -> TxReceipt:  # the instance's, recorded
            receipt = send(call, gas)
            self.receipts.append(receipt)
            return receipt

        chain.transact = transact  # type: ignore[method-assign]
        return chain

    def one(self, group: str, step: str, action: Callable[[], T]) -> T:
        """Run `action`, which must send exactly one transaction, and record that transaction's gas."""
        before = len(self.receipts)
        start = time.perf_counter()
        value = action()
        seconds = time.perf_counter() - start
        sent = self.receipts[before:]
        if len(sent) != 1:
            raise RuntimeError(f"{step}: expected one transaction, the client sent {len(sent)}")
        receipt = sent[0]
        self.steps.append(GasStep(group, step, int(receipt["gasUsed"]), seconds,
                                  "0x" + bytes(receipt["transactionHash"]).hex()))
        return value


@dataclass
class Party:
    address: str
    ledger: LedgerContracts
    credits: CreditContracts
    certification: CertificationClient


@dataclass(frozen=True)
class Tree:
    province: int
    city: int
    district: int
    institution: int


@dataclass(frozen=True)
class Catalogue:
    """The institution's own project (its credits cite `savings`) and the external one (VCS)."""

    own: Project
    external: Project
    savings: int


# --- the world ------------------------------------------------------------------------------


def party_key(name: str) -> str:
    """A fixed key per role: bench accounts only, funded through anvil's cheat RPC."""
    return "0x" + keccak(text=f"zcl-bench-credits:{name}").hex()


def connect_party(rpc_url: str, data_dir: Path, key: str, log: GasLog) -> Chain:
    return log.watch(connect(Settings(rpc_url=rpc_url, data_dir=data_dir, private_key=key, confirmations=1)))


def party(chain: Chain, deployment: Deployment) -> Party:
    ledger = LedgerContracts.attach(chain, deployment)
    return Party(chain.account.address, ledger, CreditContracts.of(ledger), CertificationClient.of(ledger))


def result_input(start: int, end: int, tonnes: int, label: str) -> ResultInput:
    """A result of `tonnes` split 20/70/10 over scopes 1/2/3, in grams."""
    grams = tonnes * 10**6
    s1, s2 = grams * 2 // 10, grams * 7 // 10
    return ResultInput(start, end, keccak(text="zcl.ghg-inventory@1"), keccak(text="methodology"),
                       keccak(text="factors:" + label), s1, s2, grams - s1 - s2, keccak(text="inputs:" + label), 1, CID)


def vid(label: str) -> bytes:
    return keccak(text=f"bench-verification:{label}")


def parties_of(gov_chain: Chain, deployment: Deployment, rpc_url: str, data_dir: Path,
               log: GasLog) -> tuple[Party, dict[str, Party]]:
    """Governance (the deployer) and every party of PARTIES, funded through anvil's cheat RPC."""
    for name in PARTIES:
        address = Account.from_key(party_key(name)).address
        gov_chain.w3.provider.make_request("anvil_setBalance", [address, hex(PARTY_BALANCE_WEI)])
    return party(gov_chain, deployment), {name: party(connect_party(rpc_url, data_dir, party_key(name), log),
                                                      deployment) for name in PARTIES}


def build_tree(gov: Party, parties: dict[str, Party]) -> Tree:
    """province (governance) → city → district → institution; roles as tests/ledger/credit_world.py has them."""
    orgs = gov.ledger.organizations
    province = orgs.create_root(NodeKind.REGION, "Sichuan", gov.address)
    city = orgs.create_node(province, NodeKind.REGION, "Chengdu")
    district = orgs.create_node(city, NodeKind.REGION, "Qingyang")
    institution = orgs.create_node(district, NodeKind.INSTITUTION, "Xihuamen office compound")
    for node, name in ((institution, "holder"), (district, "district"), (city, "city")):
        orgs.add_admin(node, parties[name].address)
    gov.ledger.accounting.add_verifier(district, parties["verifier"].address)
    gov.credits.credits.grant_role("verifier", parties["verifier"].address)
    gov.credits.credits.grant_role("issuer", parties["issuer"].address)
    for name in ("holder", "buyer"):
        gov.credits.settlement.mint(parties[name].address, 10_000_000 * TOKEN)
    return Tree(province, city, district, institution)


def issue_vintages(verifier: CarbonCreditClient, issuer: CarbonCreditClient, project: int, to: str,
                   label: str, count: int, units: int, advance: Callable[[], None] | None = None) -> list[int]:
    """`count` token ids of external `project`, one vintage each from MIN_VINTAGE, `units` t of each imported
    to `to` (an institution's own credits may only take the years of the Savings result they cite)."""
    tokens = []
    for i in range(count):
        vintage = MIN_VINTAGE + i
        verification = vid(f"{label}-{vintage}")
        verifier.approve_verification(verification, project, vintage, units, CID)
        tokens.append(issuer.import_external(verification, to, units, f"BENCH-{label}-{vintage}").token_id)
        if advance:
            advance()
    return tokens

