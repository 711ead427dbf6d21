"""Who is calling: `Authorization: Bearer <personal access token>` and `api-version=2024-04-01` on every
request, and what the routes work with (the app's engine, processor, clock and settings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine

from settle.access.api_tokens import authenticate_token
from settle.accounts.model import User
from settle.clock import Clock, today
from settle.config import Settings
from settle.processor.interface import Processor
from settle.uow import UnitOfWork
from settle.web.api.errors import SUPPORTED_API_VERSION, InvalidApiVersion, InvalidToken, Unauthenticated

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="SettleApiToken",
    description="A Settle personal access token (`settle tokens create`, or the portal), sent as a bearer token.",
)


@dataclass(frozen=True)
class Caller:
    """The signed-in user of one API request, with the app's services."""

    user: User
    engine: Engine
    processor: Processor
    clock: Clock
    settings: Settings
    client_address: str | None

    def reading(self) -> UnitOfWork:
        return UnitOfWork(self.engine, write=False)

    def writing(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def today(self) -> date:
        """Today where the provider is (due dates are compared with this)."""
        return today(self.clock, self.settings.timezone)


def api_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    api_version: Annotated[
        str,
        Query(
            alias="api-version",
            max_length=20,
            description=f"Must be {SUPPORTED_API_VERSION}",
            json_schema_extra={"enum": [SUPPORTED_API_VERSION]},  # the document says what is answered
        ),
    ],
) -> Caller:
    """The user the bearer token speaks for (401 without a valid one), on the one api-version spoken."""
    if credentials is None:
        raise Unauthenticated()
    state = request.app.state
    with UnitOfWork(state.engine) as uow:  # a write: the token's last use is noted
        user = authenticate_token(uow, state.clock, credentials.credentials)
    if user is None:
        raise InvalidToken()
    if api_version != SUPPORTED_API_VERSION:
        raise InvalidApiVersion(version=api_version, supported=SUPPORTED_API_VERSION)
    client = request.client.host if request.client else None
    return Caller(user, state.engine, state.processor, state.clock, state.settings, client)


ApiCaller = Annotated[Caller, Depends(api_caller)]
