"""Text in another language than the page's keeps its own direction: read from the glyph
positions of the written PDF, not from the HTML."""

from __future__ import annotations

import re

import pypdfium2
import pytest
from conftest import mark_fuzzy, run_generate


def lines_of_words(path) -> list[list[tuple[str, float]]]:
    """Each printed line of the PDF's first page as its words, with the left edge (pt) of
    each, in the order they stand on the page from left to right."""
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        page = pdf[0].get_textpage()
        text = page.get_text_range()
        boxes = [page.get_charbox(index) for index in range(len(text))]
    finally:
        pdf.close()
    words = []  # (word, left, bottom, top)
    for match in re.finditer(r"[^\s\u200b]+", text):
        spans = boxes[match.start() : match.end()]
        words.append(
            (
                match.group(),
                min(box[0] for box in spans),
                min(box[1] for box in spans),
                max(box[3] for box in spans),
            )
        )
    lines: list[list[tuple[str, float, float, float]]] = []
    for word in sorted(words, key=lambda item: -item[3]):
        for line in lines:  # same line: vertical overlap with its first word
            if word[2] < line[0][3] and word[3] > line[0][2]:
                line.append(word)
                break
        else:
            lines.append([word])
    return [
        [(w, left) for w, left, _, _ in sorted(line, key=lambda item: item[1])] for line in lines
    ]


def reads(path, *phrase: str) -> list[list[str]]:
    """The lines that hold every word of ``phrase``, as the words stand left to right."""
    found = []
    for line in lines_of_words(path):
        words = [word for word, _ in line]
        if all(word in words for word in phrase):
            found.append(words)
    return found


@pytest.fixture
def arabic_fallback(project, capsys, tmp_path):
    """The Arabic flyer and poster, with "Text %(keyword)s to %(number)s" fuzzy (printed in
    English) and an organisation with an English name."""
    mark_fuzzy(project, "ar", "Text %(keyword)s to %(number)s")
    organisation = tmp_path / "organisation.yaml"
    organisation.write_text(
        'name: "Example Center #2!"\nphone: 612-555-0100\nweb: example.org/help-center/\n',
        encoding="utf-8",
    )
    output = tmp_path / "output"
    code, out, err = run_generate(
        capsys, "--project", str(project), "--output", str(output), "--lang", "ar",
        "--material", "flyer", "--material", "poster", "--no-previews",
        "--organisation", str(organisation),
    )  # fmt: skip
    assert code == 0, out + err
    assert "'Text %(keyword)s to %(number)s': fuzzy" in out
    return output / "ar"


def test_english_fallback_reads_left_to_right_on_an_arabic_flyer(arabic_fallback):
    lines = reads(arabic_fallback / "flyer.pdf", "HELP", "233733")
    assert lines, "the text line is not on the flyer"
    for words in lines:
        start = words.index("Text")
        assert words[start : start + 4] == ["Text", "HELP", "to", "233733"], words


def test_poster_sections_read_in_their_own_direction(arabic_fallback):
    """The Arabic section prints the fuzzy entry in English, the English section its own
    text: both read left to right; the Spanish section reads in Spanish order."""
    path = arabic_fallback / "poster.pdf"
    english = [words for words in reads(path, "HELP", "233733") if "Text" in words]
    assert len(english) == 2, english  # the Arabic section's fallback, the English section
    for words in english:
        start = words.index("Text")
        assert words[start : start + 4] == ["Text", "HELP", "to", "233733"], words
    spanish = reads(path, "Puede", "llamar")
    assert spanish and spanish[0][spanish[0].index("Puede") :][:3] == ["Puede", "llamar", "en"]


def test_organisation_name_keeps_its_own_order(arabic_fallback):
    for material in ("flyer", "poster"):
        lines = reads(arabic_fallback / f"{material}.pdf", "Example", "Center")
        assert lines, material
        words = lines[0]
        start = words.index("Example")
        # Its final "!" stays at its end: isolated, not moved to the line's left end, where
        # the page's right-to-left paragraph would put it ("!Example Center #2").
        assert words[start : start + 3] == ["Example", "Center", "#2!"], words


def test_web_addresses_keep_their_order(arabic_fallback):
    """An address ending in neutral characters (a slash) beside the phone number: without
    its isolation the print check refuses the flyer ("laid out right-to-left")."""
    for material in ("flyer", "poster"):
        path = arabic_fallback / f"{material}.pdf"
        words = {word for line in lines_of_words(path) for word, _ in line}
        assert "example.org/help-center/" in words, material
        assert "humantraffickinghotline.org" in words, material


@pytest.fixture(scope="module")
def arabic_at_limit(tmp_path_factory):
    """The Arabic flyer and poster with every organisation field at its limit: a street
    address and a web address with a path, side by side in a right-to-left paragraph."""
    from conftest import ROOT

    import generate

    output = tmp_path_factory.mktemp("ar-at-limit")
    organisation = ROOT / "tests" / "organisations" / "all-at-limit.yaml"
    code = generate.main(
        ["--organisation", str(organisation), "--output", str(output), "--lang", "ar",
         "--material", "flyer", "--material", "poster", "--no-previews", "--jobs", "1"]
    )  # fmt: skip
    assert code == 0
    return output / "ar"


def test_a_web_address_beside_a_street_address_is_not_broken_into_it(arabic_at_limit):
    """Broken across lines in the right-to-left flow, «example.org/help/» ended one line on
    the left, against the street address («example.org/help/1234 University Avenue»), and
    «human-traffic» began the next on the right. It is one left-to-right block: whole on
    its line, or broken inside its own block only when wider than the column."""
    for material in ("flyer", "poster"):
        lines = reads(arabic_at_limit / f"{material}.pdf", "example.org/help/human-traffic")
        assert len(lines) == 1, material
        words = {word for line in lines_of_words(arabic_at_limit / f"{material}.pdf")
                 for word, _ in line}  # fmt: skip
        assert not any(w.startswith("example.org/help/1234") for w in words), material
        assert reads(arabic_at_limit / f"{material}.pdf", "1234", "University"), material
