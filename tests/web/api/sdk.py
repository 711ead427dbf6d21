"""Microsoft's azure-mgmt-billing client pointed at a Settle server started by the test."""

from __future__ import annotations

import time
from typing import Any

from azure.core.credentials import AccessToken
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.billing import BillingManagementClient

from tests.web.api.conftest import ADMIN, Api


class SettleToken:
    """A credential as azure-core wants one, carrying a Settle personal access token."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:  # noqa: ARG002 (azure-core's TokenCredential)
        return AccessToken(self.secret, int(time.time()) + 3600)


class PlainHttpForTests(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """azure-core refuses to send a bearer token over http; the test server is on 127.0.0.1 only."""

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        request.context["enforce_https"] = False


def sdk_client(server: str, token: str) -> BillingManagementClient:
    return BillingManagementClient(
        SettleToken(token),
        subscription_id="00000000-0000-0000-0000-000000000000",
        base_url=server,
        per_call_policies=[PlainHttpForTests()],
        retry_total=0,
    )


def client_for(api: Api, server: str, user: str = ADMIN) -> BillingManagementClient:
    return sdk_client(server, api.tokens[user])
