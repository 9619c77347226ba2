"""The bad-input corpus: each case of tests/bad/cases.yaml is one fault, a real file (or a
link, or a pipe) named after it, put into a fresh copy of the project. The generator must give
the expected `path:line: message` with exit code 1 and lose nothing, or print the hostile text
literally; never a traceback, a file opened outside the project, or a partial PDF."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, pdf_text, run_generate

BAD = Path(__file__).parent / "bad"
CASES = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))
SOURCES = ("file", "link", "fifo")
OUTCOMES = ("error", "prints")
#: Files no case may open, whatever it links to.
NEVER_OPENED = ("/etc/passwd", "/etc/hostname")


def case_id(case: dict) -> str:
    return case.get("name") or Path(case["file"]).stem


# Every file the generator opens in this process while a case runs, from Python's audit hook
# (open(), os.open(), io.open_code): the loaders all open files through those.
_opened: list[str] | None = None


def _record_opens(event: str, args: tuple) -> None:
    if event == "open" and _opened is not None and isinstance(args[0], str | bytes | os.PathLike):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_record_opens)


def test_corpus_is_complete():
    """Every file here belongs to a case; each case has one source and one outcome."""
    assert len(CASES) >= 45
    names = [case_id(case) for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    used = {case["file"] for case in CASES if "file" in case}
    linked = {
        case["link"].removeprefix("{bad}/") for case in CASES if "{bad}/" in case.get("link", "")
    }
    on_disk = {path.name for path in BAD.iterdir()} - {"cases.yaml"}
    assert on_disk == used | linked
    for case in CASES:
        assert [key for key in SOURCES if key in case] != [], case
        assert len([key for key in SOURCES if key in case]) == 1, case
        assert len([key for key in OUTCOMES if key in case]) == 1, case
    kinds = " ".join(names)
    for fault in ("bom", "crlf", "latin1", "empty", "duplicate", "plural", "language-header"):
        assert fault in kinds, fault


def expand(text: str) -> str:
    return text.replace("{repo}", str(ROOT)).replace("{bad}", str(BAD))


def place(case: dict, target: Path) -> None:
    """Put the case's file, link or pipe at ``target``, replacing what is there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    else:
        target.unlink(missing_ok=True)
    if "link" in case:
        target.symlink_to(expand(case["link"]))
    elif case.get("fifo"):
        os.mkfifo(target)
    else:
        data = (BAD / case["file"]).read_bytes()
        if "grow_to" in case:  # the seed's last line, repeated: a real file on disk
            padding = data.splitlines(keepends=True)[-1]
            data += padding * ((case["grow_to"] - len(data)) // len(padding) + 1)
            data = data[: case["grow_to"]]
        target.write_bytes(data)


def complete_pdf_text(path: Path) -> str:
    """The text of a PDF that opens completely and ends as a PDF must; fails otherwise."""
    assert path.read_bytes().rstrip().endswith(b"%%EOF"), f"{path} is truncated"
    return pdf_text(path)


def squeeze(text: str) -> str:
    """Text without the white space and break marks that line wrapping adds."""
    return re.sub(r"[\s\u200b\ufffe\x02]", "", text)


@pytest.mark.parametrize("case", CASES, ids=[case_id(case) for case in CASES])
def test_bad_input(case, project, capsys):
    global _opened
    target = project / case["target"]
    place(case, target)
    is_catalog = case.get("at", case["target"]).endswith(".po")
    lang = case["target"].split("/")[1] if is_catalog else case.get("lang", "so")
    material = case.get("material", "wallet-card")
    langs = ["--lang", lang] + (["--lang", "hmn"] if is_catalog else [])
    # An earlier run's PDF: content errors leave output/ alone, a failed document removes it.
    stale = project / "output" / lang / f"{material}.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF-1.7 stale")
    forbidden = [*NEVER_OPENED]
    if "link" in case and not os.path.realpath(target).startswith(str(project) + os.sep):
        forbidden.append(os.path.realpath(target))

    _opened = []
    try:
        code, out, err = run_generate(
            capsys,
            "--project",
            str(project),
            *langs,
            "--material",
            material,
            "--no-previews",
        )
    finally:
        opened, _opened = _opened, None
    output = out + err
    assert "Traceback" not in output and "Error:" not in output, output
    for path in opened:
        real = os.path.realpath(path)
        assert not any(real == f or real.startswith(f + os.sep) for f in forbidden), real
    for pdf in (project / "output").rglob("*.pdf"):
        if pdf != stale or "error" not in case or is_catalog:
            complete_pdf_text(pdf)

    if "prints" in case:
        assert code == 0, output
        assert stale.read_bytes() != b"%PDF-1.7 stale"
        text = complete_pdf_text(stale)
        assert squeeze(str(case["prints"])) in squeeze(text), text
        return
    line, message = re.fullmatch(r"(?:(\d+): )?(.*)", expand(case["error"]), re.DOTALL).groups()
    where = project / case.get("at", case["target"])
    expected = f"{where}:{line}: {message}" if line else f"{where}: {message}"
    lines = [re.sub(r"^\s*(error: )?", "", row) for row in output.splitlines()]
    assert code == 1
    assert any(row.startswith(expected) for row in lines), f"expected «{expected}» in:\n{output}"
    if is_catalog:
        assert not stale.exists(), "the failed language's old PDF must not pass for current"
        assert (project / "output" / "hmn" / f"{material}.pdf").is_file(), (
            "a broken catalog must not stop the other languages"
        )
    else:
        assert "nothing was written" in err
        assert stale.read_bytes() == b"%PDF-1.7 stale", "content errors must not touch output/"
        assert [p for p in (project / "output").rglob("*") if p.is_file()] == [stale]
