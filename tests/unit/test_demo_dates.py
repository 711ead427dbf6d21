"""The demo's invoice dates give the promised statuses on every day of the year, whatever the month lengths."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from settle.demo import PAYMENT_TERMS_DAYS, monthly_invoice_dates

DAYS = [date(2027, 1, 1) + timedelta(days=offset) for offset in range(366 + 365)]  # a common year and a leap year


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_newest_invoice_is_due_and_the_one_two_months_back_is_past_due(day: date) -> None:
    dates = monthly_invoice_dates(day, 24)
    newest, two_back = dates[-1], dates[-3]
    assert len(dates) == 24 and dates == sorted(dates) and newest <= day
    assert newest + timedelta(days=PAYMENT_TERMS_DAYS) >= day  # still Due
    assert two_back + timedelta(days=PAYMENT_TERMS_DAYS) < day  # Past due
