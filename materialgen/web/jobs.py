"""The web app's build queue: one job at a time, on a thread of its own, through the engine.

A job is one call of ``build.build`` with workers started by a forkserver (forking a process
that runs server threads is unsafe). The engine's listener keeps the job's progress, which
the pages read while the build runs; the server's threads stay free to answer them. Each job
has a folder of its own (its zip, and for a catalog on trial its scratch project).
"""

from __future__ import annotations

import dataclasses
import itertools
import queue
import threading
import time
import traceback
import zipfile
from pathlib import Path

from ..build import Listener, Request, build
from ..errors import InputError, InputErrors
from ..files import atomic_output
from ..plan import Result, Task
from ..project import Project

#: How worker processes start for the web app: never by forking the threaded server.
START_METHOD = "forkserver"
ZIP_NAME = "documents.zip"


@dataclasses.dataclass
class Document:
    """One document of a job, as the pages show it."""

    lang: str
    material: str
    state: str = "waiting"  # waiting, built, up to date, failed
    result: Result | None = None


@dataclasses.dataclass
class Job:
    id: int
    kind: str  # "build", or "catalog": a catalog tried in a scratch project
    project: Project
    request: Request
    folder: Path
    state: str = "queued"  # queued, running, done, failed, cancelled
    documents: dict[str, Document] = dataclasses.field(default_factory=dict)
    to_build: int = 0
    built: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    started: float | None = None
    wall: float | None = None
    #: for a catalog job: the language and the uploaded catalog, with its check's messages
    lang: str | None = None
    messages: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    saved: bool = False  # the catalog replaced the project's
    cancel: threading.Event = dataclasses.field(default_factory=threading.Event)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    @property
    def zip_path(self) -> Path:
        return self.folder / ZIP_NAME

    def progress(self) -> dict:
        """What the page polls while the job runs."""
        return {
            "state": self.state,
            "done": self.built,
            "total": self.to_build,
            "documents": len(self.documents),
            "finished": self.finished,
        }


class _JobListener(Listener):
    def __init__(self, job: Job):
        self.job = job

    def warning(self, text: str) -> None:
        self.job.warnings.append(text)

    def planned(self, tasks: list[Task], to_build: list[Task]) -> None:
        job = self.job
        building = {task.key for task in to_build}
        job.documents = {
            task.key: Document(
                task.lang, task.material, "waiting" if task.key in building else "up to date"
            )
            for task in tasks
        }
        job.to_build = len(to_build)

    def finished(self, task: Task, result: Result) -> None:
        document = self.job.documents[task.key]
        document.result = result
        if document.state == "waiting":
            self.job.built += 1
        document.state = "built" if result.ok else "failed"


class JobQueue:
    """Jobs run one after another on one thread; the pages read their state meanwhile."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="build-queue", daemon=True)
        self._thread.start()

    def new_folder(self) -> tuple[int, Path]:
        with self._lock:
            ident = next(self._ids)
        folder = self.folder / str(ident)
        folder.mkdir(parents=True)
        return ident, folder

    def submit(self, job: Job) -> Job:
        self.jobs[job.id] = job
        self._queue.put(job)
        return job

    def close(self, timeout: float = 30) -> None:
        """Stop after the running job's documents in progress (nothing half-written)."""
        for job in self.jobs.values():
            job.cancel.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if job.cancel.is_set():
                job.state = "cancelled"
                continue
            run_job(job)


def run_job(job: Job) -> None:
    """Build the job through the engine, then zip what it asked for."""
    job.state, job.started = "running", time.perf_counter()
    request = dataclasses.replace(job.request, start_method=START_METHOD)
    try:
        outcome = build(job.project, request, _JobListener(job), job.cancel)
    except (InputError, InputErrors) as error:
        errors = error.errors if isinstance(error, InputErrors) else [error]
        job.errors = [str(item) for item in errors]
        job.state = "failed"
    except Exception:  # the queue must go on: the page shows what happened
        job.errors = [traceback.format_exc()]
        job.state = "failed"
    else:
        write_zip(job)
        job.state = "cancelled" if outcome.cancelled else "done"
    job.wall = time.perf_counter() - job.started


def write_zip(job: Job) -> None:
    """Every PDF of the job, as output/ has it now: <lang>/<material>.pdf."""
    with atomic_output(job.zip_path) as handle, zipfile.ZipFile(handle, "w") as archive:
        for document in job.documents.values():
            pdf = job.project.pdf_path(document.lang, document.material)
            if document.state in ("built", "up to date") and pdf.is_file():
                archive.write(pdf, f"{document.lang}/{document.material}.pdf")
