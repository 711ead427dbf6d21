"""SETTLE_SMTP_URL: plain, STARTTLS or implicit TLS, with or without a login."""

from __future__ import annotations

import smtplib

import pytest

from settle.notify.smtp import InvalidSmtpUrl, SmtpSettings, is_permanent


def test_a_bare_host_is_plain_smtp_on_port_25() -> None:
    assert SmtpSettings.from_url("smtp://mail.example") == SmtpSettings("mail.example", 25)


def test_starttls_with_a_login_defaults_to_the_submission_port() -> None:
    settings = SmtpSettings.from_url("smtp://billing%40contoso.example:p%40ss%2Fw0rd@mail.example?starttls=1")
    assert (settings.port, settings.starttls, settings.implicit_tls) == (587, True, False)
    assert (settings.username, settings.password) == ("billing@contoso.example", "p@ss/w0rd")


def test_smtps_is_implicit_tls_on_port_465_and_a_port_given_wins() -> None:
    assert SmtpSettings.from_url("smtps://u:p@mail.example").port == 465
    implicit = SmtpSettings.from_url("smtps://u:p@mail.example:2465?timeout=5")
    assert (implicit.port, implicit.implicit_tls, implicit.starttls, implicit.timeout) == (2465, True, False, 5.0)


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://mail.example:notaport", "mail.example"])
def test_other_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(InvalidSmtpUrl):
        SmtpSettings.from_url(url)


def test_only_a_5xx_refusal_of_the_message_itself_is_permanent() -> None:
    assert is_permanent(smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"no such user")}))
    assert not is_permanent(smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"mailbox busy")}))
    assert is_permanent(smtplib.SMTPDataError(554, b"rejected as spam"))
    assert not is_permanent(smtplib.SMTPDataError(451, b"try again later"))
    assert not is_permanent(smtplib.SMTPAuthenticationError(535, b"bad credentials"))  # the configuration's fault
    assert not is_permanent(smtplib.SMTPServerDisconnected("gone"))
