"""A4 pages with fpdf2: the one-page summary, letters and statements of account.

Text uses DejaVu Sans when the system has it (any script) and falls back to the PDF core font,
with characters outside Latin-1 replaced.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

FONT_PATHS = [Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
              Path("/usr/share/fonts/TTF/DejaVuSans.ttf")]
INK, MUTED, ACCENT, GOOD, BAD = (27, 36, 48), (110, 120, 130), (31, 95, 139), (46, 125, 50), (198, 40, 40)


class Page:
    """fpdf2 with the font decided once and text made safe for it."""

    def __init__(self, *, first_page: bool = True, margins: tuple[float, float, float] = (12, 12, 12),
                 footer: Callable[[Page], None] | None = None):
        from fpdf import FPDF

        owner = self

        class _PDF(FPDF):
            def footer(self) -> None:  # fpdf2 calls it as each page is finished
                if owner.on_footer is not None:
                    owner.on_footer(owner)

        self.on_footer = footer
        self.first_of_document = 1  # the page a letter or statement starts on, in a file that holds many
        self.pdf = _PDF(orientation="portrait", unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(*margins)
        font = next((p for p in FONT_PATHS if p.exists()), None)
        if font is not None:
            self.pdf.add_font("body", "", str(font))
            bold = font.with_name("DejaVuSans-Bold.ttf")
            self.pdf.add_font("body", "B", str(bold if bold.exists() else font))
            self.family, self.unicode = "body", True
        else:
            self.family, self.unicode = "helvetica", False
        if first_page:
            self.pdf.add_page()

    def text(self, value: str) -> str:
        if self.unicode:
            return value
        for a, b in (("–", "-"), ("—", "-"), ("≥", ">="), ("≤", "<="), ("€", "EUR"), ("’", "'"), ("“", '"'),
                     ("”", '"'), ("−", "-")):
            value = value.replace(a, b)
        return value.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, *, bold: bool = False, colour=INK) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.set_text_color(*colour)

    def at(self, x: float, y: float, w: float, h: float, value: str, *, align: str = "L") -> None:
        self.pdf.set_xy(x, y)
        self.pdf.cell(w, h, self.text(value), align=align)

    def fitted(self, x: float, y: float, w: float, h: float, value: str, *, size: float, smallest: float = 6.5,
               colour=INK, align: str = "L", bold: bool = False) -> tuple[str, float]:
        """One line in ``w`` mm: the font shrinks towards ``smallest`` for a long line (a long
        configuration name), and what still does not fit ends in an ellipsis. Returns what was
        written and its font size."""
        text = self.text(value)
        while size > smallest and self._width(text, size, colour, bold) > w:
            size -= 0.25
        while len(text) > 1 and self._width(text, size, colour, bold) > w:
            text = text[:-2].rstrip() + ("…" if self.unicode else "~")
        self.at(x, y, w, h, text, align=align)
        return text, size

    def _width(self, text: str, size: float, colour, bold: bool = False) -> float:
        self.font(size, bold=bold, colour=colour)
        return self.pdf.get_string_width(text)

    def paragraph(self, x: float, w: float, h: float, value: str, *, bottom: float) -> None:
        """Wrapped text from the current line at ``x``, ``w`` mm wide, continued on a new page (which
        starts at the top margin) below ``bottom`` mm from the page's top edge."""
        self.pdf.set_auto_page_break(True, margin=self.pdf.h - bottom)
        for line in self.text(value).split("\n"):
            self.pdf.set_x(x)
            # A line that fits is one cell: fpdf2's line breaking costs ten times as much, and most lines
            # of a letter fit (thousands of letters make a busy day at 10M invoices).
            if self.pdf.get_string_width(line) <= w - 2 * self.pdf.c_margin:
                self.pdf.cell(w, h, line, new_x="LMARGIN", new_y="NEXT")
            else:
                self.pdf.multi_cell(w, h, line, align="L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_auto_page_break(False)

    def image(self, png: bytes, x: float, y: float, w: float) -> None:
        self.pdf.image(io.BytesIO(png), x=x, y=y, w=w)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
