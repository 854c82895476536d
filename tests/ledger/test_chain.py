"""The chain layer: shipped ABIs match the sources, configuration is checked, reverts are decoded."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from ledger.chain.clients import LedgerContracts, NodeKind
from ledger.chain.compiler import DEPLOYABLE, compile_contracts, load_abi, runtime_code_matches
from ledger.chain.connection import ChainError, ContractRevert, connect, load_account
from ledger.chain.deployment import Deployment
from ledger.config import Settings, load_settings


def test_shipped_abis_match_the_compiled_sources(compiled) -> None:
    artifacts = compile_contracts()
    for name in DEPLOYABLE:
        assert load_abi(name) == artifacts[name].abi, f"run write_abis(): ledger/chain/abi/{name}.json is stale"


def test_deployed_bytecode_matches_the_sources(contracts, compiled) -> None:
    """What an auditor checks: the code at each address is what these sources compile to."""
    artifacts = compile_contracts()
    for name in DEPLOYABLE:
        onchain = bytes(contracts.organizations.chain.w3.eth.get_code(contracts.organizations.deployment.address(name)))
        assert runtime_code_matches(onchain, artifacts[name]), name
        tampered = onchain[:100] + bytes([onchain[100] ^ 1]) + onchain[101:]
        assert not runtime_code_matches(tampered, artifacts[name])


def test_wrong_chain_id_is_refused(settings) -> None:
    with pytest.raises(ChainError, match="serves chain id 31337, configuration expects 1"):
        connect(settings.model_copy(update={"chain_id": 1}))


def test_deployment_for_another_chain_is_refused(chain, deployment) -> None:
    other = Deployment(**{**deployment.__dict__, "chain_id": 5})
    with pytest.raises(ChainError, match="deployment is for chain 5"):
        LedgerContracts.attach(chain, other)


def test_custom_errors_are_decoded_with_their_arguments(contracts) -> None:
    with pytest.raises(ContractRevert) as caught:
        contracts.organizations.create_node(42, NodeKind.REGION, "nowhere")
    assert (caught.value.name, caught.value.args_tuple) == ("UnknownNode", (42,))


def test_keystore_account_loads_with_its_password(tmp_path) -> None:
    account = Account.create()
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(Account.encrypt(account.key, "correct horse")))
    (tmp_path / "pw").write_text("correct horse\n")
    loaded = load_account(Settings(keystore=keystore, keystore_password_file=tmp_path / "pw"))
    assert loaded.address == account.address
    (tmp_path / "pw").write_text("wrong")
    with pytest.raises(ValueError):
        load_account(Settings(keystore=keystore, keystore_password_file=tmp_path / "pw"))


def test_environment_overrides_defaults(monkeypatch) -> None:
    monkeypatch.setenv("ZCL_RPC_URL", "http://chain.example:8545")
    monkeypatch.setenv("ZCL_CHAIN_ID", "1337")
    settings = load_settings()
    assert (settings.rpc_url, settings.chain_id, settings.confirmations) == ("http://chain.example:8545", 1337, 1)
    monkeypatch.setenv("ZCL_CONFIRMATIONS", "-1")
    with pytest.raises(ValueError):
        load_settings()


def test_dev_keys_are_anvils_funded_accounts(chain) -> None:
    from ledger.chain.devchain import DEV_PRIVATE_KEYS

    assert [Account.from_key(k).address for k in DEV_PRIVATE_KEYS] == chain.w3.eth.accounts[: len(DEV_PRIVATE_KEYS)]
