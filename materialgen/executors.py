"""Where documents are built: a ``concurrent.futures.Executor`` chosen at the edge.

The engine (build.py) submits ``worker.build_one`` and waits for futures; it does not know
where they run. ``open_executor`` turns the ``--executor`` choice into one:

- ``local`` (the default): this machine's cores, in worker processes of our own
  (``RecycledPool``). Each is replaced after a number of documents, since WeasyPrint's
  resident memory grows with every document a process renders, and a worker that dies (a
  C-level abort, the out-of-memory killer, a signal) fails the document it was building
  and is replaced, while the others go on. ``ProcessPoolExecutor`` does neither safely:
  one dead worker breaks the whole pool, and its ``max_tasks_per_child`` deadlocks on
  Python 3.11 to 3.13 (CPython issue 115634).
- ``dask-local``: a Dask ``LocalCluster`` of one single-threaded worker process per job,
  to try the cluster path on one machine.
- ``dask://HOST:PORT``: an existing Dask distributed cluster, through
  ``Client.get_executor()``.

Dask workers load the project themselves, from the same path as the client's (each machine
has its own copy of the project, set up with setup.sh). Before anything is submitted, every
worker's library versions, fonts and project files are compared with the client's
(``Client.run``): a worker that would print something else is refused, with the differences.

The PDFs come back to the client as bytes in each ``Result`` and the engine writes them: a
cluster needs no shared file system, the output folder has one writer (its lock, its
manifest and a full disk are handled in one place), and a document is at most a few MB
against seconds of layout, so carrying it back costs little.
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import hashlib
import importlib.metadata
import multiprocessing
import multiprocessing.connection
import os
import platform
import signal
import threading
import traceback
from pathlib import Path

from .errors import InputError, InputErrors
from .manifest import RENDERING_LIBRARIES

#: Documents a local worker process builds before it is replaced by a fresh one. WeasyPrint
#: keeps up to about 0.23 MB per document rendered (worker.py gives most of it back); 150
#: documents add at most 35 MB to a worker's peak of about 200 MB, the largest poster's.
#: A replacement costs about a second of CPU: it loads the project and warms its fonts.
RECYCLE_AFTER = 150

#: Distributions whose versions must agree between the client and a cluster's workers.
VERSIONED = (*RENDERING_LIBRARIES, "jinja2", "babel", "pyyaml", "dask", "distributed")


class WorkerDied(Exception):
    """The worker process building a document ended before it finished."""


class WorkerStartFailed(Exception):
    """A worker process could not set itself up (its initializer raised)."""


# --- local: worker processes of our own, recycled ----------------------------------------


def _serve(conn, initializer, initargs) -> None:
    """A worker process: set up once, then call what it is sent until told to stop."""
    failed = None
    try:
        initializer(*initargs)
    except BaseException:  # noqa: BLE001 (reported with every call instead)
        failed = traceback.format_exc()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args, kwargs = message
        if failed:
            reply = (False, WorkerStartFailed(failed))
        else:
            try:
                reply = (True, fn(*args, **kwargs))
            except BaseException as error:  # noqa: BLE001 (the caller's future raises it)
                reply = (False, error)
        try:
            conn.send(reply)
        except Exception as error:  # an unpicklable result or exception
            conn.send((False, RuntimeError(f"could not send the result back: {error}")))


class _Process:
    def __init__(self, context, initializer, initargs):
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, initializer, initargs), daemon=True
        )
        self.process.start()
        child.close()
        self.done = 0  # calls answered

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()

    def death(self) -> str:
        self.process.join(5)
        code = self.process.exitcode
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"


class RecycledPool(concurrent.futures.Executor):
    """``workers`` processes, each set up by ``initializer(*initargs)`` and replaced after
    ``recycle_after`` calls; one that dies fails the call it was running with
    ``WorkerDied`` and is replaced. A dispatcher thread hands out the calls.

    ``first``: (context, initializer, initargs) of the first ``workers`` processes, started
    before the dispatcher thread is: forked while this process still has one thread, they
    may inherit what it has loaded. Their replacements are started with ``context``, which
    must not fork this process once the thread runs (a fork server, or spawn)."""

    def __init__(
        self,
        workers,
        initializer,
        initargs,
        context=None,
        recycle_after=RECYCLE_AFTER,
        first=None,
    ):
        self.workers, self.recycle_after = max(1, workers), max(1, recycle_after)
        self._context = context or multiprocessing.get_context("forkserver")
        self._setup = (initializer, initargs)
        self._first: list[_Process] = []
        if first is not None:
            for _ in range(self.workers):
                self._first.append(_Process(*first))
        self._queue: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self._closing = False
        self._wake_read, self._wake_write = os.pipe()
        #: worker processes started so far, and their process ids (for tests and the
        #: benchmark: recycling shows as more processes than workers)
        self.started: list[int] = [worker.process.pid for worker in self._first]
        self._thread = threading.Thread(target=self._dispatch, name="RecycledPool", daemon=True)
        self._thread.start()

    def submit(self, fn, /, *args, **kwargs) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            if self._closing:
                raise RuntimeError("cannot submit to a pool that is shut down")
            self._queue.append((future, fn, args, kwargs))
        self._wake()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closing = True
            if cancel_futures:
                while self._queue:
                    self._queue.popleft()[0].cancel()
        self._wake()
        if wait:
            self._thread.join()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"x")

    def _next(self):
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def _dispatch(self) -> None:
        idle: list[_Process] = self._first
        busy: dict[_Process, concurrent.futures.Future] = {}
        deaths_at_start = 0  # workers that died before answering anything, in a row
        try:
            while True:
                with self._lock:
                    queued, closing = len(self._queue), self._closing
                if closing and not queued and not busy:
                    break
                while queued and len(idle) + len(busy) < min(self.workers, queued + len(busy)):
                    worker = _Process(self._context, *self._setup)  # never a fork of this one
                    self.started.append(worker.process.pid)
                    idle.append(worker)
                while idle and (item := self._next()):
                    future, fn, args, kwargs = item
                    if not future.set_running_or_notify_cancel():
                        continue
                    worker = idle.pop()
                    try:
                        worker.conn.send((fn, args, kwargs))
                    except OSError:  # it died while idle, just now
                        future.set_exception(WorkerDied(f"its worker process {worker.death()}"))
                        worker.conn.close()
                        continue
                    busy[worker] = future
                sentinels = {w.process.sentinel: w for w in idle}
                waited = [self._wake_read, *(w.conn for w in busy), *sentinels]
                ready = multiprocessing.connection.wait(waited)
                if self._wake_read in ready:
                    os.read(self._wake_read, 4096)
                for worker in [w for w in busy if w.conn in ready]:
                    future = busy.pop(worker)
                    try:
                        ok, value = worker.conn.recv()
                    except (EOFError, OSError):
                        deaths_at_start = deaths_at_start + 1 if not worker.done else 0
                        future.set_exception(
                            WorkerDied(f"its worker process ended abruptly ({worker.death()})")
                        )
                        worker.conn.close()
                        continue
                    worker.done += 1
                    deaths_at_start = 0
                    future.set_result(value) if ok else future.set_exception(value)
                    if worker.done >= self.recycle_after:
                        worker.stop()
                    else:
                        idle.append(worker)
                for sentinel in [s for s in sentinels if s in ready]:
                    worker = sentinels[sentinel]
                    idle.remove(worker)
                    deaths_at_start += 1
                    worker.conn.close()
                if deaths_at_start > 3 * self.workers:
                    self._fail_all(WorkerDied("worker processes die as soon as they start"))
        finally:
            for worker in [*idle, *busy]:
                worker.stop()
            for future in busy.values():
                future.set_exception(WorkerDied("the pool was shut down"))
            os.close(self._wake_read)
            os.close(self._wake_write)

    def _fail_all(self, error: Exception) -> None:
        while item := self._next():
            if item[0].set_running_or_notify_cancel():
                item[0].set_exception(error)


# --- what a worker must agree on with its client ------------------------------------------


def worker_fingerprint(root: str) -> dict:
    """What decides the bytes a machine prints: Python, library versions, the generator's
    source, the prepared fonts and every project file (materials, locales, templates)."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    package = Path(__file__).resolve().parent
    files: dict[str, str] = {}
    for path in sorted(package.glob("*.py")):
        files[f"materialgen/{path.name}"] = _sha(path)
    project = Path(root)
    for folder in ("materials", "locales", "templates"):
        # Links followed: templates/fonts may be a link to the prepared fonts.
        for parent, _, names in sorted(os.walk(project / folder, followlinks=True)):
            for name in sorted(names):
                path = Path(parent, name)
                relative = path.relative_to(project).as_posix()
                if "/cache/" not in relative and not relative.endswith(".mo"):
                    files[relative] = _sha(path)
    return {"versions": versions, "files": files}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def differences(ours: dict, theirs: dict) -> list[str]:
    """What differs between two fingerprints, one line each."""
    lines = []
    for name in sorted(set(ours["versions"]) | set(theirs["versions"])):
        here, there = ours["versions"].get(name), theirs["versions"].get(name)
        if here != there:
            lines.append(f"{name} {here} here, {there} there")
    for name in sorted(set(ours["files"]) | set(theirs["files"])):
        here, there = ours["files"].get(name), theirs["files"].get(name)
        if here != there:
            what = "missing there" if there is None else "only there" if here is None else ""
            lines.append(f"{name} {what or 'differs'}")
    return lines


def check_workers(client, root: Path, client_root: Path | None = None) -> None:
    """Refuse a cluster whose workers would print something else than this machine.
    ``root``: the project's folder on the workers; ``client_root``: on this machine, when
    it is not the same folder."""
    ours = worker_fingerprint(str(client_root or root))
    theirs = client.run(worker_fingerprint, str(root))
    if not theirs:
        raise InputError("the Dask cluster has no workers")
    errors = []
    for address, fingerprint in sorted(theirs.items()):
        found = differences(ours, fingerprint)
        if found:
            more = f"; and {len(found) - 8} more" if len(found) > 8 else ""
            shown = "; ".join(found[:8]) + more
            errors.append(InputError(f"worker {address} differs from this machine: {shown}"))
    if errors:
        raise InputErrors(errors)


# --- Dask: the worker sets itself up once per process -------------------------------------

_prepared: dict = {}


def _call_prepared(setup_key: str, initializer, initargs, fn, *args):
    """Run ``fn`` in a Dask worker once ``initializer(*initargs)`` has run in its process
    (once per ``setup_key``: a cluster serving several builds sets up for each)."""
    if _prepared.get("key") != setup_key:
        initializer(*initargs)
        _prepared["key"] = setup_key
    return fn(*args)


class _DaskExecutor(concurrent.futures.Executor):
    """``Client.get_executor()``, with each call prepared as above."""

    def __init__(self, client, setup_key: str, initializer, initargs):
        self.client = client
        self._executor = client.get_executor(pure=False)
        self._setup = (setup_key, initializer, initargs)

    def submit(self, fn, /, *args, **kwargs):
        return self._executor.submit(_call_prepared, *self._setup, fn, *args)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)


def describe(error: BaseException) -> str:
    """A failed call's one line."""
    if isinstance(error, WorkerDied):
        return str(error)
    if type(error).__name__ == "KilledWorker":  # Dask gave up after workers died with it
        return f"every Dask worker that tried it died ({error})"
    return f"{type(error).__name__}: {error}"


@contextlib.contextmanager
def open_executor(
    spec: str,
    workers: int,
    setup_key: str,
    local: tuple,
    loading_setup: tuple,
    root: Path,
    first: tuple | None = None,
    recycle_after: int = RECYCLE_AFTER,
):
    """The executor named by ``spec`` (see the module's doc). ``local``: (context,
    initializer, initargs) of local worker processes, and ``first`` those of the first
    ones (see ``RecycledPool``); ``loading_setup``: (initializer, initargs) of Dask
    workers, which load the project from ``root``, their own copy of it."""
    if spec == "local":
        context, initializer, initargs = local
        pool = RecycledPool(
            workers, initializer, initargs, context, recycle_after=recycle_after, first=first
        )
        try:
            yield pool
        finally:
            pool.shutdown(cancel_futures=True)
        return
    if spec != "dask-local" and not spec.startswith("dask://"):
        raise InputError(f"unknown executor '{spec}' (known: local, dask-local, dask://HOST:PORT)")
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover (a dependency: pip install -e .)
        raise InputError("Dask is not installed: run ./setup.sh") from None
    with contextlib.ExitStack() as stack:
        if spec == "dask-local":
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",  # no fixed port to collide on
                    host="127.0.0.1",
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            address = "tcp://" + spec.removeprefix("dask://")
            try:
                client = stack.enter_context(Client(address, timeout=10))
            except OSError as error:
                raise InputError(f"cannot reach the Dask scheduler at {address}: {error}") from None
        check_workers(client, root)
        executor = _DaskExecutor(client, setup_key, *loading_setup)
        try:
            yield executor
        finally:
            executor.shutdown(wait=False)
