"""The QR codes are read back from the printed PDF, as a phone would: each page rendered at
300 dpi and decoded by a real decoder (zbar's zbarimg), then compared with the web address in
materials/resources.yaml (and the organisation's, when it gives one)."""

from __future__ import annotations

import shutil
import subprocess

import pypdfium2
import pytest
import yaml
from conftest import ROOT, run_generate

from materialgen.qr import MIN_WIDTH_MM, qr_svg

RESOURCES = {
    row["id"]: row
    for row in yaml.safe_load((ROOT / "materials" / "resources.yaml").read_text())["resources"]
}
HOTLINE = "https://" + RESOURCES["nhth"]["web"]
ORGANISATION = "name: Example Community Center\nphone: 612-555-0100\nweb: example.org/help\n"


def decoded(pdf_path, tmp_path) -> list[str]:
    """Every QR code zbarimg finds on the PDF's pages, rendered at 300 dpi."""
    pdf = pypdfium2.PdfDocument(str(pdf_path))
    found = []
    for index in range(len(pdf)):
        image = tmp_path / f"{pdf_path.stem}-{index}.png"
        pdf[index].render(scale=300 / 72).to_pil().convert("L").save(image)
        run = subprocess.run(
            ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
            capture_output=True,
            text=True,
        )
        # zbarimg exits 4 when it finds no code: an empty list, for the assertion to show.
        assert run.returncode in (0, 4), run.stderr
        found += run.stdout.splitlines()
    pdf.close()
    return found


@pytest.fixture(scope="module")
def zbarimg():
    if shutil.which("zbarimg") is None:
        pytest.fail("zbarimg is missing: run ./setup.sh (Debian package zbar-tools)")


@pytest.mark.parametrize("material", ["flyer", "poster", "flyer-tabs"])
def test_qr_codes_open_the_hotline_and_the_organisation(
    zbarimg, material, project, capsys, tmp_path
):
    (project / "materials" / "local-organisation.yaml").write_text(ORGANISATION)
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "en", "--material", material
    )
    assert code == 0, out
    codes = decoded(project / "output" / "en" / f"{material}.pdf", tmp_path)
    assert sorted(codes) == sorted([HOTLINE, "https://example.org/help"])


def test_without_an_organisation_only_the_hotline(zbarimg, project, capsys, tmp_path):
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "ar", "--material", "flyer"
    )
    assert code == 0, out
    assert decoded(project / "output" / "ar" / "flyer.pdf", tmp_path) == [HOTLINE]


def test_qr_code_is_one_path_at_least_15_mm_with_its_quiet_zone():
    svg = qr_svg(HOTLINE, MIN_WIDTH_MM)
    assert svg.count("<path") == 1 and 'width="15.00mm"' in svg
    with pytest.raises(ValueError):
        qr_svg(HOTLINE, MIN_WIDTH_MM - 1)


def test_the_path_draws_segnos_modules_inside_a_four_module_quiet_zone():
    """Every dark module of the symbol, and nothing else, is one of the path's rectangles,
    and none lies in the 4-module light margin scanners need (ISO/IEC 18004)."""
    import re

    import segno

    svg = qr_svg(HOTLINE, 20.0)
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    drawn = set()
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", svg):
        drawn |= {(int(x) + i, int(y)) for i in range(int(run))}
    symbol = segno.make_qr(HOTLINE, error="m")
    modules = symbol.symbol_size(border=0)[0]
    assert size == modules + 2 * 4
    expected = {
        (x + 4, y + 4)
        for y, row in enumerate(symbol.matrix_iter(border=0))
        for x, dark in enumerate(row)
        if dark
    }
    assert drawn == expected
    assert all(4 <= x < size - 4 and 4 <= y < size - 4 for x, y in drawn)
