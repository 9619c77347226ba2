"""Predicting each frame's type scale before the first layout, from its text.

A fresh build has no scales remembered, and a first layout at the declared start scale
mostly tells copyfitting how far off that start is: a second layout, at the estimate made
from the first one's fill, usually settles. This module makes that estimate before any
layout, so that the first layout is usually the last.

The text of each frame is read from the document's HTML and set roughly as the layout will
set it: shaped with HarfBuzz in its language's fonts (the first of the fallback list that
has each character, as in the layout), cut at its line-break opportunities (spaces, hyphens,
the zero-width spaces the catalogs' word segmentation inserts, between ideographs), and
broken greedily into lines as wide as its block; what the layout keeps whole is kept whole
(an inline block, such as "Call 1-888-373-7888", moves to the next line when it does not fit
the rest of this one; a phone number's hyphens are no place to break: ``white-space:
nowrap``), bold text in the bold font, and the margins of inline elements (the gap after a
phone number) take room on their line. Each line is as tall as CSS makes it: from the
highest reach above the baseline to the lowest below it, of its texts and the block's
strut; text in two fonts whose baselines sit differently (Burmese and the Latin digits of a
phone number) makes a line taller than either alone. Where each text is set (its element's
type size, line height, weight and margins, the block it flows in and that block's width,
what keeps it whole) is measured by
``python -m materialgen.calibrate`` on a layout of every language and kept, per material and
frame, in templates/copyfit.yaml, with a line from the height of the lines to the frame's
fill (``checks.frame_fill``): fill = bias * ((text * height + spacing * scale) * font scale
+ intercept). The file is an input of every laid-out document (a changed calibration may
change the scales a fresh build settles on).

Only the document's own HTML, its fonts and that file go into a prediction, never what a
worker built before: the same document starts the same way in any worker, in any order. A
frame the file does not know (a new material, a template changed since the tool was run)
starts at its declared start, as before: a missing or stale calibration costs layouts, never
correctness, because copyfitting still takes only a layout that fits.
"""

from __future__ import annotations

import dataclasses
import functools
import html.parser
import math
from pathlib import Path

import yaml

#: Where the calibration lives, relative to the templates folder it describes.
CALIBRATION = "copyfit.yaml"
#: Its sections: the design calibrated without an organisation, and with one (for the
#: documents that show a community group's block).
WITHOUT_ORGANISATION, WITH_ORGANISATION = "materials", "with organisation"
#: A text's line height, when it is its language's (languages.yaml), or that one tightened
#: for headings (Language.tight_line_height).
BODY, TIGHT = "body", "tight"
#: How far the widths of the prediction may be off (shaping, fallback fonts, the way each
#: block's width was measured): a line predicted to fit with this much to spare fits.
WIDTH_MARGIN = 0.03
#: Elements whose text is not laid out as text.
_SKIPPED = {"style", "script", "svg", "title", "head"}
_VOID = {"br", "img", "meta", "link", "input", "hr", "source", "wbr", "col", "area", "base"}


@dataclasses.dataclass(frozen=True)
class Declared:
    """A frame as its template declares it (data-fit-floor, -ceiling, -start)."""

    floor: float
    ceiling: float
    start: float


@dataclasses.dataclass(frozen=True)
class Measure:
    """How a frame's fill follows the height of its text (see the module's docstring)."""

    text: float
    spacing: float
    intercept: float
    #: how far measured fills are from the line (root mean square): how much to trust it
    spread: float = 0.0
    #: the fill measured where the line predicted, over the fill it predicted (median)
    bias: float = 1.0

    def fill(self, text: Text, scale: float) -> float:
        """The fill at ``scale``: the lines, the space between blocks (in em, so growing
        with the scale) and what does not grow (pictograms, QR codes)."""
        return self.bias * (
            self.text * text.height(scale) * text.font_scale
            + self.spacing * scale * text.font_scale
            + self.intercept
        )


@dataclasses.dataclass(frozen=True)
class Piece:
    """A run of text in a frame: its language, the path of its element inside the frame
    (``section.hotline > p.summary``), the numbers of the elements on that path, and the
    text."""

    lang: str
    path: str
    numbers: tuple[int, ...]
    text: str


class _Frames(html.parser.HTMLParser):
    """Collects each frame's declaration and the text in it, by language."""

    def __init__(self, lang: str):
        super().__init__(convert_charrefs=True)
        #: tag, frame, language, skipped, the path from the frame to the element, and the
        #: numbers of the elements on that path (which tell two paragraphs apart)
        self.stack: list[tuple] = []
        self.root_lang = lang
        self.declared: dict[str, Declared] = {}
        self.texts: dict[str, list[Piece]] = {}
        self.elements = 0

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        attributes = dict(attrs)
        _, frame, lang, skipped, path, numbers = (
            self.stack[-1] if self.stack else (None, None, None, False, (), ())
        )
        self.elements += 1
        path = (*path, element_signature(tag, attributes.get("class")))
        numbers = (*numbers, self.elements)
        name = attributes.get("data-frame")
        if name and attributes.get("data-fit-floor"):
            self.declared.setdefault(
                name,
                Declared(
                    float(attributes["data-fit-floor"]),
                    float(attributes.get("data-fit-ceiling") or 1),
                    float(attributes.get("data-fit-start") or 1),
                ),
            )
            frame, path, numbers = name, (), ()
        lang = attributes.get("lang") or lang or self.root_lang
        self.stack.append((tag, frame, lang, skipped or tag in _SKIPPED, path, numbers))

    def handle_endtag(self, tag):
        if tag in _VOID:
            return
        # Tolerate unclosed elements (HTML allows leaving out </p>, </li>).
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        if not self.stack:
            return
        _, frame, lang, skipped, path, numbers = self.stack[-1]
        text = " ".join(data.split())
        if frame and not skipped and text:
            # White space around the text is a place to break the line too.
            text = (" " if data[0].isspace() else "") + text + (" " if data[-1].isspace() else "")
            self.texts.setdefault(frame, []).append(Piece(lang, " > ".join(path), numbers, text))


def element_signature(tag: str, classes: str | None) -> str:
    """How an element is named in the path of a text inside its frame (``p.summary``)."""
    return ".".join([tag, *(classes or "").split()])


def read_frames(html_text: str, lang: str) -> tuple[dict[str, Declared], dict]:
    """The frames a document's HTML declares, and the text of each: (language, the path of
    its element inside the frame, text)."""
    parser = _Frames(lang)
    parser.feed(html_text)
    parser.close()
    return parser.declared, parser.texts


@dataclasses.dataclass
class _Font:
    """A font file, ready to shape text with (HarfBuzz, as Pango does in the layout)."""

    font: object  # uharfbuzz.Font
    units: int
    covered: frozenset[int]
    #: half the ascent less the descent, in em: how far above the middle of a line its
    #: baseline sits (below it, when negative) when its text is set alone
    raised: float = 0.0


@functools.lru_cache(maxsize=64)
def _font(path: Path) -> _Font:
    import uharfbuzz

    face = uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(path)))
    font = uharfbuzz.Font(face)
    extents = font.get_font_extents("ltr")  # the metrics Pango sets lines with
    raised = (extents.ascender + extents.descender) / 2 / face.upem  # descender < 0
    return _Font(font, face.upem, frozenset(face.unicodes), raised)


def _shaped(text: str, fonts: list[_Font]) -> tuple[list[float], list[int]]:
    """Each character's advance in em, shaped in runs of the first font that has it (the
    advance of a cluster goes to its first character: joined, stacked and reordered
    letters take the room they take in print), and the index of that font. A character no
    font has counts as a space of the first (the print check fails it anyway)."""
    import uharfbuzz

    def font_of(char):
        code = ord(char)
        return next((index for index, font in enumerate(fonts) if code in font.covered), None)

    widths = [0.0] * len(text)
    used = [0] * len(text)
    start = 0
    while start < len(text):
        index = font_of(text[start])
        end = start + 1
        # Spaces and marks stay in the run around them when its font has them.
        while end < len(text) and (
            font_of(text[end]) == index
            or (index is not None and ord(text[end]) in fonts[index].covered and text[end] in " ")
        ):
            end += 1
        if index is None:
            space = fonts[0]
            advance = space.font.get_glyph_h_advance(space.font.get_nominal_glyph(32) or 0)
            for position in range(start, end):
                widths[position] = advance / space.units
        else:
            used[start:end] = [index] * (end - start)
            font = fonts[index]
            buffer = uharfbuzz.Buffer()
            buffer.add_codepoints([ord(char) for char in text[start:end]])
            buffer.guess_segment_properties()
            uharfbuzz.shape(font.font, buffer, {})
            for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
                widths[start + info.cluster] += position.x_advance / font.units
        start = end
    return widths, used


@dataclasses.dataclass(frozen=True)
class Place:
    """Where a text of a frame is set, as the calibration measured it: its type size
    relative to the document's root (at the frame's scale 1), its line height (a number, or
    its language's body or tight line height), the path of the block it is set in, that
    block's width in the material's base type size (the root without the language's font
    scale), the path of the inline block it is kept whole in ("" when none), whether its
    own text may not break (``white-space: nowrap``), whether it is bold, and the room its
    element's margin, border and padding take on its line before and after it (root em at
    scale 1)."""

    size: float
    line_height: float | str
    block: str
    width: float
    unit: str = ""
    nowrap: bool = False
    bold: bool = False
    start: float = 0.0
    end: float = 0.0


#: Where a text the calibration does not know is set: root size, body line height, the
#: frame's own block.
_UNKNOWN = Place(1.0, "body", "", 0.0)


@dataclasses.dataclass
class Text:
    """A frame's text, ready to be set at any scale: per block, its width (in root em), its
    strut and its pieces between line-break opportunities. A piece is (width, above, below,
    unit), in root em: how far its text reaches above and below the baseline (half its line
    height each way, moved by its font's ascent and descent), and the inline block it is kept
    whole in (consecutive pieces of one unit, not None). The strut is (above, below) of the
    block's own font and line height, which every line holds (CSS 2, 10.8)."""

    blocks: list[tuple[float, tuple[float, float], list[tuple[float, float, float, object]]]]
    font_scale: float  # the document language's: the root is the base size times it

    def height(self, scale: float) -> float:
        """The height of the lines, in root em, at ``scale``: each block's pieces set
        greedily into lines as wide as the block, each line from the highest reach above
        the baseline to the lowest below it (text of several fonts and sizes on one line
        is taller than the tallest alone); an inline block as one piece when it fits a
        line, else on lines of its own (it is as wide as the line then, and breaks inside)."""
        total = 0.0
        for width, strut, pieces in self.blocks:
            lines = _Lines(width / scale if width > 0 else math.inf, strut)
            for run in _units(pieces):
                if len(run) > 1 and sum(piece[0] for piece in run) > lines.limit:
                    lines.end()
                    for piece in run:
                        lines.add([piece])
                    lines.end()
                else:
                    lines.add(run)
            lines.end()
            total += lines.height
        return total * scale


class _Lines:
    """Sets pieces greedily into lines as wide as ``limit``, adding up their heights."""

    def __init__(self, limit: float, strut: tuple[float, float]):
        self.limit, self.strut = limit, strut
        self.height = self.width = 0.0
        self.above, self.below = strut

    def add(self, run):
        width = sum(piece[0] for piece in run)
        if self.width and self.width + width > self.limit:
            self.end()
        self.width += width
        self.above = max([self.above, *(piece[1] for piece in run)])
        self.below = max([self.below, *(piece[2] for piece in run)])

    def end(self):
        if self.width:
            self.height += self.above + self.below
        self.width = 0.0
        self.above, self.below = self.strut


def _units(pieces):
    """The pieces in runs kept whole: one run per inline block, one per piece outside."""
    run, unit = [], None
    for piece in pieces:
        if run and (piece[3] is None or piece[3] != unit):
            yield run
            run = []
        run.append(piece)
        unit = piece[3]
    if run:
        yield run


class Demand:
    """Sets the text of a document's frames in the project's fonts, without a layout."""

    def __init__(self, fonts_dir: Path, fonts, languages: dict):
        self.languages = languages
        self.files = {}
        for weight in (400, 700):  # regular and bold: the closest file of each family
            nearest: dict[str, Path] = {}
            for font in sorted(fonts, key=lambda f: abs(f.weight - weight)):
                nearest.setdefault(font.family, fonts_dir / font.prepared_name)
            for code, language in languages.items():
                self.files[code, weight] = [
                    nearest[family] for family in language.fonts if family in nearest
                ]

    def language(self, lang: str):
        return (
            self.languages.get(lang)
            or self.languages.get(lang.split("-")[0])
            or self.languages["en"]
        )

    def fonts(self, lang: str, bold: bool = False) -> list[_Font]:
        files = self.files[self.language(lang).code, 700 if bold else 400]
        return [_font(path) for path in files if path.is_file()]

    def pieces(self, text: str, lang: str, nowrap: bool = False, bold: bool = False) -> list:
        """``text``'s pieces between line-break opportunities (after a space or a hyphen;
        around ideographs, kana and Hangul), shaped in its language's fonts: (width in em,
        how far the baseline of its highest font is raised, how far that of its lowest is
        lowered; see _Font.raised); ``nowrap``: one piece, the text having none."""
        fonts = self.fonts(lang, bold)
        if not fonts:
            return []
        widths, used = _shaped(text, fonts)
        pieces, start = [], 0

        def piece(end):
            raised = [fonts[index].raised for index in set(used[start:end])]
            return (sum(widths[start:end]), max(raised), -min(raised))

        if nowrap:
            return [piece(len(text))]
        for position, char in enumerate(text):
            code = ord(char)
            if _breaks_anywhere(code) and position > start:
                pieces.append(piece(position))
                start = position
            if char in _BREAK_AFTER or _breaks_anywhere(code):
                pieces.append(piece(position + 1))
                start = position + 1
        if start < len(text):
            pieces.append(piece(len(text)))
        return pieces

    def line_height(self, place: Place, lang: str) -> float:
        """The line height of text set at ``place``, relative to its type size."""
        if place.line_height == BODY:
            return self.language(lang).line_height
        if place.line_height == TIGHT:
            return self.language(lang).tight_line_height
        return place.line_height

    def frames(
        self, html_text: str, lang: str, places: dict | None = None
    ) -> tuple[dict[str, Declared], dict[str, Text]]:
        """The frames of a document's HTML, and the text of each, set in blocks where the
        calibration's ``places`` (frame -> element path -> Place) put it."""
        declared, texts = read_frames(html_text, lang)
        font_scale = self.language(lang).font_scale
        frames = {}
        for frame in declared:
            known = (places or {}).get(frame, {})
            blocks: dict[tuple, tuple[float, tuple, list]] = {}
            pieces = texts.get(frame, [])
            for index, piece in enumerate(pieces):
                place = _place(known, piece.path)
                depth = len(place.block.split(" > ")) if place.block else 0
                key = piece.numbers[:depth]
                if key not in blocks:
                    # The strut: the block's own type size and line height, in the first
                    # font of its language.
                    own = known.get(place.block, _UNKNOWN)
                    fonts = self.fonts(piece.lang)
                    raised = fonts[0].raised if fonts else 0.0
                    half = self.line_height(own, piece.lang) / 2
                    strut = ((half + raised) * own.size, (half - raised) * own.size)
                    blocks[key] = (place.width / font_scale, strut, [])
                half = self.line_height(place, piece.lang) * place.size / 2
                # The inline block it is kept whole in: told apart from the next one by the
                # numbers of the elements on its path.
                unit = piece.numbers[: len(place.unit.split(" > "))] if place.unit else None
                placed = [
                    [width * place.size, half + up * place.size, half + down * place.size, unit]
                    for width, up, down in self.pieces(
                        piece.text, piece.lang, place.nowrap, place.bold
                    )
                ]
                if placed:
                    # The room the margins, borders and padding of the elements it opens
                    # and closes take on the line (a gap after each phone number).
                    before = pieces[index - 1].numbers if index else ()
                    after = pieces[index + 1].numbers if index + 1 < len(pieces) else ()
                    parts = piece.path.split(" > ")
                    for depth, number in enumerate(piece.numbers):
                        edges = known.get(" > ".join(parts[: depth + 1]))
                        if edges is None:
                            continue
                        if number not in before:
                            placed[0][0] += edges.start
                        if number not in after:
                            placed[-1][0] += edges.end
                    blocks[key][2].extend(tuple(p) for p in placed)
            frames[frame] = Text(list(blocks.values()), font_scale)
        return declared, frames


def _place(known: dict, path: str) -> Place:
    """Where the text at ``path`` is set: the calibration's place for that path, else for
    its nearest enclosing element it knows."""
    while True:
        if path in known:
            return known[path]
        if " > " not in path:
            return known.get("", _UNKNOWN)
        path = path.rsplit(" > ", 1)[0]


#: Characters a line may break after.
_BREAK_AFTER = {" ", "\u200b", "-", "/", "\u2010"}


def _breaks_anywhere(code: int) -> bool:
    """Ideographs, kana and Hangul: a line may break between any two of them."""
    return 0x2E80 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF


#: The types of a place's fields after its width, in the calibration file (an older file
#: has fewer).
_MORE = (str, bool, bool, float, float)


@dataclasses.dataclass(frozen=True)
class Calibration:
    """One material's calibration: per frame, its measure and where its texts are set."""

    measures: dict[str, Measure]
    places: dict[str, dict[str, Place]]


@functools.lru_cache(maxsize=4)
def _read(path: Path, stamp: tuple) -> dict:
    """The calibration file, read once for both its sections while it is unchanged
    (``stamp``), with libyaml's parser when there is one: the file is 80 kB, and every
    worker process reads it. Its sections are copied out (load_calibration), never changed."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}


def load_calibration(path: Path, section: str = WITHOUT_ORGANISATION) -> dict[str, Calibration]:
    """material -> Calibration, from ``section`` of the file; empty when the file is absent
    or unreadable (then every frame starts at its declared start)."""
    try:
        stat = path.stat()
        data = _read(path, (stat.st_mtime_ns, stat.st_size))
        calibration = {}
        for material, frames in (data.get(section) or {}).items():
            measures, places = {}, {}
            for frame, m in (frames or {}).items():
                measures[frame] = Measure(
                    float(m["text"]),
                    float(m["spacing"]),
                    float(m["intercept"]),
                    float(m.get("rms") or 0.0),
                    float(m.get("bias") or 1.0),
                )
                places[frame] = {
                    path: Place(
                        float(size),
                        height if height in (BODY, TIGHT) else float(height),
                        str(block),
                        float(width),
                        *(kind(value) for kind, value in zip(_MORE, more, strict=False)),
                    )
                    for path, (size, height, block, width, *more) in (m.get("places") or {}).items()
                }
            calibration[material] = Calibration(measures, places)
        return calibration
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError):
        return {}


@dataclasses.dataclass
class Prediction:
    """Where each frame's search starts, and how full its first layout must be to be taken."""

    scales: dict[str, float]
    full: dict[str, float]
    #: per frame, its fill predicted at any scale (for copyfitting to aim with)
    curves: dict = dataclasses.field(default_factory=dict)


def predict(
    declared: dict[str, Declared],
    texts: dict[str, Text],
    measures: dict[str, Measure],
) -> Prediction:
    """Each frame's first scale: the largest its calibration says fills it to at most
    PREDICTED_TARGET, within its floor and ceiling; or its ceiling, when the frame is
    likelier to fit there than to land in the window a predicted layout is taken in (a
    layout that fits at the ceiling is taken however full: short texts on cards, the one
    line above the tabs); a frame with no measure starts where its template says.

    A predicted layout below the ceiling is taken when it fits and is PREDICTED_FULL full
    (copyfit.py says what that costs); a frame that starts where its template says must be
    FULL, as before."""
    from .copyfit import FULL, PREDICTED_FULL, PREDICTED_TARGET, largest_scale

    scales, full, curves = {}, {}, {}
    for frame, limits in declared.items():
        measure, text = measures.get(frame), texts.get(frame)
        if measure is None or text is None:
            scales[frame], full[frame] = limits.start, FULL
            continue

        def fill(scale, measure=measure, text=text):
            return measure.fill(text, scale)

        # The largest scale, in steps of a fifth of STEP down from the ceiling, predicted
        # to fill the frame to the aim, and to fit with type a little larger still: lines
        # come whole, and a line that breaks in two just above the scale (in the
        # prediction) may well break at it (in the layout).
        scale = largest_scale(
            limits.floor,
            limits.ceiling,
            lambda s, fill=fill: fill(s) <= PREDICTED_TARGET and fill(s * (1 + WIDTH_MARGIN)) <= 1,
        )
        scale = round(scale, 4)
        if scale < limits.ceiling and measure.spread > 0:
            # Likelier to fit at the ceiling (where any fill is taken) than to land between
            # PREDICTED_FULL and 1 here, the fills being off the line by about its spread?
            predicted = fill(scale)
            fits_at_ceiling = _normal((1 - fill(limits.ceiling)) / measure.spread)
            lands = _normal((1 - predicted) / measure.spread) - _normal(
                (PREDICTED_FULL - predicted) / measure.spread
            )
            if fits_at_ceiling > lands:
                scale = limits.ceiling
        scales[frame], full[frame], curves[frame] = scale, PREDICTED_FULL, fill
    return Prediction(scales, full, curves)


def _normal(z: float) -> float:
    """The standard normal distribution's cumulative probability."""
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))
