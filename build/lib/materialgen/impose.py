"""Imposition: a sheet of cards for the office printer, made from the checked card PDF.

A sheet is not laid out again. Each face of the card document becomes a PDF form XObject
clipped to the card's trim, placed at every slot of a butt-cut grid: what the sheet prints
is exactly what passed the print check, ten times, and the sheet costs no layout. The fronts
are on page 1; the backs on page 2, mirrored across the vertical centre line, which is where
a sheet printed double-sided and flipped on its long edge puts them. Cut marks are drawn in
the margins only, one at each cut line, stopping 1 mm short of the cards.

One source document means one set of font subsets: merging separately laid-out PDFs would
reuse one subset tag for different subsets, which print shops' preflight refuses.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

from .pdf import PT_PER_MM
from .render import PAPER

CARD = PAPER[("card", "us")]
COLUMNS, ROWS = 2, 5
#: Cut marks: hairline-plus width, and the gap they keep from the cards.
MARK_WIDTH_MM = 0.2
MARK_GAP_MM = 1.0


@dataclasses.dataclass
class Slot:
    """A card's place on the sheet: its top-left corner, in mm from the sheet's top-left."""

    x: float
    y: float


def sheet_slots(page_width: float, page_height: float) -> tuple[list[Slot], list[Slot]]:
    """Card positions (mm, top-left) for the fronts and for the backs of a butt-cut sheet."""
    left = (page_width - COLUMNS * CARD[0]) / 2
    top = (page_height - ROWS * CARD[1]) / 2
    fronts = [
        Slot(left + column * CARD[0], top + row * CARD[1])
        for row in range(ROWS)
        for column in range(COLUMNS)
    ]
    backs = [Slot(page_width - slot.x - CARD[0], slot.y) for slot in fronts]
    return fronts, backs


def cut_marks(page_width: float, page_height: float, slots: list[Slot]) -> list[tuple]:
    """Rectangles (x, y, width, height in mm from the top-left) of the cut marks: at each
    cut line, from the paper's edge to 1 mm short of the cards, on all four sides."""
    left = min(slot.x for slot in slots)
    top = min(slot.y for slot in slots)
    right, bottom = left + COLUMNS * CARD[0], top + ROWS * CARD[1]
    half = MARK_WIDTH_MM / 2
    marks = []
    for column in range(COLUMNS + 1):
        x = left + column * CARD[0] - half
        marks.append((x, 0.0, MARK_WIDTH_MM, top - MARK_GAP_MM))
        marks.append((x, bottom + MARK_GAP_MM, MARK_WIDTH_MM, page_height - bottom - MARK_GAP_MM))
    for row in range(ROWS + 1):
        y = top + row * CARD[1] - half
        marks.append((0.0, y, left - MARK_GAP_MM, MARK_WIDTH_MM))
        marks.append((right + MARK_GAP_MM, y, page_width - right - MARK_GAP_MM, MARK_WIDTH_MM))
    return marks


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def impose(card_pdf: Path, target, paper: tuple[float, float], lang: str) -> int:
    """Write the sheet of ``card_pdf`` (two pages: front, back) to ``target`` (a path or a
    binary file) on paper of ``paper`` mm, with the card's title; returns its page count."""
    import pikepdf

    width, height = paper
    with pikepdf.open(card_pdf) as card:
        if len(card.pages) != 2:
            raise ValueError(f"{card_pdf}: a card has 2 pages, this one {len(card.pages)}")
        sheet = pikepdf.new()
        faces = [sheet.copy_foreign(page.as_form_xobject()) for page in card.pages]
        trims = [[float(v) for v in page.trimbox] for page in card.pages]
        title = str(card.docinfo.get(pikepdf.Name.Title, ""))
    for face, trim, slots in zip(faces, trims, sheet_slots(width, height), strict=True):
        operators = ["q 0 g"]
        for x, y, w, h in cut_marks(width, height, slots):
            # PDF space has its origin at the bottom left.
            operators.append(
                " ".join(_number(v * PT_PER_MM) for v in (x, height - y - h, w, h)) + " re"
            )
        operators.append("f Q")
        for slot in slots:
            dx = slot.x * PT_PER_MM - trim[0]
            dy = (height - slot.y - CARD[1]) * PT_PER_MM - trim[1]
            operators.append(f"q 1 0 0 1 {_number(dx)} {_number(dy)} cm /Card Do Q")
        page = sheet.add_blank_page(page_size=(width * PT_PER_MM, height * PT_PER_MM))
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Card=face))
        page.obj.Contents = sheet.make_stream("\n".join(operators).encode("ascii"))
        box = pikepdf.Array(
            [0, 0, Decimal(_number(width * PT_PER_MM)), Decimal(_number(height * PT_PER_MM))]
        )
        page.obj.TrimBox = box
    sheet.docinfo[pikepdf.Name.Title] = title
    sheet.docinfo[pikepdf.Name.Producer] = "materialgen (imposed with pikepdf)"
    sheet.Root.Lang = pikepdf.String(lang)
    sheet.save(target, deterministic_id=True, compress_streams=True)
    return len(sheet.pages)
