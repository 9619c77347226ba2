"""The office sheet: ten butt-cut cards on Letter (or A4), imposed from the checked card PDF,
backs placed so that they meet their fronts when the sheet is printed double-sided and flipped
on the long edge, cut marks in the margins only."""

from __future__ import annotations

import pikepdf
import pypdfium2
import pytest
from conftest import make_too_long, pdf_text, run_generate

from materialgen.impose import CARD, PT_PER_MM, cut_marks, sheet_slots
from materialgen.render import PAPER


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


@pytest.mark.parametrize("paper", ["us", "a4"])
def test_cut_marks_stay_in_the_margins(paper):
    width, height = PAPER[("letter", paper)]
    for slots in sheet_slots(width, height):
        marks = cut_marks(width, height, slots)
        assert len(marks) == 2 * 3 + 2 * 6
        for x, y, w, h in marks:
            assert x >= 0 and x + w <= width + 1e-9 and y >= 0 and y + h <= height + 1e-9
            for slot in slots:
                overlap_x = min(x + w, slot.x + CARD[0]) - max(x, slot.x)
                overlap_y = min(y + h, slot.y + CARD[1]) - max(y, slot.y)
                assert not (overlap_x > 0 and overlap_y > 0), "a cut mark is drawn over a card"


@pytest.fixture(scope="module")
def sheet_build(tmp_path_factory):
    """The Somali card and its sheet, on Letter and on A4, with a print-shop bleed on the
    card (which the sheet must clip: its cards are butt-cut)."""
    import generate
    from materialgen.benchmark import copy_project

    built = {}
    for paper in ("us", "a4"):
        root = copy_project(tmp_path_factory.mktemp(f"sheet-{paper}") / "project")
        args = ["--project", str(root), "--lang", "so", "--paper", paper, "--jobs", "1"]
        assert generate.main([*args, "--material", "wallet-card-sheet", "--bleed", "3"]) == 0
        built[paper] = root / "output" / "so"
    return built


@pytest.mark.parametrize("paper", ["us", "a4"])
def test_sheet_places_the_card_ten_times_at_the_slots(sheet_build, paper):
    width, height = PAPER[("letter", paper)]
    with pikepdf.open(sheet_build[paper] / "wallet-card-sheet.pdf") as sheet:
        assert len(sheet.pages) == 2
        for page, slots in zip(sheet.pages, sheet_slots(width, height), strict=True):
            assert [float(v) for v in page.mediabox] == pytest.approx(
                [0, 0, width * PT_PER_MM, height * PT_PER_MM], abs=0.01
            )
            card = page.resources.XObject.Card
            placed = []
            matrix = None
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "cm":
                    matrix = [float(v) for v in operands]
                elif str(operator) == "Do":
                    placed.append((matrix[4], matrix[5]))
            bbox = [float(v) for v in card.BBox]
            # Clipped to the card's trim, not its bleed.
            assert bbox[2] - bbox[0] == pytest.approx(CARD[0] * PT_PER_MM, abs=0.01)
            assert bbox[3] - bbox[1] == pytest.approx(CARD[1] * PT_PER_MM, abs=0.01)
            expected = [
                (
                    slot.x * PT_PER_MM - bbox[0],
                    (height - slot.y - CARD[1]) * PT_PER_MM - bbox[1],
                )
                for slot in slots
            ]
            flat = [value for point in placed for value in point]
            assert flat == pytest.approx([value for point in expected for value in point], abs=0.01)


def test_each_card_on_the_sheet_looks_like_the_card(sheet_build):
    """Pixels, not structure: the printed sheet shows the checked card at every slot. The
    mean grey-level difference is about 5 at the right slot (anti-aliasing at a sub-pixel
    offset) and about 50 against the card's other face."""
    from PIL import ImageChops, ImageStat

    scale = 100 / 72
    card = pypdfium2.PdfDocument(str(sheet_build["us"] / "wallet-card.pdf"))
    sheet = pypdfium2.PdfDocument(str(sheet_build["us"] / "wallet-card-sheet.pdf"))
    width, height = PAPER[("letter", "us")]
    bleed = round(3 * PT_PER_MM * scale)  # the card's own page has a bleed: crop it off
    faces = []
    for index in range(2):
        image = card[index].render(scale=scale).to_pil().convert("L")
        faces.append(image.crop((bleed, bleed, image.width - bleed, image.height - bleed)))
    for index, slots in enumerate(sheet_slots(width, height)):
        sheet_image = sheet[index].render(scale=scale).to_pil().convert("L")
        face, other = faces[index], faces[1 - index]
        for slot in slots:
            left, top = round(slot.x * PT_PER_MM * scale), round(slot.y * PT_PER_MM * scale)
            region = sheet_image.crop((left, top, left + face.width, top + face.height))
            same = ImageStat.Stat(ImageChops.difference(region, face)).mean[0]
            different = ImageStat.Stat(ImageChops.difference(region, other)).mean[0]
            assert same < 10 < different
    card.close()
    sheet.close()


def test_sheet_text_is_the_cards_ten_times(sheet_build):
    card = pypdfium2.PdfDocument(str(sheet_build["us"] / "wallet-card.pdf"))
    sheet = pypdfium2.PdfDocument(str(sheet_build["us"] / "wallet-card-sheet.pdf"))
    front = card[0].get_textpage().get_text_range()
    assert "1-888-373-7888" in front
    assert sheet[0].get_textpage().get_text_range().count("1-888-373-7888") == 10
    card.close()
    with (
        pikepdf.open(sheet_build["us"] / "wallet-card-sheet.pdf") as imposed,
        pikepdf.open(sheet_build["us"] / "wallet-card.pdf") as source,
    ):
        assert str(imposed.Root.Lang) == "so"
        assert str(imposed.docinfo.Title) == str(source.docinfo.Title)
    sheet.close()


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
    # The card is built too: the sheet is made from it.
    assert "wallet-card " in out or "wallet-card  " in out
    for name in ("wallet-card-sheet", "flyer"):
        text = pdf_text(project / "output" / "hmn" / f"{name}.pdf")
        assert "Example Community Center" in text and "612-555-0100" in text


def test_a_sheet_whose_card_fails_fails_too(project, capsys):
    make_too_long(project, "hmn")
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "hmn", "--material", "wallet-card-sheet"
    )
    assert code == 1
    assert "its card failed" in out
    assert not (project / "output" / "hmn" / "wallet-card-sheet.pdf").exists()
