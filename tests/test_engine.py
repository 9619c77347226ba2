"""The engine every door calls (build.build): what it tells its listener, how it stops when
asked to, and workers started without forking (as a threaded server needs)."""

from __future__ import annotations

import subprocess
import sys
import threading

from conftest import ROOT

from materialgen.build import Listener, Request, build, os_threads, start_method
from materialgen.project import Project
from materialgen.render import Options

MATERIALS = ["wallet-card", "wallet-card-sheet", "flyer"]


class Recorder(Listener):
    def __init__(self, stop_after: int | None = None, cancel: threading.Event | None = None):
        self.planned_tasks, self.to_build, self.finished_tasks = [], [], []
        self.stop_after, self.cancel = stop_after, cancel

    def planned(self, tasks, to_build):
        self.planned_tasks, self.to_build = list(tasks), list(to_build)

    def finished(self, task, result):
        self.finished_tasks.append((task, result))
        if self.stop_after and len(self.finished_tasks) >= self.stop_after:
            self.cancel.set()


def request(**changes) -> Request:
    fields = dict(langs=["so", "es"], materials=MATERIALS, options=Options(previews=False), jobs=2)
    return Request(**{**fields, **changes})


def test_the_listener_hears_the_plan_and_every_document(project):
    recorder = Recorder()
    outcome = build(Project(project), request(), recorder)
    assert outcome.ok
    keys = {task.key for task in recorder.planned_tasks}
    assert keys == {f"{lang}/{m}" for lang in ("so", "es") for m in MATERIALS}
    assert [t for t, _ in recorder.finished_tasks] != []
    assert {t.key for t, _ in recorder.finished_tasks} == keys
    assert all(result.ok and result.path.is_file() for _, result in recorder.finished_tasks)
    # Built again: every document is up to date, and the listener hears of none.
    again = Recorder()
    outcome = build(Project(project), request(), again)
    assert again.to_build == [] and again.finished_tasks == []
    assert len(outcome.up_to_date) == 6


def test_a_cancelled_build_stops_and_keeps_what_it_finished(project):
    cancel = threading.Event()
    recorder = Recorder(stop_after=1, cancel=cancel)
    outcome = build(Project(project), request(jobs=1), recorder, cancel)
    assert outcome.cancelled and not outcome.ok
    done = {t.key for t, result in recorder.finished_tasks if result.ok}
    assert 1 <= len(done) < 6
    written = {f"{p.parent.name}/{p.stem}" for p in (project / "output").glob("*/*.pdf")}
    assert written == done  # nothing half-written, nothing unrecorded
    assert not list((project / "output").rglob("*.tmp"))
    # The next build builds exactly the rest.
    rest = Recorder()
    assert build(Project(project), request(jobs=1), rest).ok
    assert {t.key for t in rest.to_build} == {t.key for t in rest.planned_tasks} - done


def test_workers_started_by_a_forkserver_write_what_forked_ones_write(project, tmp_path):
    """The command line forks its workers (a new process has one thread); a threaded
    caller's are started by a fork server and load the project themselves: same PDFs."""
    forked = tmp_path / "forked"
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "generate.py"),
            "--project",
            str(project),
            "--output",
            str(forked),
            "--no-previews",
            "--jobs",
            "2",
            "--lang",
            "so",
            "--lang",
            "es",
            *(arg for material in MATERIALS for arg in ("--material", material)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    served = build(Project(project, tmp_path / "served"), request(start_method="forkserver"))
    assert served.ok and len(served.results) == 6
    for task, result in served.results.items():
        assert (
            result.path.read_bytes() == (forked / task.lang / f"{task.material}.pdf").read_bytes()
        )


def test_a_process_that_runs_threads_does_not_fork_its_workers():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert os_threads() > 1
        assert start_method(request()) == "forkserver"
        assert start_method(request(start_method="spawn")) == "spawn"
    finally:
        stop.set()
        thread.join()
