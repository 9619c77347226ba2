"""Faults a real machine has: a full disk, a file where a folder should be, two builds into
one output folder, a worker process that dies. Each ends in one line, without a traceback,
and loses nothing. (Unknown keys in content files and templates that include what is not a
template are cases of the bad-input corpus, tests/bad/cases.yaml.)"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT, run_generate

from materialgen.build import Listener, Request, build, headroom
from materialgen.errors import InputError
from materialgen.executors import RecycledPool, WorkerDied
from materialgen.project import Project
from materialgen.render import Options


def pdfs(output: Path) -> dict[str, bytes]:
    return {
        path.relative_to(output).as_posix(): path.read_bytes()
        for path in sorted(output.glob("*/*.pdf"))
    }


class Recorder(Listener):
    def __init__(self):
        self.warnings, self.to_build = [], []

    def warning(self, text):
        self.warnings.append(text)

    def planned(self, tasks, to_build):
        self.to_build = [task.key for task in to_build]


# --- a full disk ---------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a tmpfs of its own, and a function to resize it (in bytes)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")

    def resize(size: int) -> None:
        size = (size + 4095) // 4096 * 4096
        subprocess.run(["mount", "-o", f"remount,size={size}", str(disk)], check=True)

    yield disk, resize
    subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_stops_at_the_first_document_that_does_not_fit(project, capsys, small_disk):
    disk, resize = small_disk
    build_args = ["--project", str(project), "--lang", "en", "--lang", "es", "--no-previews"]
    for material in ("wallet-card", "safety-card", "flyer"):
        build_args += ["--material", material]
    reference = project / "reference"
    code, out, err = run_generate(capsys, *build_args, "--output", str(reference))
    assert code == 0, out + err
    expected = pdfs(reference)
    everything = sum(p.stat().st_size for p in reference.rglob("*") if p.is_file())
    # Room for the headroom the build keeps and half of the PDFs: some are written, then one
    # does not fit.
    resize(headroom(reference, len(expected)) + sum(map(len, expected.values())) // 2)
    output = disk / "output"
    code, out, err = run_generate(capsys, *build_args, "--output", str(output))
    assert code == 1
    assert "Traceback" not in out + err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err
    assert "no space left on device (" in errors[0] and " needed, " in errors[0]
    assert "free some space and run again" in errors[0]
    written = pdfs(output)
    assert 0 < len(written) < len(expected)
    # What is there is whole: the very PDFs a build with room writes.
    assert {name: expected[name] for name in written} == written
    # The manifest lists what is there, with the right content, and nothing else.
    manifest = json.loads((output / "manifest.json").read_text())
    listed = {key: entry["pdf"]["sha256"] for key, entry in manifest["documents"].items()}
    assert listed == {
        name.removesuffix(".pdf"): hashlib.sha256(data).hexdigest()
        for name, data in written.items()
    }
    # Space freed: the rerun builds exactly what is missing.
    resize(everything * 3)
    recorder = Recorder()
    request = Request(
        langs=["en", "es"],
        materials=["wallet-card", "safety-card", "flyer"],
        options=Options(previews=False),
        jobs=1,
    )
    outcome = build(Project(project, output), request, recorder)
    assert outcome.ok
    assert sorted(recorder.to_build) == sorted(
        name.removesuffix(".pdf") for name in expected if name not in written
    )
    assert pdfs(output) == expected


# --- a file where a folder should be -------------------------------------------------------


def test_a_file_where_a_language_folder_should_be(project, capsys):
    output = project / "output"
    output.mkdir()
    (output / "es").write_text("notes, saved here by mistake\n")
    code, out, err = run_generate(
        capsys, "--project", str(project), "--lang", "en", "--lang", "es",
        "--material", "wallet-card", "--no-previews",
    )  # fmt: skip
    assert code == 1
    assert "Traceback" not in out + err
    assert f"{output / 'es'}: a file stands where this folder should be" in out
    assert "FAIL  es      wallet-card" in out
    assert (output / "en" / "wallet-card.pdf").is_file()
    assert (output / "es").read_text() == "notes, saved here by mistake\n"


def test_a_file_where_the_output_folder_should_be(project, capsys):
    (project / "output").write_text("not a folder\n")
    code, out, err = run_generate(
        capsys, "--project", str(project), "--lang", "en", "--material", "wallet-card"
    )
    assert code == 1
    assert err.splitlines()[0] == (
        f"error: {project / 'output'}: a file stands where this folder should be"
    )
    assert (project / "output").read_text() == "not a folder\n"


# --- two builds into one output folder -----------------------------------------------------


def test_a_second_build_waits_for_the_first_or_is_refused(project, tmp_path):
    output = tmp_path / "output"
    output.mkdir()
    holder = os.open(output, os.O_RDONLY)  # another build, holding the folder's lock
    fcntl.flock(holder, fcntl.LOCK_EX)
    request = Request(langs=["en"], materials=["wallet-card"], options=Options(previews=False))
    try:
        with pytest.raises(InputError) as refused:
            build(Project(project, output), Request(**{**vars(request), "wait": False}))
        assert str(refused.value) == (
            f"another build is writing {output}: wait for it to finish, or choose another --output"
        )
        recorder = Recorder()
        outcomes = []
        waiting = threading.Thread(
            target=lambda: outcomes.append(build(Project(project, output), request, recorder))
        )
        waiting.start()
        waiting.join(3)
        assert waiting.is_alive() and not outcomes  # it waits, without writing
        assert f"another build is writing {output}: waiting for it to finish" in recorder.warnings
        assert list(output.iterdir()) == []
    finally:
        os.close(holder)
    waiting.join()
    assert outcomes[0].ok and (output / "en" / "wallet-card.pdf").is_file()


def test_two_builds_at_once_keep_one_whole_manifest(project, tmp_path):
    """Each build reads the manifest, builds, and saves it: without the lock, the one that
    saves last would drop what the other recorded."""
    output = tmp_path / "output"
    builds = [
        subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "generate.py"),
                "--project",
                str(project),
                "--output",
                str(output),
                "--lang",
                lang,
                "--material",
                "wallet-card",
                "--no-previews",
                "--jobs",
                "1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for lang in ("en", "es")
    ]
    for process in builds:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0, out
    manifest = json.loads((output / "manifest.json").read_text())
    assert sorted(manifest["documents"]) == ["en/wallet-card", "es/wallet-card"]


# --- a worker process that dies --------------------------------------------------------------


#: A build in a fresh process (one thread: its workers are forked from it, so they inherit
#: the patch), where building es/flyer kills its worker the way a C library's abort or the
#: out-of-memory killer would.
DYING_BUILD = """
import json, os, signal, sys
from pathlib import Path
from materialgen.build import Request, build
from materialgen.project import Project
from materialgen.render import Options
from materialgen.worker import Worker

built = Worker.build
def dying(self, task, memory=None, card=None):
    if task.key == "es/flyer":
        os.abort() if sys.argv[2] == "abort" else os.kill(os.getpid(), signal.SIGKILL)
    return built(self, task, memory, card)
Worker.build = dying
request = Request(langs=["en", "es"], materials=["wallet-card", "flyer"],
                  options=Options(previews=False), jobs=2)
outcome = build(Project(Path(sys.argv[1])), request)
print(json.dumps({f"{r.lang}/{r.material}": r.problems for r in outcome.failed}))
"""


@pytest.mark.parametrize(
    ("death", "message"),
    [("abort", "killed by SIGABRT"), ("kill", "killed by SIGKILL")],
)
def test_a_worker_that_dies_fails_its_document_not_the_build(project, death, message):
    completed = subprocess.run(
        [sys.executable, "-c", DYING_BUILD, str(project), death],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    failed = json.loads(completed.stdout.splitlines()[-1])
    assert failed == {"es/flyer": [f"its worker process ended abruptly ({message})"]}
    assert sorted(pdfs(project / "output")) == [
        "en/flyer.pdf", "en/wallet-card.pdf", "es/wallet-card.pdf"
    ]  # fmt: skip


def test_local_workers_are_recycled_and_replaced_when_they_die():
    pool = RecycledPool(1, int, (), recycle_after=2)
    try:
        pids = [pool.submit(os.getpid).result() for _ in range(6)]
        assert len(set(pids)) == 3 and pids[0] == pids[1] != pids[2] == pids[3]
        killed = pool.submit(os._exit, 3)
        with pytest.raises(WorkerDied, match=r"ended abruptly \(exit status 3\)"):
            killed.result()
        assert pool.submit(sum, [1, 2]).result() == 3  # a fresh worker took over
        aborted = pool.submit(os.abort)  # a C-level abort
        with pytest.raises(WorkerDied, match=r"ended abruptly \(killed by SIGABRT\)"):
            aborted.result()
        assert pool.submit(sum, [3, 4]).result() == 7
    finally:
        pool.shutdown()
    assert len(pool.started) == 6


def test_workers_recycled_after_each_document_write_the_same_pdfs(project, tmp_path):
    """The first workers are forked with the project loaded; their replacements come from
    the fork server and load it themselves: the same bytes either way."""
    request = Request(
        langs=["en", "es"],
        materials=["wallet-card", "wallet-card-sheet", "flyer"],
        options=Options(previews=False),
        jobs=2,
    )
    kept = build(Project(project, tmp_path / "kept"), request)
    recycled = build(
        Project(project, tmp_path / "recycled"), Request(**{**vars(request), "recycle_after": 1})
    )
    assert kept.ok and recycled.ok
    assert pdfs(tmp_path / "recycled") == pdfs(tmp_path / "kept") != {}
