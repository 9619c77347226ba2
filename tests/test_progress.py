"""On a terminal, a progress bar (documents done of those to build, and the time left) above
the result lines; in a pipe or in CI, only the plain lines. Both through generate.py as a
user runs it: in a pseudo-terminal with a window size, and with its output piped."""

from __future__ import annotations

import fcntl
import os
import re
import struct
import subprocess
import sys
import termios

from conftest import ROOT

ARGS = ["--lang", "en", "--material", "wallet-card", "--material", "safety-card", "--jobs", "1"]
BAR = re.compile(r"(\d+)/(\d+) documents, \d\d:\d\d \(about [\d:?]+ left\)")


def test_a_terminal_shows_a_progress_bar(project):
    # A pseudo-terminal of 100 columns for generate.py; started by subprocess rather than
    # pty.fork(): forking this (threaded) test process is unsafe.
    fd, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    child = subprocess.Popen(
        [sys.executable, str(ROOT / "generate.py"), "--project", str(project), *ARGS],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    output = b""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        output += data
    status = child.wait()
    os.close(fd)
    text = output.decode("utf-8", "replace")
    assert status == 0, text
    frames = BAR.findall(text)
    assert frames, text
    assert frames[-1] == ("2", "2")
    assert re.search(r"(^|\r)ok +en +safety-card ", text, re.MULTILINE)  # above the bar


def test_a_pipe_gets_plain_lines(project):
    completed = subprocess.run(
        [sys.executable, str(ROOT / "generate.py"), "--project", str(project), *ARGS],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert not BAR.search(completed.stdout + completed.stderr)
    assert "\r" not in completed.stdout + completed.stderr
    assert re.search(r"^ok +en +wallet-card ", completed.stdout, re.MULTILINE)
    assert completed.stdout.strip().splitlines()[-1].startswith("2 written, 0 up to date")
