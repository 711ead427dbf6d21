"""The billing scope a Cost Management + Billing page looks at (`?scope=account` or
`?scope=account/profile`), the picker of the scopes a user has, and the left pane's links."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

from settle.accounts.model import User
from settle.accounts.scopes import BillingScope, billing_scopes_for, get_billing_scope_for
from settle.errors import N_, NotFound
from settle.uow import UnitOfWork
from settle.web.portal.pages import render


class NoBillingScope(NotFound):
    """The user holds no role at any billing scope: there is nothing for them to see."""

    code = "NoBillingScope"
    message = N_(
        "You do not have a role on any billing account or billing profile yet. "
        "Ask an owner of your billing account to give you one."
    )


@dataclass(frozen=True)
class BillingView:
    """What every Cost Management + Billing page needs: where the user is and where else they may go."""

    current: BillingScope
    choices: list[BillingScope]
    extra: dict[str, Any] = field(default_factory=dict)

    def url(self, path: str, **params: Any) -> str:
        """A portal URL at the current scope; parameters that are None or empty are left out."""
        query = {"scope": self.current.key} | {name: value for name, value in params.items() if value not in (None, "")}
        return f"{path}?{urlencode(query)}"


def billing_view(uow: UnitOfWork, user: User, scope_key: str | None) -> BillingView:
    """The scope asked for (if the user may look at it: otherwise its NotFound), or by default the
    first the user has: an account before its profiles."""
    choices = billing_scopes_for(uow, user.id)
    if scope_key:
        return BillingView(get_billing_scope_for(uow, user.id, scope_key), choices)
    if not choices:
        raise NoBillingScope()
    return BillingView(choices[0], choices)


def render_billing(
    request: Request, template: str, view: BillingView | None, active: str, **context: Any
) -> HTMLResponse:
    """A Cost Management + Billing page with its left pane, scope picker and breadcrumb."""
    return render(request, template, view=view, active=active, **context)
