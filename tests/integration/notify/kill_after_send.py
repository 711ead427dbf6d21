"""Run by a test as its own process: send what is due, and die by SIGKILL right after the SMTP
server has accepted the first message (its 250 after DATA), before the outbox records it as sent."""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime
from email.message import EmailMessage

from settle import db
from settle.clock import FixedClock
from settle.notify.compose import Composer
from settle.notify.sender import deliver
from settle.notify.smtp import SmtpMailer, SmtpSettings


class DiesAfterSending:
    def __init__(self, inner: SmtpMailer) -> None:
        self.inner = inner

    def send(self, message: EmailMessage) -> None:
        self.inner.send(message)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")


def main() -> None:
    database_url, smtp_url, sender, base_url, now = sys.argv[1:6]
    clock = FixedClock(datetime.fromisoformat(now).astimezone(UTC))
    mailer = DiesAfterSending(SmtpMailer(SmtpSettings.from_url(smtp_url)))
    deliver(db.create_engine(database_url), clock, mailer, Composer(sender, base_url))


if __name__ == "__main__":
    main()
