"""Parsing what people type for the credit, market, retire and certify commands: token ids, amounts,
addresses, prices, periods and claims. Each bad value is a one-line message and exit 2."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path

from eth_utils import is_address, keccak, to_checksum_address

from ledger.calendar import DATE_HELP, InvalidDate, format_instant, parse_instant
from ledger.chain.codes import CertificationLevel, ClaimKind, decode_token_id, token_id
from ledger.chain.credits import CreditContracts
from ledger.chain.receipts import Transaction
from zcl import context as ctx

TOKEN_HELP = "token id: decimal, 0x-hex, or CLASS/PROJECT/VINTAGE (e.g. 1/1/2024)"


def parse_token(value: str) -> int:
    """A credit token id as a number or as class/project/vintage."""
    try:
        if "/" in value:
            class_id, project_id, vintage = (int(part) for part in value.split("/"))
            return token_id(class_id, project_id, vintage)
        number = int(value, 0)
        decode_token_id(number)
        return number
    except ValueError as exc:
        raise ctx.fail(f"{value!r} is not a {TOKEN_HELP} ({exc})") from None


def token_label(value: int) -> str:
    class_id, project_id, vintage = decode_token_id(value)
    return f"{class_id}/{project_id}/{vintage}"


def parse_amount(value: int | str, what: str = "amount") -> int:
    try:
        number = int(value)
    except ValueError:
        raise ctx.fail(f"{what} must be a whole number of tonnes, got {value!r}") from None
    if number <= 0:
        raise ctx.fail(f"{what} must be at least 1 tonne, got {number}")
    return number


def parse_address(value: str, what: str = "account") -> str:
    if not is_address(value):
        raise ctx.fail(f"{what} must be a 0x-prefixed 20-byte address, got {value!r}")
    return to_checksum_address(value)


def parse_price(value: str, decimals: int) -> int:
    """A price in whole settlement tokens (Decimal, never float) → the token's smallest units, exactly."""
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise ctx.fail(f"price must be a decimal number of settlement tokens, got {value!r}") from None
    if not price.is_finite() or price <= 0:
        raise ctx.fail(f"price must be a positive number of settlement tokens, got {value!r}")
    with localcontext() as exact:
        exact.prec = len(price.as_tuple().digits) + decimals + 2  # enough digits that scaling never rounds
        units = price.scaleb(decimals)
    if units != units.to_integral_value():
        raise ctx.fail(f"price must have at most {decimals} decimals, got {value}")
    return int(units)


def format_units(units: int, decimals: int) -> str:
    """Smallest units as whole tokens with every decimal, by integer arithmetic (no rounding)."""
    whole, fraction = divmod(units, 10**decimals)
    return f"{whole:,}.{fraction:0{decimals}d}" if decimals else f"{whole:,}"


def parse_time(value: str, what: str) -> int:
    """Unix seconds, or an ISO date or date-time read by ledger.calendar.parse_instant (China Standard Time
    unless it names an offset), as unix seconds."""
    if value.isdigit():
        return int(value)
    try:
        return parse_instant(value)
    except InvalidDate as exc:
        raise ctx.fail(f"{what} must be an ISO date (2024-01-01), date-time or unix seconds ({DATE_HELP}): "
                       f"{exc}") from None


def parse_period(start: str, end: str) -> tuple[int, int]:
    period = parse_time(start, "--from"), parse_time(end, "--to")
    if period[0] >= period[1]:
        raise ctx.fail(f"the period [--from, --to) is empty: {start} is not before {end}")
    return period


def when(seconds: int) -> str:
    return format_instant(seconds)


def parse_level(value: str) -> CertificationLevel:
    names = {m.name.lower().replace("_", "-"): m for m in CertificationLevel if m is not CertificationLevel.NONE}
    level = names.get(value.lower().replace("_", "-"))
    if level is None:
        raise ctx.fail(f"level must be one of {', '.join(names)}; got {value!r}")
    return level


def level_name(level: CertificationLevel) -> str:
    return level.name.lower().replace("_", "-")


CLAIM_KINDS = {"none": ClaimKind.NONE, "application": ClaimKind.CERTIFICATION_APPLICATION,
               "meeting": ClaimKind.MEETING}


def parse_claim_kind(value: str) -> ClaimKind:
    if value.lower() not in CLAIM_KINDS:
        raise ctx.fail(f"claim kind must be one of {', '.join(CLAIM_KINDS)}; got {value!r}")
    return CLAIM_KINDS[value.lower()]


def claim_kind_name(kind: ClaimKind) -> str:
    return next(name for name, k in CLAIM_KINDS.items() if k is kind)


def claim_text(kind: ClaimKind, claim_id: bytes) -> str:
    return "none (voluntary)" if kind is ClaimKind.NONE else f"{claim_kind_name(kind)} 0x{claim_id.hex()}"


def parse_verification_id(value: str) -> bytes:
    """A verification id: 32 bytes hex, or any other text, hashed (keccak-256) into one."""
    if value.startswith("0x") and len(value) == 66:
        return ctx.parse_bytes32(value, "verification id")
    return keccak(text=value)


def parse_retirement_file(path: Path) -> list[tuple[int, int]]:
    """Lines `TOKEN AMOUNT` or `TOKEN:AMOUNT`; blank lines and `#` comments skipped."""
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise ctx.fail(f"cannot read {path}: {exc.strerror}") from None
    items = []
    for number, line in enumerate(lines, 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.replace(":", " ").replace(",", " ").split()
        if len(parts) != 2:
            raise ctx.fail(f"{path}:{number}: expected `TOKEN AMOUNT`, got {line!r}")
        items.append((parse_token(parts[0]), parse_amount(parts[1], f"{path}:{number} amount")))
    return items


def parse_range(value: str) -> tuple[int, int]:
    """`TOKEN:AMOUNT`, e.g. 1/1/2024:10."""
    token, sep, amount = value.rpartition(":")
    if not sep:
        raise ctx.fail(f"--range must be TOKEN:AMOUNT (e.g. 1/1/2024:10), got {value!r}")
    return parse_token(token), parse_amount(amount, "--range amount")


def tx_line(what: str, tx: Transaction) -> str:
    return f"{what}: {tx}"


def credit_contracts() -> CreditContracts:
    return CreditContracts.of(ctx.contracts())
