"""The engine: load, plan, build what is stale, keep the manifest and the gallery current.

Every door calls ``build``: the command line (cli.py) prints a line per document and a
progress bar, other front ends show the same events their own way. The engine knows none of
them: it takes a ``Request`` (what to build, how), tells a ``Listener`` what it planned and
each document as it is finished, stops early when asked to (``cancel``), and returns an
``Outcome``. Load errors raise ``InputError``/``InputErrors`` before anything is written.

Documents are built by worker processes (worker.py), one per core, the longest first. A
sheet of cards is imposed from its card's PDF as soon as that one is written.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import dataclasses
import multiprocessing
import os
import threading
import time
from pathlib import Path

from . import fonts as fonts_module
from .catalogs import catalog_warnings, language_status, missing_strings
from .errors import InputError
from .manifest import Manifest, code_fingerprint
from .pdf import document_date
from .plan import Plan, Result, Task, catalog_failures, plan
from .project import Data, Project, load
from .render import Options
from .worker import build_one, discard, init_worker


@dataclasses.dataclass
class Request:
    """What to build, and how: the same for every door."""

    #: the organisation file; None: materials/local-organisation.yaml when it exists
    organisation: Path | None = None
    langs: list[str] | None = None  # None: every language
    materials: list[str] | None = None  # None: every material
    options: Options = dataclasses.field(default_factory=Options)
    #: the languages every poster shows beside its own (None: materials.yaml's)
    poster_override: list[str] | None = None
    jobs: int | None = None  # None: one per core
    force: bool = False
    #: how worker processes start: "fork" (fast: each inherits what is loaded), which is
    #: safe only in a process with one thread; "forkserver" or "spawn" (workers then load the
    #: project themselves) in one that runs threads: a web server, or any process that has
    #: laid a page out with Pango 1.52 or newer (Debian 13), which keeps a fontconfig thread.
    #: "auto": fork when this process has one thread, else forkserver.
    start_method: str = "auto"


class Listener:
    """What the engine tells its caller while it builds. The default says nothing."""

    def warning(self, text: str) -> None:
        """A warning about the inputs (an old ``verified`` date, a missing library)."""

    def planned(self, tasks: list[Task], to_build: list[Task]) -> None:
        """Every document of the request, and those that will be built (the others are
        up to date, or fail with their catalog)."""

    def finished(self, task: Task, result: Result) -> None:
        """One document built, or failed."""


@dataclasses.dataclass
class Outcome:
    """What a build did."""

    data: Data
    langs: list[str]
    tasks: list[Task]
    #: the documents built, or failed, in this run
    results: dict[Task, Result]
    up_to_date: list[Task]
    #: per document of the request, built or up to date: strings printed in English
    printed: list[Result]
    gallery: Path
    wall: float
    cancelled: bool = False

    @property
    def failed(self) -> list[Result]:
        return [result for result in self.results.values() if not result.ok]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled


def build(
    project: Project,
    request: Request,
    listener: Listener | None = None,
    cancel: threading.Event | None = None,
) -> Outcome:
    """Build what ``request`` asks for and is not up to date; see the module docstring."""
    listener = listener or Listener()
    started = time.perf_counter()
    organisation = request.organisation
    default_organisation = project.materials_dir / "local-organisation.yaml"
    if organisation is None and default_organisation.is_file():
        organisation = default_organisation
    request = dataclasses.replace(request, organisation=organisation)
    data = load(project, organisation, [*(request.langs or []), *(request.poster_override or [])])
    materials = request.materials or list(data.content.materials)
    unknown = [m for m in materials if m not in data.content.materials]
    if unknown:
        raise InputError(
            f"unknown material '{unknown[0]}' (known: {', '.join(data.content.materials)})",
            project.materials_dir / "materials.yaml",
        )
    options = request.options
    if options.archive:  # PDF/A needs a creation date: a reproducible one
        verified = [resource.verified for resource in data.content.resources.values()]
        options = dataclasses.replace(options, pdf_date=document_date(verified))
    request = dataclasses.replace(request, options=options)
    for warning in data.warnings:
        listener.warning(str(warning))
    langs = request.langs or list(data.languages)
    tasks = plan(data, langs, materials, request.poster_override)
    manifest = Manifest.load(project.output, project.root, code_fingerprint())
    ledger = Plan(project, data, options, manifest)
    failed = dict(catalog_failures(data, tasks))
    stale = ledger.stale([t for t in tasks if t not in failed], request.force)
    to_build = [task for task in tasks if task in stale]
    if to_build and hb_subset_missing():
        listener.warning(
            "libharfbuzz-subset is not installed: fonts are subset with fontTools, "
            "which is much slower (run ./setup.sh)"
        )
    listener.planned(tasks, to_build)
    results: dict[Task, Result] = {}
    for task, result in failed.items():
        discard(project.pdf_path(task.lang, task.material))
        manifest.forget(task.key)
        results[task] = result
        listener.finished(task, result)
    jobs = request.jobs or os.cpu_count() or 1
    for task, result in run(ledger, request, to_build, jobs, cancel):
        results[task] = result
        listener.finished(task, result)
    ledger.save()
    cancelled = bool(cancel and cancel.is_set() and any(t not in results for t in to_build))
    up_to_date = [task for task in tasks if task not in results and task not in stale]
    printed = list(results.values()) + _noted(up_to_date, manifest, data)
    gallery = _write_gallery(project, data, list(results.values()))
    return Outcome(
        data,
        langs,
        tasks,
        results,
        up_to_date,
        printed,
        gallery,
        time.perf_counter() - started,
        cancelled,
    )


def _noted(up_to_date: list[Task], manifest: Manifest, data: Data) -> list[Result]:
    """The strings the up-to-date documents print in English, from what they recorded."""
    noted = []
    for task in up_to_date:
        result = Result(task.lang, task.material)
        for code, used in manifest.documents[task.key]["inputs"]["catalogs"].items():
            keys = manifest.keysets.get(used["keys"], [])
            for key, reason in missing_strings(keys, data.catalogs.get(code)).items():
                result.missing[(code, *key)] = reason
        noted.append(result)
    return noted


def _write_gallery(project: Project, data: Data, finished: list[Result]) -> Path:
    from .gallery import write_gallery

    template = data.template
    statuses = {
        code: language_status(project.root, language, template, data.catalogs.get(code))
        for code, language in data.languages.items()
    }
    notes = {}  # per language: catalog errors and warnings
    for code, catalog in data.catalogs.items():
        if catalog is not None:
            notes[code] = [str(warning) for warning in catalog_warnings(catalog, template)]
    for code, errors in data.catalog_errors.items():
        notes[code] = [str(error) for error in errors]
    return write_gallery(project.output, project.templates_dir, data, finished, statuses, notes)


def hb_subset_missing() -> bool:
    """Whether HarfBuzz's subsetter is missing (dlopen, not find_library: that one runs
    ldconfig and gcc, which costs a third of a second)."""
    try:
        ctypes.CDLL("libharfbuzz-subset.so.0")
    except OSError:
        return True
    return False


def start_method(request: Request) -> str:
    """How this build's worker processes start (see ``Request.start_method``)."""
    if request.start_method != "auto":
        return request.start_method
    return "fork" if os_threads() == 1 else "forkserver"


def os_threads() -> int:
    """How many threads this process runs, those of C libraries included (Linux), which
    is what makes forking it unsafe."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return threading.active_count()


def _init_loading_worker(project: Project, request: Request) -> None:
    """A worker started without this process's memory (forkserver, spawn) loads the
    project itself: the same files give the same ``Data``."""
    data = load(
        project, request.organisation, [*(request.langs or []), *(request.poster_override or [])]
    )
    init_worker(project, data, request.options)


def run(
    ledger: Plan,
    request: Request,
    to_build: list[Task],
    jobs: int,
    cancel: threading.Event | None = None,
):
    """Build the stale tasks, yielding (task, Result) as each is finished. A sheet is
    submitted as soon as its card is written, and fails without trying when its card failed.
    Once ``cancel`` is set, nothing more is started; what is running finishes."""
    if not to_build:
        return
    by_key = {task.key: task for task in to_build}
    sheets: dict[Task, list[Task]] = {}
    ready = []
    for task in to_build:
        card = by_key.get(task.card) if task.card else None
        if card is not None:
            sheets.setdefault(card, []).append(task)
        else:
            ready.append(task)
    ready.sort(key=ledger.cost, reverse=True)

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    def memory_of(task: Task) -> dict:
        """What the build remembers of a document; for a sheet, of its card (just built,
        or up to date), whose scales it prints."""
        return ledger.manifest.memory(task.card or task.key)

    def finish(task: Task, result: Result):
        """The result, recorded; then the sheets that were waiting for it, as (task, None)
        when they can be built now, or (task, Result) when they fail with it."""
        ledger.finished(task, result)
        yield task, result
        for sheet in sheets.pop(task, ()):
            if result.ok:
                yield sheet, None
            else:
                discard(ledger.project.pdf_path(sheet.lang, sheet.material))
                failed = Result(sheet.lang, sheet.material, problems=["its card failed"])
                yield from finish(sheet, failed)

    project, data, options = ledger.project, ledger.data, ledger.options
    # A caller that asks for forkserver or spawn (a threaded server) never lays a document
    # out in its own process either: its workers end with the build, so its memory stays
    # flat over many builds.
    if (jobs <= 1 or len(to_build) <= 1) and request.start_method in ("fork", "auto"):
        init_worker(project, data, options)
        queue = list(ready)
        while queue and not cancelled():
            task = queue.pop(0)
            for follower, result in finish(task, build_one(task, memory_of(task))):
                if result is None:
                    queue.insert(0, follower)
                else:
                    yield follower, result
        return
    method = start_method(request)
    context = multiprocessing.get_context(method)
    if method == "fork":
        # Workers are forked from this process once WeasyPrint is imported here (fontconfig
        # isolated first): each starts at once, with everything loaded, instead of a new
        # Python importing it all again. Importing lays nothing out and starts no thread.
        fonts_module.isolate(project.fonts_dir)
        import weasyprint  # noqa: F401

        initializer, initargs = init_worker, (project, data, options)
    else:
        # The fork server inherits the isolated fontconfig through the environment and
        # imports WeasyPrint once; each worker it forks then loads the project.
        fonts_module.isolate(project.fonts_dir)
        if method == "forkserver":
            context.set_forkserver_preload(["materialgen.worker", "weasyprint"])
        initializer, initargs = _init_loading_worker, (project, request)
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=min(jobs, len(to_build)),
        mp_context=context,
        initializer=initializer,
        initargs=initargs,
    ) as pool:
        running = {pool.submit(build_one, task, memory_of(task)): task for task in ready}
        while running:
            done, _ = concurrent.futures.wait(
                running, timeout=0.2, return_when=concurrent.futures.FIRST_COMPLETED
            )
            if cancelled():
                for future in [f for f in running if f.cancel()]:
                    running.pop(future)
            for future in done:
                if future not in running:
                    continue
                for follower, result in finish(running.pop(future), future.result()):
                    if result is None:
                        if not cancelled():
                            future = pool.submit(build_one, follower, memory_of(follower))
                            running[future] = follower
                    else:
                        yield follower, result
