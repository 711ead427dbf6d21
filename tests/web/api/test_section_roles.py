"""Billing role assignments at an invoice section: created, listed, got and deleted through the Azure SDK, by
those who may manage roles there (an account owner, or the section's owner), and by nobody else."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError

from settle import demo
from settle.access.model import Role, Scope
from settle.access.service import grant_role
from settle.accounts.service import add_user
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD
from tests.web.api.conftest import CONTOSO_BILLING, FABRIKAM_ADMIN, READER, Api
from tests.web.api.sdk import client_for

ENGINEERING = "CNTS-ENGR-SEC-001"
SECTION = f"{CONTOSO_BILLING}/invoiceSections/{ENGINEERING}"
SECTION_SCOPE = Scope(demo.CONTOSO, demo.CONTOSO_BILLING, ENGINEERING)
SECTION_READER = "30000000-aaaa-bbbb-cccc-100000000002"
SECTION_OWNER = "30000000-aaaa-bbbb-cccc-100000000000"
NEWCOMER = "newcomer@contoso.example"


def _held(api: Api, email: str) -> list[tuple[Role, Scope]]:
    with UnitOfWork(api.engine, write=False) as uow:
        return [(held.role, held.scope) for held in uow.roles.for_user(uow.users.get_by_email(email).id)]


def _newcomer(api: Api) -> None:
    with UnitOfWork(api.engine) as uow:
        add_user(uow, api.clock, verified=True, email=NEWCOMER, display_name="Newcomer", password=PASSWORD)


def test_the_sdk_gives_takes_and_lists_an_invoice_section_role(api: Api, server: str) -> None:
    _newcomer(api)
    client = client_for(api, server)
    definition = f"{SECTION}/billingRoleDefinitions/{SECTION_READER}"
    created = client.billing_role_assignments.begin_create_by_invoice_section(
        demo.CONTOSO,
        demo.CONTOSO_BILLING,
        ENGINEERING,
        {"roleDefinitionId": definition, "userEmailAddress": NEWCOMER},
    ).result()
    assert _held(api, NEWCOMER) == [(Role.INVOICE_SECTION_READER, SECTION_SCOPE)]
    assert created.id == f"{SECTION}/billingRoleAssignments/{created.name}"
    assert created.properties.scope == SECTION and created.properties.role_definition_id == definition
    assert created.properties.invoice_section_id == SECTION
    listed = client.billing_role_assignments.list_by_invoice_section(demo.CONTOSO, demo.CONTOSO_BILLING, ENGINEERING)
    by_name = {item.name: item for item in listed}
    assert created.name in by_name and any(item.properties.scope != SECTION for item in by_name.values())  # inherited
    one = client.billing_role_assignments.get_by_invoice_section(
        demo.CONTOSO, demo.CONTOSO_BILLING, ENGINEERING, created.name
    )
    assert one.properties.user_email_address == NEWCOMER
    client.billing_role_assignments.delete_by_invoice_section(
        demo.CONTOSO, demo.CONTOSO_BILLING, ENGINEERING, created.name
    )
    assert _held(api, NEWCOMER) == []


def test_a_section_owner_manages_their_section_but_a_reader_and_a_stranger_may_not(api: Api, server: str) -> None:
    _newcomer(api)
    with UnitOfWork(api.engine) as uow:
        reader = uow.users.get_by_email(READER)
        grant_role(
            uow, api.clock, actor_id=None, user_id=reader.id, role=Role.INVOICE_SECTION_OWNER, scope=SECTION_SCOPE
        )
    body = {"roleDefinitionId": SECTION_READER, "userEmailAddress": NEWCOMER}
    by_section_owner = api.post(f"{SECTION}/createBillingRoleAssignment", body, user=READER)
    assert by_section_owner.status_code == 200, by_section_owner.text
    other_section = f"{CONTOSO_BILLING}/invoiceSections/CNTS-MKTG-SEC-002"
    refused = api.post(f"{other_section}/createBillingRoleAssignment", body, user=READER)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "AuthorizationFailed")
    wrong_role = api.post(
        f"{SECTION}/createBillingRoleAssignment", body | {"roleDefinitionId": "40000000-aaaa-bbbb-cccc-100000000001"}
    )
    assert (wrong_role.status_code, wrong_role.json()["error"]["code"]) == (400, "RoleScopeMismatch")
    stranger = client_for(api, server, FABRIKAM_ADMIN)
    with pytest.raises(ResourceNotFoundError):
        list(stranger.billing_role_assignments.list_by_invoice_section(demo.CONTOSO, demo.CONTOSO_BILLING, ENGINEERING))
    with pytest.raises(HttpResponseError) as foreign:
        list(
            client_for(api, server).billing_role_assignments.list_by_invoice_section(
                demo.CONTOSO, demo.FABRIKAM_BILLING, "FBKM-OPSX-SEC-001"
            )
        )
    assert foreign.value.status_code == 404
    assert _held(api, NEWCOMER) == [(Role.INVOICE_SECTION_READER, SECTION_SCOPE)]
