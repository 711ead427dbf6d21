"""The look shared by Settle's PDF documents: an A4 page, DejaVu Sans embedded, the provider at the
top, a footer with page numbers, and the pieces invoices and receipts are built of.

Output is deterministic: the creation date is the document's own date and every other piece of
metadata is fixed, so the same content always gives the same bytes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos

from settle.documents.model import Provider
from settle.errors import N_
from settle.i18n import gettext
from settle.money import Money, format_money

FONTS = Path(__file__).parent / "fonts"
FAMILY = "DejaVu"
MARGIN = 18.0
WIDTH = 210.0 - 2 * MARGIN
INK = (31, 41, 55)
MUTED = (100, 110, 125)
RULE = (209, 213, 219)
SHADE = (243, 244, 246)
ACCENT = (15, 108, 189)
GREEN = (16, 124, 65)
RED = (185, 28, 28)

# Font subsetting logs every table it writes at DEBUG: hundreds of lines for each document.
for _chatty in ("fontTools", "fpdf"):
    if logging.getLogger(_chatty).level == logging.NOTSET:
        logging.getLogger(_chatty).setLevel(logging.WARNING)

PAGE_OF = N_("Page {page} of {pages}")
VAT_NUMBER = N_("VAT number")


def long_date(day: date, locale: str) -> str:
    return format_date(day, "long", locale=locale)


def date_and_time(moment: datetime, locale: str, tz: str) -> str:
    from zoneinfo import ZoneInfo

    local = moment.astimezone(ZoneInfo(tz))
    clock = format_time(local.time(), "short", locale=locale)
    return f"{long_date(local.date(), locale)} {clock} ({tz})"


def quantity(value: Decimal, locale: str) -> str:
    return format_decimal(value, locale=locale, decimal_quantization=False)


def rate(value: Decimal, locale: str) -> str:
    return format_percent(value, locale=locale, decimal_quantization=False)


def money(amount: Money, locale: str) -> str:
    return format_money(amount, locale)


class DocumentPdf(FPDF):
    """One document: call `text`-drawing helpers, then `to_bytes`."""

    def __init__(self, *, locale: str, title: str, provider: Provider, created: date) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.locale = locale
        self.provider = provider
        self.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=24)
        self.set_title(title)
        self.set_author(provider.name)
        self.set_creator("Settle")
        self.set_producer("Settle")
        self.set_lang(locale)
        self.set_creation_date(datetime.combine(created, time(0, 0), tzinfo=UTC))
        self.alias_nb_pages("{nb}")
        self.add_page()

    def t(self, message: str) -> str:
        return gettext(self.locale, message)

    def font(self, size: float, *, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*color)

    def footer(self) -> None:
        self.set_y(-16)
        self.set_draw_color(*RULE)
        self.line(MARGIN, self.get_y() - 2, MARGIN + WIDTH, self.get_y() - 2)
        self.font(7.5, color=MUTED)
        provider = self.provider
        left = f"{provider.name} · {self.t(VAT_NUMBER)} {provider.vat_number} · {provider.email}"
        self.cell(WIDTH * 0.75, 4, left)
        pages = self.t(PAGE_OF).format(page=self.page_no(), pages="{nb}")
        # The page count is filled in at the end, so align by a stand-in of as many digits (DejaVu's
        # digits are all as wide as each other).
        stand_in = pages.replace("{nb}", "0" * len(str(self.page_no())))
        self.set_x(MARGIN + WIDTH - self.get_string_width(stand_in))
        self.cell(self.get_string_width(stand_in), 4, pages)

    def heading(self, title: str, number: str) -> None:
        """The provider's name and address on the left; the document's title and number on the right."""
        top = self.get_y()
        self.font(13, bold=True)
        self.cell(WIDTH / 2, 7, self.provider.name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.font(8.5, color=MUTED)
        for line in self.provider.address.lines()[1:]:
            self.cell(WIDTH / 2, 4.2, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        bottom = self.get_y()
        self.set_xy(MARGIN + WIDTH / 2, top)
        self.font(22, bold=True, color=ACCENT)
        self.cell(WIDTH / 2, 10, title, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.font(10, color=MUTED)
        self.cell(WIDTH / 2, 5, number, align="R")
        self.set_y(max(bottom, self.get_y() + 5) + 8)

    def address(self, x: float, y: float, width: float, label: str, lines: Sequence[str]) -> float:
        """A labelled block of lines at (x, y); returns where it ends."""
        self.set_xy(x, y)
        self.font(8, bold=True, color=MUTED)
        self.cell(width, 5, label.upper(), new_x=XPos.LEFT, new_y=YPos.NEXT)
        for position, line in enumerate(lines):
            self.font(10, bold=position == 0)
            self.cell(width, 5, line, new_x=XPos.LEFT, new_y=YPos.NEXT)
        return self.get_y()

    def facts(self, x: float, y: float, width: float, rows: Sequence[tuple[str, str]]) -> float:
        """Label and value pairs, the values right-aligned; returns where they end."""
        self.set_xy(x, y)
        for label, value in rows:
            self.font(9, color=MUTED)
            self.cell(width * 0.38, 5.6, label)
            self.font(9.5)
            self.cell(width * 0.62, 5.6, value, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.set_x(x)
        return self.get_y()

    def stamp(self, y: float, text: str, detail: str, color: tuple[int, int, int]) -> None:
        """A framed mark (Paid, Void) at height y on the left, slightly turned like a stamp."""
        x, width, height = MARGIN + 8, 62, 18
        saved = self.get_x(), self.get_y()
        with self.rotation(6, x + width / 2, y + height / 2):
            self.set_draw_color(*color)
            self.set_line_width(0.8)
            self.rect(x, y, width, height, round_corners=True, corner_radius=2)
            self.set_xy(x, y + (1.5 if detail else 5))
            self.font(17, bold=True, color=color)
            self.cell(width, 8, text.upper(), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
            self.font(8.5, color=color)
            self.cell(width, 5, detail, align="C")
        self.set_line_width(0.2)
        self.set_xy(*saved)

    def rule(self, *, strong: bool = False, start: float = MARGIN) -> None:
        self.set_draw_color(*(INK if strong else RULE))
        self.set_line_width(0.4 if strong else 0.2)
        self.line(start, self.get_y(), MARGIN + WIDTH, self.get_y())
        self.set_line_width(0.2)

    def total_row(self, label: str, value: str, *, bold: bool = False, size: float = 9.5) -> None:
        """A row of the totals, in the right half of the page."""
        self.set_x(MARGIN + WIDTH * 0.45)
        self.font(size, bold=bold, color=INK if bold else MUTED)
        self.cell(WIDTH * 0.30, 6.5, label)
        self.font(size, bold=bold)
        self.cell(WIDTH * 0.25, 6.5, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def panel(self, title: str, rows: Sequence[tuple[str, str]], notes: Sequence[str] = ()) -> None:
        """A shaded box: a title, label and value pairs, then sentences."""
        height = 8 + 5.5 * len(rows) + 5 * self._note_lines(notes) + 4
        if self.get_y() + height > self.h - 26:
            self.add_page()
        top = self.get_y()
        self.set_fill_color(*SHADE)
        self.rect(MARGIN, top, WIDTH, height, style="F", round_corners=True, corner_radius=1.5)
        self.set_xy(MARGIN + 5, top + 3)
        self.font(10.5, bold=True)
        self.cell(WIDTH - 10, 6, title, new_x=XPos.LEFT, new_y=YPos.NEXT)
        for label, value in rows:
            self.font(9, color=MUTED)
            self.cell(45, 5.5, label)
            self.font(9.5, bold=True)
            self.cell(WIDTH - 55, 5.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_x(MARGIN + 5)
        self.font(9)
        for note in notes:
            self.multi_cell(WIDTH - 10, 5, note, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        self.set_y(top + height + 4)

    def _note_lines(self, notes: Sequence[str]) -> int:
        self.font(9)
        return sum(len(self.lines_of(WIDTH - 10, note)) for note in notes)

    def lines_of(self, width: float, text: str) -> list[str]:
        """How `text` wraps in a column `width` wide, in the current font."""
        lines = self.multi_cell(width, 5, text, align="L", dry_run=True, output=MethodReturnValue.LINES)
        assert isinstance(lines, list)
        return lines

    def wrapped(self, width: float, height: float, text: str) -> float:
        """`text` wrapped in a column at the current position, which stays where it is (the cells of
        the same row follow on its right); returns the height it took."""
        taken = self.multi_cell(
            width, height, text, align="L", new_x=XPos.RIGHT, new_y=YPos.TOP, output=MethodReturnValue.HEIGHT
        )
        assert isinstance(taken, float | int)
        return float(taken)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
