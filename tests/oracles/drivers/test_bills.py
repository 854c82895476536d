"""Utility bills from CSV and Excel: validated row by row, and never mistaken for signed readings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from ledger.encoding import Unit
from ledger.signing import SignedReading
from oracles.drivers.bills import BillImportError, DataQuality, UtilityBill, import_bills
from tests.oracles.conftest import make_node

HEADER = "account,period_start,period_end,quantity,unit,amount"
GOOD = [
    "51-0001,2025-01-01,2025-01-31,61250.5,kWh,42875.35",
    "51-0001,2025-02-01,2025-02-28,58.1,MWh,40670.00",
    "WATER-9,2025-01-01,2025-02-28,10342,m3,36197",
]


def _csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "bills.csv"
    path.write_text("\ufeff" + "\n".join([header, *rows]) + "\n", encoding="utf-8")  # with Excel's BOM
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(BillImportError) as caught:
        import_bills(path, institution_id=4, uploader="auditor@qingyang.gov.cn")
    return [str(p) for p in caught.value.problems]


def test_a_csv_import_yields_unsigned_bills_with_the_uploader_and_file_hash(tmp_path) -> None:
    path = _csv(tmp_path, *GOOD)
    result = import_bills(path, institution_id=4, uploader="auditor@qingyang.gov.cn")
    assert [b.row for b in result.bills] == [2, 3, 4]
    first = result.bills[0]
    assert (first.account, first.period_start, first.period_end) == ("51-0001", date(2025, 1, 1), date(2025, 1, 31))
    assert (first.quantity, first.unit, first.amount_cny) == (Decimal("61250.5"), Unit.KWH, Decimal("42875.35"))
    assert result.bills[1].quantity == Decimal("58100.0") and result.bills[1].unit == Unit.KWH  # MWh → kWh
    assert result.total(Unit.KWH) == Decimal("119350.5") and result.total(Unit.M3) == Decimal("10342")
    assert result.quality == first.quality == DataQuality.UNSIGNED_UTILITY_BILL
    assert result.signed is False and first.signed is False
    assert result.uploader == "auditor@qingyang.gov.cn" and len(result.source_sha256) == 64


def test_an_excel_import_reads_dates_and_numbers_from_cells(tmp_path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "bills"
    sheet.append(["Account", "Period start", "Period end", "Quantity", "Unit", "Amount"])
    sheet.append(["51-0001", datetime(2025, 3, 1), datetime(2025, 3, 31), 60_010.25, "kWh", 42_007.18])
    sheet.append(["51-0001", "2025-04-01", "2025-04-30", 55_000, "kWh", "38,500.00"])
    path = tmp_path / "bills.xlsx"
    workbook.save(path)
    result = import_bills(path, institution_id=4, uploader="0x4fB0…uploader")
    assert [(b.period_start, b.quantity, b.amount_cny) for b in result.bills] == [
        (date(2025, 3, 1), Decimal("60010.25"), Decimal("42007.18")),
        (date(2025, 4, 1), Decimal("55000"), Decimal("38500.00")),
    ]


def test_wrong_columns_are_named(tmp_path) -> None:
    problems = _problems(_csv(tmp_path, *GOOD, header="account,start,period_end,quantity,unit,amount,notes"))
    assert problems == [
        "row 1, column 'period_start': missing column",
        "row 1, column 'start': unexpected column; expected exactly account, period_start, period_end, quantity, unit, amount",
        "row 1, column 'notes': unexpected column; expected exactly account, period_start, period_end, quantity, unit, amount",
    ]


def test_every_bad_cell_is_reported_with_its_row_and_column(tmp_path) -> None:
    problems = _problems(_csv(
        tmp_path,
        GOOD[0],
        "51-0001,2025-02-30,2025-03-31,100,kWh,70",  # no 30 February
        "51-0002,2025-01-01,2024-12-31,100,kWh,70",  # ends before it starts
        "51-0003,2025-01-01,2025-01-31,100,kwhh,70",
        "51-0004,2025-01-01,2025-01-31,-5,kWh,70",
        "51-0005,2025-01-01,2025-01-31,12,kWh,3.141",
        ",2025-01-01,2025-01-31,abc,kWh,1",
    ))
    assert problems == [
        "row 3, column 'period_start': '2025-02-30' is not a date (YYYY-MM-DD)",
        "row 4, column 'period_end': 2024-12-31 is before period_start 2025-01-01",
        "row 5, column 'unit': unknown unit 'kwhh'; one of kWh, MWh, m3, GJ",
        "row 6, column 'quantity': -5 must be a finite number ≥ 0",
        "row 7, column 'amount': 3.141 has more than two decimals (CNY fen)",
        "row 8, column 'account': empty",
        "row 8, column 'quantity': 'abc' is not a number",
    ]


def test_overlapping_periods_of_one_account_are_refused(tmp_path) -> None:
    problems = _problems(_csv(
        tmp_path,
        "51-0001,2025-01-01,2025-03-31,100,kWh,70",
        "51-0001,2025-02-01,2025-02-10,100,kWh,70",
        "51-0001,2025-03-15,2025-04-30,100,kWh,70",  # overlaps row 2, not row 3
        "51-0002,2025-01-01,2025-03-31,100,kWh,70",  # another account may share the dates
        "51-0001,2025-05-01,2025-05-31,100,kWh,70",  # adjacent is fine
    ))
    assert problems == [
        "row 3, column 'period_start': account 51-0001: 2025-02-01–2025-02-10 overlaps row 2's 2025-01-01–2025-03-31",
        "row 4, column 'period_start': account 51-0001: 2025-03-15–2025-04-30 overlaps row 2's 2025-01-01–2025-03-31",
    ]


def test_files_that_are_not_bills_are_refused(tmp_path) -> None:
    text = tmp_path / "bills.txt"
    text.write_text(HEADER)
    assert _problems(text) == ["row 1: unsupported file type '.txt'; use .csv or .xlsx"]
    fake = tmp_path / "bills.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really a workbook")
    assert _problems(fake)[0].startswith("row 1: not a readable Excel workbook")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "the file is empty" in _problems(empty)[0]


def test_an_import_needs_the_uploaders_identity(tmp_path) -> None:
    with pytest.raises(BillImportError, match="the uploader's identity is required"):
        import_bills(_csv(tmp_path, *GOOD), institution_id=4, uploader="  ")


def test_a_bill_can_never_pass_for_a_signed_reading(tmp_path, contracts, tree) -> None:
    bill = import_bills(_csv(tmp_path, *GOOD), institution_id=tree.institution, uploader="auditor").bills[0]
    assert isinstance(bill, UtilityBill) and not isinstance(bill, SignedReading)
    assert not hasattr(bill, "payload") and not hasattr(bill, "signature")
    node = make_node(contracts, tree.institution, tmp_path / "oracle")
    with pytest.raises(AttributeError):
        node.ingest([("bills.csv:2", bill)])  # type: ignore[list-item]
    assert node.spool.pending_count() == 0
    node.spool.close()
