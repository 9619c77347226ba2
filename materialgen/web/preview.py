"""The live preview: one material in one language, laid out again as the form changes.

A single process, started by a forkserver, keeps the project loaded and a worker per paper
size (worker.py, the same code that builds the PDFs), so that a preview costs one layout
and not the start of a Python and WeasyPrint. It remembers what copyfitting chose for each
document, as a build does. The organisation of the form replaces the project's for that one
document only; nothing of the project is written.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import os
import threading
import time
from pathlib import Path

from ..content import load_organisation
from ..errors import InputError, InputErrors
from ..project import Project, load
from ..render import Options

_state: dict = {}


def _init(project: Project, server_pid: int) -> None:
    from .. import fonts

    fonts.isolate(project.fonts_dir)
    _state.update(project=project, data=None, stamp=None, workers={}, memory={})
    threading.Thread(target=_end_with, args=(server_pid,), daemon=True).start()


def _end_with(server_pid: int) -> None:
    """A server killed outright cannot tell this process to stop (its queue's pipe stays
    open here): it stops when the server is gone."""
    while True:
        time.sleep(2)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            os._exit(0)


def _stamp(project: Project) -> tuple:
    """When the project's content or catalogs last changed (a catalog saved from the page)."""
    stamps = []
    for folder in (project.materials_dir, project.locales_dir):
        for directory, _, files in os.walk(folder):
            stamps += [os.stat(os.path.join(directory, f)).st_mtime_ns for f in files]
    return (len(stamps), max(stamps, default=0))


def _render(organisation_yaml: str, lang: str, material: str, paper: str, folder: str) -> dict:
    """Lay one document out into ``folder``; its page images, or the problems."""
    from ..build import store
    from ..plan import plan
    from ..worker import Worker

    project: Project = _state["project"]
    stamp = _stamp(project)
    if _state["data"] is None or _state["stamp"] != stamp:
        _state.update(data=load(project, None, None), stamp=stamp, workers={})
    data = _state["data"]
    organisation = None
    if organisation_yaml:
        path = Path(folder) / "local-organisation.yaml"
        path.write_text(organisation_yaml, encoding="utf-8")
        try:
            organisation = load_organisation(path, project.root)  # its logo read as a build's
        except (InputError, InputErrors) as error:
            return {"problems": [e.message for e in error.errors], "pages": []}
    data = dataclasses.replace(
        data, content=dataclasses.replace(data.content, organisation=organisation)
    )
    if paper not in _state["workers"]:
        options = Options(paper=paper)
        _state["workers"][paper] = Worker(project, data, options)
    worker = _state["workers"][paper]
    worker.data = data
    worker.project = Project(project.root, Path(folder))
    task = next(t for t in plan(data, [lang], [material], None) if t.material == material)
    key = (lang, material, paper)
    result = worker.build(task, _state["memory"].get(key))
    store(worker.project, task, result)  # the PDF and its page images, into ``folder``
    if result.ok:
        _state["memory"][key] = {
            "fits": result.fits,
            "fills": result.fills,
            "steps": result.steps,  # the adaptation steps it settled on (adapt.py)
        }
    return {"problems": result.problems, "pages": [str(p) for p in result.previews]}


class Previewer:
    """The preview process, started on first use; one preview at a time."""

    def __init__(self, project: Project):
        self.project = project
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def render(self, organisation_yaml: str, lang: str, material: str, paper: str, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("forkserver"),
                    initializer=_init,
                    initargs=(self.project, os.getpid()),
                )
            future = self._pool.submit(
                _render, organisation_yaml, lang, material, paper, str(folder)
            )
            return future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
