"""`zcl deploy`, `zcl org …`, `zcl device …`: set up the contracts, the organisation tree and devices."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ledger.chain.clients import NodeKind
from ledger.chain.deployment import deploy_contracts
from ledger.encoding import DeviceKind, Unit
from oracles.simulator import device_id_for
from zcl import context as ctx
from zcl.context import console, reports_errors

org_app = typer.Typer(help="The organisation tree: regions, institutions and their scenes.", no_args_is_help=True)
device_app = typer.Typer(help="Meters: registration, key rotation, status.", no_args_is_help=True)


def _tx(receipt: dict) -> str:
    return f"tx {receipt['transactionHash'].hex()} (block {receipt['blockNumber']}, gas {receipt['gasUsed']})"


@reports_errors
def deploy(settlement_token: str = typer.Option(
        None, help="ERC-20 the credit market settles in; required off dev chains (which get a demo token).")) -> None:
    """Deploy the contracts with the configured key and record their addresses for this chain id."""
    settings = ctx.settings()
    chain = ctx.chain()
    deployment = deploy_contracts(chain, settlement_token=settlement_token)
    path = settings.deployment_path(chain.chain_id)
    deployment.save(path)
    table = Table(title=f"Deployed on chain {chain.chain_id} from block {deployment.start_block}")
    table.add_column("contract")
    table.add_column("address")
    for name, address in deployment.addresses.items():
        table.add_row(name, address)
    console.print(table)
    console.print(f"addresses recorded in {path}")


def _kind(value: str) -> NodeKind:
    try:
        return NodeKind[value.upper()]
    except KeyError:
        raise ctx.fail(f"kind must be one of {', '.join(k.name.lower() for k in NodeKind)}; got {value!r}") from None


@org_app.command("create-root")
@reports_errors
def create_root(kind: str = typer.Argument(..., help="region or institution"), name: str = typer.Argument(...),
                admin: str = typer.Option(None, help="First admin; defaults to the sending account.")) -> None:
    """Create a top-level node (governance key only)."""
    contracts = ctx.contracts()
    admin = admin or contracts.organizations.chain.account.address
    node_id = contracts.organizations.create_root(_kind(kind), name, admin)
    console.print(f"created {kind} [bold]{name}[/bold] as node {node_id}, admin {admin}")


@org_app.command("create-node")
@reports_errors
def create_node(parent: int, kind: str, name: str) -> None:
    """Create a child node (caller must administer the parent or an ancestor)."""
    node_id = ctx.contracts().organizations.create_node(parent, _kind(kind), name)
    console.print(f"created {kind} [bold]{name}[/bold] as node {node_id} under {parent}")


@org_app.command("add-admin")
@reports_errors
def add_admin(node: int, account: str) -> None:
    """Make ACCOUNT an admin of NODE and its whole subtree."""
    console.print(f"{account} now administers node {node}: {_tx(ctx.contracts().organizations.add_admin(node, account))}")


@org_app.command("show")
@reports_errors
def show_tree() -> None:
    """Print every node of the tree."""
    orgs = ctx.contracts().organizations
    table = Table(title="Organisation tree")
    for column in ("id", "parent", "kind", "depth", "name"):
        table.add_column(column)
    for node_id in range(1, orgs.node_count() + 1):
        node = orgs.node(node_id)
        table.add_row(str(node.node_id), str(node.parent_id or "-"), node.kind.name.lower(), str(node.depth),
                      "  " * node.depth + node.name)
    console.print(table)


def _device_id(value: str) -> bytes:
    """A device is named either by its 32-byte hex id or by `name:<text>` (sha256-derived id)."""
    return device_id_for(value[5:]) if value.startswith("name:") else ctx.parse_bytes32(value, "device id")


def _enum(table: type, value: str, what: str) -> int:
    try:
        return int(table[value.upper()])
    except KeyError:
        raise ctx.fail(f"{what} must be one of {', '.join(m.lower() for m in table.__members__)}; got {value!r}") from None


@device_app.command("register")
@reports_errors
def register(
    device: str = typer.Argument(..., help="32-byte hex id, or name:<text>"),
    scene: int = typer.Option(..., help="Institution or scene node the device sits in."),
    kind: str = typer.Option(..., help="electricity_meter, water_meter, pv_generation_meter, …"),
    unit: str = typer.Option(..., help="kwh, m3, …"),
    public_key: str = typer.Option(..., help="Ed25519 public key, 32 bytes hex."),
) -> None:
    """Register a device with its first signing key (valid from sequence 0)."""
    device_id = _device_id(device)
    receipt = ctx.contracts().devices.register_device(
        device_id, scene, _enum(DeviceKind, kind, "kind"), _enum(Unit, unit, "unit"), ctx.parse_bytes32(public_key, "public key"))
    console.print(f"registered device 0x{device_id.hex()} in node {scene}: {_tx(receipt)}")


@device_app.command("rotate-key")
@reports_errors
def rotate_key(device: str, public_key: str, valid_from_sequence: int = typer.Option(..., "--from-sequence")) -> None:
    """Add a new key valid from a sequence number; earlier readings stay checkable with the old key."""
    receipt = ctx.contracts().devices.rotate_key(_device_id(device), ctx.parse_bytes32(public_key, "public key"), valid_from_sequence)
    console.print(f"key rotated from sequence {valid_from_sequence}: {_tx(receipt)}")


@device_app.command("suspend")
@reports_errors
def suspend(device: str, reason: str = typer.Option(...)) -> None:
    """Stop accepting the device's readings until reactivated."""
    console.print(f"suspended: {_tx(ctx.contracts().devices.suspend(_device_id(device), reason))}")


@device_app.command("reactivate")
@reports_errors
def reactivate(device: str, reason: str = typer.Option(...)) -> None:
    """Accept a suspended device's readings again."""
    console.print(f"reactivated: {_tx(ctx.contracts().devices.reactivate(_device_id(device), reason))}")


@device_app.command("retire")
@reports_errors
def retire(device: str, reason: str = typer.Option(...)) -> None:
    """Retire the device for good."""
    console.print(f"retired: {_tx(ctx.contracts().devices.retire(_device_id(device), reason))}")


@device_app.command("show")
@reports_errors
def show_device(device: str) -> None:
    """Print a device's registration, status and key history."""
    devices = ctx.contracts().devices
    device_id = _device_id(device)
    info = devices.device(device_id)
    table = Table(title=f"device 0x{device_id.hex()}")
    table.add_column("field")
    table.add_column("value")
    table.add_row("institution", str(info.institution_id))
    table.add_row("scene", str(info.scene_id))
    table.add_row("kind", DeviceKind(info.kind).name.lower() if info.kind in DeviceKind._value2member_map_ else str(info.kind))
    table.add_row("unit", Unit(info.unit).name.lower() if info.unit in Unit._value2member_map_ else str(info.unit))
    table.add_row("status", info.status.name.lower())
    for i, epoch in enumerate(devices.key_history(device_id)):
        table.add_row(f"key #{i}", f"0x{epoch.public_key.hex()} from sequence {epoch.valid_from_sequence}")
    console.print(table)


@reports_errors
def authorize_oracle(institution: int, account: str) -> None:
    """Allow ACCOUNT to anchor batches for INSTITUTION."""
    console.print(f"{account} may anchor for institution {institution}: "
                  f"{_tx(ctx.contracts().devices.authorize_oracle(institution, account))}")


def keygen(out: Path = typer.Argument(..., help="File to write the 32-byte seed to (hex).")) -> None:
    """Make a device signing key; prints the public key to register."""
    from ledger.signing import generate_device_key, public_key_bytes

    if out.exists():
        raise ctx.fail(f"{out} exists; refusing to overwrite a key")
    key = generate_device_key()
    out.write_text(bytes(key).hex() + "\n")
    out.chmod(0o600)
    console.print(f"public key 0x{public_key_bytes(key).hex()} (seed written to {out})")
