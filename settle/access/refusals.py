"""A refused permission in words a person understands: what their role lets them do, which role would
allow this, and whom to ask for it (issue 18 item 6). The API keeps the permission's code instead."""

from __future__ import annotations

from babel.lists import format_list

from settle.access.model import ROLE_NAMES, Permission, PermissionMissing, Role
from settle.errors import N_
from settle.i18n import gettext
from settle.money import babel_locale

ROLE_ALLOWS: dict[Role, str] = {
    Role.BILLING_ACCOUNT_OWNER: N_("Your role {role} lets you do everything on the billing account."),
    Role.BILLING_ACCOUNT_CONTRIBUTOR: N_(
        "Your role {role} lets you see and pay the billing account's invoices and manage its payment methods, "
        "but not manage access."
    ),
    Role.BILLING_ACCOUNT_READER: N_(
        "Your role {role} lets you see the billing account's invoices and payment methods, "
        "but not pay invoices or change anything."
    ),
    Role.BILLING_PROFILE_OWNER: N_("Your role {role} lets you do everything on the billing profile."),
    Role.BILLING_PROFILE_CONTRIBUTOR: N_(
        "Your role {role} lets you see and pay the billing profile's invoices and manage its payment methods, "
        "but not manage access."
    ),
    Role.BILLING_PROFILE_READER: N_(
        "Your role {role} lets you see the billing profile's invoices and payment methods, "
        "but not pay invoices or change anything."
    ),
    Role.INVOICE_MANAGER: N_(
        "Your role {role} lets you see and pay the billing profile's invoices with its saved payment methods, "
        "but not add, change or remove payment methods."
    ),
    Role.INVOICE_SECTION_OWNER: N_(
        "Your role {role} lets you see the invoice section and manage its access, but not see invoices."
    ),
    Role.INVOICE_SECTION_CONTRIBUTOR: N_("Your role {role} lets you see the invoice section, but not invoices."),
    Role.INVOICE_SECTION_READER: N_("Your role {role} lets you see the invoice section, but not invoices."),
}
NEEDS: dict[Permission, str] = {
    Permission.VIEW: N_("Seeing this needs the role {roles}."),
    Permission.VIEW_INVOICES: N_("Seeing invoices needs the role {roles}."),
    Permission.PAY_INVOICES: N_("Paying invoices needs the role {roles}."),
    Permission.MANAGE_PAYMENT_METHODS: N_("Adding, changing and removing payment methods needs the role {roles}."),
    Permission.MANAGE_ROLES: N_("Managing access needs the role {roles}."),
}
NO_ROLE_HERE = N_("None of your roles applies here.")
ASK_OWNERS = N_("The owners of this billing account can give it to you: {owners}.")


def explain(refused: PermissionMissing, locale: str) -> str:
    """The refusal as sentences in `locale`."""

    def _(text: str) -> str:
        return gettext(locale, text)

    where = babel_locale(locale)
    sentences = [_(ROLE_ALLOWS[role]).format(role=_(ROLE_NAMES[role])) for role in refused.held] or [_(NO_ROLE_HERE)]
    roles = format_list([_(ROLE_NAMES[role]) for role in refused.allowing], style="or", locale=where)
    sentences.append(_(NEEDS[refused.permission]).format(roles=roles))
    if refused.owners:
        sentences.append(_(ASK_OWNERS).format(owners=format_list(list(refused.owners), locale=where)))
    return " ".join(sentences)
