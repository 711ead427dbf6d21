"""Sign-up: a new customer's user becomes the billing account administrator (owner) of a new MCA account."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from settle.access.model import Permission, Role, Scope, permissions_at
from settle.accounts.model import AgreementType, PasswordTooShort
from settle.accounts.service import SignedUp, SignUpDisabled, UnknownCountry, sign_up
from settle.clock import FixedClock
from settle.errors import ErrorKind
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD


def _sign_up(engine: Engine, clock: FixedClock, **overrides: Any) -> SignedUp:
    fields: dict[str, Any] = {
        "email": "ada@northwind.example",
        "display_name": "Ada",
        "password": PASSWORD,
        "company": "Northwind",
        "currency": "DKK",
        "country": "dk",
        "enabled": True,
        "secret_key": "sign-up tests",
        "locale": "en",
    }
    fields.update(overrides)
    with UnitOfWork(engine) as uow:
        signed = sign_up(uow, clock, **fields)
    assert signed is not None, "a new address"
    return signed


def _user_count(engine: Engine) -> int:
    with UnitOfWork(engine, write=False) as uow:
        return len(uow.users.list())


def test_sign_up_makes_its_user_the_billing_account_owner(engine: Engine, clock: FixedClock) -> None:
    signed = _sign_up(engine, clock)

    with UnitOfWork(engine, write=False) as uow:
        held = uow.roles.for_user(signed.user.id)
    assert [(a.role, a.scope) for a in held] == [(Role.BILLING_ACCOUNT_OWNER, Scope(signed.account.id))]
    assert permissions_at(held, Scope(signed.account.id, signed.profile.id)) == frozenset(Permission)


def test_sign_up_creates_a_customer_agreement_account_with_its_first_profile_and_section(
    engine: Engine, clock: FixedClock
) -> None:
    signed = _sign_up(engine, clock)

    with UnitOfWork(engine, write=False) as uow:
        account = uow.accounts.get(signed.account.id)
        profiles = uow.profiles.list_for_account(account.id)
        sections = uow.sections.list_for_profile(signed.profile.id)
    assert account.agreement_type is AgreementType.MICROSOFT_CUSTOMER_AGREEMENT
    assert (account.display_name, account.sold_to.country) == ("Northwind", "DK")
    assert [(p.currency, p.invoice_email) for p in profiles] == [("DKK", "ada@northwind.example")]
    assert [s.id for s in sections] == [signed.section.id]


def test_sign_up_is_refused_when_turned_off_and_creates_nothing(engine: Engine, clock: FixedClock) -> None:
    with pytest.raises(SignUpDisabled) as caught:
        _sign_up(engine, clock, enabled=False)

    assert caught.value.kind is ErrorKind.FORBIDDEN
    assert _user_count(engine) == 0


def test_a_password_under_twelve_characters_is_refused_with_the_reason(engine: Engine, clock: FixedClock) -> None:
    with pytest.raises(PasswordTooShort) as caught:
        _sign_up(engine, clock, password="short pass")

    assert str(caught.value) == "The password must be at least 12 characters long."
    assert _user_count(engine) == 0


@pytest.mark.parametrize("country", ["", "Denmark", "EU", "Q1"])
def test_an_unknown_country_is_refused(engine: Engine, clock: FixedClock, country: str) -> None:
    with pytest.raises(UnknownCountry):
        _sign_up(engine, clock, country=country)
    assert _user_count(engine) == 0
