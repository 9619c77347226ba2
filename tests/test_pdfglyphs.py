"""The glyph reading of tests/pdfglyphs.py, on small PDFs WeasyPrint writes here: a text is
found however its lines wrap, in each script pdfium cannot read back; one letter changed is
not; and what leaves no ink (spaces, U+200B, ZWNJ) is left out of both sides alike."""

from __future__ import annotations

import html

import pytest
from conftest import ROOT
from pdfglyphs import Fonts, Reading, shaped

from materialgen.fonts import font_face_css, load_fonts
from materialgen.project import Project, load
from materialgen.segment import insert_breaks

#: (language, one sentence of it): the scripts pdfium cannot read back, and Dari for its ZWNJ.
SENTENCES = {
    "my": "သူတို့၏ သက်သေခံကတ်၊ နိုင်ငံကူးလက်မှတ် သို့မဟုတ် ငွေကို အခြားသူက ထိန်းချုပ်ထားသည်။",
    "ksw": "ပှၤအဂၤ ဟံးဃာ် အဝဲသ့ၣ်အ ID ကၢ်ဒ်, passport မ့တမ့ၢ် အစ့လီၤ.",
    "km": "មានអ្នកផ្សេងគ្រប់គ្រងអត្តសញ្ញាណប័ណ្ណ លិខិតឆ្លងដែន ឬលុយរបស់ពួកគេ។",
    "lo": "ມີຄົນອື່ນຄວບຄຸມບັດປະຈຳຕົວ ໜັງສືຜ່ານແດນ ຫຼື ເງິນຂອງເຂົາເຈົ້າ",
    "ar": "تظهر عليه آثار عنف جسدي، أو يُحرَم من الطعام أو النوم أو الرعاية الطبية.",
    "ps": "بل څوک د دوی تذکره، پاسپورټ یا پیسې کنټرولوي.",
    "prs": "کس دیگری تذکره یا پول آنها را نگه می\u200cدارد.",
}
#: One letter of each, and another letter of its script to put in its place.
CHANGED = {
    "my": ("က", "ခ"),
    "ksw": ("ဂ", "ဃ"),
    "km": ("គ", "ឃ"),
    "lo": ("ຄ", "ງ"),
    "ar": ("ع", "غ"),
    "ps": ("ک", "ګ"),
    "prs": ("گ", "ک"),
}


@pytest.fixture(scope="module")
def data():
    return load(Project(ROOT), None, None)


@pytest.fixture(scope="module")
def fonts():
    return Fonts(ROOT)


def write_pdf(path, text: str, language, width_mm: float) -> None:
    """``text`` (with the generator's word breaks) in a box ``width_mm`` wide, in the
    language's fonts and direction: narrow boxes wrap it over many lines."""
    import weasyprint

    families = set(language.fonts)
    stack = ", ".join(f'"{family}"' for family in language.fonts)
    if language.segment_words:
        text = insert_breaks(text, language.code)
    css = font_face_css(load_fonts(ROOT / "templates" / "fonts.yaml"), families)
    document = (
        f"<html lang='{language.code}' dir='{language.direction}'><style>{css}"
        f"@page {{ size: 120mm 200mm; margin: 5mm }}"
        f"p {{ font-family: {stack}; font-size: 11pt; width: {width_mm}mm }}</style>"
        f"<p>{html.escape(text)}</p></html>"
    )
    weasyprint.HTML(string=document, base_url=str(ROOT / "templates")).write_pdf(path)


@pytest.mark.parametrize("lang", sorted(SENTENCES))
@pytest.mark.parametrize("width_mm", [110, 30])
def test_a_text_is_found_on_one_line_or_many_and_one_letter_changed_is_not(
    lang, width_mm, tmp_path, data, fonts
):
    language = data.languages[lang]
    rtl = language.direction == "rtl"
    text = SENTENCES[lang]
    path = tmp_path / "text.pdf"
    write_pdf(path, text, language, width_mm)
    reading = Reading(path, fonts)
    if width_mm == 30:
        assert len([line for line in reading.lines if line]) >= 3  # it did wrap
    assert reading.contains(text, language.fonts, lang, rtl)
    old, new = CHANGED[lang]
    assert old in text
    assert not reading.contains(text.replace(old, new, 1), language.fonts, lang, rtl)
    if rtl:  # read in the other direction, the order is wrong
        assert not reading.contains(text, language.fonts, lang, rtl=False)
    # and the PDF with the changed letter does not hold the real text
    write_pdf(path, text.replace(old, new, 1), language, width_mm)
    assert not Reading(path, fonts).contains(text, language.fonts, lang, rtl)


def test_blank_characters_leave_no_glyph(data, fonts):
    """Spaces (another glyph than the cmap's in a Korean buffer), U+200B and ZWNJ give no
    glyph; the letters around them keep theirs."""
    korean = fonts.stack(data.languages["ko"].fonts, 400)
    assert len(shaped("도움 전화", korean, "ko", rtl=False)) == 4
    burmese = fonts.stack(data.languages["my"].fonts, 400)
    words = "ငွေကို အခြားသူက"
    broken = insert_breaks(words, "my")
    assert "\u200b" in broken
    assert shaped(broken, burmese, "my", rtl=False) == shaped(words, burmese, "my", rtl=False)
    karen = fonts.stack(data.languages["ksw"].fonts, 400)  # Padauk has a glyph for U+200B
    assert shaped("ပှၤ\u200bအဂၤ", karen, "ksw", rtl=False) == shaped(
        "ပှၤအဂၤ", karen, "ksw", rtl=False
    )
    naskh = fonts.stack(data.languages["prs"].fonts, 400)
    # ZWNJ leaves no glyph but keeps the ی of می from joining the د after it: as many
    # glyphs as without it, not the same ones.
    with_zwnj = shaped("می\u200cدارد", naskh, "prs", rtl=True)
    without = shaped("میدارد", naskh, "prs", rtl=True)
    assert len(with_zwnj) == len(without) and with_zwnj != without


def test_a_number_in_a_right_to_left_line_keeps_its_own_order(data, fonts):
    """In an Arabic sentence "18" is a left-to-right run: drawn 1 then 8, so in the line read
    right to left it comes 8 then 1, and the expected text says the same."""
    language = data.languages["ar"]
    stack = fonts.stack(language.fonts, 400)
    glyphs = shaped("دون 18 عاماً", stack, "ar", rtl=True)
    one, eight = (shaped(digit, stack, "ar", rtl=False)[0] for digit in "18")
    assert glyphs.index(eight) + 1 == glyphs.index(one)
