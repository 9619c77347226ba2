"""Incremental builds: a rerun builds only the documents whose inputs changed (manifest.py).

Each test builds a small set (Somali and Spanish: card, sheet, flyer, poster; the Somali
poster also shows Spanish), changes one input, builds again and reads which documents were
written from the generator's own lines and from the files' modification times.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import make_too_long, run_generate, set_msgstr

import generate
from materialgen.benchmark import copy_project

MATERIALS = ("wallet-card", "wallet-card-sheet", "flyer", "poster")
SET = ["--lang", "so", "--lang", "es", *(arg for m in MATERIALS for arg in ("--material", m))]
ALL = {f"{lang}/{material}" for lang in ("so", "es") for material in MATERIALS}


def build(capsys, project, *extra) -> tuple[set[str], str]:
    """Build the set; the documents written, and the summary line."""
    code, out, err = run_generate(capsys, "--project", str(project), *SET, *extra)
    assert code == 0, out + err
    written = {
        f"{lang}/{material}" for lang, material in re.findall(r"^ok +(\S+) +(\S+)", out, re.M)
    }
    return written, out.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """The set built once for the module; each test changes a copy of it. (Outside any
    test's warning guard, but a WeasyPrint warning fails its document, so the build too.)"""
    project = copy_project(tmp_path_factory.mktemp("incremental") / "project")
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert generate.main(["--project", str(project), *SET, "--jobs", "1"]) == 0
    written = re.findall(r"^ok +(\S+) +(\S+)", out.getvalue(), re.M)
    assert {f"{lang}/{material}" for lang, material in written} == ALL
    return project


@pytest.fixture
def built(pristine, tmp_path) -> Path:
    # Times are copied too (copy2): the copy's PDFs and inputs are as the manifest has them.
    return Path(shutil.copytree(pristine, tmp_path / "project", symlinks=True))


def test_nothing_changed_builds_nothing(built, capsys):
    pdfs = sorted((built / "output").glob("*/*.pdf"))
    stamps = [path.stat().st_mtime_ns for path in pdfs]
    written, summary = build(capsys, built)
    assert written == set()
    assert summary.startswith("0 written, 8 up to date, 0 failed")
    assert [path.stat().st_mtime_ns for path in pdfs] == stamps


def test_one_msgstr_rebuilds_the_documents_that_print_it(built, capsys):
    # Printed on the Spanish card (and so its sheet), flyer and poster, and in the Spanish
    # part of the Somali poster; nowhere else.
    set_msgstr(built, "es", "You can call in your own language.", "Puede llamar en su idioma.")
    written, _ = build(capsys, built)
    assert written == {
        "es/wallet-card",
        "es/wallet-card-sheet",
        "es/flyer",
        "es/poster",
        "so/poster",
    }
    # Printed on the Somali flyer only.
    set_msgstr(
        built,
        "so",
        "Know the signs. Get free, confidential help.",
        "Ogow calaamadaha. Hel caawimo.",
    )
    written, _ = build(capsys, built)
    assert written == {"so/flyer"}


def test_a_stylesheet_rebuilds_its_material_only(built, capsys):
    with (built / "templates" / "flyer.css").open("a") as css:
        css.write("\n.caveat { color: #222; }\n")
    written, _ = build(capsys, built)
    assert written == {"so/flyer", "es/flyer"}


def test_a_shared_template_rebuilds_what_includes_it(built, capsys):
    card = built / "templates" / "_card.html"
    card.write_text(card.read_text(encoding="utf-8") + "\n{# a comment #}\n", encoding="utf-8")
    written, _ = build(capsys, built)
    assert written == {
        "so/wallet-card",
        "so/wallet-card-sheet",
        "es/wallet-card",
        "es/wallet-card-sheet",
    }


def test_content_rebuilds_the_materials_that_print_it(built, capsys):
    # The "debt" sign is printed on flyers only.
    signs = built / "materials" / "warning-signs.yaml"
    text = signs.read_text(encoding="utf-8")
    signs.write_text(text.replace("a large debt", "a big debt"), encoding="utf-8")
    written, _ = build(capsys, built)
    assert written == {"so/flyer", "es/flyer"}


def test_organisation_and_options_rebuild_everything(built, capsys):
    (built / "materials" / "local-organisation.yaml").write_text("name: Example Group\n")
    written, _ = build(capsys, built)
    assert written == ALL
    written, _ = build(capsys, built, "--paper", "a4")
    assert written == ALL


def test_a_deleted_or_replaced_pdf_is_rebuilt(built, capsys):
    (built / "output" / "es" / "flyer.pdf").unlink()
    (built / "output" / "so" / "poster.pdf").write_bytes(b"%PDF-1.7 not ours")
    written, _ = build(capsys, built)
    assert written == {"es/flyer", "so/poster"}


def test_missing_previews_are_rebuilt(built, capsys):
    (built / "output" / "so" / "preview" / "flyer-1.png").unlink()
    written, _ = build(capsys, built)
    assert written == {"so/flyer"}


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: "{ not json",
        lambda text: "",
        lambda text: json.dumps({**json.loads(text), "code": "another version"}),
        lambda text: json.dumps({**json.loads(text), "format": 0}),
        lambda text: json.dumps({**json.loads(text), "documents": {"so/flyer": {"x": 1}}}),
    ],
    ids=["not-json", "empty", "other-version", "other-format", "broken-entry"],
)
def test_a_corrupt_or_foreign_manifest_means_rebuild(built, capsys, damage):
    manifest = built / "output" / "manifest.json"
    manifest.write_text(damage(manifest.read_text(encoding="utf-8")), encoding="utf-8")
    written, _ = build(capsys, built)
    assert written == ALL
    written, _ = build(capsys, built)
    assert written == set()


def test_force_rebuilds_everything(built, capsys):
    written, _ = build(capsys, built, "--force")
    assert written == ALL


def rebuild_with_an_unchanged_length(project, capsys, lang: str) -> tuple[dict, dict]:
    """The wallet card in ``lang`` built, then rebuilt after its draft note changed without
    getting longer (a space at its end); its manifest entries before and after."""
    args = ("--project", str(project), "--lang", lang, "--material", "wallet-card")
    code, out, _ = run_generate(capsys, *args)
    assert code == 0, out
    manifest = json.loads((project / "output" / "manifest.json").read_text())
    first = manifest["documents"][f"{lang}/wallet-card"]
    catalog = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    note = "Machine-drafted translation, not yet reviewed."
    entry = re.search(rf'msgid "{re.escape(note)}"\nmsgstr "(.*)"', text)
    changed = entry.group(0)[:-1] + ' "'
    catalog.write_text(text.replace(entry.group(0), changed), encoding="utf-8")
    code, out, _ = run_generate(capsys, *args)
    assert code == 0, out
    assert "1 written" in out
    again = json.loads((project / "output" / "manifest.json").read_text())["documents"]
    return first, again[f"{lang}/wallet-card"]


def test_a_rebuild_starts_from_the_scales_that_fitted(project, capsys):
    """Khmer needs copyfitting: from scratch, without the calibration that predicts its
    scales (predict.py), several layouts; rebuilt after a change that keeps the text as
    long, one layout confirms the remembered scales."""
    (project / "templates" / "copyfit.yaml").unlink()
    first, again = rebuild_with_an_unchanged_length(project, capsys, "km")
    assert first["layouts"] > 1 and min(first["fits"].values()) < 1 and not first["steps"]
    assert again["layouts"] == 1
    assert again["fits"] == first["fits"]


def test_a_rebuild_takes_the_remembered_adaptation_in_one_layout(project, capsys):
    """The Burmese card back does not fit with its pictograms even at its floor: it takes
    the adaptation step plain-signs (adapt.py). Rebuilt after a change that keeps the text
    as long, one layout with the remembered steps and scales confirms them (issue 17: a
    rebuild takes one layout); the same result."""
    first, again = rebuild_with_an_unchanged_length(project, capsys, "my")
    assert first["steps"] == ["plain-signs"] and first["layouts"] >= 2  # the design, the step
    assert again["layouts"] == 1
    assert again["fits"] == first["fits"] and again["steps"] == first["steps"]


def test_a_sheet_follows_its_card_and_its_own_record(built, capsys):
    set_msgstr(built, "so", "One sign is not proof. If you are unsure, call.", "Hal calaamad.")
    written, _ = build(capsys, built)
    assert written == {"so/wallet-card", "so/wallet-card-sheet"}
    materials = built / "materials" / "materials.yaml"
    text = materials.read_text(encoding="utf-8")
    materials.write_text(
        text.replace(
            "impose: wallet-card\n    paper: letter", "impose: wallet-card\n    paper: tabloid"
        ),
        encoding="utf-8",
    )
    written, _ = build(capsys, built)
    assert written == {"so/wallet-card-sheet", "es/wallet-card-sheet"}


def test_other_poster_languages_change_only_the_posters_they_change(built, capsys):
    # Somali, English (no more Spanish); the Spanish poster shows Spanish and English still.
    written, _ = build(capsys, built, "--poster-languages", "en")
    assert written == {"so/poster"}


@pytest.mark.parametrize("breakage", ["catalog", "card"])
def test_what_fails_leaves_no_pdf_and_no_preview(built, capsys, breakage):
    # A broken catalog fails every Somali document before it is built; a headline too long
    # to fit fails the card (and its sheet with it, without being tried), while the poster
    # adapts (materials/adaptations.yaml) and says so. Either way nothing of what failed is
    # left to pass for current, and Spanish is untouched.
    catalog = built / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    if breakage == "catalog":
        catalog.write_text(catalog.read_text(encoding="utf-8") + '\nmsgid "x"\n', "utf-8")
        failed = {"wallet-card", "wallet-card-sheet", "flyer", "poster"}
    else:
        make_too_long(built, "so")  # the cards' headline, also on the poster
        failed = {"wallet-card", "wallet-card-sheet"}
    spanish = {path: path.read_bytes() for path in (built / "output" / "es").rglob("*.*")}
    code, out, _ = run_generate(capsys, "--project", str(built), *SET)
    assert code == 1
    output = built / "output" / "so"
    for material in failed:
        assert f"FAIL  so      {material} " in out
        assert not (output / f"{material}.pdf").exists()
        assert not list((output / "preview").glob(f"{material}-[0-9]*.png"))
    if breakage == "card":
        assert re.search(r"ok    so      poster .*languages after the first side by side", out)
    for material in set(MATERIALS) - failed:
        assert (output / f"{material}.pdf").is_file()
        assert list((output / "preview").glob(f"{material}-[0-9]*.png"))
    assert {path: path.read_bytes() for path in (built / "output" / "es").rglob("*.*")} == spanish
