"""The REST API, shaped like Azure's Microsoft.Billing resource provider (api-version 2024-04-01), so
that Azure's own SDK works against Settle by changing its base URL; paying is Settle's extension
(DESIGN §6), and support requests are Microsoft.Support's supportTickets. Mount it with
`app.include_router(create_api_router())` and `install_api_error_handlers(app)`; the routes find the
engine, processor, clock and settings in `request.app.state`."""

from __future__ import annotations

from fastapi import APIRouter

from settle.web.api import (
    accounts,
    docs,
    downloads,
    files,
    invoices,
    payments,
    permissions,
    refunds,
    roles,
    support,
    transactions,
)
from settle.web.api.errors import install_api_error_handlers

__all__ = ["create_api_router", "install_api_error_handlers"]


def create_api_router() -> APIRouter:
    router = APIRouter()
    for part in (accounts, invoices, transactions, downloads, files, payments, refunds, permissions, roles, support):
        router.include_router(part.router)
    router.include_router(docs.router)  # the reference page, outside the API's document
    return router
