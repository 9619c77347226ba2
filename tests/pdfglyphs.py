"""Is a text in a written PDF? Asked of the glyphs, so that it is answered in every script.

pdfium reads a page's text back from the glyphs' positions and the ToUnicode map: Myanmar,
Khmer and Lao come out with their pre-base vowels and medials in drawing order, and Arabic in
visual order, so a sign printed correctly reads back as something else. This module compares
glyphs with glyphs instead:

- drawn: WeasyPrint embeds each font as a Type0 font, Identity-H, ``CIDToGIDMap /Identity``,
  subset with the glyph ids kept (``retain_gids``), so each 2-byte code of a ``Tj``/``TJ`` string
  is the glyph id in the original font file, which the embedded subset names (its name table's
  PostScript name). The content streams are read in order, form XObjects (the card sheet's
  cards) included; each line of each box starts with its own text matrix (``Tm``: draw_text
  sets one per line; the text objects of consecutive lines are merged into one).
- expected: the text shaped by HarfBuzz, the library Pango shapes with (the system's
  libharfbuzz, loaded as materialgen.fonts loads it to subset: the same version as the
  renderer's on every machine, where a wheel would bring its own), with the same font files,
  the language's font fallback order (each character set in the first font whose cmap has it,
  as Pango's itemizer chooses; a space or a format character stays in the font before it),
  the buffer's language set (Padauk draws Karen's own forms; the Korean face has another space
  glyph in a Korean buffer) and in the direction ICU's bidi algorithm gives each run.

Both sides leave out the glyphs that leave no ink: spaces, and the format characters (U+200B,
the generator's word breaks in Khmer, Lao and Myanmar; ZWNJ; ZWJ). Pango draws most of those
as PANGO_GLYPH_EMPTY, which WeasyPrint writes as an offset, not a glyph, but Padauk has a glyph
of its own for U+200B and it is drawn. A drawn glyph is blank when the PDF's ToUnicode map
(what WeasyPrint recorded it was drawn for) gives only such characters; an expected one when
its cluster starts at one.

Order: for left-to-right text, the lines drawn one after the other are the logical order. A
right-to-left line is drawn in visual order, its glyphs left to right: each line is reversed,
and the expected text is shaped as one right-to-left paragraph in visual order and reversed.
The two agree whenever the lines are broken between words of the right-to-left text, which is
where Pango breaks Arabic; a run of left-to-right text inside it (a number, an English phrase)
broken over two lines would be read as missing: a false alarm, never a text found that is not
there.

What a match proves: every glyph the text is set with, in the font, language and direction the
document sets it in, is drawn, one after the other in reading order, in this PDF; a letter
left out, added or changed changes the glyphs and is not found. What it does not prove: that
the glyphs are visible (inside the page, not covered, not clipped: the print check's part),
that the spaces between words are there, or that the shaping is right (both sides shape with
the same HarfBuzz: a shaping bug would be on both).
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont

#: One glyph as drawn: the font file's PostScript name and the glyph id in that file.
Glyph = tuple[str, int]

HARFBUZZ = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_font_t hb_font_t;
typedef struct hb_buffer_t hb_buffer_t;
typedef const struct hb_language_impl_t *hb_language_t;
typedef struct { uint32_t codepoint; uint32_t mask; uint32_t cluster; uint32_t var1;
                 uint32_t var2; } hb_glyph_info_t;
hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode, void *user_data,
                          void *destroy);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
hb_font_t *hb_font_create(hb_face_t *face);
hb_buffer_t *hb_buffer_create(void);
void hb_buffer_destroy(hb_buffer_t *buffer);
void hb_buffer_add_utf32(hb_buffer_t *buffer, const uint32_t *text, int text_length,
                         unsigned int item_offset, int item_length);
void hb_buffer_set_direction(hb_buffer_t *buffer, int direction);
void hb_buffer_set_language(hb_buffer_t *buffer, hb_language_t language);
hb_language_t hb_language_from_string(const char *str, int len);
void hb_buffer_set_flags(hb_buffer_t *buffer, int flags);
void hb_buffer_set_invisible_glyph(hb_buffer_t *buffer, uint32_t invisible);
void hb_buffer_guess_segment_properties(hb_buffer_t *buffer);
void hb_shape(hb_font_t *font, hb_buffer_t *buffer, const void *features,
              unsigned int num_features);
hb_glyph_info_t *hb_buffer_get_glyph_infos(hb_buffer_t *buffer, unsigned int *length);
"""
HB_DIRECTION_LTR, HB_DIRECTION_RTL = 4, 5
HB_BUFFER_FLAG_BOT, HB_BUFFER_FLAG_EOT = 0x1, 0x2
#: What a hidden default ignorable becomes, as in Pango (PANGO_GLYPH_EMPTY): not drawn.
INVISIBLE = 0x0FFFFFFF
#: Characters that leave no ink, left out on both sides: spaces, and the format characters
#: a font may still give a blank glyph (Padauk draws U+200B with its own, gid 706).
BLANK = frozenset(
    chr(code) for code in (0x20, 0xA0, 0xAD, 0x202F, 0x2060, 0x3000, 0xFEFF, *range(0x2000, 0x200E))
)
#: One entry of a ToUnicode CMap as WeasyPrint writes them: <glyph id> <UTF-16BE text>.
BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]*)>")


@functools.cache
def _harfbuzz():
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(HARFBUZZ)
    return ffi, ffi.dlopen("libharfbuzz.so.0")


@dataclass(eq=False)
class FontFace:
    """One font file of templates/fonts/, as the shaper and the reader need it."""

    path: Path
    family: str
    weight: int

    @functools.cached_property
    def _font(self) -> TTFont:
        return TTFont(self.path, lazy=True)

    @functools.cached_property
    def postscript_name(self) -> str:
        return self._font["name"].getDebugName(6)

    @functools.cached_property
    def cmap(self) -> dict[int, str]:
        return self._font.getBestCmap()

    @functools.cached_property
    def _hb_font(self):
        ffi, hb = _harfbuzz()
        data = self.path.read_bytes()
        self._data = ffi.new("char[]", data)  # kept alive: the blob does not copy it
        blob = hb.hb_blob_create(self._data, len(data), 1, ffi.NULL, ffi.NULL)  # read-only
        return hb.hb_font_create(hb.hb_face_create(blob, 0))

    def covers(self, char: str) -> bool:
        return ord(char) in self.cmap

    def shape(self, text: str, lang: str, rtl: bool, flags: int) -> list[Glyph]:
        """The glyphs of ``text`` in visual order (right to left text: last letter first),
        without blank ones."""
        ffi, hb = _harfbuzz()
        buffer = hb.hb_buffer_create()
        try:
            codes = [ord(c) for c in text]
            hb.hb_buffer_add_utf32(buffer, ffi.new("uint32_t[]", codes), len(codes), 0, -1)
            hb.hb_buffer_set_direction(buffer, HB_DIRECTION_RTL if rtl else HB_DIRECTION_LTR)
            hb.hb_buffer_set_language(buffer, hb.hb_language_from_string(lang.encode(), -1))
            hb.hb_buffer_guess_segment_properties(buffer)  # the script
            hb.hb_buffer_set_flags(buffer, flags)
            hb.hb_buffer_set_invisible_glyph(buffer, INVISIBLE)
            hb.hb_shape(self._hb_font, buffer, ffi.NULL, 0)
            length = ffi.new("unsigned int *")
            infos = hb.hb_buffer_get_glyph_infos(buffer, length)
            infos = [(infos[i].codepoint, infos[i].cluster) for i in range(length[0])]
            # A glyph stands for the text of its cluster, up to the next cluster (what
            # WeasyPrint writes in the ToUnicode map): blank if that is only blank characters
            # (the glyph id can be another than the cmap's: 13524, not 1, for a Korean space).
            starts = sorted({cluster for _, cluster in infos}) + [len(text)]
            ends = dict(zip(starts, starts[1:], strict=False))
            glyphs = [
                gid
                for gid, cluster in infos
                if gid != INVISIBLE and not all(c in BLANK for c in text[cluster : ends[cluster]])
            ]
        finally:
            hb.hb_buffer_destroy(buffer)
        return [(self.postscript_name, gid) for gid in glyphs]


class Fonts:
    """The project's font files, by family and weight and by PostScript name."""

    def __init__(self, root: Path):
        from materialgen.fonts import load_fonts

        fonts_dir = root / "templates" / "fonts"
        self.faces = [
            FontFace(fonts_dir / font.prepared_name, font.family, font.weight)
            for font in load_fonts(root / "templates" / "fonts.yaml")
        ]
        self.by_postscript_name = {face.postscript_name: face for face in self.faces}

    def stack(self, families: list[str], weight: int) -> list[FontFace]:
        """The faces of ``families`` in fallback order, each in ``weight``."""
        return [
            face
            for family in families
            for face in self.faces
            if face.family == family and face.weight == weight
        ]

    def weights(self, families: list[str]) -> list[int]:
        return sorted({face.weight for face in self.faces if face.family in families})


def _not_graphic(char: str) -> bool:
    """Characters Pango's itemizer sets in the font before them (glib's !g_unichar_isgraph:
    spaces, controls, format characters such as U+200B, ZWNJ, ZWJ)."""
    return unicodedata.category(char) in ("Zs", "Zl", "Zp", "Cc", "Cf", "Cn", "Cs")


def _font_runs(text: str, stack: list[FontFace]) -> list[tuple[FontFace, str]]:
    """``text`` cut where the font setting it changes: each character in the first font of
    ``stack`` that has it; one that is not graphic in the font before it."""
    runs: list[tuple[FontFace, str]] = []
    for char in text:
        previous = runs[-1][0] if runs else None
        if _not_graphic(char) and previous is not None and previous.covers(char):
            face = previous
        else:
            face = next((f for f in stack if f.covers(char)), None)
            if face is None:  # no font has it: the print check refuses that document
                raise ValueError(f"no font of {[f.family for f in stack]} has U+{ord(char):04X}")
        if face is previous:
            runs[-1] = (face, runs[-1][1] + char)
        else:
            runs.append((face, char))
    return runs


def _bidi_runs(text: str, rtl: bool) -> list[tuple[str, bool]]:
    """The visual runs of ``text`` as one paragraph of the given direction, by ICU's
    bidi algorithm: (logical text of the run, whether it is right to left), left to right."""
    import icu

    bidi = icu.Bidi()
    ustring = icu.UnicodeString(text)  # ICU keeps a pointer to it: alive while it is read
    bidi.setPara(ustring, 1 if rtl else 0)
    units = text.encode("utf-16-le")
    runs = []
    for index in range(bidi.countRuns()):
        start, length, direction = bidi.getVisualRun(index)  # in UTF-16 code units
        part = units[2 * start : 2 * (start + length)].decode("utf-16-le")
        runs.append((part, direction == icu.UBiDiDirection.RTL))
    return runs


def shaped(text: str, stack: list[FontFace], lang: str, rtl: bool) -> list[Glyph]:
    """The glyphs of ``text`` in reading order, comparable with Reading.glyphs: shaped as one
    paragraph in the direction given, in visual order, then reversed if right to left."""
    visual: list[Glyph] = []
    for part, run_rtl in _bidi_runs(text, rtl):
        pieces = _font_runs(part, stack)
        glyphs = []
        for index, (face, piece) in enumerate(pieces):
            flags = (HB_BUFFER_FLAG_BOT if index == 0 else 0) | (
                HB_BUFFER_FLAG_EOT if index == len(pieces) - 1 else 0
            )
            glyphs.append(face.shape(piece, lang, run_rtl, flags))
        for piece_glyphs in reversed(glyphs) if run_rtl else glyphs:
            visual.extend(piece_glyphs)
    return visual[::-1] if rtl else visual


class Reading:
    """The glyphs a PDF draws, line by line in the order of its content streams (a line: the
    glyphs drawn from one text matrix or text object to the next)."""

    def __init__(self, path: Path, fonts: Fonts):
        self.fonts = fonts
        self.lines: list[list[Glyph]] = []
        self._names: dict[tuple[int, int], tuple[str, frozenset[int]]] = {}
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                self._read(page, page.obj.get("/Resources", pikepdf.Dictionary()))
        self._joined: dict[bool, str] = {}

    def _font(self, font) -> tuple[str, frozenset[int]]:
        """The PostScript name of the font file a font resource embeds (checked to be one of
        the project's, drawn with glyph ids as they are in the file), and its blank glyphs:
        those its ToUnicode map gives as blank characters only."""
        key = font.objgen
        if key not in self._names:
            assert font.Subtype == "/Type0" and font.Encoding == "/Identity-H", font
            descendant = font.DescendantFonts[0]
            assert descendant.get("/CIDToGIDMap") == "/Identity", descendant
            descriptor = descendant.FontDescriptor
            embedded = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            name = TTFont(io.BytesIO(embedded.read_bytes()))["name"].getDebugName(6)
            assert name in self.fonts.by_postscript_name, f"{name}: not a font of the project"
            blanks = frozenset(
                int(gid, 16)
                for gid, text in BFCHAR.findall(font.ToUnicode.read_bytes())
                if text
                and all(c in BLANK for c in bytes.fromhex(text.decode()).decode("utf-16-be"))
            )
            self._names[key] = (name, blanks)
        return self._names[key]

    def _read(self, holder, resources) -> None:
        fonts = resources.get("/Font", pikepdf.Dictionary())
        xobjects = resources.get("/XObject", pikepdf.Dictionary())
        font, blanks = None, frozenset()
        for operands, operator in pikepdf.parse_content_stream(holder):
            op = str(operator)
            if op in ("BT", "Tm", "Td", "TD", "T*"):
                self.lines.append([])
            elif op == "Tf":
                font, blanks = self._font(fonts[operands[0]])
            elif op in ("Tj", "'", '"', "TJ"):
                strings = operands[0] if op == "TJ" else operands[-1:]
                for item in strings:
                    if isinstance(item, pikepdf.String):
                        data = bytes(item)
                        gids = (
                            int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)
                        )
                        self.lines[-1].extend((font, gid) for gid in gids if gid not in blanks)
            elif op == "Do":
                xobject = xobjects.get(operands[0])
                if xobject is not None and xobject.get("/Subtype") == "/Form":
                    self._read(xobject, xobject.get("/Resources", resources))

    def glyphs(self, rtl: bool) -> str:
        """Every line's glyphs (each line reversed when read right to left), one after the
        other, as ";font:gid;font:gid;" for a substring search."""
        if rtl not in self._joined:
            tokens = [
                f"{font}:{gid}"
                for line in self.lines
                for font, gid in (line[::-1] if rtl else line)
            ]
            self._joined[rtl] = ";" + ";".join(tokens) + ";"
        return self._joined[rtl]

    def contains(self, text: str, families: list[str], lang: str, rtl: bool) -> bool:
        """Whether ``text``, set in ``families`` (regular or bold) in language ``lang``, is
        drawn, its glyphs one after the other."""
        for weight in self.fonts.weights(families):
            expected = shaped(text, self.fonts.stack(families, weight), lang, rtl)
            if not expected:
                raise ValueError(f"{text!r}: no glyphs to look for")
            needle = ";" + ";".join(f"{font}:{gid}" for font, gid in expected) + ";"
            if needle in self.glyphs(rtl):
                return True
        return False
