"""The demo's calendar: the compound lives in 2022, today's date and time.

The published factor sets (ledger/accounting/published.py) are valid for 2022 only, and the dashboards
take "now" from the last anchored reading. So the demo replays 2022 from 1 January up to today's date in
2022, and the live meters keep stamping 2022's today: the charts are full and every figure has factors.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from ledger.accounting.metered import CHINA_STANDARD_TIME

DEMO_YEAR = 2022
YEAR_START = int(datetime(DEMO_YEAR, 1, 1, tzinfo=CHINA_STANDARD_TIME).timestamp())
YEAR_END = int(datetime(DEMO_YEAR + 1, 1, 1, tzinfo=CHINA_STANDARD_TIME).timestamp())


def demo_now(wall: float | None = None) -> int:
    """Wall-clock time moved to the same month, day and time of day in DEMO_YEAR (29 Feb → 28 Feb)."""
    now = datetime.fromtimestamp(time.time() if wall is None else wall, timezone.utc)
    try:
        shifted = now.replace(year=DEMO_YEAR)
    except ValueError:
        shifted = now.replace(year=DEMO_YEAR, day=28)
    return min(int(shifted.timestamp()), YEAR_END - 1)
