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
    )
    if options is not None:
        request.options = options
    if progress is None:
        progress = out is print and sys.stdout.isatty()
    lines = _Lines(out, err, progress)
    try:
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
    out(f"gallery: {display_path(outcome.gallery)}")
    out(report.timing_line(list(outcome.results.values()), len(outcome.up_to_date), outcome.wall))
    return 0 if outcome.ok else 1
