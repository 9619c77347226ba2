"""Font pins (templates/fonts.yaml): a file may match any of its pins (the package versions
of Debian 12 and 13), one that matches none is refused or warned about, and a prepared file
is made again when its source changes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from materialgen.errors import InputErrors
from materialgen.fonts import load_fonts, prepare

ROOT = Path(__file__).resolve().parent.parent
SOURCES = {
    "regular": Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    "bold": Path("/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def font_table(tmp_path: Path, pins: list[str]) -> Path:
    """A fonts.yaml with one file, /…/Test.ttf (a copy of Noto Sans), and ``pins``."""
    listed = "".join(f"      - {pin}\n" for pin in pins)
    table = tmp_path / "fonts.yaml"
    table.write_text(
        "fonts:\n"
        "  - family: Test Sans\n"
        "    weight: 400\n"
        "    package: fonts-test\n"
        f"    path: {tmp_path / 'Test.ttf'}\n"
        f"    sha256:\n{listed}",
        encoding="utf-8",
    )
    return table


@pytest.fixture
def sources(tmp_path):
    for source in SOURCES.values():
        if not source.is_file():
            pytest.skip(f"{source} is not installed (setup.sh installs fonts-noto-core)")
    shutil.copyfile(SOURCES["regular"], tmp_path / "Test.ttf")
    return tmp_path


def test_a_file_matching_any_of_its_pins_is_prepared(sources):
    table = font_table(sources, ["a" * 64, sha(SOURCES["regular"])])
    prepared = sources / "prepared"
    done = prepare(load_fonts(table), prepared, strict=True)
    assert done == ["prepared Test.ttf (Test Sans 400)"]
    assert sha(prepared / "Test.ttf") == sha(SOURCES["regular"])
    assert prepare(load_fonts(table), prepared, strict=True) == []  # nothing to do again


def test_a_file_matching_no_pin_is_refused_with_its_line(sources):
    table = font_table(sources, ["a" * 64, "b" * 64])
    with pytest.raises(InputErrors) as raised:
        prepare(load_fonts(table), sources / "prepared", strict=True)
    message = str(raised.value)
    assert f"{table}:7: " in message  # the line of its pins
    assert "Test.ttf is not the pinned version" in message
    assert "expected aaaaaaaaaaaa... or bbbbbbbbbbbb..." in message
    assert not (sources / "prepared" / "Test.ttf").exists()
    # Without --strict it is used, with a warning.
    done = prepare(load_fonts(table), sources / "prepared")
    assert done[0].startswith("warning: ") and done[0].endswith("using it anyway")
    assert (sources / "prepared" / "Test.ttf").is_file()


def test_a_prepared_file_is_made_again_when_its_source_changes(sources):
    """An upgraded package (Debian 12 to 13) brings another pinned version: the prepared
    copy follows it, so that the documents printed with it are rebuilt."""
    table = font_table(sources, [sha(SOURCES["regular"]), sha(SOURCES["bold"])])
    prepared = sources / "prepared"
    prepare(load_fonts(table), prepared, strict=True)
    shutil.copyfile(SOURCES["bold"], sources / "Test.ttf")
    assert prepare(load_fonts(table), prepared, strict=True) == [
        "prepared Test.ttf (Test Sans 400)"
    ]
    assert sha(prepared / "Test.ttf") == sha(SOURCES["bold"])
