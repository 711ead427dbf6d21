"""The sender: claims the messages that are due, sends each, and records how it went.

At-least-once, by design. A message is marked sent only after the SMTP server has accepted it, in
a transaction of its own; a sender that dies between the two leaves the message claimed, and once
its lease runs out another run sends it again, with the same Message-ID and Date, so that receivers
(and people) can tell the copy. The other choice, marking sent before sending, would lose the
message for good in the same crash: a receipt nobody gets is worse than one received twice."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy.engine import Engine

from settle.clock import Clock
from settle.config import Settings
from settle.documents.model import PROVIDER, Provider, configured_provider
from settle.errors import SettleError
from settle.notify.compose import Composer, Skip
from settle.notify.model import OutboxMessage, OutboxStatus
from settle.notify.service import enqueue_past_due
from settle.notify.smtp import SmtpMailer, SmtpSettings, is_permanent
from settle.uow import UnitOfWork

LEASE = timedelta(minutes=5)  # far longer than sending a batch takes (SMTP time-out 30 s a message)
BATCH = 50
DEFAULT_SENDER = f"{PROVIDER.name} <{PROVIDER.email}>"

log = logging.getLogger(__name__)


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Return once the server has accepted the message; raise if it has not."""
        ...


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0


def send_due(
    engine: Engine,
    clock: Clock,
    smtp_url: str,
    *,
    sender: str = DEFAULT_SENDER,
    base_url: str = "",
    tz: str = "UTC",
    limit: int = BATCH,
    tls: ssl.SSLContext | None = None,
    provider: Provider = PROVIDER,
    secret_key: str = "",
) -> SendReport:
    """Send the messages that are due through the SMTP server of `smtp_url`. Without one, nothing
    is sent: the messages wait in the outbox, where operators see them. `secret_key` (SETTLE_SECRET_KEY)
    makes the links of password reset e-mails; without it, those are skipped."""
    if not smtp_url:
        return SendReport()
    with SmtpMailer(SmtpSettings.from_url(smtp_url), tls) as mailer:
        composer = Composer(sender, base_url, tz, provider, secret_key=secret_key, clock=clock)
        return deliver(engine, clock, mailer, composer, limit=limit)


def deliver(
    engine: Engine, clock: Clock, mailer: Mailer, composer: Composer, *, limit: int = BATCH, lease: timedelta = LEASE
) -> SendReport:
    """One round: claim up to `limit` due messages for `lease`, then send them one by one."""
    with UnitOfWork(engine) as uow:
        claimed = uow.outbox.claim_due(clock.now(), lease, limit)
    report = SendReport()
    server_error: Exception | None = None
    for message in claimed:
        if message.claimed_until is not None and clock.now() >= message.claimed_until:
            break  # the lease ran out: another sender may hold these now
        if server_error is not None:  # no session to be had: every message of the round waits
            outcome = message.failed(clock.now(), _describe(server_error))
        else:
            outcome, server_error = _send_one(engine, clock, mailer, composer, message)
        _record(engine, outcome, report)
    return report


def _send_one(
    engine: Engine, clock: Clock, mailer: Mailer, composer: Composer, message: OutboxMessage
) -> tuple[OutboxMessage, Exception | None]:
    """How sending went, and the error if the server cannot be used at all this round."""
    email = _compose(engine, clock, composer, message)
    if isinstance(email, OutboxMessage):
        return email, None
    try:
        mailer.send(email)
    except (smtplib.SMTPAuthenticationError, smtplib.SMTPConnectError, smtplib.SMTPHeloError) as unusable:
        return message.failed(clock.now(), _describe(unusable)), unusable
    except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as refused:
        return message.failed(clock.now(), _describe(refused), permanent=is_permanent(refused)), None
    except (smtplib.SMTPException, OSError) as down:
        return message.failed(clock.now(), _describe(down)), down
    return message.sent(clock.now()), None


def _compose(engine: Engine, clock: Clock, composer: Composer, message: OutboxMessage) -> EmailMessage | OutboxMessage:
    """The e-mail, or the message's outcome if there is none to send."""
    try:
        with UnitOfWork(engine, write=False) as uow:
            email = composer.compose(uow, message)
    except SettleError as gone:  # what the message is about no longer exists
        return message.failed(clock.now(), str(gone), permanent=True)
    except Exception as bug:  # one message that cannot be made must not hold up the others
        log.exception("outbox message %s (%s) could not be composed", message.id, message.kind.value)
        return message.failed(clock.now(), _describe(bug))
    return message.skipped(email.reason) if isinstance(email, Skip) else email


def _record(engine: Engine, outcome: OutboxMessage, report: SendReport) -> None:
    with UnitOfWork(engine) as uow:
        uow.outbox.update(outcome)
    if outcome.last_error and outcome.status is not OutboxStatus.SKIPPED:
        log.warning(
            "outbox message %s (%s): attempt %d failed: %s",
            outcome.id,
            outcome.kind.value,
            outcome.attempts,
            outcome.last_error,
        )
    if outcome.status is OutboxStatus.SENT:
        report.sent += 1
    elif outcome.status is OutboxStatus.PENDING:
        report.retrying += 1
    elif outcome.status is OutboxStatus.FAILED:
        report.failed += 1
    else:
        report.skipped += 1


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def run_mail(engine: Engine, clock: Clock, settings: Settings) -> tuple[int, SendReport]:
    """One round of the mail worker: write the past-due notices that are due, then send what
    waits (nothing without SETTLE_SMTP_URL). Returns how many notices were written, and the sending."""
    with UnitOfWork(engine) as uow:
        written = enqueue_past_due(
            uow, clock, reminder_after_days=settings.past_due_reminder_days, tz=settings.timezone
        )
    sent = send_due(
        engine,
        clock,
        settings.smtp_url,
        sender=settings.mail_from or DEFAULT_SENDER,
        base_url=settings.base_url,
        tz=settings.timezone,
        provider=configured_provider(settings),
        secret_key=settings.secret_key,
    )
    return written, sent
