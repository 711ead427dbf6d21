"""Use case behind the Payment methods page: the saved payment methods of every billing profile of a
scope that the user may see, and whether they may change them."""

from __future__ import annotations

from dataclasses import dataclass

from settle.access.model import Permission, Scope, can
from settle.accounts.model import BillingProfile
from settle.accounts.scopes import assignments_seeing
from settle.clock import Clock
from settle.invoices.service import invoice_profiles_at
from settle.payments.model import PaymentMethodIsDefault, default_kept
from settle.payments.service import PaymentMethodView, list_payment_methods
from settle.uow import UnitOfWork


@dataclass(frozen=True)
class ProfileWallet:
    billing_profile: BillingProfile
    methods: list[PaymentMethodView]  # the default first
    may_manage: bool
    has_unpaid: bool = False  # then its default stays until another is made default

    def removal_refused(self, view: PaymentMethodView) -> PaymentMethodIsDefault | None:
        """Why this method cannot be removed, to say so before anyone tries; None when it can."""
        return default_kept(self.billing_profile.display_name, is_default=view.is_default, has_unpaid=self.has_unpaid)


def wallets_at(uow: UnitOfWork, clock: Clock, user_id: str, scope: Scope) -> list[ProfileWallet]:
    """Per billing profile of `scope` whose invoices the user sees: its payment methods."""
    held = assignments_seeing(uow, user_id, scope)
    if scope.invoice_section_id is not None:  # payment methods belong to billing profiles
        return []
    wallets = []
    for profile_id in invoice_profiles_at(uow, user_id, scope):
        profile = uow.profiles.get(profile_id)
        methods = list_payment_methods(uow, clock, actor_id=user_id, profile_id=profile_id)
        may_manage = can(held, Permission.MANAGE_PAYMENT_METHODS, Scope(scope.billing_account_id, profile_id))
        wallets.append(ProfileWallet(profile, methods, may_manage, uow.invoices.has_unpaid(profile_id)))
    return sorted(wallets, key=lambda wallet: wallet.billing_profile.display_name)
