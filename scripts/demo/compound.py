"""The Xihuamen compound on chain: its place in the organisation tree, its buildings and its devices.

Devices and keys come from oracles/simulation (the same fleet `zcl simulate xihuamen` runs), so anyone
holding the seed re-derives them; each device is registered in its building's node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ledger.chain.clients import LedgerContracts, NodeKind
from oracles.simulation import CompoundFleet, DeviceIdentity, xihuamen
from oracles.simulation.profiles import led_lighting_retrofit

from scripts.demo.layout import SEED

TREE = ("Sichuan Province 四川省", "Chengdu 成都市", "Qingyang District 青羊区")
INSTITUTION = "Xihuamen office compound 西华门街办公区"
BUILDINGS = {  # the inventory's building codes (oracles/simulation/compound.py) and what they are
    "A": (NodeKind.BUILDING, "A tower 主楼"), "B": (NodeKind.BUILDING, "B annex 附楼"),
    "C": (NodeKind.BUILDING, "C service and conference centre 服务与会议中心"),
    "R": (NodeKind.BUILDING, "R plant area 设备区"), "G": (NodeKind.BUILDING, "G underground garage 地下车库"),
    "O": (NodeKind.PARK, "O grounds 室外区域"),
}


# SIMULATED: the demo's compound gets the seed's smart LED lighting retrofit (25 % less lighting energy) on
# 1 July 2022, so that M&V has a baseline before it and a reporting period after it inside 2022, the year the
# published factors cover (scripts/demo/credits.py). The real compound's lighting retrofits date from 2020–2021.
RETROFIT = led_lighting_retrofit(date(2022, 7, 1))


def demo_fleet(interval: int) -> CompoundFleet:
    """The demo's simulated compound (with its simulated retrofit), every device signing at `interval` s.
    The replay and the live meters must both use it, or the lighting would jump back after the replay."""
    return CompoundFleet(xihuamen(SEED.encode(), (RETROFIT,)), SEED, interval)


@dataclass(frozen=True)
class CompoundNodes:
    province: int
    city: int
    district: int
    institution: int
    buildings: dict[str, int]


def find_compound(contracts: LedgerContracts) -> CompoundNodes | None:
    """The compound's nodes when an earlier run registered them (found by name)."""
    orgs = contracts.organizations
    nodes = [orgs.node(i) for i in range(1, orgs.node_count() + 1)]
    institution = next((n for n in nodes if n.kind == NodeKind.INSTITUTION and n.name == INSTITUTION), None)
    if institution is None:
        return None
    district = orgs.node(institution.parent_id)
    city = orgs.node(district.parent_id)
    names = {label: code for code, (_, label) in BUILDINGS.items()}
    buildings = {names[n.name]: n.node_id for n in nodes if n.parent_id == institution.node_id and n.name in names}
    return CompoundNodes(city.parent_id, city.node_id, district.node_id, institution.node_id, buildings)


def register_compound(contracts: LedgerContracts, oracle: str) -> CompoundNodes:
    """Create the tree down to the buildings and authorise `oracle` for the institution (idempotent)."""
    found = find_compound(contracts)
    orgs = contracts.organizations
    if found is None:
        province = orgs.create_root(NodeKind.REGION, TREE[0], orgs.chain.account.address)
        city = orgs.create_node(province, NodeKind.REGION, TREE[1])
        district = orgs.create_node(city, NodeKind.REGION, TREE[2])
        institution = orgs.create_node(district, NodeKind.INSTITUTION, INSTITUTION)
        found = CompoundNodes(province, city, district, institution, {})
    buildings = dict(found.buildings)
    for code, (kind, label) in BUILDINGS.items():
        if code not in buildings:
            buildings[code] = orgs.create_node(found.institution, kind, label)
    if not contracts.devices.is_oracle(found.institution, oracle):
        contracts.devices.authorize_oracle(found.institution, oracle)
    return CompoundNodes(found.province, found.city, found.district, found.institution, buildings)


def unregistered(contracts: LedgerContracts, nodes: CompoundNodes, fleet: CompoundFleet) -> list[DeviceIdentity]:
    """The fleet's devices the chain does not know yet."""
    known = set(contracts.devices.registered_devices(institution_id=nodes.institution))
    return [i for i in fleet.identities.values() if i.device_id not in known]


def register_devices(contracts: LedgerContracts, nodes: CompoundNodes, identities: list[DeviceIdentity],
                     advance: Callable[[], None] | None = None) -> None:
    """Register each device with its public key in its building's node."""
    for identity in identities:
        d = identity.device
        contracts.devices.register_device(identity.device_id, nodes.buildings[d.building], int(d.kind), int(d.unit),
                                          identity.public_key)
        if advance is not None:
            advance()
