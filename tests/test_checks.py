"""The print check catches each failure WeasyPrint itself is silent about. Each test lays out
a small document that has exactly one fault, and one clean twin where that helps."""

from __future__ import annotations

import pytest
from conftest import ROOT
from weasyprint.formatting_structure import boxes

from materialgen.checks import Expectations, check_document, walk
from materialgen.fonts import font_face_css, load_fonts
from materialgen.layout import Layout

FONTS = load_fonts(ROOT / "templates" / "fonts.yaml")
STACKS = {
    "en": ["Noto Sans"],
    "ar": ["Noto Naskh Arabic", "Noto Sans"],
    "my": ["Noto Sans Myanmar", "Noto Sans"],
    "am": ["Noto Sans Ethiopic", "Noto Sans"],
}


@pytest.fixture(scope="module")
def layout():
    return Layout(ROOT / "templates")


def lay_out(layout, body: str, *, lang="en", css="", size="85.6mm 53.98mm", extra_fonts=()):
    # As in the generator: only the fonts of the document's languages are loaded.
    families = set(STACKS[lang]) | set(STACKS["en"]) | set(extra_fonts)
    html = f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>t</title>
    <style>{font_face_css(FONTS, families)}
    @page {{ size: {size}; margin: 3mm; }}
    html {{ font-family: "{'", "'.join(STACKS[lang])}"; font-size: 8pt; line-height: 1.5; }}
    {css}</style></head><body>{body}</body></html>"""
    warnings: list[str] = []
    document = layout.render(html, warnings)
    assert warnings == []
    return document


def problems_of(document, **expect):
    defaults = {"pages": 1, "safe_mm": 3, "fonts_by_lang": STACKS}
    found, _ = check_document(document, Expectations(**{**defaults, **expect}))
    return found


def kinds(problems):
    return sorted({problem.kind for problem in problems})


def test_clean_document_has_no_problems(layout):
    document = lay_out(
        layout, '<div data-frame="card">Call <span dir="ltr">1-888-373-7888</span></div>'
    )
    assert problems_of(document, numbers=("1-888-373-7888",)) == []


def test_text_clipped_by_a_fixed_frame(layout):
    long_text = "Someone else controls their ID, passport or money. " * 6
    document = lay_out(
        layout, f'<div data-frame="card front" style="height: 10mm">{long_text}</div>'
    )
    found = problems_of(document)
    assert kinds(found) == ["overflow"]
    assert "runs out of 'card front'" in found[0].message


def test_unbreakable_line_runs_out_of_its_frame(layout):
    document = lay_out(
        layout,
        '<div data-frame="box" style="width: 20mm; white-space: nowrap">'
        "Interpreters for more than 200 languages</div>",
    )
    assert kinds(problems_of(document)) == ["overflow"]


def test_text_spilling_onto_another_page(layout):
    document = lay_out(layout, "<p>Line</p>" * 40)
    found = problems_of(document)
    assert "pages" in kinds(found)
    assert found[0].message.startswith(f"{len(document.pages)} pages instead of 1")


def test_missing_glyph_names_the_script(layout):
    # An Amharic word in a document whose font stack has no Ethiopic font.
    document = lay_out(layout, "<p>እርዳታ</p>")
    found = problems_of(document)
    assert kinds(found) == ["glyph"]
    assert "U+12A5" in found[0].message and "script Ethi" in found[0].message


def test_font_outside_the_languages_stack(layout):
    document = lay_out(
        layout,
        '<p lang="am" style="font-family: \'Noto Sans Ethiopic\'">እርዳታ</p>',
        extra_fonts=["Noto Sans Ethiopic"],
    )
    found = problems_of(document, fonts_by_lang={"am": ["Noto Sans"]})
    assert kinds(found) == ["font"]


def test_phone_number_reversed_in_arabic(layout):
    plain = lay_out(layout, '<p dir="rtl">اتصل بالرقم 1-888-373-7888</p>', lang="ar")
    found = problems_of(plain)
    assert kinds(found) == ["direction"]
    assert found[0].text == "1-888-373-7888"
    isolated = lay_out(
        layout, '<p dir="rtl">اتصل بالرقم <span dir="ltr">1-888-373-7888</span></p>', lang="ar"
    )
    assert problems_of(isolated) == []


def test_colliding_lines(layout):
    burmese = "သူတို့၏ သက်သေခံကတ်၊ နိုင်ငံကူးလက်မှတ် သို့မဟုတ် ငွေကို အခြားသူက ထိန်းချုပ်ထားသည်။ " * 3
    tight = lay_out(layout, f'<p style="line-height: 1.0">{burmese}</p>', lang="my")
    assert "collision" in kinds(problems_of(tight))
    loose = lay_out(layout, f'<p style="line-height: 1.6">{burmese}</p>', lang="my")
    assert "collision" not in kinds(problems_of(loose))


def test_invalid_cluster_shows_a_dotted_circle(layout):
    # A Myanmar medial with no consonant to attach to.
    document = lay_out(layout, "<p>\u103b\u1000</p>", lang="my")
    assert "cluster" in kinds(problems_of(document))


def test_type_below_the_minimum(layout):
    document = lay_out(
        layout,
        '<p style="font-size: 6pt">Small print</p>'
        '<p class="fine-print" style="font-size: 5pt">Exempt</p>',
    )
    found = problems_of(document, min_font_pt={"en": 7})
    assert kinds(found) == ["size"]
    assert found[0].text == "Small print"


def test_hotline_number_missing(layout):
    document = lay_out(layout, "<p>Call the hotline</p>")
    found = problems_of(document, numbers=("1-888-373-7888",))
    assert kinds(found) == ["missing-number"]


def test_text_outside_the_safe_area(layout):
    document = lay_out(layout, '<p style="margin-left: -2.5mm">Too close to the edge</p>')
    assert kinds(problems_of(document)) == ["overflow"]


# With a bleed, WeasyPrint keeps the page box at the trim and puts the bleed outside it: the
# safe area is measured from the trim, never from the edge of the bleed.
BLEED = "@page { bleed: 3mm; margin: 0 }"


def test_a_line_in_the_bleed_is_outside_the_safe_area(layout):
    document = lay_out(layout, '<p style="margin-left: -2mm">Printed in the bleed</p>', css=BLEED)
    found = problems_of(document)
    assert kinds(found) == ["overflow"]
    assert "outside the safe area (3 mm inside the trim)" in found[0].message


def test_safe_area_is_measured_from_the_trim_not_the_bleed(layout):
    # 1.5 mm inside the trim: 4.5 mm inside the bleed's edge, still too close to the cut.
    near = lay_out(layout, '<p style="margin: 1.5mm">Near the trim</p>', css=BLEED)
    assert "outside the safe area" in problems_of(near)[0].message
    clear = lay_out(layout, '<p style="margin: 3.5mm">Clear of the trim</p>', css=BLEED)
    assert problems_of(clear) == []


def test_a_frame_reaching_into_the_bleed_keeps_its_text_in_the_safe_area(layout):
    """A band may bleed; its text may not follow it past the safe margin."""
    band = '<div data-frame="band" style="margin: -3mm -3mm 0; background: #123a63">{}</div>'
    document = lay_out(layout, band.format("Text in a bleeding band"), css=BLEED)
    found = problems_of(document)
    assert kinds(found) == ["overflow"]
    assert found[0].frame == "band" and "outside the safe area" in found[0].message
    padded = band.replace("background", "padding: 6mm; background")
    assert problems_of(lay_out(layout, padded.format("Text kept inside"), css=BLEED)) == []


ICON = '<img src="icons/documents.svg" alt="" style="width: 6mm; height: 6mm">'
# How the templates draw pictograms: a background, which tagged PDF marks as decoration.
PICTOGRAM = (
    '<span style="display: inline-block; width: 6mm; height: 6mm; '
    'background: url(icons/documents.svg) center / contain no-repeat"></span>'
)


def test_picture_beside_its_text_is_clean(layout):
    document = lay_out(layout, f'<div data-frame="card">{ICON} Someone else holds their ID.</div>')
    assert problems_of(document) == []


@pytest.mark.parametrize("picture", [ICON, PICTOGRAM], ids=["image", "background"])
def test_picture_drawn_over_text(layout, picture):
    # A negative margin pulls the pictogram back over the words before it.
    misplaced = picture.replace('style="', 'style="margin-left: -15mm; ')
    document = lay_out(layout, f'<div data-frame="card">Someone else holds {misplaced}</div>')
    found = problems_of(document)
    assert kinds(found) == ["overlap"]
    assert "icons/documents.svg is drawn over text" in found[0].message


def test_picture_outside_its_frame_and_the_safe_area(layout):
    framed = lay_out(
        layout, f'<div data-frame="card back" style="height: 5mm">Text<br>{ICON}</div>'
    )
    found = problems_of(framed)
    assert kinds(found) == ["overflow"] and {p.frame for p in found} == {"card back"}
    assert any("picture icons/documents.svg runs out of 'card back'" in p.message for p in found)
    loose = lay_out(layout, ICON.replace('style="', 'style="margin-left: -6mm; '))
    found = problems_of(loose)
    assert kinds(found) == ["overflow"]
    assert "outside the safe area" in found[0].message


# A tear-off tab: the text frame is laid out unrotated (40 x 12 mm) and turned a quarter
# turn, so it stands 12 mm wide and 40 mm tall at the bottom of the page.
TAB = (
    '<div style="position: absolute; left: {left}; bottom: {bottom}; width: 12mm; height: 40mm">'
    '<div data-frame="tab" style="position: absolute; left: -14mm; top: 14mm; width: 40mm; '
    'height: 12mm; transform: rotate(-90deg)">{text}</div></div>'
)


def lay_out_tab(layout, text="Call 1-888-373-7888", left="20mm", bottom="-3mm"):
    return lay_out(
        layout,
        TAB.format(text=text, left=left, bottom=bottom),
        size="100mm 100mm",
        css="@page { margin: 3mm }",
    )


def test_rotated_tab_is_measured_as_drawn(layout):
    # Unrotated, the frame would reach 14 mm left of its tab and stick out of the page
    # bottom; drawn, it stands inside the safe area: no problem.
    document = lay_out_tab(layout, left="0mm", bottom="0mm")
    frame = next(
        box
        for box, _ in walk(document.pages[0]._page_box)
        if box.element_tag == "div" and box.element.get("data-frame")
    )
    assert frame.position_x < 0  # before the transform: off the page
    assert problems_of(document) == []


def test_rotated_tab_text_too_long(layout):
    text = "Call 1-888-373-7888. " + "Text HELP to 233733 for free help in your language. " * 3
    found = problems_of(lay_out_tab(layout, text=text, left="0mm", bottom="0mm"))
    assert kinds(found) == ["overflow"]
    assert found[0].frame == "tab" and "runs out of 'tab'" in found[0].message


def test_rotated_tab_outside_the_safe_area(layout):
    # Drawn, the frame reaches into the bottom 3 mm of the page: the trim's danger zone.
    found = problems_of(lay_out_tab(layout, left="0mm", bottom="-3mm"))
    assert kinds(found) == ["placement"]
    assert "'tab' is outside the safe area (3 mm inside the trim) by 3.0 mm" in found[0].message


# Text wider than its own box, inside its frame: the frame check cannot see it, since the
# frame holds both columns, yet it prints over the column beside it.
COLUMNS = (
    '<div data-frame="card" style="display: table; table-layout: fixed; width: 100%">'
    '<div class="first" style="display: table-cell; vertical-align: top; width: 50%">'
    "{first}</div>"
    # The second column's text lower down, so that nothing collides with what runs over it.
    '<div class="second" style="display: table-cell; vertical-align: top; padding-top: 10mm">'
    "Someone else holds their ID.</div></div>"
)
# No break opportunity in either: Burmese without the spaces the generator's segmenter
# inserts (Pango breaks Myanmar only there), and Arabic letters run together.
UNBREAKABLE = {
    "my": "မြန်မာအသိုင်းအဝိုင်းကူညီရေးအဖွဲ့ချုပ်ကြီး",
    "ar": "اتصلبالرقمالمجانيللمساعدةفيالحالوبلغتك",
}


def overruns(problems):
    return [p for p in problems if "runs out of its box" in p.message]


@pytest.mark.parametrize("lang", ["my", "ar"])
def test_unbreakable_word_wider_than_its_column(layout, lang):
    direction = "rtl" if lang == "ar" else "ltr"
    # Myanmar marks need the taller lines the materials give them.
    body = (
        f'<div dir="{direction}" style="line-height: 1.8">'
        f"{COLUMNS.format(first=UNBREAKABLE[lang])}</div>"
    )
    document = lay_out(layout, body, lang=lang)
    cell = next(
        box
        for box, _ in walk(document.pages[0]._page_box)
        if isinstance(box, boxes.TableCellBox) and box.element.get("class") == "first"
    )
    text = next(box for box, _ in walk(cell) if isinstance(box, boxes.TextBox))
    # Left to right it runs out on the right; right to left, out on the left.
    if direction == "rtl":
        assert text.position_x < cell.content_box_x()
    else:
        assert text.position_x + text.width > cell.content_box_x() + cell.width
    found = problems_of(document)
    assert kinds(found) == ["overflow"]
    assert len(found) == 1 and found[0].fit and found[0].frame == "card"
    assert found[0].text == UNBREAKABLE[lang]
    assert "text runs out of its box (div.first in 'card') by" in found[0].message
    # The same words with their break opportunities fit the column.
    spaced = UNBREAKABLE[lang].replace("ရေး", "ရေး\u200b").replace("الرقم", " الرقم ")
    clean = lay_out(layout, body.replace(UNBREAKABLE[lang], spaced), lang=lang)
    assert problems_of(clean) == []


def test_web_address_breaking_after_its_slashes_fits_its_column(layout):
    # As templates/_blocks.html prints an address: a break opportunity after each slash.
    address = "example.org/help/human-traffic/resources/minnesota"
    broken = '<span class="web-address" dir="ltr">{}</span>'.format(
        "/<wbr>".join(address.split("/"))
    )
    document = lay_out(layout, COLUMNS.format(first=f"Visit {broken}"))
    lines = [box for box, _ in walk(document.pages[0]._page_box) if isinstance(box, boxes.LineBox)]
    assert len(lines) > 2  # it did break, in the first column
    assert problems_of(document) == []
    # Kept on one line, it runs over the second column.
    nowrap = broken.replace('dir="ltr"', 'dir="ltr" style="white-space: nowrap"')
    found = problems_of(lay_out(layout, COLUMNS.format(first=f"Visit {nowrap}")))
    assert overruns(found) and address.endswith("".join(p.text for p in overruns(found)))


def test_box_narrower_than_its_text(layout):
    word = "Interpreters"
    narrow = f'<div data-frame="card"><p class="label" style="width: 8mm">{word}</p></div>'
    found = problems_of(lay_out(layout, narrow))
    assert len(found) == 1 and found[0].kind == "overflow" and found[0].text == word
    assert "runs out of its box (p.label in 'card')" in found[0].message
    assert problems_of(lay_out(layout, narrow.replace("8mm", "25mm"))) == []


def test_inline_block_wider_than_its_paragraph(layout):
    """A label kept with its number (an inline block, as the contact lines are) and wider
    than its column: the text is inside the inline block, which itself runs out of the
    paragraph."""
    body = (
        '<div data-frame="card"><p style="width: 15mm">Or '
        '<span style="display: inline-block">Call <span style="white-space: nowrap">'
        "1-888-373-7888</span></span></p></div>"
    )
    found = overruns(problems_of(lay_out(layout, body)))
    assert [p.text for p in found] == ["1-888-373-7888"]
    assert "(p in 'card')" in found[0].message


def test_positioned_and_pulled_out_boxes_are_not_overruns(layout):
    """Boxes a template places outside their parent on purpose, inside the frame and the
    safe area: an absolutely positioned label, and a block with negative margins."""
    body = (
        '<div data-frame="card"><div style="padding: 0 12mm">'
        '<p style="position: relative; width: 20mm">Text'
        '<span style="position: absolute; left: -10mm; top: 0">Label</span></p>'
        '<p style="margin: 0 -10mm">A band wider than the column above it.</p></div></div>'
    )
    assert problems_of(lay_out(layout, body)) == []


def test_italic_overhang_and_leaders_are_not_overruns(layout):
    """Measured is the advance: an italic «f» set flush against its column's edge puts ink
    beyond it (by design, in any book); dot leaders fill a line only up to its end."""
    body = (
        '<div data-frame="card"><p style="width: 30mm; text-align: right; font-style: '
        'italic; font-size: 14pt">Staff</p>'
        '<p class="toc" style="width: 30mm">Warning signs</p></div>'
    )
    document = lay_out(layout, body, css=".toc::after { content: leader('.') ' 2' }")
    assert problems_of(document) == []


def test_copyfitting_shrinks_a_word_wider_than_its_column(layout):
    """A fit problem: «Interpreters» (16 mm at 8 pt) in a 14 mm column fits once its frame's
    type is at most 7/8 of its size, and copyfitting finds that scale."""
    from materialgen.copyfit import copyfit

    def attempt(fits):
        scale = fits.get("card", 1.0)
        document = lay_out(
            layout,
            f'<div data-frame="card" data-fit-floor="0.7" style="font-size: {scale:.4f}em">'
            '<p style="width: 14mm">Interpreters</p></div>',
        )
        expect = Expectations(pages=1, safe_mm=3, fonts_by_lang=STACKS)
        return document, check_document(document, expect, full=False)[0], []

    _, problems, _ = attempt({})
    assert [p.fit for p in problems] == [True]
    fitted = copyfit(attempt)
    assert fitted.problems == [] and not fitted.hopeless
    assert 0.8 < fitted.fits["card"] <= 0.875
