"""Each file in tests/bad/ is one fault, named after it. Its first two lines say where it goes
(`target:`) and the error expected (`expect: LINE: message`); the generator must report
exactly `path:line: message`, exit non-zero, and lose nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_generate

BAD = Path(__file__).parent / "bad"
CASES = sorted(BAD.iterdir())


def read_case(path: Path) -> tuple[str, int, str, str]:
    text = path.read_text(encoding="utf-8")
    target = re.search(r"target: (\S+)", text).group(1)
    line, message = re.search(r"expect: (\d+): (.*?)(?: #\})?$", text, re.MULTILINE).groups()
    return target, int(line), message, text


@pytest.mark.parametrize("case", CASES, ids=[path.stem for path in CASES])
def test_bad_input(case, project, capsys):
    target, line, message, text = read_case(case)
    target_path = project / target
    target_path.parent.mkdir(parents=True, exist_ok=True)
    target_path.write_text(text, encoding="utf-8")
    is_catalog = target.endswith(".po")
    # An earlier run's PDF: content errors leave output/ alone, a failed document removes it.
    stale = project / "output" / "so" / "wallet-card.pdf"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"%PDF-1.7 stale")
    langs = ["--lang", "so", "--lang", "hmn"] if is_catalog else ["--lang", "so"]
    code, out, err = run_generate(
        capsys, "--project", str(project), *langs, "--material", "wallet-card"
    )
    assert code == 1
    expected = f"{target_path}:{line}: {message}"
    assert expected in out + err, f"expected «{expected}» in:\n{out}{err}"
    assert "Traceback" not in out + err
    built = project / "output" / "hmn" / "wallet-card.pdf"
    if is_catalog:
        assert not stale.exists(), "the failed language's old PDF must not pass for current"
        assert built.is_file(), "a broken catalog must not stop the other languages"
    else:
        assert "nothing was written" in err
        assert stale.read_bytes() == b"%PDF-1.7 stale", "content errors must not touch output/"
