"""The PDF file a checked document is written as: tagged, optionally archival, optionally
for a print shop, and the same bytes for the same inputs.

- **Tagged (PDF/UA-1), always.** WeasyPrint's ``pdf/ua-1`` variant writes the structure tree
  (headings, paragraphs, lists, figures, in the order of the HTML, which is the order the
  materials are read in), the document title from ``<title>``, the document language from
  ``<html lang>``, and marks backgrounds and borders as artifacts. It gives no structure
  element a language of its own: ``tag_languages`` adds ``/Lang`` to each element whose HTML
  has a ``lang`` (the sections of a poster, the English "DRAFT" of a card).
- **Archival (PDF/A-2a), on request.** WeasyPrint's ``pdf/a-2a``: tagged, an sRGB output
  intent, an identifier computed from the content; ``finish`` adds the PDF/UA-1 claim to its
  XMP metadata, with the extension schema PDF/A asks for. PDF/A wants a creation date:
  ``document_date`` takes it from ``SOURCE_DATE_EPOCH``, else from the content.
- **Print shop, on request.** With ``bleed`` in ``@page``, WeasyPrint paints backgrounds into
  the bleed and writes MediaBox = bleed area, TrimBox = page (its BleedBox stops 10 pt out).
  ``finish`` sets BleedBox = the bleed area and, with crop marks, widens MediaBox beyond it,
  draws the marks there (outside the bleed, where they never touch artwork) and clips the
  artwork to the bleed.

``finish`` runs as WeasyPrint's ``finisher``: on the PDF objects, before they are written,
so nothing is parsed again and the output stays byte-reproducible (no clock, no random ID).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import os

import pydyf

from .errors import InputError

PT_PER_MM = 72 / 25.4
#: Crop marks: how long, how thick, and how much clear paper the media box keeps beyond them.
MARK_LENGTH_MM = 5.0
MARK_WIDTH_PT = 0.25
MARK_SLUG_MM = 1.0

TAGGED_VARIANT = "pdf/ua-1"
ARCHIVAL_VARIANT = "pdf/a-2a"

_PDFUA_IN_PDFA_XMP = b"""<rdf:Description rdf:about=""
 xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"/>
<rdf:Description rdf:about=""
 xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
 xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
 xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Part of ISO 14289 (PDF/UA) the file conforms to</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
"""


@dataclasses.dataclass(frozen=True)
class PdfSettings:
    """How a document is written (all of it is tagged)."""

    archive: bool = False  # PDF/A-2a (and still PDF/UA-1)
    crop_marks: bool = False  # print shop: crop marks outside the bleed of bleeding pages
    date: str | None = None  # ISO 8601, UTC: the creation date PDF/A needs (else none)

    @property
    def variant(self) -> str:
        return ARCHIVAL_VARIANT if self.archive else TAGGED_VARIANT


def pdf_settings(options) -> PdfSettings:
    """What the command line's options (render.Options) ask of the PDF file."""
    return PdfSettings(
        archive=options.archive, crop_marks=options.print_shop, date=options.pdf_date
    )


def document_date(resource_dates: list[datetime.date], environ=os.environ) -> str:
    """The date an archival PDF carries: ``SOURCE_DATE_EPOCH`` (seconds since 1970, the
    reproducible-builds convention) when set, else the newest date the resources were
    verified, at midnight UTC. Never the clock: the same inputs give the same bytes."""
    epoch = environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        try:
            moment = datetime.datetime.fromtimestamp(int(epoch), datetime.UTC)
        except (ValueError, OverflowError, OSError):
            raise InputError(
                f"SOURCE_DATE_EPOCH: {epoch!r} is not a whole number of seconds since 1970"
            ) from None
    else:
        newest = max(resource_dates, default=datetime.date(1970, 1, 1))
        moment = datetime.datetime.combine(newest, datetime.time(), datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def write(document, target, settings: PdfSettings, problems: list[str]) -> None:
    """Write ``document`` to ``target`` (a path or binary file); what keeps it from being
    the file it claims to be (a figure without alternative text) goes to ``problems``."""
    if settings.date:
        document.metadata.created = document.metadata.modified = settings.date
    document.write_pdf(
        target,
        pdf_variant=settings.variant,
        finisher=functools.partial(finish, settings=settings, problems=problems),
    )


def finish(document, pdf: pydyf.PDF, *, settings: PdfSettings, problems: list[str]) -> None:
    """Complete WeasyPrint's PDF objects before they are written (see the module's doc)."""
    root = _resolve(pdf, pdf.catalog["StructTreeRoot"])
    problems.extend(_check_structure(pdf, root))
    for page, pdf_page in zip(document.pages, _pages(pdf), strict=True):
        if any(page.bleed.values()):
            _print_boxes(pdf, pdf_page, settings.crop_marks)
    if settings.archive:
        metadata = _resolve(pdf, pdf.catalog["Metadata"])
        xmp = b"".join(metadata.stream)
        metadata.stream = [xmp.replace(b"</rdf:RDF>", _PDFUA_IN_PDFA_XMP + b"</rdf:RDF>", 1)]


# --- languages of structure elements ------------------------------------------------------


def tag_languages() -> None:
    """Make WeasyPrint's tagging give ``/Lang`` to every structure element whose HTML element
    has a ``lang`` attribute (``finish`` then drops those equal to their parent's).

    WeasyPrint 70 internals (``weasyprint.pdf.tags._build_box_tree``, pinned and tested):
    the wrapper sees each box with the element built for it. Idempotent.
    """
    from weasyprint.pdf import tags

    if getattr(tags._build_box_tree, "tags_languages", False):
        return
    build = tags._build_box_tree

    @functools.wraps(build)
    def build_with_languages(box, *args, **kwargs):
        box = getattr(box, "_box", box)  # absolutely positioned boxes sit in a placeholder
        lang = None if box.element is None else box.element.get("lang")
        # <html> and <body> get no element: what they yield is their children's. The
        # document's language is the catalog's /Lang.
        if box.element_tag in ("html", "body"):
            lang = None
        for element in build(box, *args, **kwargs):
            if lang:
                element["Lang"] = pydyf.String(lang)
            yield element

    build_with_languages.tags_languages = True
    tags._build_box_tree = build_with_languages


def _resolve(pdf: pydyf.PDF, reference):
    """The object a reference (``b"12 0 R"``) points to; other values as they are."""
    if isinstance(reference, bytes) and reference.endswith(b" R"):
        return pdf.objects[int(reference.split()[0])]
    return reference


def _struct_children(pdf, element):
    kids = element.get("K", ())
    for kid in kids if isinstance(kids, list) else (kids,):
        kid = _resolve(pdf, kid)
        if isinstance(kid, dict) and kid.get("Type") == "/StructElem":
            yield kid


def _text(value) -> str | None:
    return value.string if isinstance(value, pydyf.String) else value


def _check_structure(pdf, root) -> list[str]:
    """One pass over the structure tree: drop each ``/Lang`` that an ancestor already
    states (the anonymous boxes WeasyPrint makes inside an element carry its ``lang`` too;
    an element with a ``lang`` of its own keeps it even when it is the document's, so a
    poster's Arabic section says it is Arabic), and find figures a screen reader could not
    describe (WeasyPrint complains about an ``<img>`` without ``alt``, but not about an
    ``<svg>`` without ``<title>``)."""
    problems = []
    pending = [(root, None)]
    while pending:
        element, inherited = pending.pop()
        lang = _text(element.get("Lang"))
        if lang is not None and lang == inherited:
            del element["Lang"]
        if element.get("S") == "/Figure" and not _text(element.get("Alt")):
            problems.append(
                "a figure has no alternative text: give <img> an alt, <svg> a <title>, "
                "or draw a decorative picture as a CSS background"
            )
        pending.extend((child, lang or inherited) for child in _struct_children(pdf, element))
    return problems[:1]


# --- print-shop boxes and crop marks ------------------------------------------------------


def _pages(pdf: pydyf.PDF):
    kids = pdf.pages["Kids"]  # pydyf keeps them as number, 0, "R", number, 0, "R"...
    return [pdf.objects[number] for number in kids[::3]]


def _print_boxes(pdf: pydyf.PDF, page, crop_marks: bool) -> None:
    """BleedBox = the bleed area (WeasyPrint's MediaBox); with crop marks, a MediaBox wide
    enough for marks outside the bleed, and the artwork clipped to the bleed."""
    bleed_box = [float(value) for value in page["MediaBox"]]
    page["BleedBox"] = pydyf.Array(bleed_box)
    if not crop_marks:
        return
    trim_left, trim_bottom, trim_right, trim_top = (float(value) for value in page["TrimBox"])
    left, bottom, right, top = bleed_box
    room = (MARK_LENGTH_MM + MARK_SLUG_MM) * PT_PER_MM
    page["MediaBox"] = pydyf.Array([left - room, bottom - room, right + room, top + room])
    length = MARK_LENGTH_MM * PT_PER_MM
    lines = []  # each mark continues a cut line, from the edge of the bleed outwards
    for x in (trim_left, trim_right):
        lines += [(x, bottom, x, bottom - length), (x, top, x, top + length)]
    for y in (trim_bottom, trim_top):
        lines += [(left, y, left - length, y), (right, y, right + length, y)]
    content = _resolve(pdf, page["Contents"])
    clip = f"q {left:.3f} {bottom:.3f} {right - left:.3f} {top - bottom:.3f} re W n"
    marks = " ".join(f"{x1:.3f} {y1:.3f} m {x2:.3f} {y2:.3f} l" for x1, y1, x2, y2 in lines)
    content.stream[:0] = [clip.encode()]
    # Printer's marks are "page" artifacts: production aids, not part of the document.
    draw = f"q 0 G {MARK_WIDTH_PT} w 0 J [] 0 d {marks} S Q"
    content.stream += [b"Q", f"/Artifact <</Type /Page>> BDC {draw} EMC".encode()]
