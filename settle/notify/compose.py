"""An outbox message made into an e-mail when its turn comes: the facts read from the stores as
they are now, the words in the recipient's language, the PDF attached."""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage

from settle.access import resets, verification
from settle.access.credentials import derived_secret, hash_secret
from settle.clock import Clock, SystemClock
from settle.documents.invoice_pdf import render_invoice_pdf
from settle.documents.model import PROVIDER, Provider
from settle.documents.receipt_pdf import render_receipt_pdf
from settle.documents.refund_pdf import render_refund_receipt_pdf
from settle.documents.sources import invoice_document, receipt_document, refund_receipt_document
from settle.help.model import SupportRequestStatus
from settle.notify import content
from settle.notify.model import MessageKind, OutboxMessage
from settle.notify.render import Attachment, build_message
from settle.payments.model import DeclineCode
from settle.uow import UnitOfWork

Composed = tuple[content.EmailContent, tuple[Attachment, ...]]


@dataclass(frozen=True)
class Skip:
    """The message no longer applies (the past-due invoice was paid, the invoice was voided)."""

    reason: str


@dataclass(frozen=True)
class Composer:
    sender: str
    base_url: str  # settings.base_url: links in e-mails never come from a request's Host header
    tz: str = "UTC"
    provider: Provider = PROVIDER
    # settings.secret_key: a verification or reset link's secret is derived again from it when its e-mail
    # is composed (none is kept). Without it such an e-mail cannot be made and waits (retried, logged).
    secret_key: str = field(default="", repr=False)
    clock: Clock = field(default_factory=SystemClock)  # a reset link that has died since is not sent

    @property
    def domain(self) -> str:
        """Message-IDs are made in the sender's own domain."""
        return self.sender.rpartition("@")[2].strip(" >") or "settle.localhost"

    def compose(self, uow: UnitOfWork, message: OutboxMessage) -> EmailMessage | Skip:
        made: Composed | Skip
        if message.kind is MessageKind.PAYMENT_SUCCEEDED:
            made = self._receipt(uow, message)
        elif message.kind in (MessageKind.PAYMENT_FAILED, MessageKind.AUTOPAY_FAILED):
            made = self._failure(uow, message)
        elif message.kind is MessageKind.REFUND_SUCCEEDED:
            made = self._refund(uow, message)
        elif message.kind is MessageKind.SUPPORT_REPLY:
            made = self._support_reply(uow, message)
        elif message.kind is MessageKind.EMAIL_VERIFICATION:
            made = self._verification(uow, message)
        elif message.kind is MessageKind.SIGN_UP_ATTEMPTED:
            made = self._sign_up_attempted(uow, message)
        elif message.kind is MessageKind.PASSWORD_RESET:
            made = self._password_reset(uow, message)
        else:
            made = self._invoice(uow, message)
        if isinstance(made, Skip):
            return made
        words, attachments = made
        return build_message(
            words,
            sender=self.sender,
            recipient=message.recipient,
            message_id=message.message_id(self.domain),
            written_at=message.created_at,
            attachments=attachments,
        )

    def _invoice(self, uow: UnitOfWork, message: OutboxMessage) -> Composed | Skip:
        document = invoice_document(uow, message.reference, tz=self.tz, provider=self.provider, base_url=self.base_url)
        if document.voided:
            return Skip("the invoice was voided")
        if message.kind is MessageKind.INVOICE_ISSUED:
            words = content.invoice_issued(document, message.locale, self.base_url)
        elif document.amount_due.is_zero():
            return Skip("the invoice was paid")
        else:
            reminder = message.kind is MessageKind.INVOICE_PAST_DUE_REMINDER
            words = content.invoice_past_due(document, message.locale, self.base_url, reminder=reminder)
        return words, (Attachment(f"{document.number}.pdf", render_invoice_pdf(document)),)

    def _receipt(self, uow: UnitOfWork, message: OutboxMessage) -> Composed:
        payment = uow.payments.get(message.reference)
        assert payment.receipt_number is not None, "only succeeded payments are enqueued as such"
        receipt = receipt_document(uow, payment.receipt_number, tz=self.tz, provider=self.provider)
        profile = uow.profiles.get(payment.billing_profile_id)
        words = content.payment_succeeded(receipt, profile.display_name, message.locale, self.base_url)
        return words, (Attachment(f"{receipt.receipt_number}.pdf", render_receipt_pdf(receipt)),)

    def _failure(self, uow: UnitOfWork, message: OutboxMessage) -> Composed | Skip:
        payment = uow.payments.get(message.reference)
        invoice = uow.invoices.get(payment.invoice_id)
        if invoice.amount_due.is_zero():
            return Skip("the invoice was paid since")
        profile = uow.profiles.get(payment.billing_profile_id)
        failed = content.FailedPayment(
            payment.invoice_id, profile.display_name, payment.amount, payment.decline_code or DeclineCode.CARD_DECLINED
        )
        if message.kind is MessageKind.AUTOPAY_FAILED:
            attempt = uow.autopay.find_by_payment(payment.id)
            retry_on = attempt.attempt.retry_on if attempt and attempt.will_retry and profile.autopay else None
            notice = content.FailedAutopay(failed, retry_on)
            return content.autopay_failed(notice, self.provider.name, message.locale, self.base_url), ()
        return content.payment_failed(failed, self.provider.name, message.locale, self.base_url), ()

    def _refund(self, uow: UnitOfWork, message: OutboxMessage) -> Composed:
        refund = uow.refunds.get(message.reference)
        assert refund.receipt_number is not None, "only succeeded refunds are enqueued"
        receipt = refund_receipt_document(uow, refund.receipt_number, tz=self.tz, provider=self.provider)
        profile = uow.profiles.get(refund.billing_profile_id)
        words = content.refund_succeeded(receipt, profile.display_name, message.locale, self.base_url)
        return words, (Attachment(f"{receipt.receipt_number}.pdf", render_refund_receipt_pdf(receipt)),)

    def _verification(self, uow: UnitOfWork, message: OutboxMessage) -> Composed | Skip:
        link = uow.email_verifications.find(message.reference)
        user = uow.users.find(link.user_id) if link else None
        if link is None or user is None or user.email != link.email:
            return Skip("the link's user or address is gone")
        if user.verified or link.used_at is not None:
            return Skip("the address was verified already")
        secret = derived_secret(self.secret_key, verification.PURPOSE, link.id)
        shown = content.VerificationLink(link.email, f"{self.base_url}/verify-email/{secret}", link.expires_at, self.tz)
        return content.email_verification(shown, self.provider.name, message.locale), ()

    def _sign_up_attempted(self, uow: UnitOfWork, message: OutboxMessage) -> Composed | Skip:
        user = uow.users.find(message.reference.partition(":")[0])
        if user is None or user.disabled:
            return Skip("the user is gone or disabled")
        return content.sign_up_attempted(user.email, self.provider.name, message.locale, self.base_url), ()

    def _support_reply(self, uow: UnitOfWork, message: OutboxMessage) -> Composed:
        reply = uow.support_requests.get_reply(message.reference)
        request = uow.support_requests.get(reply.request_id)
        closed = request.status is SupportRequestStatus.CLOSED and reply == uow.support_requests.replies(request.id)[-1]
        answer = content.SupportAnswer(request.id, request.subject, reply.body, closed)
        return content.support_replied(answer, self.provider.name, message.locale, self.base_url), ()

    def _password_reset(self, uow: UnitOfWork, message: OutboxMessage) -> Composed | Skip:
        """The link, its secret made again from the secret key and the reset's id (Settle keeps only the
        hash); not sent once the link is dead, or if the key has changed since (it would open nothing)."""
        reset = uow.password_resets.find(message.reference)
        if reset is None or not reset.is_open(self.clock.now(), uow.users.find(reset.user_id)):
            return Skip("the reset link was used, has expired or was outdated")
        secret = derived_secret(self.secret_key, resets.PURPOSE, reset.id)
        if not self.secret_key or hash_secret(secret) != reset.secret_hash:
            return Skip("SETTLE_SECRET_KEY is not the one the reset link was made with")
        link = content.ResetLink(
            reset.email,
            content.reset_password_link(self.base_url, secret),
            resets.LIFETIME_TEXT,
            reset.expires_at,
            self.tz,
        )
        return content.password_reset(link, self.provider.name, message.locale), ()
