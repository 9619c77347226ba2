"""The office sheet: ten butt-cut cards on Letter (or A4), backs placed so that they meet their
fronts when the sheet is printed double-sided and flipped on the long edge, cut marks in the
margins only."""

from __future__ import annotations

import pytest
from conftest import run_generate

from materialgen.build import Project, Worker, load
from materialgen.catalogs import Translator
from materialgen.checks import PX_PER_MM, walk
from materialgen.render import CARD, PAPER, Options, Section, sheet_slots


@pytest.mark.parametrize("paper", ["us", "a4"])
def test_slots_mirror_for_long_edge_flip(paper):
    width, height = PAPER[("letter", paper)]
    fronts, backs = sheet_slots(width, height)
    assert len(fronts) == len(backs) == 10
    for front, back in zip(fronts, backs, strict=True):
        # Flipping on the long edge maps x to (width - x) and keeps y.
        assert back.x == pytest.approx(width - front.x - CARD[0])
        assert back.y == pytest.approx(front.y)
    # Butt-cut: neighbouring cards touch, and the grid fits on the paper.
    assert fronts[1].x - fronts[0].x == pytest.approx(CARD[0])
    assert fronts[2].y - fronts[0].y == pytest.approx(CARD[1])
    assert min(s.x for s in fronts) >= 0 and max(s.x for s in fronts) + CARD[0] <= width
    assert min(s.y for s in fronts) >= 0 and max(s.y for s in fronts) + CARD[1] <= height


def laid_out_sheet(project_root, lang="so"):
    paths = Project(project_root)
    data = load(paths, None, [lang])
    worker = Worker(paths, data, Options())
    language = data.languages[lang]
    section = Section(language, Translator(language, data.catalogs[lang]))
    html = worker.renderer.render(
        data.content.materials["wallet-card-sheet"], [section], data.content, Options()
    )
    return worker.layout.render(html, [])


def boxes_with_class(page, name):
    return [
        box
        for box, _ in walk(page._page_box)
        if name
        in ((getattr(box, "element", None) is not None and box.element.get("class")) or "").split()
    ]


def test_laid_out_backs_sit_behind_their_fronts(project):
    document = laid_out_sheet(project)
    assert len(document.pages) == 2
    width = document.pages[0].width
    fronts = boxes_with_class(document.pages[0], "card-front")
    backs = boxes_with_class(document.pages[1], "card-back")
    assert len(fronts) == len(backs) == 10
    for front, back in zip(fronts, backs, strict=True):
        assert back.position_x == pytest.approx(
            width - front.position_x - front.margin_width(), abs=0.01
        )
        assert back.position_y == pytest.approx(front.position_y, abs=0.01)


def test_cut_marks_stay_in_the_margins(project):
    document = laid_out_sheet(project)
    for page in document.pages:
        cards = boxes_with_class(page, "card")
        marks = boxes_with_class(page, "cut")
        assert len(marks) == 2 * 3 + 2 * 6
        left = min(c.position_x for c in cards)
        right = max(c.position_x + c.margin_width() for c in cards)
        top = min(c.position_y for c in cards)
        bottom = max(c.position_y + c.margin_height() for c in cards)
        for mark in marks:
            x0, y0 = mark.position_x, mark.position_y
            x1, y1 = x0 + mark.margin_width(), y0 + mark.margin_height()
            inside_x = x1 > left + PX_PER_MM * 0.5 and x0 < right - PX_PER_MM * 0.5
            inside_y = y1 > top + PX_PER_MM * 0.5 and y0 < bottom - PX_PER_MM * 0.5
            assert not (inside_x and inside_y), "a cut mark is drawn over a card"


def test_sheet_builds_with_organisation(project, capsys):
    (project / "materials" / "local-organisation.yaml").write_text(
        "name: Example Community Center\nphone: 612-555-0100\n"
    )
    code, out, _ = run_generate(
        capsys,
        "--project",
        str(project),
        "--lang",
        "hmn",
        "--material",
        "wallet-card-sheet",
        "--material",
        "flyer",
    )
    assert code == 0, out
    import pypdfium2

    for name in ("wallet-card-sheet", "flyer"):
        pdf = pypdfium2.PdfDocument(str(project / "output" / "hmn" / f"{name}.pdf"))
        text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        assert "Example Community Center" in text and "612-555-0100" in text
