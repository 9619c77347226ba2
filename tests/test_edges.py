"""Elements that touch the trim edge (the tear-off tabs and their cut lines) reach into the
print shop's bleed when there is one, and stop at the trim when there is none."""

from __future__ import annotations

import pytest
from conftest import run_generate

from materialgen.checks import PX_PER_MM, walk
from materialgen.project import Project, load
from materialgen.render import PAPER, Options
from materialgen.worker import Worker


def laid_out_tabs(project_root, bleed: float):
    paths = Project(project_root)
    data = load(paths, None, ["so"])
    options = Options(bleed_mm=bleed)
    worker = Worker(paths, data, options)
    material = data.content.materials["flyer-tabs"]
    html = worker.renderer.render(material, worker.sections(["so"]), data.content, options)
    return worker.layout.render(html, [])


def boxes_with_class(document, name, tag="div"):
    return [
        box
        for box, _ in walk(document.pages[0]._page_box)
        if box.element_tag == tag and name in (box.element.get("class") or "").split()
    ]


@pytest.mark.parametrize("bleed", [0, 3])
def test_tabs_reach_into_the_bleed(project, bleed):
    document = laid_out_tabs(project, bleed)
    width, height = (size * PX_PER_MM for size in PAPER[("letter", "us")])
    (tabs,) = boxes_with_class(document, "tabs")
    bleed_px = bleed * PX_PER_MM
    assert tabs.position_x == pytest.approx(-bleed_px, abs=0.1)
    assert tabs.position_x + tabs.margin_width() == pytest.approx(width + bleed_px, abs=0.1)
    assert tabs.position_y + tabs.margin_height() == pytest.approx(height + bleed_px, abs=0.1)
    tabs_list = boxes_with_class(document, "tab")
    assert 8 <= len(tabs_list) <= 10
    cut_lines = boxes_with_class(document, "tab", tag="div::before")
    assert len(cut_lines) == len(tabs_list) - 1
    for box in tabs_list + cut_lines:
        assert box.position_y + box.margin_height() == pytest.approx(height + bleed_px, abs=0.1)
    # The tabs share the trim width between them, whatever the bleed.
    assert sum(tab.margin_width() for tab in tabs_list) == pytest.approx(width, abs=0.1)


def test_tabs_pass_the_print_check_with_bleed(project, capsys):
    code, out, _ = run_generate(
        capsys,
        "--project",
        str(project),
        "--lang",
        "ar",
        "--material",
        "flyer-tabs",
        "--bleed",
        "3",
    )
    assert code == 0, out
