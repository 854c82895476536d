"""Retrofit projects tracked like a parcel: seven steps, in order, each signed by the acting user.

Each step is EIP-712 typed data (domain: this ledger and chain id) naming the project, the step, the
note, the evidence CID, the time and the previous step's hash, so the steps form a hash chain and a
step's signature can be checked by anyone with the timeline. The step hash is the EIP-712 digest.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from eth_account import Account
from eth_account.messages import SignableMessage, _hash_eip191_message, encode_typed_data
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from api.errors import ApiError, conflict, forbidden
from api.models import Project, ProjectStep, Role, User

STEPS = ("proposal", "approval", "procurement", "installation", "commissioning", "mv", "verified")
STEP_LABELS = {"proposal": "项目申报 proposal", "approval": "审批 approval", "procurement": "采购 procurement",
               "installation": "施工安装 installation", "commissioning": "调试 commissioning",
               "mv": "测量与验证 M&V", "verified": "核验完成 verified"}
STEP_ROLES: dict[str, frozenset[Role]] = {
    "proposal": frozenset({Role.INSTITUTION_ADMIN, Role.OPERATOR}),
    "approval": frozenset({Role.INSTITUTION_ADMIN, Role.REGULATOR}),
    "procurement": frozenset({Role.INSTITUTION_ADMIN, Role.OPERATOR}),
    "installation": frozenset({Role.OPERATOR}),
    "commissioning": frozenset({Role.OPERATOR}),
    "mv": frozenset({Role.VERIFIER}),
    "verified": frozenset({Role.REGULATOR}),
}
DRAFT = "draft"
ZERO_HASH = "0x" + "00" * 32
CLIENT_CLOCK_SKEW = 300  # seconds a client-signed step's time may differ from the server's clock
DOMAIN_NAME = "ZeroCarbonLedger Workflow"
DOMAIN_VERSION = "1"
_STEP_TYPE = [
    {"name": "projectId", "type": "uint256"}, {"name": "institutionId", "type": "uint256"},
    {"name": "step", "type": "string"}, {"name": "note", "type": "string"}, {"name": "evidenceCid", "type": "string"},
    {"name": "at", "type": "uint64"}, {"name": "previousHash", "type": "bytes32"},
]


@dataclass(frozen=True)
class StepClaim:
    """What the actor signs."""

    project_id: int
    institution_id: int
    step: str
    note: str
    evidence_cid: str
    at: int
    previous_hash: str

    def typed_data(self, chain_id: int) -> dict:
        return {
            "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                       {"name": "chainId", "type": "uint256"}],
                      "ProjectStep": _STEP_TYPE},
            "primaryType": "ProjectStep",
            "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id},
            "message": {"projectId": self.project_id, "institutionId": self.institution_id, "step": self.step,
                        "note": self.note, "evidenceCid": self.evidence_cid, "at": self.at,
                        "previousHash": self.previous_hash},
        }

    def signable(self, chain_id: int) -> SignableMessage:
        return encode_typed_data(full_message=self.typed_data(chain_id))

    def digest(self, chain_id: int) -> str:
        return "0x" + _hash_eip191_message(self.signable(chain_id)).hex()


def next_step(project: Project) -> str | None:
    if project.state == DRAFT:
        return STEPS[0]
    index = STEPS.index(project.state)
    return STEPS[index + 1] if index + 1 < len(STEPS) else None


def steps_of(session: Session, project_id: int) -> list[ProjectStep]:
    return list(session.exec(select(ProjectStep).where(ProjectStep.project_id == project_id).order_by(ProjectStep.id)))


def claim_for(session: Session, project: Project, step: str, note: str, evidence_cid: str, at: int) -> StepClaim:
    """The claim the next step must sign; 409 when `step` is not the next one."""
    expected = next_step(project)
    if step != expected:
        where = "is complete" if expected is None else f"is at {project.state!r}; the next step is {expected!r}"
        raise conflict(f"step {step!r} out of order: project {project.id} {where}",
                       {"state": project.state, "next_step": expected})
    done = steps_of(session, project.id)
    previous = done[-1] if done else None
    if previous is not None and at < previous.at:
        raise ApiError(422, "invalid_input", f"step time {at} is before the previous step's {previous.at}")
    return StepClaim(project.id, project.institution_id, step, note, evidence_cid, at,
                     previous.step_hash if previous else ZERO_HASH)


def check_role(user: User, step: str) -> None:
    if Role(user.role) not in STEP_ROLES[step]:
        allowed = ", ".join(sorted(r.value for r in STEP_ROLES[step]))
        raise forbidden(f"role {user.role} may not record step {step!r} (allowed: {allowed})")


def record_step(session: Session, project: Project, user: User, claim: StepClaim, chain_id: int,
                signature: str | None, keystore_password: str | None, now: int | None = None) -> ProjectStep:
    """Check or make the actor's signature, then append the step and advance the project."""
    now = int(time.time()) if now is None else now
    if user.address is None:
        raise ApiError(409, "no_signing_address", f"user {user.username!r} has no signing address; ask an admin "
                       "to run `zcl user add` with --address or --server-key")
    signable = claim.signable(chain_id)
    if signature is not None:
        if abs(claim.at - now) > CLIENT_CLOCK_SKEW:
            raise ApiError(422, "invalid_input", f"a client-signed step's time must be within {CLIENT_CLOCK_SKEW} s "
                           f"of the server's clock ({now}); got {claim.at}")
        try:
            signer = Account.recover_message(signable, signature=bytes.fromhex(signature[2:]))
        except Exception:  # malformed r/s/v
            raise ApiError(422, "invalid_signature", "the signature cannot be recovered") from None
        if signer.lower() != user.address.lower():
            raise ApiError(403, "wrong_signer", f"the step was signed by {signer}, not by your address {user.address}")
    elif keystore_password is not None:
        if not user.keystore_json:
            raise ApiError(409, "no_server_key", f"user {user.username!r} has no server-side key; sign the typed data "
                           "from GET …/typed-data in your wallet and send the signature")
        try:
            key = Account.decrypt(json.loads(user.keystore_json), keystore_password)
        except ValueError:
            raise ApiError(403, "wrong_keystore_password", "the keystore password does not decrypt your key") from None
        signature = "0x" + bytes(Account.sign_message(signable, key).signature).hex()
    else:
        raise ApiError(422, "signature_required", "send `signature` (EIP-712, from your wallet) or `keystore_password`")
    step = ProjectStep(project_id=project.id, step=claim.step, actor_id=user.id, actor_address=user.address,
                       note=claim.note, evidence_cid=claim.evidence_cid, at=claim.at,
                       previous_hash=claim.previous_hash, step_hash=claim.digest(chain_id), signature=signature,
                       signed_client_side=keystore_password is None)
    project.state = claim.step
    project.updated_at = now
    session.add(step)
    session.add(project)
    try:
        session.commit()
    except IntegrityError:  # another request recorded this step first
        session.rollback()
        raise conflict(f"step {claim.step!r} of project {project.id} was recorded meanwhile") from None
    session.refresh(step)
    return step


def signature_valid(step: ProjectStep, institution_id: int, chain_id: int) -> bool:
    claim = StepClaim(step.project_id, institution_id, step.step, step.note, step.evidence_cid, step.at,
                      step.previous_hash)
    try:
        signer = Account.recover_message(claim.signable(chain_id), signature=bytes.fromhex(step.signature[2:]))
    except Exception:
        return False
    return signer.lower() == step.actor_address.lower() and claim.digest(chain_id) == step.step_hash
