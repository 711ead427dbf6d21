"""Use cases of finding one's way down the billing hierarchy: the billing accounts, billing profiles
and invoice sections a user may see. Anything else is as unknown as what does not exist (DESIGN §3)."""

from __future__ import annotations

from dataclasses import dataclass

from settle.access.model import Permission, RoleAssignment, Scope, can
from settle.access.service import held_at_visible_scope
from settle.accounts.model import BillingAccount, BillingAccountNotFound, BillingProfile, InvoiceSection
from settle.uow import UnitOfWork


def assignments_seeing(uow: UnitOfWork, user_id: str, scope: Scope) -> list[RoleAssignment]:
    """The user's role assignments, once every level of `scope` is known to exist and to be visible
    to them; otherwise the NotFound of the first level that is not. Checked from the top down, so an
    unknown profile of another customer's account says nothing about that account."""
    levels = [Scope(scope.billing_account_id)]
    if scope.billing_profile_id is not None:
        levels.append(Scope(scope.billing_account_id, scope.billing_profile_id))
    if scope.invoice_section_id is not None:
        levels.append(scope)
    held: list[RoleAssignment] = []
    for level in levels:
        held = held_at_visible_scope(uow, user_id, level)
    return held


def billing_accounts_for(uow: UnitOfWork, user_id: str) -> list[BillingAccount]:
    """The billing accounts the user may see, by name."""
    held = uow.roles.for_user(user_id)
    ids = {assignment.scope.billing_account_id for assignment in held}
    return [account for account in uow.accounts.list(ids) if can(held, Permission.VIEW, Scope(account.id))]


def get_billing_account_for(uow: UnitOfWork, user_id: str, account_id: str) -> BillingAccount:
    assignments_seeing(uow, user_id, Scope(account_id))
    return uow.accounts.get(account_id)


def billing_profiles_for(uow: UnitOfWork, user_id: str, account_id: str) -> list[BillingProfile]:
    """The billing profiles of an account that the user may see, by name."""
    held = assignments_seeing(uow, user_id, Scope(account_id))
    profiles = uow.profiles.list_for_account(account_id)
    return [profile for profile in profiles if can(held, Permission.VIEW, Scope(account_id, profile.id))]


def get_billing_profile_for(uow: UnitOfWork, user_id: str, account_id: str, profile_id: str) -> BillingProfile:
    assignments_seeing(uow, user_id, Scope(account_id, profile_id))
    return uow.profiles.get(profile_id)


def invoice_sections_for(uow: UnitOfWork, user_id: str, account_id: str, profile_id: str) -> list[InvoiceSection]:
    """The invoice sections of a billing profile that the user may see, by name."""
    held = assignments_seeing(uow, user_id, Scope(account_id, profile_id))
    sections = uow.sections.list_for_profile(profile_id)
    return [s for s in sections if can(held, Permission.VIEW, Scope(account_id, profile_id, s.id))]


def get_invoice_section_for(
    uow: UnitOfWork, user_id: str, account_id: str, profile_id: str, section_id: str
) -> InvoiceSection:
    assignments_seeing(uow, user_id, Scope(account_id, profile_id, section_id))
    return uow.sections.get(section_id)


@dataclass(frozen=True)
class BillingScope:
    """A place the portal can be looking at: a billing account, or one billing profile in it."""

    scope: Scope
    account: BillingAccount
    profile: BillingProfile | None = None
    section: InvoiceSection | None = None  # for those whose roles are held at an invoice section only

    @property
    def key(self) -> str:
        """How the portal writes the scope in its URLs: `account` or `account/profile`."""
        return "/".join(self.scope.parts)

    @property
    def display_name(self) -> str:
        names = [self.account.display_name]
        names += [part.display_name for part in (self.profile, self.section) if part is not None]
        return " › ".join(names)


def billing_scopes_for(uow: UnitOfWork, user_id: str) -> list[BillingScope]:
    """Every billing account and billing profile the user may look at, each account followed by
    its profiles (and the invoice sections of those who see no more): the portal's scope picker."""
    held = uow.roles.for_user(user_id)
    found: list[BillingScope] = []
    for account in uow.accounts.list({assignment.scope.billing_account_id for assignment in held}):
        if can(held, Permission.VIEW, Scope(account.id)):
            found.append(BillingScope(Scope(account.id), account))
        for profile in uow.profiles.list_for_account(account.id):
            if can(held, Permission.VIEW, Scope(account.id, profile.id)):
                found.append(BillingScope(Scope(account.id, profile.id), account, profile))
                continue
            for section in uow.sections.list_for_profile(profile.id):
                if can(held, Permission.VIEW, Scope(account.id, profile.id, section.id)):
                    found.append(BillingScope(Scope(account.id, profile.id, section.id), account, profile, section))
    return found


def get_billing_scope_for(uow: UnitOfWork, user_id: str, key: str) -> BillingScope:
    """The scope written as `account`, `account/profile` or `account/profile/section`, if the user may
    look at it; otherwise the NotFound of its first level they cannot see (as if it did not exist)."""
    parts = key.split("/")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise BillingAccountNotFound(id=key)
    scope = Scope(*parts)
    assignments_seeing(uow, user_id, scope)
    account = uow.accounts.get(scope.billing_account_id)
    profile = uow.profiles.get(scope.billing_profile_id) if scope.billing_profile_id else None
    section = uow.sections.get(scope.invoice_section_id) if scope.invoice_section_id else None
    return BillingScope(scope, account, profile, section)
