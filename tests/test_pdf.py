"""The PDF files themselves, read back with PDF libraries (pikepdf for the objects, pdfium
for text positions and pixels): print-shop boxes and crop marks, the structure tree and the
language of each part, PDF/A metadata, and the same bytes from two builds."""

from __future__ import annotations

import ctypes
import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pikepdf
import pypdfium2
import pypdfium2.raw as pdfium
import pytest
import yaml
from conftest import PT_PER_MM, ROOT, TRIM_MM, run_generate

import generate

MATERIALS = yaml.safe_load((ROOT / "materials" / "materials.yaml").read_text())["materials"]
#: Every material printed on a sheet of its own; the card sheet (cut at the office, no
#: bleed) is the lead's.
SINGLE_SHEET = {row["id"]: row["paper"] for row in MATERIALS if row["id"] != "wallet-card-sheet"}
MARK_ROOM_MM = 6  # 5 mm marks and 1 mm of clear paper beyond the bleed
TITLE_EN = "Human trafficking: where to get help"


def build(output: Path, *args: str) -> Path:
    code = generate.main(["--output", str(output), "--jobs", "1", *args])
    assert code == 0
    return output


@pytest.fixture(scope="module")
def print_shop(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("print-shop"), "--print-shop", "--lang", "en")


@pytest.fixture(scope="module")
def tagged(tmp_path_factory) -> Path:
    """The default output (tagged) of a language written right to left, with its poster."""
    return build(tmp_path_factory.mktemp("tagged"), "--lang", "ar", "--no-previews")


def box_mm(page: pikepdf.Page, name: str) -> tuple[float, ...]:
    assert name in page.obj, f"{name} missing"
    return tuple(float(value) / PT_PER_MM for value in page.obj[name])


def read_xmp(pdf: pikepdf.Pdf):
    """The XMP metadata, read only (pikepdf's ``with`` form rewrites the document info)."""
    return pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False)


def grown(box, by: float):
    left, bottom, right, top = box
    return (left - by, bottom - by, right + by, top + by)


# --- print shop ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paper", "bleed", "args"),
    [("us", 3.0, ()), ("a4", 3.175, ("--paper", "a4", "--bleed", "3.175"))],
)
@pytest.mark.parametrize("material", list(SINGLE_SHEET))
def test_print_shop_boxes(print_shop, tmp_path, material, paper, bleed, args):
    """TrimBox = the paper size, BleedBox = trim + bleed, MediaBox = bleed + room for marks."""
    output = print_shop
    if args:
        output = build(tmp_path, "--print-shop", "--lang", "en", "--material", material, *args)
    width, height = TRIM_MM[paper][SINGLE_SHEET[material]]
    with pikepdf.open(output / "en" / f"{material}.pdf") as pdf:
        for page in pdf.pages:
            trim = box_mm(page, "/TrimBox")
            assert trim[2] - trim[0] == pytest.approx(width, abs=0.02)
            assert trim[3] - trim[1] == pytest.approx(height, abs=0.02)
            assert box_mm(page, "/BleedBox") == pytest.approx(grown(trim, bleed), abs=0.02)
            media = box_mm(page, "/MediaBox")
            assert media == pytest.approx(grown(trim, bleed + MARK_ROOM_MM), abs=0.02)


def test_bleed_alone_gives_a_bleed_box_and_no_marks(project, capsys):
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "en", "--material", "flyer", "--bleed", "5"
    )
    assert code == 0, out
    with pikepdf.open(project / "output" / "en" / "flyer.pdf") as pdf:
        page = pdf.pages[0]
        trim = box_mm(page, "/TrimBox")
        # 5 mm, not the 10 pt (3.5 mm) WeasyPrint writes by itself.
        assert box_mm(page, "/BleedBox") == pytest.approx(grown(trim, 5), abs=0.02)
        assert box_mm(page, "/MediaBox") == pytest.approx(grown(trim, 5), abs=0.02)
        assert b"/Artifact <</Type /Page>>" not in page.obj.Contents.read_bytes()


def test_print_shop_needs_a_bleed(capsys):
    with pytest.raises(SystemExit) as exit_:
        generate.main(["--print-shop", "--bleed", "0"])
    assert exit_.value.code == 2
    assert "a print shop needs a bleed above 0 mm" in capsys.readouterr().err


def render(pdf_path: Path, dpi: int):
    document = pypdfium2.PdfDocument(str(pdf_path))
    try:
        return document[0].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        document.close()


def test_edge_elements_and_backgrounds_bleed_and_marks_stay_outside(project, capsys):
    """An element touching the trim reaches into the bleed by var(--bleed), the page
    background fills the bleed, artwork stops at the bleed, and the crop marks sit beyond
    it on blank paper, in line with the trim."""
    css = project / "templates" / "flyer.css"
    css.write_text(
        css.read_text()
        + """
@page { background: #ffe000; }  /* a page colour covers the bleed too */
.flyer-header {
  background: #c00000;
  margin: calc(-12mm - var(--bleed)) calc(-14mm - var(--bleed)) 0;
  padding: calc(12mm + var(--bleed)) calc(14mm + var(--bleed)) 0;
}
/* Artwork reaching past the bleed is cut off at its edge. */
.flyer-header h1 { box-shadow: 0 0 0 40mm #c00000; }
"""
    )
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "en", "--material", "flyer", "--print-shop"
    )
    assert code == 0, out
    dpi = 100
    image = render(project / "output" / "en" / "flyer.pdf", dpi)

    def pixel(x_mm, y_mm):  # from the top left corner of the media box
        return image.getpixel((round(x_mm * dpi / 25.4), round(y_mm * dpi / 25.4)))

    room, bleed = MARK_ROOM_MM, 3
    width, height = TRIM_MM["us"]["letter"]
    middle = room + bleed + width / 2
    red, yellow, white = (192, 0, 0), (255, 224, 0), (255, 255, 255)
    assert pixel(middle, room + 1.5) == red  # the band, in the bleed above the trim
    assert pixel(room + 1.5, room + bleed + height / 2) == yellow  # background, left bleed
    assert pixel(middle, room - 1) == white  # beyond the bleed: blank
    assert pixel(room - 1, room + bleed + height / 2) == white

    def darkest(x_mm, y_mm):
        x, y = round(x_mm * dpi / 25.4), round(y_mm * dpi / 25.4)
        return min(sum(image.getpixel((x + dx, y + dy))) for dx in (-1, 0, 1) for dy in (-1, 0, 1))

    trim_left, trim_top = room + bleed, room + bleed
    assert darkest(trim_left, room - 2.5) < 600  # mark above the left cut line
    assert darkest(room - 2.5, trim_top) < 600  # mark left of the top cut line
    assert darkest(trim_left + 1.5, room - 2.5) == 3 * 255  # nothing beside it


# --- tagging ---------------------------------------------------------------------------


def struct_kids(element):
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def walk(element, lang=None, depth=0):
    """(element, its effective language, depth) for every structure element, in order."""
    lang = str(element.get("/Lang", lang) or "") or lang
    yield element, lang, depth
    for kid in struct_kids(element):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/StructElem":
            yield from walk(kid, lang, depth + 1)


def marked_content(pdf_path: Path) -> dict[tuple[int, int], tuple[str, float]]:
    """(page index, MCID) -> the text of that marked content and its baseline (pt, from the
    bottom), read with pdfium."""
    found: dict[tuple[int, int], list] = {}
    document = pypdfium2.PdfDocument(str(pdf_path))
    for index in range(len(document)):
        page = document[index]
        textpage = page.get_textpage()
        for obj in page.get_objects():
            if obj.type != pdfium.FPDF_PAGEOBJ_TEXT:
                continue
            mcid = pdfium.FPDFPageObj_GetMarkedContentID(obj.raw)
            size = pdfium.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
            buffer = (ctypes.c_ushort * (size // 2))()
            pdfium.FPDFTextObj_GetText(obj.raw, textpage.raw, buffer, size)
            text = bytes(buffer).decode("utf-16-le").rstrip("\x00")
            found.setdefault((index, mcid), []).append((text, obj.get_matrix().f))
    document.close()
    result = {}
    for key, runs in found.items():
        baselines = sorted(f for _, f in runs)
        # Marks placed above or below their letters are runs of their own: the median run
        # sits on the line's baseline.
        result[key] = ("".join(text for text, _ in runs), baselines[len(baselines) // 2])
    return result


def page_index(pdf: pikepdf.Pdf, element) -> int:
    return [page.obj.objgen for page in pdf.pages].index(element.Pg.objgen)


def texts_in_order(pdf: pikepdf.Pdf, pdf_path: Path, top):
    """The marked contents under ``top`` that draw text, in the order of the structure
    tree (a space between two inline boxes is marked but draws nothing)."""
    content = marked_content(pdf_path)
    for element, _, _ in walk(top):
        for kid in struct_kids(element):
            if isinstance(kid, int) and (page_index(pdf, element), kid) in content:
                yield content[(page_index(pdf, element), kid)]


@pytest.mark.parametrize("material", list(SINGLE_SHEET))
def test_tagged_with_title_language_and_structure(tagged, material):
    with pikepdf.open(tagged / "ar" / f"{material}.pdf") as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        assert str(pdf.Root.Lang) == "ar"
        title = str(pdf.docinfo.Title)
        assert title and title != TITLE_EN  # the translated <title>
        xmp = read_xmp(pdf)
        assert xmp["dc:title"] == title
        assert xmp["pdfuaid:part"] == "1"
        document = pdf.Root.StructTreeRoot.K[0]
        kinds = [str(element.S) for element, _, _ in walk(document)]
        assert kinds[0] == "/Document"
        assert "/P" in kinds
        if material != "safety-card":  # the discreet card lists no warning signs
            assert {"/L", "/LI", "/LBody"} <= set(kinds)
        assert {"/H1", "/H2"} & set(kinds)
        for page in pdf.pages:  # every page's content is in the tree or an artifact
            assert page.Tabs == "/S" and "/StructParents" in page.obj


def test_poster_parts_carry_their_own_language(tagged):
    """The Arabic, English and Spanish sections of a poster, and the draft notes, each say
    their language; the text under each is in that language."""
    path = tagged / "ar" / "poster.pdf"
    with pikepdf.open(path) as pdf:
        elements = list(walk(pdf.Root.StructTreeRoot.K[0], str(pdf.Root.Lang)))
        sections = [(element, lang) for element, lang, _ in elements if element.S == "/Sect"]
        assert [lang for _, lang in sections] == ["ar", "en", "es"]
        assert all("/Lang" in element for element, _ in sections)  # stated, not inherited
        english = "".join(text for text, _ in texts_in_order(pdf, path, sections[1][0]))
        assert "You can call in your own language." in english
        spanish = "".join(text for text, _ in texts_in_order(pdf, path, sections[2][0]))
        assert "Puede llamar en su propio idioma." in spanish
        arabic = "".join(text for text, _ in texts_in_order(pdf, path, sections[0][0]))
        assert sum("\u0600" <= char <= "\u06ff" for char in arabic) > 100
        # Anonymous boxes inside a section repeat nothing: /Lang only where it changes.
        for element, lang, _ in walk(pdf.Root.StructTreeRoot.K[0]):
            for kid in struct_kids(element):
                if isinstance(kid, pikepdf.Dictionary) and "/Lang" in kid:
                    assert str(kid.Lang) != lang


def test_card_draft_mark_is_tagged_english(tagged):
    path = tagged / "ar" / "wallet-card.pdf"
    with pikepdf.open(path) as pdf:
        english = [
            element
            for element, lang, _ in walk(pdf.Root.StructTreeRoot.K[0], "ar")
            if "/Lang" in element
        ]
        assert [str(element.Lang) for element in english] == ["en"]
        assert "".join(t for t, _ in texts_in_order(pdf, path, english[0])).strip() == "DRAFT"


@pytest.mark.parametrize("material", ["wallet-card", "poster"])
def test_reading_order_follows_the_page_from_top_to_bottom(tagged, material):
    """In the structure tree each line comes after the lines above it, although WeasyPrint
    paints the list of signs after the paragraphs below it (MCIDs are paint order)."""
    path = tagged / "ar" / f"{material}.pdf"
    with pikepdf.open(path) as pdf:
        content = marked_content(path)
        for index, _ in enumerate(pdf.pages):
            order = [
                content[(index, kid)][1]
                for element, _, _ in walk(pdf.Root.StructTreeRoot.K[0])
                if "/Pg" in element and page_index(pdf, element) == index
                for kid in struct_kids(element)
                if isinstance(kid, int) and (index, kid) in content
            ]
            assert len(order) >= 8
            pairs = zip(order, order[1:], strict=False)
            # Signs stand two by two: a row's second sign starts beside its first one, up to
            # a line above that one's last line (20 pt on the poster). Painted out of order,
            # the list would jump hundreds of points.
            assert all(lower <= upper + 30 for upper, lower in pairs), order  # pt


def test_figures_need_alternative_text(project):
    """WeasyPrint stops at an <img> without alt; an <svg> without a <title> is caught here.
    Decorative pictures belong in CSS backgrounds (artifacts, outside the tree)."""
    from materialgen.layout import Layout

    (project / "templates" / "icon.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10"/></svg>'
    )
    layout = Layout(project / "templates")

    def write(body: str):
        warnings: list[str] = []
        document = layout.render(
            f'<html lang="en"><title>t</title><body>{body}</body></html>', warnings
        )
        written = io.BytesIO()
        layout.write(document, written, warnings)
        return warnings, pikepdf.open(written)

    untitled = '<svg width="20" height="20"><rect width="20" height="20"/></svg>'
    warnings, _ = write(untitled)
    assert warnings == [
        "a figure has no alternative text: give <img> an alt, <svg> a <title>, "
        "or draw a decorative picture as a CSS background"
    ]
    titled = untitled.replace("<rect", "<title>QR code: humantraffickinghotline.org</title><rect")
    for body, alt in (
        (titled, "QR code: humantraffickinghotline.org"),
        ('<img src="icon.svg" alt="Phone">', "Phone"),
    ):
        warnings, pdf = write(body)
        assert warnings == []
        figures = [e for e, _, _ in walk(pdf.Root.StructTreeRoot.K[0]) if e.S == "/Figure"]
        assert [str(figure.Alt) for figure in figures] == [alt]


# --- PDF/A -----------------------------------------------------------------------------


def test_archive_is_pdfa_and_pdfua_with_a_reproducible_date(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    build(tmp_path, "--archive", "--lang", "ar", "--material", "poster", "--no-previews")
    with pikepdf.open(tmp_path / "ar" / "poster.pdf") as pdf:
        xmp = read_xmp(pdf)
        assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("2", "A")
        assert xmp["pdfuaid:part"] == "1"
        assert xmp["xmp:CreateDate"] == xmp["xmp:ModifyDate"] == "2026-01-01T00:00:00Z"
        assert xmp["dc:title"] == str(pdf.docinfo.Title)
        xml = pdf.Root.Metadata.read_bytes()
        # PDF/A accepts the PDF/UA property only with a description of its schema.
        assert b"<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in xml
        assert str(pdf.docinfo.CreationDate) == str(pdf.docinfo.ModDate) == "D:20260101000000Z"
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1" and "/DestOutputProfile" in intent
        assert "/ID" in pdf.trailer and pdf.Root.MarkInfo.Marked is True
        assert [str(e.Lang) for e, _, _ in walk(pdf.Root.StructTreeRoot.K[0]) if "/Lang" in e][
            :3
        ] == ["ar", "en", "es"]


def test_archive_date_without_source_date_epoch_is_the_newest_verification(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    resources = yaml.safe_load((ROOT / "materials" / "resources.yaml").read_text())["resources"]
    newest = max(datetime.date.fromisoformat(str(row["verified"])) for row in resources)
    build(tmp_path, "--archive", "--lang", "en", "--material", "wallet-card", "--no-previews")
    with pikepdf.open(tmp_path / "en" / "wallet-card.pdf") as pdf:
        assert read_xmp(pdf)["xmp:CreateDate"] == f"{newest.isoformat()}T00:00:00Z"


def test_archive_refuses_a_malformed_source_date_epoch(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    code, _, err = run_generate(capsys, "--archive", "--lang", "en", "--output", str(tmp_path))
    assert code == 1
    assert "SOURCE_DATE_EPOCH: 'yesterday' is not a whole number of seconds since 1970" in err
    assert not list(tmp_path.rglob("*.pdf"))


# --- reproducibility -------------------------------------------------------------------


def build_in_a_process(output: Path, hash_seed: str, *args: str) -> dict[str, bytes]:
    """A build by a fresh interpreter (its own hash seed: set and dict orders differ), and
    every PDF and preview it wrote."""
    environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
    environment.pop("SOURCE_DATE_EPOCH", None)
    result = subprocess.run(
        [sys.executable, str(ROOT / "generate.py"), "--output", str(output), "--jobs", "1", *args],
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {
        str(path.relative_to(output)): path.read_bytes()
        for path in sorted(output.rglob("*"))
        if path.suffix in (".pdf", ".png")
    }


@pytest.mark.parametrize(
    "args",
    [
        ("--lang", "ar", "--lang", "my"),
        (
            *("--print-shop", "--archive", "--lang", "ar", "--lang", "my"),
            *("--material", "wallet-card", "--material", "poster"),
        ),
    ],
    ids=["tagged", "print-shop-archive"],
)
def test_two_builds_write_the_same_bytes(tmp_path, args):
    first = build_in_a_process(tmp_path / "first", "1", *args)
    second = build_in_a_process(tmp_path / "second", "2", *args)
    assert any(name.endswith(".png") for name in first)
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []
