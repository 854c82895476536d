"""Browser-wallet signing in Debian chromium: an EIP-1193 provider injected into the page forwards every JSON-RPC
call to anvil, whose unlocked development accounts make the signatures (eth_signTypedData_v4, eth_signTransaction):
real signatures, no mock signer. A project step signed in the wallet is recorded and anchored in WorkflowLog by its
signer; credits retired from the wallet are burned on chain; a signature by another account than the user's is
refused with the API's own error, shown in the page in the user's language.

The module has its own anvil, deployment, database and server: it retires credits and opens projects, which the
shared browser world's page tests count.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from api.db import make_engine
from api.models import Role
from api.services.users import create_user
from ledger.chain.clients import LedgerContracts
from ledger.chain.connection import connect
from ledger.chain.credits import CreditContracts
from ledger.chain.deployment import deploy_contracts
from ledger.chain.devchain import DevChain, free_port, start_anvil
from ledger.chain.workflow import WorkflowLogClient
from tests.browser.conftest import _Uvicorn, make_app
from tests.browser.test_workflow_pages import KEYSTORE_PASSWORD, PASSWORD, _api, _login, _message, _open, _switch, _unexpected
from tests.conftest import Tree, settings_for
from tests.ledger.credit_world import OWN_TOKEN, START_2024, START_2025, CreditWorld

ISSUED = 50
REASON = "Xihuamen 2024 office travel, from the wallet"

# window.ethereum for the page: accounts from anvil, the chosen one kept in sessionStorage across pages;
# everything else forwarded to anvil as JSON-RPC, its errors thrown with their codes as EIP-1193 asks.
PROVIDER = """
(() => {
  const RPC = %(rpc)s, ACCOUNTS = %(accounts)s;
  const chosen = () => ACCOUNTS[Number(sessionStorage.getItem("test.wallet.account") || 0)];
  window.ethereum = {
    async request({method, params}) {
      if (method === "eth_requestAccounts" || method === "eth_accounts") return [chosen()];
      const response = await fetch(RPC, {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params: params || []})});
      const body = await response.json();
      if (body.error) { const error = new Error(body.error.message); error.code = body.error.code; throw error; }
      return body.result;
    },
  };
})();
"""


@dataclass
class WalletWorld:
    url: str
    rpc_url: str
    contracts: LedgerContracts
    tree: Tree
    holder: str  # anvil account 3: the institution's admin on chain, holding its 50 t, and the API user's address
    other: str  # anvil account 4: a wallet account that is not the user's


@pytest.fixture(scope="module")
def wallet_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WalletWorld]:
    anvil: DevChain = start_anvil()
    server = None
    try:
        data_dir = tmp_path_factory.mktemp("wallet-world") / "zcl"
        settings = settings_for(anvil.rpc_url, data_dir)
        chain = connect(settings)
        deployment = deploy_contracts(chain)
        deployment.save(settings.deployment_path(chain.chain_id))
        contracts = LedgerContracts.attach(chain, deployment)
        tree = Tree(contracts)
        credit = CreditWorld(contracts, deployment, tree, anvil.rpc_url, data_dir / "parties")
        credit.issue_own(ISSUED)
        app = make_app(settings)
        engine = make_engine(settings)
        # the user's address is anvil's account 3; the server also keeps that key, so both ways of signing exist
        create_user(engine, "wallet-admin", PASSWORD, Role.INSTITUTION_ADMIN, tree.institution,
                    private_key=credit.holder.key, keystore_password=KEYSTORE_PASSWORD, kdf_iterations=2**10)
        engine.dispose()
        server = _Uvicorn(app, free_port())
        server.start()
        yield WalletWorld(f"http://127.0.0.1:{server.server.config.port}", anvil.rpc_url, contracts, tree,
                          credit.holder.address, credit.buyer.address)
    finally:
        if server is not None:
            server.stop()
        anvil.stop()


@pytest.fixture
def wallet_tab(tab, wallet_world: WalletWorld):
    tab.page.add_init_script(PROVIDER % {"rpc": json.dumps(wallet_world.rpc_url),
                                         "accounts": json.dumps([wallet_world.holder, wallet_world.other])})
    return tab


def _use_account(tab, index: int) -> None:
    tab.page.evaluate(f"sessionStorage.setItem('test.wallet.account', '{index}')")


def _submit(tab, form: str) -> str:
    tab.page.evaluate(f"document.querySelector('#{form}').dataset.state = ''")
    tab.page.click(f"#{form} button[type=submit]")
    return _message(tab, form)


def test_project_step_signed_in_the_wallet_is_recorded_and_anchored_by_its_signer(wallet_world, wallet_tab) -> None:
    tab, w = wallet_tab, wallet_world
    _login(tab, w, "wallet-admin")
    _open(tab, w, "projects")
    tab.page.fill("#create input[name=title]", "LED garage lighting")
    tab.page.fill("#create input[name=budget_cny]", "86000")
    tab.page.fill("#create input[name=expected_saving_kgco2e]", "10454.4")
    assert _submit(tab, "create") == "Project #1 opened."
    tab.page.wait_for_selector("#projects [data-project='1']")
    tab.page.click("#projects [data-project='1']")
    tab.page.wait_for_selector("#step:not([hidden])")
    assert tab.page.is_visible("#step fieldset.signing")  # a wallet and a server key: the user chooses
    tab.page.check("#step input[name=signing][value=wallet]")
    assert tab.page.locator("#step input[name=keystore_password]").is_hidden()

    _switch(tab)  # zh-CN; the wallet's account is not the user's: the API refuses the signature
    _use_account(tab, 1)
    tab.page.fill("#step input[name=note]", "proposal signed in the wallet")
    refused = _submit(tab, "step")
    assert refused == (f"签名账户不符: the step was signed by {w.other}, not by your address {w.holder}")
    assert _api(tab, "/projects/1/timeline")["steps"] == []
    tab.screenshot("app-projects-wallet-wrong-signer-zh-CN")

    _switch(tab)
    _use_account(tab, 0)
    assert _submit(tab, "step") == "Step 项目申报 proposal signed."
    timeline = _api(tab, "/projects/1/timeline")
    (step,) = timeline["steps"]
    assert (step["step"], step["actor_address"], step["signed_client_side"], step["signature_valid"],
            step["note"]) == ("proposal", w.holder, True, True, "proposal signed in the wallet")
    # WorkflowLog checked the signature over the step hash and names the signer
    record = WorkflowLogClient.of(w.contracts).record_of(bytes.fromhex(step["step_hash"][2:]))
    assert record.actor == w.holder and record.recorded_at > 0 and step["anchored_on_chain"] is True
    item = tab.page.inner_text("#timeline li[data-step='proposal']")
    assert "signature valid" in item and step["step_hash"] in item
    tab.screenshot("app-projects-wallet-en")
    assert _unexpected(tab.errors) == []


def test_credits_retired_from_the_wallet_and_a_wrong_signer_refused(wallet_world, wallet_tab) -> None:
    tab, w = wallet_tab, wallet_world
    credits = CreditContracts.of(w.contracts).credits
    _login(tab, w, "wallet-admin")
    _open(tab, w, "wallet")
    tab.page.click("#connect button[type=submit]")
    assert _message(tab, "connect") == f"Wallet account: {w.holder}"
    tab.page.wait_for_function("document.querySelector('#holdings').dataset.loaded === '1'")
    assert tab.page.locator("#holdings td").all_inner_texts() == [str(OWN_TOKEN), str(ISSUED)]
    form = {"token_id": str(OWN_TOKEN), "amount": "2", "reason": REASON, "period_start": "2024-01-01",
            "period_end": "2024-12-31"}
    for name, value in form.items():
        tab.page.fill(f"#retire input[name={name}]", value)
    tab.page.fill("#retire input[name=amount]", "")
    assert _submit(tab, "retire") == "Tonnes is required."
    tab.page.fill("#retire input[name=amount]", str(ISSUED + 1))  # more than held: the contract's error, before signing
    over = _submit(tab, "retire")
    assert over == (f"Refused by the contract: ERC1155InsufficientBalance('{w.holder}', {ISSUED}, {ISSUED + 1}, "
                    f"{OWN_TOKEN})")
    tab.page.fill("#retire input[name=amount]", "2")
    done = re.fullmatch(r"Retired: transaction (0x[0-9a-f]{64})\.", _submit(tab, "retire"))
    assert done is not None
    receipt = w.contracts.organizations.chain.w3.eth.get_transaction_receipt(done[1])
    assert receipt["status"] == 1 and receipt["from"] == w.holder
    supply = credits.supply(OWN_TOKEN)
    assert (supply.issued, supply.retired, supply.circulating) == (ISSUED, 2, ISSUED - 2)
    assert credits.holdings(w.holder) == {OWN_TOKEN: ISSUED - 2}
    (retirement,) = credits.retirements(retiree=w.holder)
    assert (retirement.tonnes, retirement.beneficiary, retirement.reason, retirement.period_start,
            retirement.period_end) == (2, w.holder, REASON, START_2024, START_2025)
    tab.page.wait_for_function(f"document.querySelector('#holdings td:last-child').textContent === '{ISSUED - 2}'")
    tab.screenshot("app-wallet-retired-en")

    _use_account(tab, 1)  # the wallet now signs with another account: the API refuses to relay it
    tab.page.click("#connect button[type=submit]")
    assert _message(tab, "connect").startswith(f"Wallet account: {w.other}, not your address in the ledger")
    refused = _submit(tab, "retire")
    assert refused == f"Signed by another account: transaction signed by {w.other}, not by your address {w.holder}"
    assert credits.supply(OWN_TOKEN).retired == 2 and credits.holdings(w.other) == {}
    _switch(tab)
    assert _submit(tab, "retire") == f"签名账户不符: transaction signed by {w.other}, not by your address {w.holder}"
    tab.screenshot("app-wallet-wrong-signer-zh-CN")
    assert _unexpected(tab.errors) == []


def test_without_a_wallet_the_page_says_so_and_the_server_key_still_signs(wallet_world, tab) -> None:
    _login(tab, wallet_world, "wallet-admin")
    _open(tab, wallet_world, "wallet")
    assert _submit(tab, "connect") == "No browser wallet: window.ethereum"
    _open(tab, wallet_world, "projects", "?project=1")
    tab.page.wait_for_selector("#step:not([hidden])")
    assert tab.page.locator("#step fieldset.signing").is_hidden()  # nothing to choose: the server key signs
    assert tab.page.locator("#step input[name=keystore_password]").is_visible()
    assert tab.errors == []
