"""Typed clients of the ledger's contracts (web3.py v7): Python values in, dataclasses out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from ledger.chain.codes import DeviceStatus, NodeKind, ResultKind, ResultStatus
from ledger.chain.compiler import load_abi
from ledger.chain.connection import Chain, ChainError
from ledger.chain.deployment import Deployment

LOG_CHUNK_BLOCKS = 5_000


@dataclass(frozen=True)
class OrgNode:
    node_id: int
    parent_id: int
    kind: NodeKind
    depth: int
    name: str


@dataclass(frozen=True)
class Device:
    device_id: bytes
    institution_id: int
    scene_id: int
    kind: int
    unit: int
    status: DeviceStatus
    key_count: int


@dataclass(frozen=True)
class KeyEpoch:
    public_key: bytes
    valid_from_sequence: int


@dataclass(frozen=True)
class AnchoredBatch:
    """A BatchAnchored event joined with where it was mined."""

    root: bytes
    institution_id: int
    oracle: str
    previous_root: bytes
    index: int
    reading_count: int
    first_timestamp: int
    last_timestamp: int
    evidence_cid: str
    block_number: int
    transaction_hash: str


@dataclass(frozen=True)
class BatchRecord:
    """The packed record the contract keeps for an anchored batch."""

    institution_id: int
    index: int
    reading_count: int
    first_timestamp: int
    last_timestamp: int
    anchored_at: int


class _Client:
    NAME = ""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        abi = load_abi(self.NAME)
        chain.register_errors(abi)
        self.chain = chain
        self.deployment = deployment
        self.contract: Contract = chain.w3.eth.contract(address=deployment.address(self.NAME), abi=abi)

    def _call(self, name: str, *args: object) -> object:
        try:
            return getattr(self.contract.functions, name)(*args).call()
        except Exception as exc:
            data = getattr(exc, "data", None)
            decoded = self.chain.decode_revert(data) if isinstance(data, (str, bytes)) else None
            if decoded is not None:
                raise decoded from None
            raise

    def _send(self, name: str, *args: object) -> TxReceipt:
        return self.chain.transact(getattr(self.contract.functions, name)(*args))

    def _event_arg(self, receipt: TxReceipt, event: str, arg: str) -> object:
        """Argument `arg` of this contract's first `event` in `receipt` (other contracts' logs ignored)."""
        events = getattr(self.contract.events, event)().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError(f"transaction succeeded without a {event} event")
        return events[0]["args"][arg]

    def _logs(self, event: str, from_block: int, to_block: int | None, **filters: object) -> Iterator[dict]:
        """Event logs in block order, fetched in chunks so public nodes' range limits are respected."""
        last = self.chain.w3.eth.block_number if to_block is None else to_block
        start = max(from_block, self.deployment.start_block)
        while start <= last:
            end = min(start + LOG_CHUNK_BLOCKS - 1, last)
            yield from getattr(self.contract.events, event).get_logs(
                from_block=start, to_block=end, argument_filters=filters or None
            )
            start = end + 1


class OrganizationRegistryClient(_Client):
    NAME = "OrganizationRegistry"

    def create_root(self, kind: NodeKind, name: str, admin: str) -> int:
        receipt = self._send("createRoot", int(kind), name, admin)
        return self._created_node(receipt)

    def create_node(self, parent_id: int, kind: NodeKind, name: str) -> int:
        return self._created_node(self._send("createNode", parent_id, int(kind), name))

    def move_node(self, node_id: int, new_parent_id: int) -> TxReceipt:
        return self._send("moveNode", node_id, new_parent_id)

    def add_admin(self, node_id: int, account: str) -> TxReceipt:
        return self._send("addNodeAdmin", node_id, account)

    def remove_admin(self, node_id: int, account: str) -> TxReceipt:
        return self._send("removeNodeAdmin", node_id, account)

    def is_admin(self, node_id: int, account: str) -> bool:
        return bool(self._call("isAdmin", node_id, account))

    def is_ancestor_or_self(self, ancestor_id: int, node_id: int) -> bool:
        return bool(self._call("isAncestorOrSelf", ancestor_id, node_id))

    def institution_of(self, node_id: int) -> int:
        return int(self._call("institutionOf", node_id))

    def node(self, node_id: int) -> OrgNode:
        parent_id, kind, depth, name = self._call("nodeOf", node_id)
        return OrgNode(node_id, parent_id, NodeKind(kind), depth, name)

    def node_count(self) -> int:
        return int(self._call("nodeCount"))

    def _created_node(self, receipt: TxReceipt) -> int:
        return int(self._event_arg(receipt, "NodeCreated", "nodeId"))


class DeviceRegistryClient(_Client):
    NAME = "DeviceRegistry"

    def register_device(self, device_id: bytes, scene_id: int, kind: int, unit: int, public_key: bytes) -> TxReceipt:
        return self._send("registerDevice", device_id, scene_id, kind, unit, public_key)

    def rotate_key(self, device_id: bytes, public_key: bytes, valid_from_sequence: int) -> TxReceipt:
        return self._send("rotateKey", device_id, public_key, valid_from_sequence)

    def suspend(self, device_id: bytes, reason: str) -> TxReceipt:
        return self._send("suspendDevice", device_id, reason)

    def reactivate(self, device_id: bytes, reason: str) -> TxReceipt:
        return self._send("reactivateDevice", device_id, reason)

    def retire(self, device_id: bytes, reason: str) -> TxReceipt:
        return self._send("retireDevice", device_id, reason)

    def authorize_oracle(self, institution_id: int, oracle: str) -> TxReceipt:
        return self._send("authorizeOracle", institution_id, oracle)

    def revoke_oracle(self, institution_id: int, oracle: str) -> TxReceipt:
        return self._send("revokeOracle", institution_id, oracle)

    def is_oracle(self, institution_id: int, account: str) -> bool:
        return bool(self._call("isOracle", institution_id, account))

    def device(self, device_id: bytes) -> Device:
        institution_id, scene_id, kind, unit, status, key_count = self._call("deviceOf", device_id)
        return Device(device_id, institution_id, scene_id, kind, unit, DeviceStatus(status), key_count)

    def key_history(self, device_id: bytes) -> list[KeyEpoch]:
        return [KeyEpoch(bytes(k), int(s)) for k, s in self._call("keyHistory", device_id)]

    def key_for_sequence(self, device_id: bytes, sequence: int) -> tuple[bytes, int]:
        key, index = self._call("keyForSequence", device_id, sequence)
        return bytes(key), int(index)

    def registered_devices(self, from_block: int = 0, institution_id: int | None = None) -> list[bytes]:
        filters = {} if institution_id is None else {"institutionId": institution_id}
        return [bytes(log["args"]["deviceId"]) for log in self._logs("DeviceRegistered", from_block, None, **filters)]


class AttestationLedgerClient(_Client):
    NAME = "AttestationLedger"

    def anchor_batch(
        self,
        institution_id: int,
        root: bytes,
        previous_root: bytes,
        reading_count: int,
        first_timestamp: int,
        last_timestamp: int,
        evidence_cid: str,
        gas: int | None = None,
    ) -> TxReceipt:
        """`gas`: a fixed limit instead of an eth_estimateGas round trip per anchor (the oracle's hot path);
        a revert then shows after mining and is decoded the same way."""
        call = self.contract.functions.anchorBatch(
            institution_id, root, previous_root, reading_count, first_timestamp, last_timestamp, evidence_cid)
        return self.chain.transact(call, gas=gas)

    def latest_root(self, institution_id: int) -> bytes:
        return bytes(self._call("latestRoot", institution_id))

    def is_anchored(self, root: bytes) -> bool:
        return bool(self._call("isAnchored", root))

    def batch(self, root: bytes) -> BatchRecord:
        return BatchRecord(*self._call("batchOf", root))

    def verify_reading(self, root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
        return bool(self._call("verifyReading", root, leaf, list(proof)))

    def verify_reading_bytes(self, root: bytes, payload: bytes, signature: bytes, proof: Sequence[bytes]) -> bool:
        return bool(self._call("verifyReadingBytes", root, payload, signature, list(proof)))

    def anchored_batches(
        self, from_block: int = 0, to_block: int | None = None, institution_id: int | None = None
    ) -> list[AnchoredBatch]:
        filters = {} if institution_id is None else {"institutionId": institution_id}
        return [_anchored(log) for log in self._logs("BatchAnchored", from_block, to_block, **filters)]

    # k-of-n approvals (an institution's quorum; signing: oracles/approvals.py)

    def set_quorum(self, institution_id: int, threshold: int, oracles: Sequence[str]) -> TxReceipt:
        return self._send("setQuorum", institution_id, threshold, list(oracles))

    def quorum_of(self, institution_id: int) -> tuple[int, list[str]]:
        threshold, oracles = self._call("quorumOf", institution_id)
        return int(threshold), list(oracles)

    def approve_batch(self, root: bytes, oracles: Sequence[str], signatures: Sequence[bytes]) -> TxReceipt:
        return self._send("approveBatch", root, list(oracles), list(signatures))

    def approvals_of(self, root: bytes) -> tuple[int, int]:
        """(approvals required, approvals given); required is 0 for a batch anchored without a quorum."""
        required, given = self._call("approvalsOf", root)
        return int(required), int(given)

    def counts(self, root: bytes, block: int | str = "latest") -> bool:
        """Anchored, and approved by as many oracles as its quorum requires."""
        return bool(self.contract.functions.counts(root).call(block_identifier=block))

    def awaiting_approvals(self, institution_id: int | None = None) -> dict[bytes, int]:
        """Root → approvals required, of every batch anchored under a quorum (BatchAwaitingApprovals)."""
        filters = {} if institution_id is None else {"institutionId": institution_id}
        return {bytes(log["args"]["root"]): int(log["args"]["required"])
                for log in self._logs("BatchAwaitingApprovals", 0, None, **filters)}


@dataclass(frozen=True)
class ResultInput:
    """What a submitter states about a period (IAccountingLedger.ResultInput); totals in gCO2e."""

    period_start: int
    period_end: int
    methodology_id: bytes
    methodology_hash: bytes
    factor_set_hash: bytes
    scope1: int
    scope2: int
    scope3: int
    input_root: bytes
    input_batch_count: int
    report_cid: str

    def as_tuple(self) -> tuple:
        return (self.period_start, self.period_end, self.methodology_id, self.methodology_hash, self.factor_set_hash,
                self.scope1, self.scope2, self.scope3, self.input_root, self.input_batch_count, self.report_cid)


@dataclass(frozen=True)
class AccountingRecord:
    """A result as the contract stores it (IAccountingLedger.Result)."""

    result_id: int
    institution_id: int
    boundary_id: int
    period_start: int
    period_end: int
    status: ResultStatus
    input_batch_count: int
    methodology_id: bytes
    methodology_hash: bytes
    factor_set_hash: bytes
    scope1: int
    scope2: int
    scope3: int
    supersedes: int
    superseded_by: int
    input_root: bytes
    report_cid_hash: bytes
    submitter: str
    submitted_at: int
    verifier: str
    verified_at: int
    kind: ResultKind = ResultKind.EMISSIONS


@dataclass(frozen=True)
class SubmittedResult:
    """A ResultSubmitted event: the submitted input (with the report CID) and where it was mined."""

    result_id: int
    institution_id: int
    boundary_id: int
    submitter: str
    input: ResultInput
    block_number: int
    kind: ResultKind = ResultKind.EMISSIONS


class AccountingLedgerClient(_Client):
    NAME = "AccountingLedger"

    def submit(self, institution_id: int, boundary_id: int, result: ResultInput) -> int:
        receipt = self._send("submitResult", institution_id, boundary_id, result.as_tuple())
        return self._result_id(receipt, "ResultSubmitted")

    def submit_savings(self, institution_id: int, boundary_id: int, result: ResultInput) -> int:
        """A Savings result: `result`'s totals are avoided gCO2e (ledger/accounting/savings_report.py)."""
        receipt = self._send("submitSavingsResult", institution_id, boundary_id, result.as_tuple())
        return self._result_id(receipt, "ResultSubmitted")

    def verify(self, result_id: int, approve: bool, statement: str) -> TxReceipt:
        return self._send("verifyResult", result_id, approve, statement)

    def restate(self, old_result_id: int, result: ResultInput, reason: str) -> int:
        receipt = self._send("restateResult", old_result_id, result.as_tuple(), reason)
        return self._result_id(receipt, "ResultSubmitted")

    def add_verifier(self, region_id: int, account: str) -> TxReceipt:
        return self._send("addVerifier", region_id, account)

    def remove_verifier(self, region_id: int, account: str) -> TxReceipt:
        return self._send("removeVerifier", region_id, account)

    def result(self, result_id: int) -> AccountingRecord:
        fields = list(self._call("resultOf", result_id))
        kind = ResultKind(fields.pop(6))  # the last field of slot 0 on chain, the last field here
        fields[4] = ResultStatus(fields[4])
        for i in (6, 7, 8, 14, 15):
            fields[i] = bytes(fields[i])
        return AccountingRecord(result_id, *fields, kind=kind)

    def result_count(self) -> int:
        return int(self._call("resultCount"))

    def is_input_batch(self, result_id: int, batch_root: bytes, proof: Sequence[bytes]) -> bool:
        return bool(self._call("isInputBatch", result_id, batch_root, list(proof)))

    def submitted_results(self, from_block: int = 0, institution_id: int | None = None) -> list[SubmittedResult]:
        filters = {} if institution_id is None else {"institutionId": institution_id}
        out = []
        for log in self._logs("ResultSubmitted", from_block, None, **filters):
            a = log["args"]
            i = a["input"]
            values = [i[k] for k in ("periodStart", "periodEnd", "methodologyId", "methodologyHash", "factorSetHash",
                                     "scope1", "scope2", "scope3", "inputRoot", "inputBatchCount", "reportCid")] \
                if hasattr(i, "keys") else list(i)
            for k in (2, 3, 4, 8):
                values[k] = bytes(values[k])
            out.append(SubmittedResult(a["resultId"], a["institutionId"], a["boundaryId"], a["submitter"],
                                       ResultInput(*values), log["blockNumber"], ResultKind(a["kind"])))
        return out

    def _result_id(self, receipt: TxReceipt, event: str) -> int:
        return int(self._event_arg(receipt, event, "resultId"))


def _anchored(log: dict) -> AnchoredBatch:
    a = log["args"]
    return AnchoredBatch(
        root=bytes(a["root"]),
        institution_id=a["institutionId"],
        oracle=a["oracle"],
        previous_root=bytes(a["previousRoot"]),
        index=a["index"],
        reading_count=a["readingCount"],
        first_timestamp=a["firstTimestamp"],
        last_timestamp=a["lastTimestamp"],
        evidence_cid=a["evidenceCid"],
        block_number=log["blockNumber"],
        transaction_hash=log["transactionHash"].hex(),
    )


@dataclass
class LedgerContracts:
    """The three clients over one connection and deployment."""

    organizations: OrganizationRegistryClient
    devices: DeviceRegistryClient
    attestations: AttestationLedgerClient
    accounting: AccountingLedgerClient

    @classmethod
    def attach(cls, chain: Chain, deployment: Deployment) -> "LedgerContracts":
        if deployment.chain_id != chain.chain_id:
            raise ChainError(f"deployment is for chain {deployment.chain_id}, connected to chain {chain.chain_id}")
        return cls(
            OrganizationRegistryClient(chain, deployment),
            DeviceRegistryClient(chain, deployment),
            AttestationLedgerClient(chain, deployment),
            AccountingLedgerClient(chain, deployment),
        )
