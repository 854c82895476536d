"""Handlers of the core contracts: organisations, devices, oracle quorums, accounting results, roles."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ledger.chain.codes import DeviceStatus, NodeKind, ResultStatus
from ledger.indexer.events import ChainEvent
from ledger.indexer.models import (
    AccountingResult,
    BatchApproval,
    BatchQuorum,
    Device,
    DeviceKey,
    DeviceStatusChange,
    OracleAuthorisation,
    OrgAdmin,
    OrgNode,
    Quorum,
    ResultStatusChange,
    RoleMember,
    Verifier,
    WorkflowStep,
)
from ledger.indexer.projection.registry import add, find, get, handles


# --- OrganizationRegistry -----------------------------------------------------------------------


@handles("OrganizationRegistry", "NodeCreated")
def _node_created(session: Session, e: ChainEvent) -> None:
    a = e.args
    kind = NodeKind(a["kind"])
    parent = find(session, OrgNode, a["parentId"]) if a["parentId"] else None
    node_id = a["nodeId"]
    add(session, OrgNode(
        node_id=node_id, parent_id=a["parentId"], kind=int(kind), kind_name=kind.name.lower(), name=a["name"],
        depth=parent.depth + 1 if parent else 0, path=f"{parent.path if parent else '/'}{node_id}/",
        institution_id=node_id if kind == NodeKind.INSTITUTION else (parent.institution_id if parent else None),
        block_number=e.block_number, transaction_hash=e.transaction_hash,
    ))


@handles("OrganizationRegistry", "NodeMoved")
def _node_moved(session: Session, e: ChainEvent) -> None:
    node: OrgNode = get(session, OrgNode, e.args["nodeId"])
    parent: OrgNode = get(session, OrgNode, e.args["newParentId"])
    old_path, new_path = node.path, f"{parent.path}{node.node_id}/"
    shift = parent.depth + 1 - node.depth
    node.parent_id = parent.node_id
    subtree = session.exec(select(OrgNode).where(col(OrgNode.path).startswith(old_path))).all()
    for member in sorted(subtree, key=lambda n: n.depth):  # parents first: institution_id flows down
        member.path = new_path + member.path[len(old_path):]
        member.depth += shift
        if member.kind != NodeKind.INSTITUTION:
            above = parent if member is node else find(session, OrgNode, member.parent_id)
            member.institution_id = above.institution_id


@handles("OrganizationRegistry", "NodeAdminAdded", "NodeAdminRemoved")
def _node_admin(session: Session, e: ChainEvent) -> None:
    a = e.args
    row = find(session, OrgAdmin, a["nodeId"], a["account"])
    if e.event == "NodeAdminAdded":
        if row is None:
            row = OrgAdmin(node_id=a["nodeId"], account=a["account"], active=True, added_by=a["by"],
                           added_block=e.block_number)
            add(session, row)
        row.active, row.added_by, row.added_block, row.removed_block = True, a["by"], e.block_number, None
    else:
        row = get(session, OrgAdmin, a["nodeId"], a["account"])
        row.active, row.removed_block = False, e.block_number


# --- DeviceRegistry ---------------------------------------------------------------------------


@handles("DeviceRegistry", "DeviceRegistered")
def _device_registered(session: Session, e: ChainEvent) -> None:
    a = e.args
    add(session, Device(
        device_id=a["deviceId"], institution_id=a["institutionId"], scene_id=a["sceneId"], kind=a["kind"],
        unit=a["unit"], status=int(DeviceStatus.ACTIVE), status_name="active", key_count=1,
        public_key=a["publicKey"], block_number=e.block_number, transaction_hash=e.transaction_hash,
    ))
    session.add(DeviceKey(device_id=a["deviceId"], key_index=0, public_key=a["publicKey"], valid_from_sequence=0,
                          block_number=e.block_number, transaction_hash=e.transaction_hash))


@handles("DeviceRegistry", "DeviceKeyRotated")
def _device_key_rotated(session: Session, e: ChainEvent) -> None:
    a = e.args
    device: Device = get(session, Device, a["deviceId"])
    device.key_count, device.public_key = a["keyIndex"] + 1, a["publicKey"]
    session.add(DeviceKey(device_id=a["deviceId"], key_index=a["keyIndex"], public_key=a["publicKey"],
                          valid_from_sequence=a["validFromSequence"], block_number=e.block_number,
                          transaction_hash=e.transaction_hash))


@handles("DeviceRegistry", "DeviceStatusChanged")
def _device_status(session: Session, e: ChainEvent) -> None:
    a = e.args
    device: Device = get(session, Device, a["deviceId"])
    device.status, device.status_name = a["newStatus"], DeviceStatus(a["newStatus"]).name.lower()
    session.add(DeviceStatusChange(block_number=e.block_number, log_index=e.log_index, device_id=a["deviceId"],
                                   old_status=a["oldStatus"], new_status=a["newStatus"], reason=a["reason"],
                                   transaction_hash=e.transaction_hash))


@handles("DeviceRegistry", "OracleAuthorized", "OracleRevoked")
def _oracle(session: Session, e: ChainEvent) -> None:
    a = e.args
    row = find(session, OracleAuthorisation, a["institutionId"], a["oracle"])
    if e.event == "OracleAuthorized":
        if row is None:
            row = OracleAuthorisation(institution_id=a["institutionId"], oracle=a["oracle"], active=True,
                                      authorised_by=a["by"], authorised_block=e.block_number)
            add(session, row)
        row.active, row.authorised_by, row.authorised_block, row.revoked_block = True, a["by"], e.block_number, None
    else:
        row = get(session, OracleAuthorisation, a["institutionId"], a["oracle"])
        row.active, row.revoked_block = False, e.block_number


# --- AttestationLedger quorums (BatchAnchored itself is written with its evidence: follower.py) ----------


@handles("AttestationLedger", "QuorumSet")
def _quorum_set(session: Session, e: ChainEvent) -> None:
    a = e.args
    row = find(session, Quorum, a["institutionId"])
    if row is None:
        row = Quorum(institution_id=a["institutionId"], threshold=a["threshold"], oracles=a["oracles"],
                     set_by=a["admin"], block_number=e.block_number)
        add(session, row)
    row.threshold, row.oracles, row.set_by, row.block_number = a["threshold"], a["oracles"], a["admin"], e.block_number


@handles("AttestationLedger", "BatchAwaitingApprovals")
def _batch_awaiting(session: Session, e: ChainEvent) -> None:
    a = e.args
    add(session, BatchQuorum(root=a["root"], institution_id=a["institutionId"], required=a["required"],
                              block_number=e.block_number))


@handles("AttestationLedger", "BatchApproved")
def _batch_approved(session: Session, e: ChainEvent) -> None:
    a = e.args
    quorum: BatchQuorum = get(session, BatchQuorum, a["root"])
    quorum.approvals = a["approvals"]
    session.add(BatchApproval(root=a["root"], oracle=a["oracle"], approvals=a["approvals"],
                              block_number=e.block_number, transaction_hash=e.transaction_hash))


@handles("AttestationLedger", "BatchCounted")
def _batch_counted(session: Session, e: ChainEvent) -> None:
    quorum: BatchQuorum = get(session, BatchQuorum, e.args["root"])
    quorum.counted, quorum.counted_block = True, e.block_number


# --- AccountingLedger ---------------------------------------------------------------------------


def _result_change(session: Session, e: ChainEvent, result_id: int, status: ResultStatus,
                   account: str | None, note: str) -> None:
    session.add(ResultStatusChange(block_number=e.block_number, log_index=e.log_index, result_id=result_id,
                                   status=int(status), status_name=status.name.lower(), account=account, note=note,
                                   transaction_hash=e.transaction_hash))


@handles("AccountingLedger", "ResultSubmitted")
def _result_submitted(session: Session, e: ChainEvent) -> None:
    a, i = e.args, e.args["input"]
    kind = a.get("kind", 0)  # absent from ResultSubmitted before ResultKind existed
    add(session, AccountingResult(
        result_id=a["resultId"], institution_id=a["institutionId"], boundary_id=a["boundaryId"], kind=kind,
        kind_name=("emissions", "savings")[kind] if kind in (0, 1) else str(kind),
        submitter=a["submitter"], period_start=i["periodStart"], period_end=i["periodEnd"],
        methodology_id=i["methodologyId"], methodology_hash=i["methodologyHash"], factor_set_hash=i["factorSetHash"],
        scope1=i["scope1"], scope2=i["scope2"], scope3=i["scope3"], total=i["scope1"] + i["scope2"] + i["scope3"],
        input_root=i["inputRoot"], input_batch_count=i["inputBatchCount"], report_cid=i["reportCid"],
        status=int(ResultStatus.SUBMITTED), status_name="submitted", block_number=e.block_number,
        transaction_hash=e.transaction_hash,
    ))
    _result_change(session, e, a["resultId"], ResultStatus.SUBMITTED, a["submitter"], "")


@handles("AccountingLedger", "ResultVerified")
def _result_verified(session: Session, e: ChainEvent) -> None:
    a = e.args
    result: AccountingResult = get(session, AccountingResult, a["resultId"])
    status = ResultStatus.FINAL if a["approved"] else ResultStatus.REJECTED
    result.status, result.status_name = int(status), status.name.lower()
    result.verifier, result.statement = a["verifier"], a["statement"]
    _result_change(session, e, a["resultId"], status, a["verifier"], a["statement"])


@handles("AccountingLedger", "ResultRestated")
def _result_restated(session: Session, e: ChainEvent) -> None:
    a = e.args
    result: AccountingResult = get(session, AccountingResult, a["newResultId"])
    result.supersedes, result.restatement_reason = a["oldResultId"], a["reason"]


@handles("AccountingLedger", "ResultSuperseded")
def _result_superseded(session: Session, e: ChainEvent) -> None:
    a = e.args
    old: AccountingResult = get(session, AccountingResult, a["oldResultId"])
    old.status, old.status_name, old.superseded_by = int(ResultStatus.SUPERSEDED), "superseded", a["newResultId"]
    _result_change(session, e, a["oldResultId"], ResultStatus.SUPERSEDED, None, f"by result {a['newResultId']}")


@handles("AccountingLedger", "VerifierAdded", "VerifierRemoved")
def _verifier(session: Session, e: ChainEvent) -> None:
    a = e.args
    row = find(session, Verifier, a["regionId"], a["account"])
    if e.event == "VerifierAdded":
        if row is None:
            row = Verifier(region_id=a["regionId"], account=a["account"], active=True, added_by=a["by"],
                           added_block=e.block_number)
            add(session, row)
        row.active, row.added_by, row.added_block, row.removed_block = True, a["by"], e.block_number, None
    else:
        row = get(session, Verifier, a["regionId"], a["account"])
        row.active, row.removed_block = False, e.block_number


# --- AccessControl roles (OrganizationRegistry governance, CarbonCredit, CertificationRegistry) ----------


@handles("WorkflowLog", "RoleGranted", "RoleRevoked")
@handles("OrganizationRegistry", "RoleGranted", "RoleRevoked")
@handles("CarbonCredit", "RoleGranted", "RoleRevoked")
@handles("CertificationRegistry", "RoleGranted", "RoleRevoked")
def _role(session: Session, e: ChainEvent) -> None:
    a = e.args
    row = find(session, RoleMember, e.contract, a["role"], a["account"])
    if row is None:
        row = RoleMember(contract=e.contract, role=a["role"], account=a["account"], active=False,
                         granted_by=a["sender"], block_number=e.block_number)
        add(session, row)
    row.active, row.granted_by, row.block_number = e.event == "RoleGranted", a["sender"], e.block_number


# --- WorkflowLog ---------------------------------------------------------------------------------


@handles("WorkflowLog", "StepRecorded")
def _step_recorded(session: Session, e: ChainEvent) -> None:
    a = e.args
    name = bytes.fromhex(a["step"][2:]).rstrip(b"\x00").decode("utf-8", errors="replace")
    session.add(WorkflowStep(block_number=e.block_number, log_index=e.log_index, project_id=a["projectId"],
                             step=name, step_hash=a["stepHash"], actor=a["actor"],
                             transaction_hash=e.transaction_hash))
