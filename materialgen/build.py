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
import contextlib
import ctypes
import dataclasses
import fcntl
import multiprocessing
import os
import threading
import time
from pathlib import Path

from . import fonts as fonts_module
from .catalogs import catalog_warnings, language_status, missing_strings
from .errors import InputError, display_path
from .executors import RECYCLE_AFTER, describe, open_executor
from .files import DiskFull, FileInTheWay, free_space, make_folder, write_bytes_atomically
from .manifest import NAME as MANIFEST_NAME
from .manifest import Manifest, code_fingerprint
from .pdf import document_date
from .plan import Plan, Result, Task, catalog_failures, pdf_path, plan
from .project import Data, Project, load
from .render import Options
from .worker import build_one, discard, init_worker, preview_dir, remove_previews


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
    #: where documents are built: "local", "dask-local" or "dask://HOST:PORT" (executors.py)
    executor: str = "local"
    #: documents a local worker process builds before a fresh one replaces it
    recycle_after: int = RECYCLE_AFTER
    #: when another build is writing the same output folder: wait for it (True), or refuse
    wait: bool = True
    #: a batch (batch.py): organisation files by stem, one set of documents each
    organisations: dict[str, Path] | None = None


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
    gallery: Path | None
    wall: float
    cancelled: bool = False
    #: why the build stopped before the end (the disk is full), else None
    stopped: str | None = None
    #: a batch: the organisation files that failed to load, with their errors
    org_errors: dict = dataclasses.field(default_factory=dict)
    #: a batch: each organisation's zip
    zips: dict = dataclasses.field(default_factory=dict)

    @property
    def failed(self) -> list[Result]:
        return [result for result in self.results.values() if not result.ok]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled and not self.stopped


def build(
    project: Project,
    request: Request,
    listener: Listener | None = None,
    cancel: threading.Event | None = None,
) -> Outcome:
    """Build what ``request`` asks for and is not up to date; see the module docstring.
    One build at a time writes an output folder (``output_lock``)."""
    listener = listener or Listener()
    with output_lock(project.output, request.wait, listener):
        return _build(project, request, listener, cancel)


@contextlib.contextmanager
def output_lock(output: Path, wait: bool, listener: Listener):
    """Hold a lock on the output folder itself (fcntl.flock of the folder: no lock file to
    leave behind) while a build reads and writes it: a second build into it waits, or is
    refused when it may not wait. The lock goes with the process, however that one ends."""
    try:
        make_folder(output)
    except FileInTheWay as error:
        raise InputError(str(error)) from None
    handle = os.open(output, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = f"another build is writing {display_path(output)}"
            if not wait:
                raise InputError(
                    f"{message}: wait for it to finish, or choose another --output"
                ) from None
            listener.warning(f"{message}: waiting for it to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def _build(project, request, listener, cancel) -> Outcome:
    started = time.perf_counter()
    organisation = request.organisation
    default_organisation = project.materials_dir / "local-organisation.yaml"
    batch = request.organisations is not None
    if organisation is None and default_organisation.is_file() and not batch:
        organisation = default_organisation
    request = dataclasses.replace(request, organisation=organisation)
    data, org_errors = _load(project, request)
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
    orgs = list(data.organisations) if batch else None
    tasks = plan(data, langs, materials, request.poster_override, orgs)
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
        discard(pdf_path(project, task))
        manifest.forget(task.key)
        results[task] = result
        listener.finished(task, result)
    jobs = request.jobs or os.cpu_count() or 1
    stopped = None
    for task, result in run(ledger, request, to_build, jobs, cancel):
        results[task] = result
        stopped = stopped or result.stop
        listener.finished(task, result)
    gallery, zips = None, {}
    cancelled = bool(cancel and cancel.is_set() and any(t not in results for t in to_build))
    up_to_date = [task for task in tasks if task not in results and task not in stale]
    try:
        ledger.save()
        if batch and not stopped:
            zips = _finish_batch(project, tasks, results, up_to_date, orgs, manifest)
        gallery = _write_gallery(project, data, list(results.values()))
    except DiskFull as error:  # the manifest on the disk is still the previous one, whole
        stopped = stopped or str(error)
    printed = list(results.values()) + _noted(up_to_date, manifest, data)
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
        stopped,
        org_errors,
        zips,
    )


def _load(project: Project, request: Request) -> tuple[Data, dict]:
    """The project's data; in a batch, with each organisation that loads, and the errors
    of those that do not (by stem)."""
    langs = [*(request.langs or []), *(request.poster_override or [])]
    data = load(project, request.organisation, langs)
    if request.organisations is None:
        return data, {}
    from .batch import load_organisations

    data.organisations, errors = load_organisations(
        request.organisations, data.languages, project.root
    )
    return data, errors


def _finish_batch(project, tasks, results, up_to_date, orgs, manifest) -> dict:
    """Link the shared documents into each organisation's folder; zip each set."""
    from .batch import share, write_zip

    ok = {task.key for task in up_to_date} | {t.key for t, r in results.items() if r.ok}
    shared = [task.key for task in tasks if task.org is None]
    share(project.output, shared, orgs, ok)
    zips = {}
    for org in orgs:
        members = [
            (task.key.removeprefix(f"{org}/"), manifest.documents[task.key]["pdf"]["sha256"])
            for task in tasks
            if task.key in ok and task.org in (org, None)
        ]
        zips[org] = write_zip(project.output, org, members)
    return zips


def _noted(up_to_date: list[Task], manifest: Manifest, data: Data) -> list[Result]:
    """The strings the up-to-date documents print in English, from what they recorded."""
    noted = []
    for task in up_to_date:
        result = Result(task.lang, task.material, org=task.org)
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
    data, _ = _load(project, request)
    init_worker(project, data, request.options)


def run(
    ledger: Plan,
    request: Request,
    to_build: list[Task],
    jobs: int,
    cancel: threading.Event | None = None,
):
    """Build the stale tasks, yielding (task, Result) as each is finished and written. A
    sheet is submitted as soon as its card is written, and fails without trying when its
    card failed. Once ``cancel`` is set, or a document could not be written for want of
    space, nothing more is started; what is running finishes."""
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
    project, data, options = ledger.project, ledger.data, ledger.options
    stop: list[str] = []
    room = headroom(project.output, len(to_build))

    def halted() -> bool:
        return bool(stop) or (cancel is not None and cancel.is_set())

    def arguments(task: Task) -> tuple:
        """What ``build_one`` needs besides the worker's project: what the build remembers
        of the document (for a sheet, of its card, whose scales it prints) and, for a
        sheet, its card's PDF."""
        memory = ledger.manifest.memory(task.card or task.key)
        card = (project.output / f"{task.card}.pdf").read_bytes() if task.card else None
        return task, memory, card

    def finish(task: Task, result: Result):
        """The result, written and recorded; then the sheets that were waiting for it, as
        (task, None) when they can be built now, or (task, Result) when they fail with it."""
        result.org = task.org
        store(project, task, result, room)
        if result.stop:
            stop.append(result.stop)
        ledger.finished(task, result)
        yield task, result
        for sheet in sheets.pop(task, ()):
            if result.ok:
                yield sheet, None
            else:
                discard(pdf_path(project, sheet))
                failed = Result(sheet.lang, sheet.material, problems=["its card failed"])
                yield from finish(sheet, failed)

    # A caller that asks for forkserver or spawn (a threaded server) never lays a document
    # out in its own process either: its workers end with the build, so its memory stays
    # flat over many builds.
    in_process = request.executor == "local" and request.start_method in ("fork", "auto")
    if in_process and (jobs <= 1 or len(to_build) <= 1):
        init_worker(project, data, options)
        queue = list(ready)
        while queue and not halted():
            task = queue.pop(0)
            for follower, result in finish(task, build_one(*arguments(task))):
                if result is None:
                    queue.insert(0, follower)
                else:
                    yield follower, result
        return
    method = start_method(request)
    # The fork server inherits the isolated fontconfig through the environment and imports
    # WeasyPrint once; each worker it forks then loads the project.
    fonts_module.isolate(project.fonts_dir)
    server = multiprocessing.get_context("forkserver")
    server.set_forkserver_preload(["materialgen.worker", "weasyprint"])
    loading = (_init_loading_worker, (project, request))
    local = (multiprocessing.get_context(method), *loading)
    first = None
    if method == "fork":
        # The first workers are forked from this process once WeasyPrint is imported here:
        # each starts at once, with everything loaded, instead of a new Python importing it
        # all again. Importing lays nothing out and starts no thread. Those that replace
        # them come from the fork server: by then the pool runs a thread of its own.
        import weasyprint  # noqa: F401

        first = (multiprocessing.get_context("fork"), init_worker, (project, data, options))
        local = (server, *loading)
    setup_key = f"{os.getpid()}-{id(ledger)}-{time.time()}"
    with open_executor(
        request.executor,
        min(jobs, len(to_build)),
        setup_key,
        local,
        loading,
        project.root,
        first=first,
        recycle_after=request.recycle_after,
    ) as executor:
        running = {executor.submit(build_one, *arguments(task)): task for task in ready}
        while running:
            done, _ = concurrent.futures.wait(
                running, timeout=0.2, return_when=concurrent.futures.FIRST_COMPLETED
            )
            if halted():
                for future in [f for f in running if f.cancel()]:
                    running.pop(future)
            for future in done:
                if future not in running:
                    continue
                task = running.pop(future)
                for follower, result in finish(task, _result_of(future, task)):
                    if result is None:
                        if not halted():
                            future = executor.submit(build_one, *arguments(follower))
                            running[future] = follower
                    else:
                        yield follower, result


def _result_of(future: concurrent.futures.Future, task: Task) -> Result:
    """The future's Result; a call that raised (its worker died) fails its document only."""
    try:
        return future.result()
    except Exception as error:
        return Result(task.lang, task.material, problems=[describe(error)])


def headroom(output: Path, documents: int) -> int:
    """Bytes kept free while documents are written, so that the manifest can still be
    saved when the disk is full: twice its size (the new one is written beside the old),
    with about 3 kB more per document."""
    try:
        size = (output / MANIFEST_NAME).stat().st_size
    except OSError:
        size = 0
    return 2 * (size + 3000 * documents) + 32_000


def store(project: Project, task: Task, result: Result, room: int = 0) -> None:
    """Write what a worker made: its PDF, then the previews of its pages. The engine is the
    only writer of the output folder, wherever the workers run. A document that failed, or
    could not be written, leaves nothing behind, not even an older PDF. A PDF that would
    leave less than ``room`` bytes free is not written: the disk is full."""
    target = pdf_path(project, task)
    pdf, pngs = result.pdf, result.pngs
    result.pdf, result.pngs = None, []  # written once, not kept for the whole run
    try:
        if result.ok and pdf is not None:
            make_folder(target.parent)
            needed = len(pdf) + sum(map(len, pngs)) + room
            free = free_space(target.parent)
            if free < needed:
                raise DiskFull(target, needed, free)
            write_bytes_atomically(target, pdf)
            result.path = target
            remove_previews(target)
            for page, png in enumerate(pngs, 1):
                path = preview_dir(target) / f"{target.stem}-{page}.png"
                write_bytes_atomically(path, png)
                result.previews.append(path)
    except FileInTheWay as error:
        result.problems.append(str(error))
    except DiskFull as error:
        result.problems.append(str(error))
        result.stop = str(error)
    if not result.ok:
        result.path, result.previews = None, []
        discard(target)
