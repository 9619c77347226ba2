"""Predicting the type scales of a fresh build before its first layout (predict.py,
templates/copyfit.yaml written by materialgen.calibrate)."""

from __future__ import annotations

import re
import shutil

import pytest

from materialgen import PROJECT_ROOT
from materialgen.predict import (
    CALIBRATION,
    WITH_ORGANISATION,
    WITHOUT_ORGANISATION,
    Declared,
    Demand,
    Measure,
    Place,
    Text,
    load_calibration,
    predict,
)
from materialgen.project import Project, load
from materialgen.render import Options
from tests.conftest import run_generate

FRAME = (
    '<section data-frame="card back" data-fit-floor="0.75" data-fit-ceiling="1.2" '
    'data-fit-start="1" lang="{lang}"><h1 class="title">Title</h1><p class="body">{text}</p>'
    "</section>"
)
#: Where the test frame's texts are set: a 30 em column, the heading larger.
PLACES = {
    "card back": {
        "h1.title": Place(1.4, "tight", "h1.title", 30.0),
        "p.body": Place(1.0, "body", "p.body", 30.0),
    }
}
#: A frame whose fill is its lines' height over 20 em, plus a little for its margins.
MEASURE = {"card back": Measure(text=1 / 20, spacing=0.02, intercept=0.05, spread=0.02)}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load(Project(PROJECT_ROOT, tmp_path_factory.mktemp("out")), None, ["en", "km"])


@pytest.fixture(scope="module")
def demand(data):
    return Demand(PROJECT_ROOT / "templates" / "fonts", data.fonts, data.languages)


def predicted(demand, text: str, lang: str = "en") -> float:
    declared, texts = demand.frames(FRAME.format(lang=lang, text=text), lang, PLACES)
    assert declared == {"card back": Declared(0.75, 1.2, 1.0)}
    return predict(declared, texts, MEASURE).scales["card back"]


def test_a_longer_text_predicts_a_smaller_scale(demand):
    words = "Call the hotline if someone holds your documents or your pay. "
    scales = [predicted(demand, words * count) for count in (1, 8, 12, 16, 60)]
    assert scales[0] == 1.2  # a short text: the frame's ceiling
    assert scales[1] > scales[2] > scales[3]
    assert scales[4] == 0.75  # far too long: the floor, where adaptation takes over


def test_lines_break_where_the_text_allows(demand):
    """The same letters take more lines as one unbreakable word than as words; and Khmer,
    written without spaces, breaks only where word segmentation put its zero-width spaces."""
    assert len(demand.pieces("abc " * 40, "en")) == 40
    assert len(demand.pieces("abc" * 40, "en")) == 1
    khmer = "ការជួញដូរមនុស្ស"
    assert len(demand.pieces(khmer, "km")) == 1
    assert len(demand.pieces(khmer.replace("ជួញ", "\u200bជួញ\u200b"), "km")) == 3


def test_text_is_shaped_as_printed(demand):
    """A Khmer subscript consonant (coeng + letter) sits under the letter before it: shaped,
    it takes less room than the two letters side by side."""
    stacked = sum(width for width, *_ in demand.pieces("ក្ក", "km"))
    apart = sum(width for width, *_ in demand.pieces("កក", "km"))
    assert 0 < stacked < apart


def test_what_the_layout_keeps_whole_is_one_piece(demand):
    """A phone number does not break at its hyphens (white-space: nowrap); bold type is
    set in the bold font, wider."""
    assert len(demand.pieces("1-888-373-7888", "en")) == 4
    assert len(demand.pieces("1-888-373-7888", "en", nowrap=True)) == 1

    def width(text, **kwargs):
        return sum(width for width, *_ in demand.pieces(text, "en", **kwargs))

    assert width("Warning signs", bold=True) > width("Warning signs") > 0


def test_an_inline_block_moves_whole_or_takes_lines_of_its_own():
    """Pieces of one unit (an inline block such as "Call 1-888-373-7888") go to the next
    line together; one wider than the line is set on lines of its own, as wide as the line."""
    strut = (0.5, 0.5)
    apart = [(4.0, 0.5, 0.5, None), (4.0, 0.5, 0.5, None), (4.0, 0.5, 0.5, None)]
    assert Text([(10.0, strut, apart)], 1.0).height(1.0) == 2.0  # 4 + 4 | 4
    whole = [(4.0, 0.5, 0.5, None), (4.0, 0.5, 0.5, (1,)), (4.0, 0.5, 0.5, (1,))]
    assert Text([(10.0, strut, whole)], 1.0).height(1.0) == 2.0  # 4 | 4 + 4
    wide = [(3.0, 0.5, 0.5, None), (6.0, 0.5, 0.5, (1,)), (6.0, 0.5, 0.5, (1,))]
    assert Text([(10.0, strut, wide)], 1.0).height(1.0) == 3.0  # 3 | 6 | 6


def test_a_line_of_two_scripts_is_taller_than_either_alone(demand):
    """Text in fonts whose baselines sit at different heights in their lines (Padauk and
    Noto Sans) makes its line taller than its line height: the layout aligns them on one
    baseline (CSS 2, 10.8). A line in one font is exactly as tall as its line height."""
    from materialgen.project import Project, load

    data = load(Project(PROJECT_ROOT, PROJECT_ROOT / "output"), None, ["my"])
    burmese = Demand(PROJECT_ROOT / "templates" / "fonts", data.fonts, data.languages)

    def height(text):
        _, texts = burmese.frames(FRAME.format(lang="my", text=text), "my", PLACES)
        body = texts["card back"].blocks[-1]  # the paragraph's, after the heading's
        return Text([body], 1.0).height(1.0)

    alone = height("ဖုန်း​ခေါ်​ပါ")
    assert alone == pytest.approx(data.languages["my"].line_height)
    assert height("ဖုန်း​ခေါ်​ပါ 233733") > alone + 0.05


def test_the_room_around_an_element_counts_on_its_line(demand):
    """The margin after an inline element (the gap after a phone number) is room taken on
    its line: the calibration measures it, the prediction adds it after the element."""
    frame = FRAME.format(lang="en", text='Call <span class="gap">911</span> now')

    def widths(places):
        _, texts = demand.frames(frame, "en", places)
        _, _, pieces = texts["card back"].blocks[1]
        return [width for width, *_ in pieces]

    with_gap = {
        "card back": {
            **PLACES["card back"],
            "p.body > span.gap": Place(1.0, "body", "p.body", 30.0, end=2.0),
        }
    }
    plain, gapped = widths(PLACES), widths(with_gap)
    assert len(plain) == len(gapped) == 4  # "Call ", "911", " ", "now"
    assert gapped[1] == pytest.approx(plain[1] + 2.0)
    assert gapped[:1] + gapped[2:] == pytest.approx(plain[:1] + plain[2:])


def test_a_missing_or_broken_calibration_predicts_nothing(tmp_path):
    assert load_calibration(tmp_path / "absent.yaml") == {}
    broken = tmp_path / "copyfit.yaml"
    broken.write_text("materials: {flyer: {flyer: {text: [}}", encoding="utf-8")
    assert load_calibration(broken) == {}
    broken.write_text("materials: {flyer: {flyer: {text: 1}}}", encoding="utf-8")
    assert load_calibration(broken) == {}  # a field missing


def test_the_shipped_calibration_knows_every_frame(data):
    """Every frame of every laid-out material is calibrated (else it starts at its
    declared start): run python -m materialgen.calibrate after adding one."""
    from materialgen.catalogs import Translator
    from materialgen.predict import read_frames
    from materialgen.render import Section

    path = PROJECT_ROOT / "templates" / CALIBRATION
    english = data.languages["en"]
    for section_name in (WITHOUT_ORGANISATION, WITH_ORGANISATION):
        calibration = load_calibration(path, section_name)
        for material in data.content.materials.values():
            if material.impose:
                continue
            section = Section(english, Translator(english, data.catalogs["en"]))
            html = data.renderer.render(material, [section], data.content, Options(), {})
            declared, _ = read_frames(html, "en")
            assert set(declared) <= set(calibration[material.id].measures), material.id


def test_a_document_that_shows_an_organisation_is_predicted_as_one(tmp_path):
    """A build with an organisation predicts the documents that show it from the
    calibration made with the example organisation, which knows where its block is set; the
    discreet card, which never shows it, from the one made without."""
    from materialgen.worker import Worker

    example = PROJECT_ROOT / "materials" / "local-organisation.example.yaml"
    data = load(Project(PROJECT_ROOT, tmp_path), example, ["en"])
    worker = Worker(Project(PROJECT_ROOT, tmp_path), data, Options(previews=False))
    materials = data.content.materials
    flyer = worker.calibration_of(materials["flyer"])
    assert flyer is worker.calibration_with_organisation["flyer"]
    assert flyer is not worker.calibration["flyer"]
    assert any("organisation" in path for path in flyer.places["flyer"])
    assert not any("organisation" in path for path in worker.calibration["flyer"].places["flyer"])
    discreet = next(m for m in materials.values() if m.discreet)
    assert worker.calibration_of(discreet) is worker.calibration[discreet.id]


def layouts(out: str) -> int:
    found = re.search(r"layouts per document, (\d+) in all", out)
    assert found, out
    return int(found.group(1))


FEW = ("--lang", "km", "--lang", "so", "--material", "flyer", "--material", "wallet-card")


def test_a_fresh_build_lays_out_fewer_times_with_its_prediction(project, capsys):
    """Khmer and Somali flyers and wallet cards, which need copyfitting: fewer layouts
    when the scales are predicted than from the declared starts, the same documents
    written, every one passing its print check."""
    code, out, _ = run_generate(capsys, "--project", str(project), *FEW, "--no-previews")
    assert code == 0, out
    predicted = layouts(out)
    assert "4 written" in out and "0 failed" in out
    shutil.rmtree(project / "output")
    (project / "templates" / CALIBRATION).unlink()
    code, out, _ = run_generate(capsys, "--project", str(project), *FEW, "--no-previews")
    assert code == 0, out
    assert "4 written" in out and "0 failed" in out
    assert predicted < layouts(out)
    assert predicted <= 5  # four documents, one of them at most a layout off


def test_a_wrong_calibration_costs_layouts_not_correctness(project, capsys):
    """A calibration that predicts every frame far too full (or far too empty) only starts
    the search in the wrong place: the build still settles on scales that fit."""
    path = project / "templates" / CALIBRATION
    original = path.read_text(encoding="utf-8")
    for bias in ("9.0", "0.1"):
        path.write_text(re.sub(r"bias: [0-9.]+", f"bias: {bias}", original), encoding="utf-8")
        shutil.rmtree(project / "output", ignore_errors=True)
        code, out, _ = run_generate(capsys, "--project", str(project), *FEW, "--no-previews")
        assert code == 0, out
        assert "4 written" in out and "0 failed" in out


def test_the_calibration_is_an_input_of_every_laid_out_document(project, capsys):
    """A changed calibration may change where a fresh build settles: the documents laid
    out are rebuilt (one layout each, from their remembered scales)."""
    args = ("--project", str(project), "--lang", "km", "--material", "wallet-card-sheet")
    code, out, _ = run_generate(capsys, *args, "--no-previews")
    assert code == 0 and "2 written" in out, out
    path = project / "templates" / CALIBRATION
    path.write_text(path.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    code, out, _ = run_generate(capsys, *args, "--no-previews")
    assert code == 0, out
    # The card is laid out again, and confirms its remembered scales in one layout.
    assert re.search(r"^ok +km +wallet-card\b", out, re.M), out
    assert "(1.00 layouts per document" in out, out
