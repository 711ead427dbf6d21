"""billingPermissions, checkAccess, billingRoleDefinitions and billingRoleAssignments: the answers of the
one permission table, and role changes checked against the database."""

from __future__ import annotations

from datetime import UTC, datetime

from settle import demo
from settle.access.model import Role, RoleAssignment, Scope, allowed_actions
from settle.accounts.service import add_user
from settle.uow import UnitOfWork
from tests.integration.factories import PASSWORD
from tests.web.api.conftest import ADMIN, CONTOSO, CONTOSO_BILLING, FABRIKAM_ADMIN, INVOICES, READER, Api

PAY_ACTION = "Microsoft.Billing/billingAccounts/billingProfiles/invoices/pay/action"
READ_INVOICES = "Microsoft.Billing/billingAccounts/billingProfiles/invoices/read"
OWNER = "50000000-aaaa-bbbb-cccc-100000000000"
READER_ROLE = "50000000-aaaa-bbbb-cccc-100000000002"
PROFILE_CONTRIBUTOR = "40000000-aaaa-bbbb-cccc-100000000001"


def _actions(api: Api, path: str, user: str) -> list[str]:
    body = api.get(f"{path}/billingPermissions", user=user).json()
    assert len(body["value"]) == 1 and body["value"][0]["notActions"] == []
    actions: list[str] = body["value"][0]["actions"]
    return actions


def _held(api: Api, email: str) -> list[tuple[Role, Scope]]:
    with UnitOfWork(api.engine, write=False) as uow:
        return [(held.role, held.scope) for held in uow.roles.for_user(uow.users.get_by_email(email).id)]


def test_billing_permissions_are_the_actions_the_roles_allow(api: Api) -> None:
    for user in (ADMIN, READER, INVOICES):
        with UnitOfWork(api.engine, write=False) as uow:
            held = uow.roles.for_user(uow.users.get_by_email(user).id)
        scope = Scope(demo.CONTOSO, demo.CONTOSO_BILLING)
        assert _actions(api, CONTOSO_BILLING, user) == allowed_actions(held, scope)
    assert PAY_ACTION in _actions(api, CONTOSO_BILLING, INVOICES)
    assert PAY_ACTION not in _actions(api, CONTOSO_BILLING, READER)
    assert READ_INVOICES in _actions(api, CONTOSO, READER)
    assert api.get(f"{CONTOSO}/billingPermissions", user=FABRIKAM_ADMIN).status_code == 404


def test_check_access_answers_each_action_allowed_or_not(api: Api) -> None:
    asked = {"actions": [READ_INVOICES, PAY_ACTION, "Microsoft.Billing/nonsense/write"]}
    for user, pay in [(READER, "NotAllowed"), (INVOICES, "Allowed")]:
        response = api.post(f"{CONTOSO_BILLING}/checkAccess", asked, user=user)
        assert response.status_code == 200
        assert response.json() == [
            {"action": READ_INVOICES, "accessDecision": "Allowed"},
            {"action": PAY_ACTION, "accessDecision": pay},
            {"action": "Microsoft.Billing/nonsense/write", "accessDecision": "NotAllowed"},
        ]
    assert api.post(f"{CONTOSO}/checkAccess", asked, user=FABRIKAM_ADMIN).status_code == 404


def test_role_definitions_are_azure_s_customer_agreement_roles_at_each_scope(api: Api) -> None:
    at_account = api.get(f"{CONTOSO}/billingRoleDefinitions", user=READER).json()["value"]
    assert [(d["name"], d["properties"]["roleName"]) for d in at_account] == [
        (OWNER, "Billing account owner"),
        ("50000000-aaaa-bbbb-cccc-100000000001", "Billing account contributor"),
        (READER_ROLE, "Billing account reader"),
    ]
    reader = api.get(f"{CONTOSO}/billingRoleDefinitions/{READER_ROLE}", user=READER).json()
    assert reader["id"] == f"{CONTOSO}/billingRoleDefinitions/{READER_ROLE}"
    held = [(Role.BILLING_ACCOUNT_READER, Scope(demo.CONTOSO))]
    assert reader["properties"]["permissions"][0]["actions"] == _definition_actions(held)
    at_profile = api.get(f"{CONTOSO_BILLING}/billingRoleDefinitions").json()["value"]
    assert [d["properties"]["roleName"] for d in at_profile][-1] == "Invoice manager" and len(at_profile) == 4
    assert api.get(f"{CONTOSO_BILLING}/billingRoleDefinitions/{OWNER}").status_code == 404


def _definition_actions(held: list[tuple[Role, Scope]]) -> list[str]:
    moment = datetime(2000, 1, 1, tzinfo=UTC)
    assignments = [RoleAssignment("x", "u", role, scope, moment) for role, scope in held]
    return allowed_actions(assignments, held[0][1])


def test_role_assignments_are_listed_for_those_who_manage_roles(api: Api) -> None:
    body = api.get(f"{CONTOSO}/billingRoleAssignments").json()
    with UnitOfWork(api.engine, write=False) as uow:
        held = {a.id: a for a in uow.roles.in_account(demo.CONTOSO)}
    assert {item["name"] for item in body["value"]} == set(held)
    reader = next(item for item in body["value"] if item["properties"]["userEmailAddress"] == READER)
    assert reader["properties"]["roleDefinitionId"] == f"{CONTOSO}/billingRoleDefinitions/{READER_ROLE}"
    assert reader["properties"]["scope"] == CONTOSO and reader["properties"]["principalType"] == "User"
    assert reader["properties"]["principalId"] == held[reader["name"]].user_id
    one = api.get(f"{CONTOSO}/billingRoleAssignments/{reader['name']}").json()
    assert one == reader
    assert api.get(f"{CONTOSO}/billingRoleAssignments", user=READER).status_code == 403


def test_an_owner_gives_a_user_a_profile_role_and_takes_it_away(api: Api) -> None:
    with UnitOfWork(api.engine) as uow:
        add_user(
            uow, api.clock, verified=True, email="new@contoso.example", display_name="New Person", password=PASSWORD
        )
    definition = f"{CONTOSO_BILLING}/billingRoleDefinitions/{PROFILE_CONTRIBUTOR}"
    body = {"roleDefinitionId": definition, "userEmailAddress": "New@Contoso.example", "principalTenantId": "t"}
    created = api.post(f"{CONTOSO_BILLING}/createBillingRoleAssignment", body)
    assert created.status_code == 200, created.text
    scope = Scope(demo.CONTOSO, demo.CONTOSO_BILLING)
    assert _held(api, "new@contoso.example") == [(Role.BILLING_PROFILE_CONTRIBUTOR, scope)]
    assignment = created.json()
    assert assignment["id"] == f"{CONTOSO_BILLING}/billingRoleAssignments/{assignment['name']}"
    assert assignment["properties"]["roleDefinitionId"] == definition
    again = api.post(f"{CONTOSO_BILLING}/createBillingRoleAssignment", body)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "RoleAlreadyAssigned")
    deleted = api.delete(f"{CONTOSO_BILLING}/billingRoleAssignments/{assignment['name']}")
    assert deleted.status_code == 204 and _held(api, "new@contoso.example") == []


def test_a_role_cannot_be_given_to_someone_who_is_not_a_user_nor_by_someone_who_may_not(api: Api) -> None:
    body = {"roleDefinitionId": READER_ROLE, "userEmailAddress": "stranger@example.com"}
    unknown = api.post(f"{CONTOSO}/createBillingRoleAssignment", body)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "PrincipalNotFound")
    by_reader = api.post(f"{CONTOSO}/createBillingRoleAssignment", body | {"userEmailAddress": INVOICES}, user=READER)
    assert (by_reader.status_code, by_reader.json()["error"]["code"]) == (403, "AuthorizationFailed")
    wrong_scope = api.post(
        f"{CONTOSO}/createBillingRoleAssignment",
        {"roleDefinitionId": PROFILE_CONTRIBUTOR, "userEmailAddress": INVOICES},
    )
    assert (wrong_scope.status_code, wrong_scope.json()["error"]["code"]) == (400, "RoleScopeMismatch")
    assert _held(api, INVOICES) == [(Role.INVOICE_MANAGER, Scope(demo.CONTOSO, demo.CONTOSO_BILLING))]


def test_the_last_owner_of_an_account_stays(api: Api) -> None:
    owners = api.get(f"{CONTOSO}/billingRoleAssignments").json()["value"]
    owner = next(item for item in owners if item["properties"]["userEmailAddress"] == ADMIN)
    response = api.delete(f"{CONTOSO}/billingRoleAssignments/{owner['name']}")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "LastOwner")
    assert (Role.BILLING_ACCOUNT_OWNER, Scope(demo.CONTOSO)) in _held(api, ADMIN)
    profile_level = api.delete(f"{CONTOSO_BILLING}/billingRoleAssignments/{owner['name']}")
    assert profile_level.status_code == 404
