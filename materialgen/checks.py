"""The print check: inspect the laid-out document before any PDF is written.

WeasyPrint reports none of these problems by itself. Each is found in the box tree that
``render()`` returns (WeasyPrint 70 internals: ``page._page_box``, line and text boxes, and the
Pango runs of each text box), which is why weasyprint is pinned and this module is tested.

Problems come in two kinds: *fit* problems (text outside its frame, pages spilling over) that
a smaller type size may solve, and the rest, which copyfitting cannot help.
"""

from __future__ import annotations

import dataclasses
import re

from weasyprint.formatting_structure import boxes
from weasyprint.text.ffi import ffi, pango

PX_PER_MM = 96 / 25.4
PT_PER_PX = 0.75
#: Geometry tolerance: a quarter of a point, far below anything visible in print.
TOLERANCE_PX = 1 / 3
INVISIBLE = re.compile("[\u200b\u2066-\u2069\u200e\u200f]")


@dataclasses.dataclass
class Problem:
    kind: str  # overflow, pages, glyph, font, size, direction, missing-number, warning
    message: str
    text: str = ""

    @property
    def fit(self) -> bool:
        return self.kind in ("overflow", "pages")

    def __str__(self) -> str:
        if self.text:
            shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
            return f"{self.message}: «{shown}»"
        return self.message


@dataclasses.dataclass
class Expectations:
    """What the document must satisfy; fonts per language decide the font allow-list."""

    pages: int
    safe_mm: float
    fonts_by_lang: dict[str, list[str]]
    min_font_pt: dict[str, float] | None = None  # per language; fine print is exempt
    numbers: tuple[str, ...] = ()  # phone numbers and text codes that must be printed


def walk(box, ancestors=()):
    box = getattr(box, "_box", box)  # absolutely positioned boxes sit in a placeholder
    yield box, ancestors
    if isinstance(box, boxes.ParentBox):
        for child in box.children:
            yield from walk(child, (*ancestors, box))


def _attr(box, name):
    element = getattr(box, "element", None)
    return None if element is None else element.get(name)


def _frame(ancestors):
    for box in reversed(ancestors):
        name = _attr(box, "data-frame")
        if name and isinstance(box, boxes.BlockBox):
            return name, box
    return None, None


def _has_class(ancestors, name: str) -> bool:
    return any(name in (_attr(box, "class") or "").split() for box in ancestors)


def _glyph_problems(box, lang: str, allowed: list[str] | None) -> list[Problem]:
    """Missing glyphs, fonts outside the language's stack, and numbers laid out right-to-left."""
    # WeasyPrint drops each text box's Pango layout after line breaking and rebuilds it to
    # draw; do the same here, and drop it again so memory stays as WeasyPrint expects.
    box.pango_layout.reactivate(box.style)
    try:
        return _inspect_runs(box, lang, allowed)
    finally:
        box.pango_layout.deactivate()


def _inspect_runs(box, lang: str, allowed: list[str] | None) -> list[Problem]:
    problems = []
    line, _ = box.pango_layout.get_first_line()
    run = line.runs
    text_bytes = box.pango_layout.text.encode()
    isolated = _attr(box, "dir") == "ltr"
    while run != ffi.NULL:
        glyph_item = ffi.cast("PangoGlyphItem *", run.data)
        run = run.next
        item = glyph_item.item
        run_text = text_bytes[item.offset : item.offset + item.length].decode(errors="replace")
        description = pango.pango_font_describe_with_absolute_size(item.analysis.font)
        family = ffi.string(pango.pango_font_description_get_family(description)).decode()
        pango.pango_font_description_free(description)
        if allowed is not None and family not in allowed:
            problems.append(
                Problem(
                    "font",
                    f"font '{family}' is not in the font stack of '{lang}' ({', '.join(allowed)})",
                    run_text,
                )
            )
        glyphs = glyph_item.glyphs
        for index in range(glyphs.num_glyphs):
            glyph = glyphs.glyphs[index].glyph
            if glyph != pango.PANGO_GLYPH_EMPTY and glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG:
                codepoint = glyph & ~pango.PANGO_GLYPH_UNKNOWN_FLAG
                problems.append(
                    Problem(
                        "glyph",
                        f"no font of '{lang}' has U+{codepoint:04X} {chr(codepoint)!r}",
                        run_text,
                    )
                )
        if isolated and item.analysis.level % 2:
            problems.append(
                Problem("direction", "number or address laid out right-to-left", run_text)
            )
    return problems


def _line_text(line) -> str:
    return "".join(box.text for box, _ in walk(line) if isinstance(box, boxes.TextBox))


def _vertical_overflow(line, ancestors, number: int, bottom: float, expect) -> list[Problem]:
    """A line below the bottom of its frame's content box, or of the page's safe area.

    Lines, not text boxes, are measured vertically: a text box is as tall as its font's
    ascent and descent, which may exceed the line height the design asks for.
    """
    safe = expect.safe_mm * PX_PER_MM
    line_top, line_bottom = line.position_y, line.position_y + line.height
    frame_name, frame = _frame(ancestors)
    if frame is not None:
        top_limit = frame.content_box_y()
        bottom_limit = top_limit + frame.height
        where = f"runs out of '{frame_name}'"
    else:
        top_limit, bottom_limit = safe, bottom
        where = f"is outside the safe area ({expect.safe_mm} mm inside the trim)"
    over = max(top_limit - line_top, line_bottom - bottom_limit)
    if over > TOLERANCE_PX and _line_text(line).strip(" \u200b"):
        return [
            Problem(
                "overflow",
                f"page {number}: a line {where} by {over / PX_PER_MM:.1f} mm",
                _line_text(line),
            )
        ]
    return []


def check_document(document, expect: Expectations) -> tuple[list[Problem], list[str]]:
    """Problems found in the laid-out ``document``, and the text of each page."""
    problems: list[Problem] = []
    page_texts: list[str] = []
    if len(document.pages) != expect.pages:
        problems.append(
            Problem(
                "pages",
                f"{len(document.pages)} pages instead of "
                f"{expect.pages}: text spilled onto extra pages",
            )
        )
    safe = expect.safe_mm * PX_PER_MM
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        right, bottom = page_box.margin_width() - safe, page_box.margin_height() - safe
        texts = []
        for box, ancestors in walk(page_box):
            if isinstance(box, boxes.LineBox):
                problems.extend(_vertical_overflow(box, ancestors, number, bottom, expect))
                continue
            if not isinstance(box, boxes.TextBox) or not box.text.strip(" \u200b"):
                continue
            texts.append(box.text)
            lang = box.style["lang"] or ""
            left_x, right_x = box.position_x, box.position_x + box.width
            frame_name, frame = _frame(ancestors)
            if frame is not None:
                frame_left = frame.content_box_x()
                over = max(frame_left - left_x, right_x - (frame_left + frame.width))
                if over > TOLERANCE_PX:
                    problems.append(
                        Problem(
                            "overflow",
                            f"page {number}: text runs out of "
                            f"'{frame_name}' by {over / PX_PER_MM:.1f} mm",
                            box.text,
                        )
                    )
            over = max(safe - left_x, right_x - right)
            if over > TOLERANCE_PX and frame is None:
                problems.append(
                    Problem(
                        "overflow",
                        f"page {number}: text {over / PX_PER_MM:.1f} mm "
                        f"outside the safe area ({expect.safe_mm} mm inside the "
                        "trim)",
                        box.text,
                    )
                )
            if (
                expect.min_font_pt
                and lang in expect.min_font_pt
                and not _has_class(ancestors, "fine-print")
            ):
                size = box.style["font_size"] * PT_PER_PX
                if size + 0.01 < expect.min_font_pt[lang]:
                    problems.append(
                        Problem(
                            "size",
                            f"page {number}: type of {size:.1f} pt, below "
                            f"the {expect.min_font_pt[lang]:.1f} pt minimum",
                            box.text,
                        )
                    )
            problems.extend(_glyph_problems(box, lang, expect.fonts_by_lang.get(lang)))
        page_texts.append(INVISIBLE.sub("", "".join(texts)))
    all_text = "\n".join(page_texts)
    for wanted in expect.numbers:
        if wanted not in all_text:
            problems.append(
                Problem("missing-number", f"{wanted} does not appear in the laid-out text")
            )
    return problems, page_texts
