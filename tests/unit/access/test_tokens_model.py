"""API tokens work until revoked or expired; invitations are open until used or seven days old."""

from dataclasses import replace
from datetime import timedelta

import pytest

from settle.access.model import Role, Scope
from settle.access.tokens import ApiToken, InvalidTokenName, Invitation, check_token_name
from tests.unit.factories import NOW

TOKEN = ApiToken(id="t1", user_id="user-1", name="CI", prefix="stl_abcd", secret_hash="h", created_at=NOW)
INVITATION = Invitation(
    id="i1",
    secret_hash="h",
    email="new@example.com",
    role=Role.BILLING_ACCOUNT_READER,
    scope=Scope("ACC-A"),
    created_at=NOW,
    expires_at=NOW + timedelta(days=7),
)


def test_a_token_without_expiry_works_until_revoked() -> None:
    later = NOW + timedelta(days=3650)

    assert TOKEN.usable(later)
    assert TOKEN.status(later) == "active"
    revoked = replace(TOKEN, revoked_at=NOW)
    assert not revoked.usable(NOW)
    assert revoked.status(NOW) == "revoked"


def test_a_token_stops_working_the_moment_it_expires() -> None:
    expiring = replace(TOKEN, expires_at=NOW + timedelta(days=90))

    assert expiring.usable(NOW + timedelta(days=90) - timedelta(seconds=1))
    assert not expiring.usable(NOW + timedelta(days=90))
    assert expiring.status(NOW + timedelta(days=90)) == "expired"


def test_a_tokens_use_is_written_down_at_most_once_a_minute() -> None:
    assert TOKEN.needs_touch(NOW)
    used = replace(TOKEN, last_used_at=NOW)
    assert not used.needs_touch(NOW + timedelta(seconds=59))
    assert used.needs_touch(NOW + timedelta(minutes=1))


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_a_token_needs_a_name_of_one_to_a_hundred_characters(name: str) -> None:
    with pytest.raises(InvalidTokenName):
        check_token_name(name)


def test_a_token_name_is_trimmed() -> None:
    assert check_token_name("  deploy bot ") == "deploy bot"


def test_an_invitation_is_open_for_seven_days() -> None:
    assert INVITATION.is_open(NOW + timedelta(days=7) - timedelta(seconds=1))
    assert not INVITATION.is_open(NOW + timedelta(days=7))


def test_an_accepted_invitation_is_closed() -> None:
    assert not replace(INVITATION, accepted_at=NOW, accepted_by="user-2").is_open(NOW)
