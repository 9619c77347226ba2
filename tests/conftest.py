"""Shared fixtures: a copy of the project to break, builds run in-process, and a guard that
fails any test during which WeasyPrint logs a warning the test did not ask for."""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from materialgen import fonts  # noqa: E402

# fontconfig must see the isolated configuration before WeasyPrint is first imported.
fonts.isolate(ROOT / "templates" / "fonts")

import generate  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "weasyprint_warnings: the test expects WeasyPrint warnings")


@pytest.fixture(autouse=True)
def no_weasyprint_warnings(request):
    """Any WeasyPrint warning fails the test unless it is marked weasyprint_warnings."""
    records: list[logging.LogRecord] = []

    class Handler(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Handler(logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)
    if records and not request.node.get_closest_marker("weasyprint_warnings"):
        pytest.fail("WeasyPrint warned: " + "; ".join(r.getMessage() for r in records))


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project's data and templates (fonts linked, not copied)."""
    copy = tmp_path / "project"
    for name in ("materials", "locales"):
        shutil.copytree(ROOT / name, copy / name)
    shutil.copytree(ROOT / "templates", copy / "templates", ignore=shutil.ignore_patterns("fonts"))
    (copy / "templates" / "fonts").symlink_to(ROOT / "templates" / "fonts")
    (copy / "materials" / "local-organisation.yaml").unlink(missing_ok=True)
    return copy


def run_generate(capsys, *args: str) -> tuple[int, str, str]:
    """generate.py's main, in this process, one job at a time; (exit code, stdout, stderr)."""
    code = generate.main([*args, "--jobs", "1"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err
