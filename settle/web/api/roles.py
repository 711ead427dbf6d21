"""Who holds which billing role at a billing account, billing profile or invoice section: list, get, remove, and create
(Azure's createBillingRoleAssignment). Only those who may manage roles there see, add or remove
assignments (the services say so: 404 for a scope the caller cannot see, 403 when they see it)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from settle.access.model import RoleAssignment, RoleAssignmentNotFound, Scope
from settle.access.roles import RoleAssignmentRow, add_role_assignment, list_role_assignments, remove_role_assignment
from settle.accounts.model import User, normalise_email
from settle.accounts.scopes import assignments_seeing
from settle.errors import N_, Invalid
from settle.uow import UnitOfWork
from settle.web.api import schemas
from settle.web.api import serialise as shape
from settle.web.api.auth import ApiCaller, Caller
from settle.web.api.errors import ERROR_RESPONSES, FORBIDDEN_RESPONSE, AzureRoute, InvalidParameter
from settle.web.api.params import (
    ACCOUNT,
    PROFILE,
    SECTION,
    AccountName,
    ProfileName,
    RoleAssignmentName,
    SectionName,
)
from settle.web.api.permissions import DEFINITION_IDS, ROLES_BY_DEFINITION, BillingRoleDefinitionNotFound
from settle.web.api.serialise import AzureJSON

ACCOUNT_ASSIGNMENTS = f"{ACCOUNT}/billingRoleAssignments"
PROFILE_ASSIGNMENTS = f"{PROFILE}/billingRoleAssignments"
SECTION_ASSIGNMENTS = f"{SECTION}/billingRoleAssignments"
_MANAGED = {**ERROR_RESPONSES, **FORBIDDEN_RESPONSE}

router = APIRouter(route_class=AzureRoute, tags=["Billing roles"], responses=ERROR_RESPONSES)


class PrincipalNotFound(Invalid):
    code = "PrincipalNotFound"
    message = N_("No Settle user has this e-mail address or id. Invite them from Access control (IAM) in the portal.")


@router.get(
    ACCOUNT_ASSIGNMENTS,
    response_model=schemas.BillingRoleAssignmentList,
    responses=FORBIDDEN_RESPONSE,
    operation_id="BillingRoleAssignments_ListByBillingAccount",
)
def list_account_assignments(caller: ApiCaller, account: AccountName) -> AzureJSON:
    """The role assignments at the billing account and in it."""
    return _assignments(caller, Scope(account))


@router.get(
    PROFILE_ASSIGNMENTS,
    response_model=schemas.BillingRoleAssignmentList,
    responses=FORBIDDEN_RESPONSE,
    operation_id="BillingRoleAssignments_ListByBillingProfile",
)
def list_profile_assignments(caller: ApiCaller, account: AccountName, profile: ProfileName) -> AzureJSON:
    """The role assignments that apply at the billing profile (held there, above or in it)."""
    return _assignments(caller, Scope(account, profile))


@router.get(
    f"{ACCOUNT_ASSIGNMENTS}/{{billingRoleAssignmentName}}",
    response_model=schemas.BillingRoleAssignment,
    responses=FORBIDDEN_RESPONSE,
    operation_id="BillingRoleAssignments_GetByBillingAccount",
)
def get_account_assignment(caller: ApiCaller, account: AccountName, name: RoleAssignmentName) -> AzureJSON:
    with caller.reading() as uow:
        return AzureJSON(_assignment(_held_here(uow, caller, Scope(account), name)))


@router.get(
    f"{PROFILE_ASSIGNMENTS}/{{billingRoleAssignmentName}}",
    response_model=schemas.BillingRoleAssignment,
    responses=FORBIDDEN_RESPONSE,
    operation_id="BillingRoleAssignments_GetByBillingProfile",
)
def get_profile_assignment(
    caller: ApiCaller, account: AccountName, profile: ProfileName, name: RoleAssignmentName
) -> AzureJSON:
    with caller.reading() as uow:
        return AzureJSON(_assignment(_held_here(uow, caller, Scope(account, profile), name)))


@router.delete(
    f"{ACCOUNT_ASSIGNMENTS}/{{billingRoleAssignmentName}}",
    status_code=204,
    response_class=Response,
    responses={**_MANAGED, 409: {"model": schemas.ErrorResponse, "description": "LastOwner"}},
    operation_id="BillingRoleAssignments_DeleteByBillingAccount",
)
def delete_account_assignment(caller: ApiCaller, account: AccountName, name: RoleAssignmentName) -> Response:
    """Remove a role assignment held at the billing account (not its last owner)."""
    return _delete(caller, Scope(account), name)


@router.delete(
    f"{PROFILE_ASSIGNMENTS}/{{billingRoleAssignmentName}}",
    status_code=204,
    response_class=Response,
    responses=_MANAGED,
    operation_id="BillingRoleAssignments_DeleteByBillingProfile",
)
def delete_profile_assignment(
    caller: ApiCaller, account: AccountName, profile: ProfileName, name: RoleAssignmentName
) -> Response:
    """Remove a role assignment held at the billing profile."""
    return _delete(caller, Scope(account, profile), name)


@router.post(
    f"{ACCOUNT}/createBillingRoleAssignment",
    response_model=schemas.BillingRoleAssignment,
    responses={**_MANAGED, 409: {"model": schemas.ErrorResponse, "description": "RoleAlreadyAssigned"}},
    operation_id="BillingRoleAssignments_CreateByBillingAccount",
)
def create_account_assignment(
    caller: ApiCaller, account: AccountName, body: schemas.CreateBillingRoleAssignment
) -> AzureJSON:
    """Give a Settle user a billing account role."""
    return _create(caller, Scope(account), body)


@router.post(
    f"{PROFILE}/createBillingRoleAssignment",
    response_model=schemas.BillingRoleAssignment,
    responses={**_MANAGED, 409: {"model": schemas.ErrorResponse, "description": "RoleAlreadyAssigned"}},
    operation_id="BillingRoleAssignments_CreateByBillingProfile",
)
def create_profile_assignment(
    caller: ApiCaller, account: AccountName, profile: ProfileName, body: schemas.CreateBillingRoleAssignment
) -> AzureJSON:
    """Give a Settle user a billing profile role."""
    return _create(caller, Scope(account, profile), body)


@router.get(
    SECTION_ASSIGNMENTS,
    response_model=schemas.BillingRoleAssignmentList,
    responses=FORBIDDEN_RESPONSE,
    operation_id="BillingRoleAssignments_ListByInvoiceSection",
)
def list_section_assignments(
    caller: ApiCaller, account: AccountName, profile: ProfileName, section: SectionName
) -> AzureJSON:
    """The role assignments that apply at the invoice section (held there or above it)."""
    return _assignments(caller, Scope(account, profile, section))


@router.get(
    f"{SECTION_ASSIGNMENTS}/{{billingRoleAssignmentName}}",
    response_model=schemas.BillingRoleAssignment,
    responses=FORBIDDEN_RESPONSE,
    operation_id="BillingRoleAssignments_GetByInvoiceSection",
)
def get_section_assignment(
    caller: ApiCaller, account: AccountName, profile: ProfileName, section: SectionName, name: RoleAssignmentName
) -> AzureJSON:
    with caller.reading() as uow:
        return AzureJSON(_assignment(_held_here(uow, caller, Scope(account, profile, section), name)))


@router.delete(
    f"{SECTION_ASSIGNMENTS}/{{billingRoleAssignmentName}}",
    status_code=204,
    response_class=Response,
    responses=_MANAGED,
    operation_id="BillingRoleAssignments_DeleteByInvoiceSection",
)
def delete_section_assignment(
    caller: ApiCaller, account: AccountName, profile: ProfileName, section: SectionName, name: RoleAssignmentName
) -> Response:
    """Remove a role assignment held at the invoice section."""
    return _delete(caller, Scope(account, profile, section), name)


@router.post(
    f"{SECTION}/createBillingRoleAssignment",
    response_model=schemas.BillingRoleAssignment,
    responses={**_MANAGED, 409: {"model": schemas.ErrorResponse, "description": "RoleAlreadyAssigned"}},
    operation_id="BillingRoleAssignments_CreateByInvoiceSection",
)
def create_section_assignment(
    caller: ApiCaller,
    account: AccountName,
    profile: ProfileName,
    section: SectionName,
    body: schemas.CreateBillingRoleAssignment,
) -> AzureJSON:
    """Give a Settle user an invoice section role."""
    return _create(caller, Scope(account, profile, section), body)


def _assignments(caller: Caller, scope: Scope) -> AzureJSON:
    with caller.reading() as uow:
        assignments_seeing(uow, caller.user.id, scope)
        rows = list_role_assignments(uow, caller.user.id, scope)
    return AzureJSON(schemas.BillingRoleAssignmentList(value=[_assignment(row) for row in rows]))


def _held_here(uow: UnitOfWork, caller: Caller, scope: Scope, name: str) -> RoleAssignmentRow:
    """The assignment held at exactly this scope, to someone who may manage roles here."""
    assignments_seeing(uow, caller.user.id, scope)
    for row in list_role_assignments(uow, caller.user.id, scope):
        if row.assignment.id == name and row.assignment.scope == scope:
            return row
    raise RoleAssignmentNotFound(id=name)


def _delete(caller: Caller, scope: Scope, name: str) -> Response:
    with caller.writing() as uow:
        _held_here(uow, caller, scope, name)
        remove_role_assignment(uow, caller.clock, caller.user.id, name, caller.client_address)
    return Response(status_code=204)


def _create(caller: Caller, scope: Scope, body: schemas.CreateBillingRoleAssignment) -> AzureJSON:
    definition = body.role_definition_id.rstrip("/").rsplit("/", 1)[-1]
    role = ROLES_BY_DEFINITION.get(definition)
    if role is None:
        raise BillingRoleDefinitionNotFound(id=definition)
    with caller.writing() as uow:
        assignments_seeing(uow, caller.user.id, scope)
        list_role_assignments(uow, caller.user.id, scope)  # who may not manage roles here learns nothing of users
        user = _principal(uow, body)
        added = add_role_assignment(uow, caller.clock, caller.user.id, user.email, role, scope, caller.client_address)
    if not isinstance(added, RoleAssignment):  # an invitation: the user went away meanwhile
        raise PrincipalNotFound()
    return AzureJSON(_assignment(RoleAssignmentRow(added, user.email, user.display_name, inherited=False)))


def _principal(uow: UnitOfWork, body: schemas.CreateBillingRoleAssignment) -> User:
    if body.user_email_address:
        user = uow.users.find_by_email(normalise_email(body.user_email_address))
    elif body.principal_id:
        user = uow.users.find(body.principal_id)
    else:
        raise InvalidParameter(name="userEmailAddress")
    if user is None or user.disabled:
        raise PrincipalNotFound()
    return user


def _assignment(row: RoleAssignmentRow) -> schemas.BillingRoleAssignment:
    held = row.assignment
    scope, here = held.scope, shape.scope_id(held.scope)
    account = held.scope.billing_account_id
    return schemas.BillingRoleAssignment(
        id=f"{here}/billingRoleAssignments/{held.id}",
        name=held.id,
        type=f"{shape.scope_type(scope)}/billingRoleAssignments",
        properties=schemas.BillingRoleAssignmentProperties(
            provisioning_state="Pending" if held.pending else "Succeeded",  # Pending: until the holder verifies
            created_on=held.created_at,
            created_by_principal_id=held.created_by,
            principal_id=held.user_id,
            principal_display_name=row.display_name,
            principal_type="User",
            user_email_address=row.email,
            role_definition_id=f"{here}/billingRoleDefinitions/{DEFINITION_IDS[held.role]}",
            scope=here,
            billing_account_id=shape.account_id(account),
            billing_profile_id=shape.profile_id(account, scope.billing_profile_id)
            if scope.billing_profile_id
            else None,
            invoice_section_id=shape.scope_id(scope) if scope.invoice_section_id else None,
        ),
    )
