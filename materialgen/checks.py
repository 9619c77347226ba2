"""The print check: inspect the laid-out document before any PDF is written.

WeasyPrint reports none of these problems by itself. Each is found in the box tree that
``render()`` returns (WeasyPrint 70 internals: ``page._page_box``, line and text boxes, and the
Pango runs of each text box), which is why weasyprint is pinned and this module is tested.

Positions are measured from the trim: with a bleed, WeasyPrint keeps the page box at the
paper size and puts the bleed at negative coordinates and beyond the page's width and height,
so "outside the safe area" means too close to where the paper is cut, bleed or not. Text
inside a frame is held to its frame and to the safe area, since a frame may itself reach
into the bleed (a band of colour).

Text is also held, sideways, to the content box of every box around it (its paragraph, its
column, its table cell, an inline block): a word, number or address wider than its column
stays inside the frame that holds both columns, yet prints over the column beside it
(_sideways_overrun says what it deliberately leaves out).

Problems come in two kinds: *fit* problems (text or a picture outside its frame, pages
spilling over) that a smaller type size may solve, and the rest, which copyfitting cannot help.

Pictures (replaced boxes: pictograms, QR codes) are held to the same rules as text: inside
their frame and the safe area, and never over the ink of a glyph. Boxes with a CSS transform
(the rotated tear-off tabs) are measured as WeasyPrint draws them: box positions are before
the transform, so text is checked against its frame in the frame's own coordinates, and the
transformed frame, text ink and pictures are mapped onto the page with the box's matrix.
"""

from __future__ import annotations

import dataclasses
import re

from weasyprint.formatting_structure import boxes
from weasyprint.text.ffi import FROM_UNITS, ffi, harfbuzz, pango

ffi.cdef(
    "int hb_font_get_nominal_glyph (hb_font_t *font, unsigned int unicode, unsigned int *glyph);"
)

PX_PER_MM = 96 / 25.4
PT_PER_PX = 0.75
#: Geometry tolerance: a quarter of a point, far below anything visible in print.
TOLERANCE_PX = 1 / 3
#: What must read left to right even inside right-to-left text: phone numbers, short codes,
#: web addresses.
NUMBER_LIKE = re.compile(r"\d+(?:-\d+)+|\d{3,}|[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[\w./-]*)?")
INVISIBLE = re.compile("[\u200b\u2066-\u2069\u200e\u200f]")


@dataclasses.dataclass
class Problem:
    # overflow (out of a frame, the safe area, or the box around it), pages (fit problems);
    # glyph, font, cluster, collision, size, direction, missing-number, placement (a
    # transformed frame off the safe area), overlap (a picture over text)
    kind: str
    message: str
    text: str = ""
    frame: str | None = None  # the frame (data-frame) the text belongs to, if any

    @property
    def fit(self) -> bool:
        return self.kind in ("overflow", "pages")

    def __str__(self) -> str:
        if self.text:
            text = INVISIBLE.sub("", self.text)
            shown = text if len(text) <= 60 else text[:57] + "..."
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


def _transform(boxes_outside_in):
    """The matrix from a box's coordinates to the page's: the CSS transforms of the boxes
    (outermost first) composed as WeasyPrint draws them, or None when there are none.
    WeasyPrint sets ``transformation_matrix`` when it builds the pages."""
    matrix = None
    for box in boxes_outside_in:
        own = getattr(box, "transformation_matrix", None)
        if own is not None:
            matrix = own if matrix is None else own @ matrix
    return matrix


def _on_page(matrix, left, top, right, bottom) -> tuple[float, float, float, float]:
    """The bounding box on the page of a rectangle in transformed coordinates."""
    if matrix is None:
        return left, top, right, bottom
    corners = [matrix.transform_point(x, y) for x in (left, right) for y in (top, bottom)]
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    return min(xs), min(ys), max(xs), max(ys)


def _outside_safe_area(rect, page_box, safe: float) -> float:
    """How far (px) a page rectangle reaches outside the safe area; 0 or less inside."""
    left, top, right, bottom = rect
    return max(
        safe - left,
        safe - top,
        right - (page_box.margin_width() - safe),
        bottom - (page_box.margin_height() - safe),
    )


@dataclasses.dataclass
class Ink:
    """The ink rectangle of one glyph, in CSS px on the page."""

    left: float
    top: float
    right: float
    bottom: float
    text: str


def missing_glyph_message(lang: str, codepoint: int) -> str:
    """Name the character, its script, and what to add (the print would show a box)."""
    import icu

    script = icu.Script.getScript(codepoint)
    return (
        f"no font of '{lang}' has U+{codepoint:04X} {chr(codepoint)!r} (script "
        f"{script.getShortName()}, {script.getName()}): add a font for that script to "
        "templates/fonts.yaml and to the language's fonts in locales/languages.yaml"
    )


def inspect_text_box(box, lang: str, allowed: list[str] | None) -> tuple[list[Problem], list[Ink]]:
    """Glyph-level problems of one text box, and the ink rectangle of each of its glyphs."""
    # WeasyPrint drops each text box's Pango layout after line breaking and rebuilds it to
    # draw; do the same here, and drop it again so memory stays as WeasyPrint expects.
    box.pango_layout.reactivate(box.style)
    try:
        return _inspect_runs(box, lang, allowed)
    finally:
        box.pango_layout.deactivate()


def _dotted_circle(font) -> int | None:
    """The glyph HarfBuzz shows for a mark with no base (an invalid cluster): U+25CC."""
    glyph = ffi.new("unsigned int *")
    if harfbuzz.hb_font_get_nominal_glyph(pango.pango_font_get_hb_font(font), 0x25CC, glyph):
        return glyph[0]
    return None


def _inspect_runs(box, lang: str, allowed: list[str] | None) -> tuple[list[Problem], list[Ink]]:
    problems, inks = [], []
    line, _ = box.pango_layout.get_first_line()
    text_bytes = box.pango_layout.text.encode()
    numbers = [(m.start(), m.end()) for m in NUMBER_LIKE.finditer(box.pango_layout.text)]
    numbers = [
        (len(box.pango_layout.text[:a].encode()), len(box.pango_layout.text[:b].encode()))
        for a, b in numbers
    ]
    rtl_ranges = []
    x = box.position_x
    baseline = box.position_y + box.baseline
    ink_rect = ffi.new("PangoRectangle *")
    logical_rect = ffi.new("PangoRectangle *")
    run = line.runs
    while run != ffi.NULL:
        glyph_item = ffi.cast("PangoGlyphItem *", run.data)
        run = run.next
        item = glyph_item.item
        run_text = text_bytes[item.offset : item.offset + item.length].decode(errors="replace")
        font = item.analysis.font
        description = pango.pango_font_describe_with_absolute_size(font)
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
        if item.analysis.level % 2:
            rtl_ranges.append((item.offset, item.offset + item.length))
        dotted_circle = _dotted_circle(font) if "\u25cc" not in run_text else None
        glyphs = glyph_item.glyphs
        for index in range(glyphs.num_glyphs):
            info = glyphs.glyphs[index]
            glyph = info.glyph
            if glyph != pango.PANGO_GLYPH_EMPTY and glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG:
                codepoint = glyph & ~pango.PANGO_GLYPH_UNKNOWN_FLAG
                problems.append(Problem("glyph", missing_glyph_message(lang, codepoint), run_text))
            elif glyph != pango.PANGO_GLYPH_EMPTY:
                if glyph == dotted_circle:
                    problems.append(
                        Problem(
                            "cluster",
                            "invalid character sequence (shown with a "
                            "dotted circle): check the spelling",
                            run_text,
                        )
                    )
                pango.pango_font_get_glyph_extents(font, glyph, ink_rect, logical_rect)
                if ink_rect.width and ink_rect.height:
                    left = x + (info.geometry.x_offset + ink_rect.x) * FROM_UNITS
                    top = baseline + (info.geometry.y_offset + ink_rect.y) * FROM_UNITS
                    inks.append(
                        Ink(
                            left,
                            top,
                            left + ink_rect.width * FROM_UNITS,
                            top + ink_rect.height * FROM_UNITS,
                            run_text,
                        )
                    )
            x += info.geometry.width * FROM_UNITS
    for start, end in numbers:
        if any(a < end and start < b for a, b in rtl_ranges):
            text = text_bytes[start:end].decode()
            problems.append(
                Problem(
                    "direction",
                    "number or address laid out right-to-left: it would print in the wrong order",
                    text,
                )
            )
    return problems, inks


def collisions(upper: list[Ink], lower: list[Ink], page: int) -> list[Problem]:
    """Ink of one line touching ink of the next line."""
    problems = []
    if not upper or not lower:
        return problems
    # Nearly always the lowest ink above is clear of the highest ink below: one comparison.
    if max(ink.bottom for ink in upper) - min(ink.top for ink in lower) <= TOLERANCE_PX:
        return problems
    for above in upper:
        for below in lower:
            overlap_x = min(above.right, below.right) - max(above.left, below.left)
            overlap_y = above.bottom - below.top
            if overlap_x > TOLERANCE_PX and overlap_y > TOLERANCE_PX:
                problems.append(
                    Problem(
                        "collision",
                        f"page {page}: marks of two lines touch "
                        f"({overlap_y / PX_PER_MM:.2f} mm): raise the "
                        "line height",
                        f"{above.text} / {below.text}",
                    )
                )
                return problems
    return problems


def _line_text(line) -> str:
    return "".join(box.text for box, _ in walk(line) if isinstance(box, boxes.TextBox))


def _overrun(ancestors, low: float, high: float, vertical: bool, rect, page_box, expect, matrix):
    """How far something spanning ``low``..``high`` on one axis (vertical or horizontal)
    runs out of its frame's content box or, when inside it, out of the page's safe area;
    with where, and the frame's name. ``rect``: its box, for one drawn turned (``matrix``)."""
    safe = expect.safe_mm * PX_PER_MM
    frame_name, frame = _frame(ancestors)
    over = 0.0
    if frame is not None:
        start = frame.content_box_y() if vertical else frame.content_box_x()
        over = max(start - low, high - (start + (frame.height if vertical else frame.width)))
        where = f"runs out of '{frame_name}'"
    if over <= TOLERANCE_PX:  # inside its frame; the frame itself may reach the trim
        where = f"is outside the safe area ({expect.safe_mm} mm inside the trim)"
        if matrix is None:
            page = page_box.margin_height() if vertical else page_box.margin_width()
            over = max(safe - low, high - (page - safe))
        elif frame is None:  # turned, outside any frame: as drawn on the page
            over = _outside_safe_area(_on_page(matrix, *rect), page_box, safe)
        # (A turned frame is held to the safe area as drawn: _transformed_frames.)
    return over, where, frame_name


def _vertical_overflow(
    line, ancestors, number: int, page_box, expect, matrix=None
) -> list[Problem]:
    """A line below the bottom of its frame's content box, or of the page's safe area.

    Lines, not text boxes, are measured vertically: a text box is as tall as its font's
    ascent and descent, which may exceed the line height the design asks for.
    """
    top, bottom = line.position_y, line.position_y + line.height
    rect = (line.position_x, top, line.position_x + line.width, bottom)
    over, where, frame_name = _overrun(ancestors, top, bottom, True, rect, page_box, expect, matrix)
    if over > TOLERANCE_PX and _line_text(line).strip(" \u200b"):
        return [
            Problem(
                "overflow",
                f"page {number}: a line {where} by {over / PX_PER_MM:.1f} mm",
                _line_text(line),
                frame_name,
            )
        ]
    return []


def check_document(document, expect: Expectations, full: bool = True):
    """Problems found in the laid-out ``document``, and the text of each page.

    ``full=False`` checks only what copyfitting can change (pages, frames, safe area): the
    glyph-level checks run once, on the layout that copyfitting settles on.
    """
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
    problems.extend(_split_frames(document))
    for number, page in enumerate(document.pages, start=1):
        texts: list[str] = []
        previous_inks: list[Ink] = []
        previous_context = None
        page_inks: list[Ink] = []  # every glyph's ink on the page, for pictures over text
        for line, ancestors in _lines(page._page_box):
            matrix = _transform(ancestors)
            problems.extend(
                _vertical_overflow(line, ancestors, number, page._page_box, expect, matrix)
            )
            inks: list[Ink] = []
            for box, inner in walk(line, ancestors):
                if isinstance(box, boxes.TextBox) and box.text.strip(" \u200b"):
                    texts.append(box.text)
                    found, box_inks = _check_text_box(
                        box, inner, number, page._page_box, expect, full, matrix
                    )
                    problems.extend(found)
                    inks.extend(box_inks)
            # Consecutive lines are compared in their own coordinates, and only within one
            # transformed box: two rotated tabs side by side are not one above the other.
            context = next(
                (id(a) for a in reversed(ancestors) if a.transformation_matrix is not None), None
            )
            if context != previous_context:
                previous_inks, previous_context = [], context
            if full:
                problems.extend(collisions(previous_inks, inks, number))
                page_inks.extend(
                    Ink(*_on_page(matrix, i.left, i.top, i.right, i.bottom), i.text) for i in inks
                )
            previous_inks = inks or previous_inks
        problems.extend(_pictures(page._page_box, number, expect, page_inks if full else None))
        problems.extend(_transformed_frames(page._page_box, number, expect))
        page_texts.append(INVISIBLE.sub("", "".join(texts)))
    all_text = "\n".join(page_texts)
    for wanted in expect.numbers if full else ():
        if wanted not in all_text:
            problems.append(
                Problem("missing-number", f"{wanted} does not appear in the laid-out text")
            )
    return problems, page_texts


def frame_limits(document) -> dict[str, tuple[float, float]]:
    """The frames copyfitting may scale, with the smallest and largest scale each allows
    (data-fit-floor, data-fit-ceiling)."""
    limits = {}
    for page in document.pages:
        for box, _ in walk(page._page_box):
            floor = _attr(box, "data-fit-floor")
            if floor and isinstance(box, boxes.BlockBox):
                ceiling = float(_attr(box, "data-fit-ceiling") or 1)
                limits[_attr(box, "data-frame")] = (float(floor), ceiling)
    return limits


def frame_starts(document) -> dict[str, float]:
    """The scale each copyfitted frame's search starts from when nothing is remembered
    (data-fit-start): a frame laid out with no scale given is laid out at it."""
    starts = {}
    for page in document.pages:
        for box, _ in walk(page._page_box):
            start = _attr(box, "data-fit-start")
            if start and _attr(box, "data-fit-floor") and isinstance(box, boxes.BlockBox):
                starts[_attr(box, "data-frame")] = float(start)
    return starts


def frame_fill(document) -> dict[str, tuple[float, bool]]:
    """How full each copyfitted frame is: the height its content takes over the height it
    has (above 1 it overflows), and whether that measure is rough (see below).
    Copyfitting estimates the next scale from it.

    A frame of fixed height (a card face) has its content box; its content may run out of
    the bottom. A frame that grows with its content (a flyer, a poster) has the rest of its
    page. Content that spilled onto more pages adds the height of those parts; that measure
    is rough, since a page breaks before a whole line or block that does not fit.
    """
    parts: dict = {}
    for page in document.pages:
        for box, _ in walk(page._page_box):
            if _attr(box, "data-fit-floor") and isinstance(box, boxes.BlockBox):
                parts.setdefault(box.element, []).append((page._page_box, box))
    fill = {}
    for fragments in parts.values():
        page_box, first = fragments[0]
        top = first.content_box_y()
        if first.style["height"] != "auto":
            available = first.height
        else:
            # Below the content: the frame's own padding, border and margin.
            below = first.position_y + first.margin_height() - (top + first.height)
            available = page_box.content_box_y() + page_box.height - top - below
        used = sum(_content_extent(box) for _, box in fragments)
        # Rough: a frame that grows with its content, broken across pages (where a page
        # break moved a whole block, leaving room behind). A fixed frame's lines are
        # measured where they are, on whatever page.
        rough = len(fragments) > 1 and first.style["height"] == "auto"
        if available > 0:
            fill[_attr(first, "data-frame")] = (used / available, rough)
    return fill


def _content_extent(frame) -> float:
    """From the top of a frame's content box to the bottom of its lowest line or image.

    Lines, not blocks: a block split by a page break is stretched to the bottom of the page,
    whatever it holds there.
    """
    top = frame.content_box_y()
    bottoms = [
        box.position_y + box.margin_height()
        for box, _ in walk(frame)
        if (isinstance(box, boxes.LineBox) or _is_picture(box))
        and not box.is_absolutely_positioned()
    ]
    return max(bottoms, default=top) - top


def frame_texts(document, frame: str) -> list[str]:
    """The text of every line of a frame, on whatever page it landed."""
    texts = []
    for page in document.pages:
        for line, ancestors in _lines(page._page_box):
            if frame in {_attr(box, "data-frame") for box in ancestors}:
                text = _line_text(line).strip()
                if text:
                    texts.append(text)
    return texts


def _split_frames(document) -> list[Problem]:
    """Frames continued on a later page: their text did not fit where it belongs. Names the
    first text that moved and how tall the moved part is."""
    fragments: dict = {}
    for number, page in enumerate(document.pages, start=1):
        for box, _ in walk(page._page_box):
            name = _attr(box, "data-frame")
            if name and isinstance(box, boxes.BlockBox):
                fragments.setdefault(box.element, []).append((number, box))
    problems = []
    for parts in fragments.values():
        if len({number for number, _ in parts}) < 2:
            continue
        number, continued = parts[1]
        moved = sum(box.margin_height() for page, box in parts[1:] if page != parts[0][0])
        first_text = next(
            (
                box.text
                for box, _ in walk(continued)
                if isinstance(box, boxes.TextBox) and box.text.strip()
            ),
            "",
        )
        problems.append(
            Problem(
                "overflow",
                f"'{_attr(continued, 'data-frame')}' is "
                f"{moved / PX_PER_MM:.1f} mm too long: its text continues on "
                f"page {number}",
                first_text,
                _attr(continued, "data-frame"),
            )
        )
    return problems


def _lines(page_box):
    """The outermost line boxes of a page, in document order (lines inside an inline-block
    belong to the line that holds the block)."""
    for box, ancestors in walk(page_box):
        if isinstance(box, boxes.LineBox) and not any(
            isinstance(a, boxes.LineBox) for a in ancestors
        ):
            yield box, ancestors


def _box_name(box) -> str:
    """A box as a designer finds it in a template: its element, and its classes."""
    tag = box.element_tag or "box"
    classes = (_attr(box, "class") or "").split()
    return tag + "".join(f".{name}" for name in classes)


def _containers(ancestors):
    """The boxes whose content box a text box must stay inside, innermost first: every
    block container (a paragraph, a column, a table cell, an inline block) and flex or grid
    container around it, up to the page.

    Climbing stops (after the box itself) at a box that may leave its parent on purpose:
    - absolutely positioned: it is placed against a positioned ancestor, not its parent
      (the tear-off tabs, decorations), so its parent's box says nothing about it;
    - transformed: it is drawn elsewhere than it is laid out (the rotated tabs); where it
      lands is checked as drawn (_transformed_frames);
    - with a negative horizontal margin: a template pulls it out of its parent deliberately
      (a band reaching into the bleed); the frame and safe-area checks still hold its text.
    """
    for box in reversed(ancestors):
        if isinstance(box, boxes.PageBox):
            return
        if not isinstance(
            box, (boxes.BlockContainerBox, boxes.FlexContainerBox, boxes.GridContainerBox)
        ):
            continue  # lines, inline boxes, table rows and groups: inside a container
        yield box
        if (
            box.is_absolutely_positioned()
            or box.transformation_matrix is not None
            or box.margin_left < 0
            or box.margin_right < 0
        ):
            return


def _sideways_overrun(box, ancestors):
    """The innermost box whose content box a text box runs out of, left or right (in any
    direction of writing), and by how much (px); None when it stays inside all of them.

    Only overruns the frame check cannot see: text wider than its column stays inside the
    frame around both columns while it prints over the next one. Measured is the text's
    advance, from where the text box starts to where the next glyph would, not its ink:
    - the ink of an italic or of a glyph with a wide side bearing may overhang the advance
      by a fraction of a point by design, as it does in every line of any book;
    - hanging punctuation does not exist in WeasyPrint 70, and leaders (`content:
      leader(".")`, a table of contents' dots) are laid out only up to the line's end, so
      no advance legitimately passes the content box's edge;
    - trailing white space: WeasyPrint removes collapsible spaces at the end of a line
      before it measures it; a text box of spaces or ZWSP alone is skipped by the caller.
    Letter-spacing adds space after the last letter; it is not used by the templates, and a
    spaced-out word wider than its column overruns it all the same.
    """
    left, right = box.position_x, box.position_x + box.width
    for container in _containers(ancestors):
        start = container.content_box_x()
        over = max(start - left, right - (start + container.width))
        if over > TOLERANCE_PX:
            return container, over
    return None


def _check_text_box(
    box, ancestors, number: int, page_box, expect: Expectations, full: bool, matrix=None
):
    problems = []
    lang = box.style["lang"] or ""
    left, right = box.position_x, box.position_x + box.width
    rect = (left, box.position_y, right, box.position_y + box.height)
    over, where, frame_name = _overrun(
        ancestors, left, right, False, rect, page_box, expect, matrix
    )
    if over > TOLERANCE_PX:
        problems.append(
            Problem(
                "overflow",
                f"page {number}: text {where} by {over / PX_PER_MM:.1f} mm",
                box.text,
                frame_name,
            )
        )
    elif sideways := _sideways_overrun(box, ancestors):
        container, over = sideways
        problems.append(
            Problem(
                "overflow",
                f"page {number}: text runs out of its box ({_box_name(container)}"
                + (f" in '{frame_name}'" if frame_name else "")
                + f") by {over / PX_PER_MM:.1f} mm, over what is beside it",
                box.text,
                frame_name,
            )
        )
    minimum = (expect.min_font_pt or {}).get(lang)
    if minimum and not _has_class(ancestors, "fine-print"):
        size = box.style["font_size"] * PT_PER_PX
        if size + 0.01 < minimum:
            problems.append(
                Problem(
                    "size",
                    f"page {number}: type of {size:.1f} pt, below the {minimum:.1f} pt minimum",
                    box.text,
                )
            )
    if not full:
        return problems, []
    found, inks = inspect_text_box(box, lang, expect.fonts_by_lang.get(lang))
    return problems + found, inks


def _background_images(box) -> list[str]:
    """The images a box draws as its background (pictograms are drawn so, as decoration)."""
    return [url for kind, url in box.style["background_image"] if kind == "url"]


def _is_picture(box) -> bool:
    return isinstance(box, boxes.ReplacedBox) or bool(_background_images(box))


def _picture_name(box) -> str:
    element = box.element
    source = element.get("src")
    if source:
        return source
    if backgrounds := _background_images(box):
        return backgrounds[0].rsplit("/templates/", 1)[-1]
    kind = element.tag.rsplit("}", 1)[-1]
    return f"inline {kind}" + (f" '{element.get('class')}'" if element.get("class") else "")


def _pictures(page_box, number: int, expect: Expectations, inks: list[Ink] | None):
    """Pictures (replaced boxes, and boxes with a background image) outside their frame or
    the safe area, or over text ink.

    The whole box counts, not only what is drawn in it: a QR code's quiet zone is part of
    the code, and text inside it stops phones from reading it.
    """
    problems = []
    safe = expect.safe_mm * PX_PER_MM
    for box, ancestors in walk(page_box):
        if not _is_picture(box):
            continue
        name = _picture_name(box)
        left, top = box.border_box_x(), box.border_box_y()
        right, bottom = left + box.border_width(), top + box.border_height()
        frame_name, frame = _frame(ancestors)
        if frame is not None:
            frame_left, frame_top = frame.content_box_x(), frame.content_box_y()
            over = max(
                frame_left - left,
                frame_top - top,
                right - (frame_left + frame.width),
                bottom - (frame_top + frame.height),
            )
            if over > TOLERANCE_PX:
                problems.append(
                    Problem(
                        "overflow",
                        f"page {number}: picture {name} runs out of '{frame_name}' by "
                        f"{over / PX_PER_MM:.1f} mm",
                        frame=frame_name,
                    )
                )
        rect = _on_page(_transform((*ancestors, box)), left, top, right, bottom)
        over = _outside_safe_area(rect, page_box, safe)
        if over > TOLERANCE_PX:
            problems.append(
                Problem(
                    "overflow" if frame is None else "placement",
                    f"page {number}: picture {name} is outside the safe area "
                    f"({expect.safe_mm} mm inside the trim) by {over / PX_PER_MM:.1f} mm",
                )
            )
        for ink in inks or ():
            overlap_x = min(rect[2], ink.right) - max(rect[0], ink.left)
            overlap_y = min(rect[3], ink.bottom) - max(rect[1], ink.top)
            if overlap_x > TOLERANCE_PX and overlap_y > TOLERANCE_PX:
                problems.append(
                    Problem(
                        "overlap", f"page {number}: picture {name} is drawn over text", ink.text
                    )
                )
                break
    return problems


def _transformed_frames(page_box, number: int, expect: Expectations) -> list[Problem]:
    """Frames with a CSS transform (rotated tabs) whose drawn box leaves the safe area: their
    text was checked against the frame before the transform, this checks where it lands."""
    problems = []
    safe = expect.safe_mm * PX_PER_MM
    for box, ancestors in walk(page_box):
        name = _attr(box, "data-frame")
        if not name or box.transformation_matrix is None:
            continue
        left, top = box.border_box_x(), box.border_box_y()
        rect = (left, top, left + box.border_width(), top + box.border_height())
        over = _outside_safe_area(_on_page(_transform((*ancestors, box)), *rect), page_box, safe)
        if over > TOLERANCE_PX:
            problems.append(
                Problem(
                    "placement",
                    f"page {number}: the transformed frame '{name}' is outside the safe area "
                    f"({expect.safe_mm} mm inside the trim) by {over / PX_PER_MM:.1f} mm",
                    frame=name,
                )
            )
    return problems
