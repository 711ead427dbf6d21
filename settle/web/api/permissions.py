"""What may be done at a billing account or billing profile: billingPermissions (every Microsoft.Billing
action the caller may do there), checkAccess (may they do each of these?) and billingRoleDefinitions
(what each role allows, under Azure's ids for the Microsoft Customer Agreement roles), all answered
from the one permission table of settle/access/model.py."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from settle.access.model import ROLE_NAMES, ROLE_SCOPE, Role, RoleAssignment, Scope
from settle.access.model import allowed_actions as actions_of
from settle.access.service import billing_permissions, check_access
from settle.accounts.scopes import assignments_seeing
from settle.errors import N_, NotFound
from settle.web.api import schemas
from settle.web.api import serialise as shape
from settle.web.api.auth import ApiCaller, Caller
from settle.web.api.errors import ERROR_RESPONSES, AzureRoute
from settle.web.api.params import ACCOUNT, PROFILE, AccountName, ProfileName, RoleDefinitionName
from settle.web.api.serialise import AzureJSON

# Azure's role definition ids for the Microsoft Customer Agreement billing roles.
DEFINITION_IDS = {
    Role.BILLING_ACCOUNT_OWNER: "50000000-aaaa-bbbb-cccc-100000000000",
    Role.BILLING_ACCOUNT_CONTRIBUTOR: "50000000-aaaa-bbbb-cccc-100000000001",
    Role.BILLING_ACCOUNT_READER: "50000000-aaaa-bbbb-cccc-100000000002",
    Role.BILLING_PROFILE_OWNER: "40000000-aaaa-bbbb-cccc-100000000000",
    Role.BILLING_PROFILE_CONTRIBUTOR: "40000000-aaaa-bbbb-cccc-100000000001",
    Role.BILLING_PROFILE_READER: "40000000-aaaa-bbbb-cccc-100000000002",
    Role.INVOICE_MANAGER: "40000000-aaaa-bbbb-cccc-100000000006",
    Role.INVOICE_SECTION_OWNER: "30000000-aaaa-bbbb-cccc-100000000000",
    Role.INVOICE_SECTION_CONTRIBUTOR: "30000000-aaaa-bbbb-cccc-100000000001",
    Role.INVOICE_SECTION_READER: "30000000-aaaa-bbbb-cccc-100000000002",
}
ROLES_BY_DEFINITION = {definition: role for role, definition in DEFINITION_IDS.items()}

router = APIRouter(route_class=AzureRoute, tags=["Billing permissions"], responses=ERROR_RESPONSES)


class BillingRoleDefinitionNotFound(NotFound):
    code = "BillingRoleDefinitionNotFound"
    message = N_("Billing role definition '{id}' was not found.")


@router.get(
    f"{ACCOUNT}/billingPermissions",
    response_model=schemas.BillingPermissionList,
    operation_id="BillingPermissions_ListByBillingAccount",
)
def list_account_permissions(caller: ApiCaller, account: AccountName) -> AzureJSON:
    """The Microsoft.Billing actions the caller may do at the billing account."""
    return _permissions(caller, Scope(account))


@router.get(
    f"{PROFILE}/billingPermissions",
    response_model=schemas.BillingPermissionList,
    operation_id="BillingPermissions_ListByBillingProfile",
)
def list_profile_permissions(caller: ApiCaller, account: AccountName, profile: ProfileName) -> AzureJSON:
    """The Microsoft.Billing actions the caller may do at the billing profile."""
    return _permissions(caller, Scope(account, profile))


@router.post(
    f"{ACCOUNT}/checkAccess",
    response_model=list[schemas.CheckAccessResponse],
    operation_id="BillingPermissions_CheckAccessByBillingAccount",
)
def check_account_access(caller: ApiCaller, account: AccountName, body: schemas.CheckAccessRequest) -> AzureJSON:
    """For each action asked about, whether the caller may do it at the billing account."""
    return _check(caller, Scope(account), body)


@router.post(
    f"{PROFILE}/checkAccess",
    response_model=list[schemas.CheckAccessResponse],
    operation_id="BillingPermissions_CheckAccessByBillingProfile",
)
def check_profile_access(
    caller: ApiCaller, account: AccountName, profile: ProfileName, body: schemas.CheckAccessRequest
) -> AzureJSON:
    """For each action asked about, whether the caller may do it at the billing profile."""
    return _check(caller, Scope(account, profile), body)


def _permissions(caller: Caller, scope: Scope) -> AzureJSON:
    with caller.reading() as uow:
        assignments_seeing(uow, caller.user.id, scope)
        actions = billing_permissions(uow, caller.user.id, scope)
    return AzureJSON(schemas.BillingPermissionList(value=[schemas.BillingPermission(actions=actions, not_actions=[])]))


def _check(caller: Caller, scope: Scope, body: schemas.CheckAccessRequest) -> AzureJSON:
    with caller.reading() as uow:
        assignments_seeing(uow, caller.user.id, scope)
        answers = check_access(uow, caller.user.id, scope, body.actions)
    decisions = [
        schemas.CheckAccessResponse(action=action, access_decision="Allowed" if allowed else "NotAllowed")
        for action, allowed in answers
    ]
    return AzureJSON(decisions)


@router.get(
    f"{ACCOUNT}/billingRoleDefinitions",
    response_model=schemas.BillingRoleDefinitionList,
    operation_id="BillingRoleDefinition_ListByBillingAccount",
)
def list_account_definitions(caller: ApiCaller, account: AccountName) -> AzureJSON:
    """The roles that can be held at a billing account, with the actions each allows."""
    return _definitions(caller, Scope(account))


@router.get(
    f"{ACCOUNT}/billingRoleDefinitions/{{roleDefinitionName}}",
    response_model=schemas.BillingRoleDefinition,
    operation_id="BillingRoleDefinition_GetByBillingAccount",
)
def get_account_definition(caller: ApiCaller, account: AccountName, name: RoleDefinitionName) -> AzureJSON:
    return _definitions(caller, Scope(account), name)


@router.get(
    f"{PROFILE}/billingRoleDefinitions",
    response_model=schemas.BillingRoleDefinitionList,
    operation_id="BillingRoleDefinition_ListByBillingProfile",
)
def list_profile_definitions(caller: ApiCaller, account: AccountName, profile: ProfileName) -> AzureJSON:
    """The roles that can be held at a billing profile, with the actions each allows."""
    return _definitions(caller, Scope(account, profile))


@router.get(
    f"{PROFILE}/billingRoleDefinitions/{{roleDefinitionName}}",
    response_model=schemas.BillingRoleDefinition,
    operation_id="BillingRoleDefinition_GetByBillingProfile",
)
def get_profile_definition(
    caller: ApiCaller, account: AccountName, profile: ProfileName, name: RoleDefinitionName
) -> AzureJSON:
    return _definitions(caller, Scope(account, profile), name)


def _definitions(caller: Caller, scope: Scope, name: str | None = None) -> AzureJSON:
    with caller.reading() as uow:
        assignments_seeing(uow, caller.user.id, scope)
    roles = [role for role in Role if ROLE_SCOPE[role] is scope.kind]
    if name is None:
        return AzureJSON(schemas.BillingRoleDefinitionList(value=[_definition(scope, role) for role in roles]))
    role = ROLES_BY_DEFINITION.get(name)
    if role is None or role not in roles:
        raise BillingRoleDefinitionNotFound(id=name)
    return AzureJSON(_definition(scope, role))


def _definition(scope: Scope, role: Role) -> schemas.BillingRoleDefinition:
    definition = DEFINITION_IDS[role]
    holder = RoleAssignment(id="", user_id="", role=role, scope=scope, created_at=datetime(2000, 1, 1, tzinfo=UTC))
    return schemas.BillingRoleDefinition(
        id=f"{shape.scope_id(scope)}/billingRoleDefinitions/{definition}",
        name=definition,
        type=f"{shape.scope_type(scope)}/billingRoleDefinitions",
        properties=schemas.BillingRoleDefinitionProperties(
            role_name=ROLE_NAMES[role],
            permissions=[schemas.BillingPermission(actions=actions_of([holder], scope), not_actions=[])],
        ),
    )
