"""Utility bills from CSV or Excel, for sites without sub-metering: unsigned, lower-quality data.

The seed admits that institutions without sub-metering cannot be monitored. Their energy still has to
be accounted for, from the utility's monthly bills, and the ledger must say plainly that such figures
rest on someone's upload rather than on a meter's signature. So a bill is a UtilityBill, never a
SignedReading: it has no payload and no signature, cannot enter OracleNode.ingest, and every import
carries `quality = UNSIGNED_UTILITY_BILL`, the uploader's identity and the file's SHA-256.

File layout: a header row with exactly these columns (any order, case and spaces ignored), one bill a row:

    account        the utility account number (text)
    period_start   first day billed, YYYY-MM-DD (or an Excel date)
    period_end     last day billed, inclusive, YYYY-MM-DD (or an Excel date)
    quantity       a decimal ≥ 0 (never rounded)
    unit           kWh, MWh, m3 (m³), GJ; MWh is converted to kWh
    amount         the bill in CNY, a decimal ≥ 0 with at most two decimals

Every problem is reported with its row (as a spreadsheet numbers it, the header being row 1) and
column; one import either yields all its bills or raises BillImportError listing all problems.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path

from ledger.encoding import Unit

COLUMNS = ("account", "period_start", "period_end", "quantity", "unit", "amount")
_UNITS: dict[str, tuple[Unit, Decimal]] = {
    "kwh": (Unit.KWH, Decimal(1)), "mwh": (Unit.KWH, Decimal(1000)),
    "m3": (Unit.M3, Decimal(1)), "m³": (Unit.M3, Decimal(1)), "gj": (Unit.GJ, Decimal(1)),
}
_MAX_PROBLEMS_SHOWN = 20


class DataQuality(str, Enum):
    UNSIGNED_UTILITY_BILL = "unsigned_utility_bill"  # someone's upload of a utility's figure, no device signature


@dataclass(frozen=True)
class BillProblem:
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}"


class BillImportError(ValueError):
    def __init__(self, source: str, problems: list[BillProblem]) -> None:
        shown = "; ".join(str(p) for p in problems[:_MAX_PROBLEMS_SHOWN])
        more = f" (and {len(problems) - _MAX_PROBLEMS_SHOWN} more)" if len(problems) > _MAX_PROBLEMS_SHOWN else ""
        super().__init__(f"{source}: {shown}{more}")
        self.source = source
        self.problems = problems


@dataclass(frozen=True, slots=True)
class UtilityBill:
    """One billed period of one account. Deliberately not a reading: no device, no sequence, no signature."""

    account: str
    period_start: date
    period_end: date  # inclusive
    quantity: Decimal
    unit: Unit
    amount_cny: Decimal
    row: int  # where it came from in the file
    quality: DataQuality = DataQuality.UNSIGNED_UTILITY_BILL
    signed: bool = False


@dataclass(frozen=True)
class BillImport:
    """An uploaded bill file: who uploaded it, which bytes, and the bills in it."""

    institution_id: int
    uploader: str
    source_name: str
    source_sha256: str
    imported_at: int
    bills: tuple[UtilityBill, ...]
    quality: DataQuality = DataQuality.UNSIGNED_UTILITY_BILL
    signed: bool = False

    def total(self, unit: Unit) -> Decimal:
        return sum((b.quantity for b in self.bills if b.unit == unit), Decimal(0))


def import_bills(path: Path, institution_id: int, uploader: str) -> BillImport:
    """Read a .csv, .xlsx or .xlsm bill file; BillImportError names every bad row and column."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(data)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _excel_rows(data, path.name)
    else:
        raise BillImportError(path.name, [BillProblem(1, None, f"unsupported file type {suffix!r}; use .csv or .xlsx")])
    return bills_from_rows(rows, institution_id, uploader, path.name, hashlib.sha256(data).hexdigest())


def bills_from_rows(rows: list[list[object]], institution_id: int, uploader: str, source_name: str,
                    source_sha256: str) -> BillImport:
    if not uploader.strip():
        raise BillImportError(source_name, [BillProblem(1, None, "the uploader's identity is required")])
    if not rows:
        raise BillImportError(source_name, [BillProblem(1, None, f"the file is empty; expected a header {', '.join(COLUMNS)}")])
    header = [_column_name(cell) for cell in rows[0]]
    problems = _header_problems(header)
    if problems:
        raise BillImportError(source_name, problems)
    position = {name: header.index(name) for name in COLUMNS}
    bills: list[UtilityBill] = []
    for number, row in enumerate(rows[1:], start=2):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        cells = {name: row[i] if i < len(row) else None for name, i in position.items()}
        bill = _bill(number, cells, problems)
        if bill is not None:
            bills.append(bill)
    problems += _overlaps(bills)
    if problems:
        raise BillImportError(source_name, sorted(problems, key=lambda p: p.row))
    return BillImport(institution_id, uploader.strip(), source_name, source_sha256, int(time.time()), tuple(bills))


def _csv_rows(data: bytes) -> list[list[object]]:
    text = data.decode("utf-8-sig", errors="replace")  # Excel writes a byte-order mark
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _excel_rows(data: bytes, name: str) -> list[list[object]]:
    from openpyxl import load_workbook  # only needed for Excel files

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError or its own errors for non-workbooks
        raise BillImportError(name, [BillProblem(1, None, f"not a readable Excel workbook ({type(exc).__name__})")]) from None
    sheet = workbook["bills"] if "bills" in workbook.sheetnames else workbook.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def _column_name(cell: object) -> str:
    return "" if cell is None else str(cell).strip().lower().replace(" ", "_")


def _header_problems(header: list[str]) -> list[BillProblem]:
    problems = [BillProblem(1, name, "missing column") for name in COLUMNS if name not in header]
    problems += [BillProblem(1, name or "(blank)", f"unexpected column; expected exactly {', '.join(COLUMNS)}")
                 for name in header if name not in COLUMNS]
    problems += [BillProblem(1, name, "column appears more than once") for name in COLUMNS if header.count(name) > 1]
    return problems


def _bill(row: int, cells: dict[str, object], problems: list[BillProblem]) -> UtilityBill | None:
    before = len(problems)

    def problem(column: str, message: str) -> None:
        problems.append(BillProblem(row, column, message))

    account = "" if cells["account"] is None else str(cells["account"]).strip()
    if not account:
        problem("account", "empty")
    start = _date(cells["period_start"], "period_start", problem)
    end = _date(cells["period_end"], "period_end", problem)
    if start and end and end < start:
        problem("period_end", f"{end} is before period_start {start}")
    quantity = _decimal(cells["quantity"], "quantity", problem)
    unit_text = "" if cells["unit"] is None else str(cells["unit"]).strip()
    unit = _UNITS.get(unit_text.lower())
    if unit is None:
        problem("unit", f"unknown unit {unit_text!r}; one of kWh, MWh, m3, GJ")
    amount = _decimal(cells["amount"], "amount", problem)
    if amount is not None and amount != amount.quantize(Decimal("0.01")):
        problem("amount", f"{amount} has more than two decimals (CNY fen)")
    if len(problems) > before:
        return None
    return UtilityBill(account, start, end, quantity * unit[1], unit[0], amount, row)  # type: ignore[arg-type,index,operator]


def _date(value: object, column: str, problem) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = "" if value is None else str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        problem(column, f"{text!r} is not a date (YYYY-MM-DD)")
        return None


def _decimal(value: object, column: str, problem) -> Decimal | None:
    if isinstance(value, bool):
        value = None
    text = repr(value) if isinstance(value, float) else ("" if value is None else str(value).strip().replace(",", ""))
    try:
        number = Decimal(text)
    except InvalidOperation:
        problem(column, f"{text!r} is not a number")
        return None
    if not number.is_finite() or number < 0:
        problem(column, f"{text} must be a finite number ≥ 0")
        return None
    return number


def _overlaps(bills: list[UtilityBill]) -> list[BillProblem]:
    problems = []
    by_account: dict[tuple[str, Unit], list[UtilityBill]] = {}
    for bill in bills:
        by_account.setdefault((bill.account, bill.unit), []).append(bill)
    for (account, _), group in by_account.items():
        group.sort(key=lambda b: (b.period_start, b.row))
        reaching = group[0]  # of the bills so far, the one whose period ends last
        for later in group[1:]:
            if later.period_start <= reaching.period_end:
                problems.append(BillProblem(later.row, "period_start",
                                            f"account {account}: {later.period_start}–{later.period_end} overlaps row "
                                            f"{reaching.row}'s {reaching.period_start}–{reaching.period_end}"))
            if later.period_end > reaching.period_end:
                reaching = later
    return problems
