"""The command line's door to the engine: a line per document as it is finished (in the
plan's order), a progress bar on a terminal, notes per language and a closing summary."""

from __future__ import annotations

import sys
import traceback

from . import report
from .build import Listener, Request, build
from .errors import InputError, InputErrors, display_path
from .project import Project


class _Lines(Listener):
    """Prints each document's line as soon as those planned before it are done."""

    def __init__(self, out, err, progress: bool):
        self.out, self.err, self.progress = out, err, progress
        self.bar = None
        self.pending: list = []
        self.results: dict = {}

    def warning(self, text: str) -> None:
        self.err(f"warning: {text}")

    def planned(self, tasks, to_build) -> None:
        self.pending = list(to_build)
        self.to_build = set(to_build)
        if self.progress and to_build:
            self.bar = report.Progress(len(to_build))

    def finished(self, task, result) -> None:
        if task not in self.to_build:  # failed with its catalog, before any build
            self.write(report.result_line(result))
            return
        self.results[task] = result
        if self.bar:
            self.bar.advance()
        while self.pending and self.pending[0] in self.results:
            self.write(report.result_line(self.results[self.pending.pop(0)]))

    def write(self, line: str) -> None:
        self.bar.write(line) if self.bar else self.out(line)

    def close(self) -> None:
        if self.bar:
            self.bar.close()


def generate(
    project: Project,
    *,
    organisation=None,
    langs=None,
    materials=None,
    options=None,
    poster_override=None,
    jobs: int | None = None,
    force: bool = False,
    executor: str = "local",
    out=print,
    err=None,
    progress: bool | None = None,
) -> int:
    """Load, build what changed, report: what ``generate.py`` does. Returns the exit code.

    ``progress``: show a progress bar (default: when standard output is a terminal)."""
    err = err or (lambda text: print(text, file=sys.stderr))
    request = Request(
        organisation=organisation,
        langs=langs,
        materials=materials,
        poster_override=poster_override,
        jobs=jobs,
        force=force,
        executor=executor,
    )
    if options is not None:
        request.options = options
    return _run(project, request, out, err, progress)


def generate_batch(project: Project, orgs_dir, *, out=print, err=None, progress=None, **fields):
    """``generate.py batch``: every organisation file of ``orgs_dir``, in one run; a
    summary per organisation. Returns the exit code."""
    from .batch import organisation_files

    err = err or (lambda text: print(text, file=sys.stderr))
    options = fields.pop("options", None)
    request = Request(**fields)
    if options is not None:
        request.options = options

    def find_organisations() -> None:
        request.organisations = organisation_files(orgs_dir)

    def summary(outcome) -> list[str]:
        return batch_summary(request.organisations, outcome)

    return _run(project, request, out, err, progress, find_organisations, summary)


def _run(project, request, out, err, progress, before=None, summary=None) -> int:
    """Build ``request`` and print its lines, notes, ``summary`` and closing line; input
    errors (also those of ``before``, run first) as ``error:`` lines. The exit code."""
    if progress is None:
        progress = out is print and sys.stdout.isatty()
    lines = _Lines(out, err, progress)
    try:
        if before is not None:
            before()
        outcome = build(project, request, lines)
    except (InputError, InputErrors) as error:
        if request.options.debug:
            traceback.print_exc()
        errors = error.errors if isinstance(error, InputErrors) else [error]
        for item in errors:
            err(f"error: {item}")
        err(f"{len(errors)} error(s); nothing was written.")
        return 1
    finally:
        lines.close()
    for line in report.language_notes(outcome.data, outcome.printed, outcome.langs):
        out(line)
    for line in summary(outcome) if summary else ():
        out(line)
    if outcome.gallery:
        out(f"gallery: {display_path(outcome.gallery)}")
    out(report.timing_line(list(outcome.results.values()), len(outcome.up_to_date), outcome.wall))
    if outcome.stopped:
        err(stopped_line(outcome.stopped, outcome))
    return 0 if outcome.ok and not outcome.org_errors else 1


def batch_summary(files: dict, outcome) -> list[str]:
    """One line per organisation: what its set holds, or why it has none."""
    lines = []
    for org, path in files.items():
        if org in outcome.org_errors:
            errors = outcome.org_errors[org]
            lines.append(f"{org}: not built, {len(errors)} error(s) in {display_path(path)}")
            lines += [f"    error: {error}" for error in errors]
            continue
        mine = [task for task in outcome.tasks if task.org in (org, None)]
        built = [t for t in mine if t in outcome.results and outcome.results[t].ok]
        failed = [t for t in mine if t in outcome.results and not outcome.results[t].ok]
        current = [t for t in mine if t in outcome.up_to_date]
        zipped = outcome.zips.get(org)
        where = f", {display_path(zipped)}" if zipped else ""
        lines.append(
            f"{org}: {len(built) + len(current)} of {len(mine)} documents "
            f"({len(built)} written, {len(current)} up to date, {len(failed)} failed){where}"
        )
    return lines


def stopped_line(reason: str, outcome) -> str:
    """Why a build stopped before the end, and what to do about it."""
    built = sum(1 for result in outcome.results.values() if result.ok)
    missing = len(outcome.tasks) - built - len(outcome.up_to_date)
    return (
        f"error: {reason}; stopped with {built} document(s) written and {missing} not: "
        "free some space and run again, only what is missing will be built"
    )
