"""`settle tokens create --expires`: lifetimes in hours, days or weeks, or never."""

import pytest

from settle.commands.tokens import parse_expiry


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("12h", 0.5), ("4w", 28), (" 7D ", 7)])
def test_expiry_durations_are_read_in_hours_days_or_weeks(text: str, days: float) -> None:
    lifetime = parse_expiry(text)

    assert lifetime is not None and lifetime.total_seconds() == days * 86400


def test_never_means_no_expiry_and_nonsense_is_refused() -> None:
    assert parse_expiry("never") is None
    for text in ("0d", "90", "ninety days", "-5d"):
        with pytest.raises(ValueError, match="not a duration"):
            parse_expiry(text)
