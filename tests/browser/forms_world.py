"""The world the write-form page tests act on: a browser world of their own (tests/browser/world.py built again,
its own deployment on the session's anvil, its own API process and database), so that what they change on chain
— listings, retirements, certifications — is never seen by the other page tests, which count those. On top of
it: the meeting room's anchored readings, near-zero-carbon criteria to apply under, and one API user per party
of tests/ledger/credit_world.py, each signing with that party's key kept server-side.

The world's credit parties (anvil's development accounts) hold what the forms act on: the holder (account 3,
admin of the institution on chain) has the institution's 40 unretired tonnes of OWN_TOKEN and settlement
tokens; the buyer (account 4) has settlement tokens; the district, city and province admins (accounts 5, 6
and 0) decide the institution's applications in that order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eth_utils import keccak

from api.db import make_engine
from api.models import Role
from api.services.users import create_user
from ledger.chain.certification import CertificationClient
from ledger.chain.codes import CertificationLevel
from ledger.chain.devchain import dev_key, free_port
from tests.browser.conftest import Server, _Uvicorn, make_app
from tests.browser.world import World, build_world
from tests.ledger.credit_world import CID, MAX_NET, OWN_TOKEN, YEAR
from tests.ledger.test_meeting import anchor_room_readings

KEYSTORE_PASSWORD = "forms keystore secret"
NEAR_ZERO_MIN_REDUCTION_BPS = 6_000  # the world's 2024 result is 70 % below its 2023 baseline


@dataclass(frozen=True)
class Party:
    username: str
    address: str | None


@dataclass(frozen=True)
class FormsWorld:
    admin: Party  # institution admin, the holder's key
    buyer: Party  # credit buyer, the buyer's key
    district: Party  # regulators, each its region's admin key
    city: Party
    province: Party
    operator: Party
    auditor: Party
    room: int  # its meter reads 2.5 kWh an hour, 2022-03-01 09:30 to 12:30 Beijing time (tests/ledger/test_meeting.py)
    certified_application: int  # the world's low-carbon application, certified by all three
    result_id: int  # the institution's final 2024 emissions result
    baseline_result_id: int  # … and its 2023 baseline
    token: int


def prepare_forms_world(world: World, password: str) -> FormsWorld:
    """Users `forms-*` (login `password`, keystore KEYSTORE_PASSWORD), the room's readings and near-zero criteria."""
    contracts = world.contracts
    anchor_room_readings(contracts, world.tree, world.settings.data_dir)
    certification = CertificationClient.of(contracts)
    certification.publish_criteria(CertificationLevel.NEAR_ZERO_CARBON, MAX_NET, NEAR_ZERO_MIN_REDUCTION_BPS, YEAR,
                                   keccak(text="near-zero v1"), CID)
    certified = certification.application(1)
    tree = world.tree
    engine = make_engine(world.settings)

    def user(name: str, role: Role, org: int | None, key_index: int | None = None) -> Party:
        key = {} if key_index is None else {"private_key": dev_key(key_index), "keystore_password": KEYSTORE_PASSWORD,
                                            "kdf_iterations": 2**10}
        made = create_user(engine, f"forms-{name}", password, role, org, **key)
        return Party(made.username, made.address)

    try:
        made = FormsWorld(
            admin=user("admin", Role.INSTITUTION_ADMIN, tree.institution, 3),
            buyer=user("buyer", Role.CREDIT_BUYER, None, 4),
            district=user("district", Role.REGULATOR, tree.district, 5),
            city=user("city", Role.REGULATOR, tree.city, 6),
            province=user("province", Role.REGULATOR, tree.province, 0),
            operator=user("operator", Role.OPERATOR, tree.institution),
            auditor=user("auditor", Role.AUDITOR, None), room=tree.room,
            certified_application=certified.application_id, result_id=certified.result_id,
            baseline_result_id=certified.baseline_result_id, token=OWN_TOKEN)
    finally:
        engine.dispose()
    return made


@contextmanager
def serving_own_world(rpc_url: str, data_dir: Path) -> Iterator[Server]:
    """A fresh browser world on the chain at `rpc_url` and the API over it, as tests/browser/conftest.py serves its own."""
    world = build_world(rpc_url, data_dir)
    port = free_port()
    uvicorn_server = _Uvicorn(make_app(world.settings), port)
    uvicorn_server.start()
    try:
        yield Server(f"http://127.0.0.1:{port}", world)
    finally:
        uvicorn_server.stop()
