"""An EmailContent laid out as a MIME message: a plain-text part, an HTML part (inline styles, as
mail clients want them; every value escaped) and attachments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from settle.notify.content import EmailContent

INK, MUTED, ACCENT, PAGE = "#1f2937", "#6b7280", "#0f6cbd", "#f3f4f6"
FONT = "'Segoe UI', Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    maintype: str = "application"
    subtype: str = "pdf"


def text_body(content: EmailContent) -> str:
    width = max((len(label) for label, _ in content.facts), default=0)
    facts = [f"{label + ':':<{width + 1}} {value}" for label, value in content.facts]
    blocks = [*content.paragraphs, "\n".join(facts)]
    if content.action is not None:
        label, link = content.action
        blocks.append(f"{label}: {link}")
    return "\n\n".join(block for block in blocks if block) + f"\n\n-- \n{content.footer}\n"


def html_body(content: EmailContent) -> str:
    paragraphs = "".join(f'<p style="margin:0 0 14px">{escape(text)}</p>' for text in content.paragraphs)
    facts = "".join(
        f'<tr><td style="padding:4px 16px 4px 0;color:{MUTED}">{escape(label)}</td>'
        f'<td style="padding:4px 0;font-weight:600">{escape(value)}</td></tr>'
        for label, value in content.facts
    )
    action = ""
    if content.action is not None:
        label, link = content.action
        action = (
            f'<tr><td style="padding:8px 32px 16px"><a href="{escape(link)}" style="display:inline-block;'
            f"background:{ACCENT};color:#ffffff;padding:10px 20px;border-radius:4px;text-decoration:none;"
            f'font-weight:600">{escape(label)}</a></td></tr>'
        )
    return (
        f'<!DOCTYPE html><html lang="{escape(content.locale)}"><head><meta charset="utf-8">'
        f"<title>{escape(content.subject)}</title></head>"
        f'<body style="margin:0;padding:0;background:{PAGE};font-family:{FONT};color:{INK}">'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:{PAGE}">'
        f'<tr><td align="center" style="padding:24px 8px">'
        f'<table role="presentation" width="600" cellpadding="0" cellspacing="0" '
        f'style="max-width:600px;width:100%;background:#ffffff;border-radius:6px">'
        f'<tr><td style="padding:24px 32px 12px;font-size:20px;font-weight:600;color:{ACCENT}">'
        f"{escape(content.subject)}</td></tr>"
        f'<tr><td style="padding:4px 32px;font-size:15px;line-height:1.5">{paragraphs}</td></tr>'
        f'<tr><td style="padding:4px 32px 12px"><table role="presentation" cellpadding="0" cellspacing="0" '
        f'style="font-size:14px">{facts}</table></td></tr>'
        f"{action}"
        f'<tr><td style="padding:12px 32px 24px;font-size:12px;color:{MUTED};border-top:1px solid {PAGE}">'
        f"{escape(content.footer)}</td></tr>"
        f"</table></td></tr></table></body></html>"
    )


def build_message(
    content: EmailContent,
    *,
    sender: str,
    recipient: str,
    message_id: str,
    written_at: datetime,
    attachments: tuple[Attachment, ...] = (),
) -> EmailMessage:
    """The whole e-mail. Its Date is when the event was written to the outbox, so a message sent
    again after a crash is the same message, Message-ID and all."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = content.subject
    message["Date"] = format_datetime(written_at)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    message.set_content(text_body(content))
    message.add_alternative(html_body(content), subtype="html")
    for attachment in attachments:
        message.add_attachment(
            attachment.data, maintype=attachment.maintype, subtype=attachment.subtype, filename=attachment.filename
        )
    message["Content-Language"] = content.locale  # last: setting the content moves Content-* headers away
    _fixed_boundaries(message, message_id)
    return message


def _fixed_boundaries(message: EmailMessage, message_id: str) -> None:
    """MIME boundaries made from the Message-ID instead of random digits, so that a message sent
    again is the same bytes. `=_` never occurs in quoted-printable or base64 text."""
    key = "".join(character for character in message_id if character.isalnum())[:40]
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"=_settle_{key}_{index}")
