"""DELETE /providers/Microsoft.Billing/paymentMethods/{name}: a user deletes their own payment method, from every
billing profile it is linked to, as the access policy and the default-first rule allow."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from settle import demo
from settle.uow import UnitOfWork
from tests.web.api.conftest import CONTOSO_BILLING, FABRIKAM_ADMIN, READER, Api
from tests.web.api.sdk import client_for

USER_METHODS = "/providers/Microsoft.Billing/paymentMethods"
MASTERCARD = "5555555555554444"


def _links(api: Api, profile: str = demo.CONTOSO_BILLING) -> list[str]:
    with UnitOfWork(api.engine, write=False) as uow:
        return [method.id for method in uow.payment_methods.list_for_profile(profile)]


def test_the_sdk_deletes_the_callers_card_from_every_profile_it_is_linked_to(api: Api, server: str) -> None:
    card = api.add_card(MASTERCARD)
    with UnitOfWork(api.engine) as uow:
        uow.payment_methods.link(card.id, demo.CONTOSO_RND)
    assert card.id in _links(api) and card.id in _links(api, demo.CONTOSO_RND)
    client_for(api, server).payment_methods.delete_by_user(card.id)
    assert card.id not in _links(api) and card.id not in _links(api, demo.CONTOSO_RND)
    with UnitOfWork(api.engine, write=False) as uow:
        assert uow.payment_methods.find(card.id) is None
    links = api.get(f"{CONTOSO_BILLING}/paymentMethodLinks").json()["value"]
    assert card.id not in [link["name"] for link in links]


def test_the_default_of_a_profile_with_unpaid_invoices_must_be_replaced_first(api: Api, server: str) -> None:
    (default,) = _links(api)
    with pytest.raises(HttpResponseError) as refused:
        client_for(api, server).payment_methods.delete_by_user(default)
    assert refused.value.status_code == 409
    assert refused.value.error is not None and refused.value.error.code == "PaymentMethodIsDefault"
    assert _links(api) == [default]


def test_someone_elses_card_is_not_found_even_for_the_account_owner(api: Api, server: str) -> None:
    theirs = api.add_card(MASTERCARD, owner=FABRIKAM_ADMIN)
    with pytest.raises(ResourceNotFoundError):
        client_for(api, server).payment_methods.delete_by_user(theirs.id)
    answer = api.delete(f"{USER_METHODS}/{theirs.id}", user=FABRIKAM_ADMIN)
    assert answer.status_code == 403  # their own card, on a profile they may not manage
    assert theirs.id in _links(api)


def test_a_reader_may_not_delete_even_their_own_card_from_a_profile(api: Api) -> None:
    card = api.add_card(MASTERCARD, owner=READER)
    answer = api.delete(f"{USER_METHODS}/{card.id}", user=READER)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "AuthorizationFailed"
    assert card.id in _links(api)
    assert api.delete(f"{USER_METHODS}/{card.id}").status_code == 404  # not the admin's card
    assert api.delete(f"{USER_METHODS}/no-such-card").json()["error"]["code"] == "PaymentMethodNotFound"
