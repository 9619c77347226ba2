"""A full build killed with SIGKILL part-way leaves only complete files in output/: every PDF
opens completely, and no temporary file (hidden, *.tmp, or half of anything) remains."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pypdfium2
from conftest import ROOT

#: What a build writes under output/; anything else is left over from an interrupted write.
WRITTEN = {".pdf", ".png", ".json", ".html"}
#: Bounds on waiting, so that a stuck build fails the test instead of hanging it. Generous: the
#: machine may be busy; the test waits for events, not for time.
START_TIMEOUT = 600
EXIT_TIMEOUT = 60


def alive_in_group(group: int) -> list[int]:
    """The processes of a process group that are still running (zombies do not count)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            alive.append(int(stat.parent.name))
    return alive


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def assert_complete(path: Path) -> None:
    data = path.read_bytes()
    if path.suffix == ".pdf":
        assert data.rstrip().endswith(b"%%EOF"), f"{path}: truncated PDF"
        pdf = pypdfium2.PdfDocument(str(path))
        try:
            assert len(pdf) >= 1
            for index in range(len(pdf)):
                pdf[index].get_textpage().get_text_range()
        finally:
            pdf.close()
    elif path.suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82"), path
    elif path.suffix == ".json":
        json.loads(data)
    elif path.suffix == ".html":
        assert data.rstrip().endswith(b"</html>"), path


def test_killed_build_leaves_no_partial_or_temporary_file(tmp_path):
    output = tmp_path / "output"
    build = subprocess.Popen(
        [sys.executable, str(ROOT / "generate.py"), "--output", str(output), "--jobs", "2"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the workers are killed with it
    )
    group = build.pid
    try:

        def some_written():
            assert build.poll() is None, "the build ended before it could be killed"
            return len(list(output.rglob("*.pdf"))) >= 10

        wait_for(some_written, START_TIMEOUT, "the first PDFs")
    finally:
        os.killpg(group, signal.SIGKILL)
        build.wait()
    assert build.returncode == -signal.SIGKILL
    wait_for(lambda: not alive_in_group(group), EXIT_TIMEOUT, "the workers to die")

    files = [path for path in output.rglob("*") if path.is_file() or path.is_symlink()]
    assert len([path for path in files if path.suffix == ".pdf"]) >= 10
    leftovers = [path for path in files if path.name.startswith(".") or path.suffix not in WRITTEN]
    assert leftovers == [], f"left behind by the killed build: {leftovers}"
    for path in files:
        assert_complete(path)
