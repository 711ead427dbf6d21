"""The support_requests and support_request_replies tables and their queries."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from settle.db import UTCDateTime, metadata
from settle.help.model import (
    ContactMethod,
    ProblemType,
    SupportReply,
    SupportReplyNotFound,
    SupportRequest,
    SupportRequestNotFound,
    SupportRequestStatus,
)

support_requests = sa.Table(
    "support_requests",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("billing_account_id", sa.ForeignKey("billing_accounts.id")),
    sa.Column("locale", sa.String(5), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("suggested_article", sa.String(80)),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("problem_type", sa.String(24), nullable=False),
    sa.Column("billing_profile_id", sa.ForeignKey("billing_profiles.id")),
    sa.Column("invoice_id", sa.ForeignKey("invoices.id")),
    sa.Column("contact_method", sa.String(8), nullable=False),
    sa.Column("contact_phone", sa.String(40)),
    # The operators' question: which requests are open, oldest first?
    sa.Index("ix_support_requests_status_created_at", "status", "created_at"),
    sa.Index("ix_support_requests_user_id", "user_id"),
)

support_request_replies = sa.Table(
    "support_request_replies",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("request_id", sa.String(32), sa.ForeignKey("support_requests.id"), nullable=False),
    sa.Column("author", sa.String(32), nullable=False),  # 'operator', or the user's id
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_support_request_replies_request_id_created_at", "request_id", "created_at"),
)


def _request(row: Any) -> SupportRequest:
    return SupportRequest(
        id=row.id,
        user_id=row.user_id,
        billing_account_id=row.billing_account_id,
        locale=row.locale,
        subject=row.subject,
        description=row.description,
        suggested_article=row.suggested_article,
        status=SupportRequestStatus(row.status),
        created_at=row.created_at,
        problem_type=ProblemType(row.problem_type),
        billing_profile_id=row.billing_profile_id,
        invoice_id=row.invoice_id,
        contact_method=ContactMethod(row.contact_method),
        contact_phone=row.contact_phone,
    )


def _reply(row: Any) -> SupportReply:
    return SupportReply(
        id=row.id, request_id=row.request_id, author=row.author, body=row.body, created_at=row.created_at
    )


class SupportRequestStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, request: SupportRequest) -> None:
        values = {
            **asdict(request),
            "status": request.status.value,
            "problem_type": request.problem_type.value,
            "contact_method": request.contact_method.value,
        }
        self.connection.execute(support_requests.insert().values(values))

    def find(self, request_id: str) -> SupportRequest | None:
        row = self.connection.execute(support_requests.select().where(support_requests.c.id == request_id)).first()
        return _request(row) if row else None

    def get(self, request_id: str) -> SupportRequest:
        found = self.find(request_id)
        if found is None:
            raise SupportRequestNotFound(id=request_id)
        return found

    def update_status(self, request: SupportRequest) -> None:
        c = support_requests.c
        self.connection.execute(support_requests.update().where(c.id == request.id).values(status=request.status.value))

    def latest(self, status: SupportRequestStatus | None = None, limit: int = 100) -> list[SupportRequest]:
        """The newest first (for operators), optionally only those with one status."""
        c = support_requests.c
        query = support_requests.select().order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(c.status == status.value)
        return [_request(row) for row in self.connection.execute(query)]

    def for_user(self, user_id: str, limit: int = 100) -> list[SupportRequest]:
        """The requests a user opened, newest first."""
        c = support_requests.c
        query = (
            support_requests.select()
            .where(c.user_id == user_id)
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(limit)
        )
        return [_request(row) for row in self.connection.execute(query)]

    def add_reply(self, reply: SupportReply) -> None:
        self.connection.execute(support_request_replies.insert().values(asdict(reply)))

    def replies(self, request_id: str) -> list[SupportReply]:
        """The conversation after the description, oldest first."""
        c = support_request_replies.c
        query = support_request_replies.select().where(c.request_id == request_id).order_by(c.created_at, c.id)
        return [_reply(row) for row in self.connection.execute(query)]

    def get_reply(self, reply_id: str) -> SupportReply:
        c = support_request_replies.c
        row = self.connection.execute(support_request_replies.select().where(c.id == reply_id)).first()
        if row is None:
            raise SupportReplyNotFound(id=reply_id)
        return _reply(row)
