"""The worker side: everything here runs where WeasyPrint is imported.

A ``Worker`` builds one document in named steps: render, lay out and copyfit, check, write
through an unnamed temporary file, preview; or, for a sheet, impose its card's checked PDF.
A document that fails leaves nothing behind, not even an older PDF, and never touches
another's. Worker processes call ``init_worker`` once and ``build_one`` per document.
"""

from __future__ import annotations

import ctypes
import gc
import time
import traceback
from pathlib import Path

from . import fonts as fonts_module
from .catalogs import Translator, locate
from .content import Content, Material
from .errors import InputError, display_path
from .files import atomic_output
from .pdf import pdf_settings
from .plan import Result, Task
from .project import Data, Project
from .render import PAPER, Options, Section


def expected_numbers(material: Material, content: Content) -> tuple[str, ...]:
    numbers = []
    for ident in material.resources:
        resource = content.resources[ident]
        numbers += [n for n in (resource.phone, resource.text_number) if n]
    # A discreet material does not print the organisation: its name may say what it does.
    if content.organisation and content.organisation.phone and not material.discreet:
        numbers.append(content.organisation.phone)
    return tuple(dict.fromkeys(numbers))


class Worker:
    """Builds documents in a process where WeasyPrint is imported, one named step at a time:
    lay out and copyfit, check, write, preview; or impose a sheet from its card."""

    def __init__(self, project: Project, data: Data, options: Options):
        fonts_module.isolate(project.fonts_dir)
        from .layout import Layout

        self.project, self.data, self.options = project, data, options
        self.layout = Layout(project.templates_dir, pdf_settings(options))
        self.renderer = data.renderer
        # Everything so far lives as long as the worker: keep the collector from scanning
        # it again after each document (_release_memory), which made layouts slower.
        gc.freeze()

    def build(self, task: Task, memory: dict | None = None) -> Result:
        """Build one document; ``memory``: the scales and fills copyfitting chose last time."""
        from .layout import BlockedURL

        started = time.perf_counter()
        material = self.data.content.materials[task.material]
        result = Result(task.lang, task.material)
        target = self.project.pdf_path(task.lang, task.material)
        sections = self.sections(task.section_langs)
        self.layout.fetcher.fetched.clear()
        try:
            if material.impose:
                self.impose(material, task, target, result)
                # What is printed is the card: its scales and plain frames.
                result.fits = dict((memory or {}).get("fits") or {})
                result.plain = list((memory or {}).get("plain") or [])
            else:
                fitted = self.fit(material, sections, result.timing, memory or {})
                result.fits, result.fills = fitted.fits, fitted.fills
                result.plain = sorted(fitted.plain)
                result.floors = {frame: fitted.limits[frame][0] for frame in fitted.plain}
                result.pages = len(fitted.document.pages)
                result.problems = self.explain(fitted, sections)
                if result.ok:
                    result.path = self.write(fitted.document, target, result.problems)
                    result.inputs = self.inputs(material, sections)
            _remove_previews(target)
            if result.path and self.options.previews:
                result.previews = self.preview(result.path, imposed=bool(material.impose))
        except (InputError, BlockedURL) as error:  # BlockedURL: a BaseException, see layout.py
            result.problems.append(str(error))
        except Exception as error:
            debug = self.options.debug
            result.problems.append(
                traceback.format_exc() if debug else f"{type(error).__name__}: {error}"
            )
        if not result.ok:
            result.path = None
            discard(target)
        for section in sections:
            for key, reason in section.translator.missing.items():
                result.missing[(section.language.code, *key)] = reason
        result.seconds = time.perf_counter() - started
        return result

    def sections(self, section_langs) -> list[Section]:
        languages, catalogs = self.data.languages, self.data.catalogs
        return [
            Section(languages[code], Translator(languages[code], catalogs[code]))
            for code in section_langs
        ]

    def expectations(self, material: Material, sections: list[Section]):
        """What the print check requires of ``material``."""
        from .checks import Expectations

        languages = self.data.languages
        min_pt = None
        if material.min_font_size:
            min_pt = {
                section.language.code: material.min_font_size * section.language.font_scale
                for section in sections
            }
        return Expectations(
            pages=material.pages,
            safe_mm=self.options.safe_mm,
            fonts_by_lang={code: language.fonts for code, language in languages.items()},
            min_font_pt=min_pt,
            numbers=expected_numbers(material, self.data.content),
        )

    def attempt(self, material, sections, expect, timing, fits, plain=frozenset()):
        """Lay ``material`` out at the frame scales ``fits`` and check it, without writing."""
        from .checks import check_document

        warnings: list[str] = []
        started = time.perf_counter()
        html = self.renderer.render(
            material, sections, self.data.content, self.options, fits, plain
        )
        document = self.layout.render(html, warnings)
        checked = time.perf_counter()
        problems, _ = check_document(document, expect, full=False)
        timing["layout"] += checked - started
        timing["check"] += time.perf_counter() - checked
        timing["layouts"] += 1
        return document, problems, warnings

    def fit(self, material: Material, sections: list[Section], timing: dict, memory: dict):
        """Lay out at the largest type scales that fit, then run the full check once."""
        from .checks import check_document
        from .copyfit import copyfit

        expect = self.expectations(material, sections)

        def fit(plain: frozenset[str], start, remembered):
            def attempt(fits):
                return self.attempt(material, sections, expect, timing, fits, plain=plain)

            fitted = copyfit(attempt, start, remembered)
            fitted.plain = plain
            return fitted

        # A frame that does not fit even at its floor may have a plainer layout (the card
        # back without pictograms): fit again with it, when the template offers one. A
        # rebuild that remembers plain frames checks once that they still need to be.
        plain = frozenset(memory.get("plain", ()))
        start = dict(memory.get("fits") or {})
        start.update({frame: memory["floors"][frame] for frame in plain})
        fitted = fit(frozenset(), start, None if plain else memory.get("fills"))
        hopeless = frozenset(fitted.hopeless)
        if hopeless and self._has_plain_layout(material, sections, fitted.fits, hopeless):
            remembered = hopeless == plain
            fitted = fit(
                hopeless,
                memory.get("fits") if remembered else fitted.fits,
                memory.get("fills") if remembered else None,
            )
        # The glyph-level checks, once, on the layout copyfitting settled on.
        started = time.perf_counter()
        fitted.problems, _ = check_document(fitted.document, expect, full=True)
        timing["check"] += time.perf_counter() - started
        return fitted

    def _has_plain_layout(self, material, sections, fits, frames: frozenset[str]) -> bool:
        """Whether the template lays ``frames`` out differently when asked for plain ones."""
        content, options = self.data.content, self.options
        render = self.renderer.render
        return render(material, sections, content, options, fits, frames) != render(
            material, sections, content, options, fits
        )

    def explain(self, fitted, sections: list[Section]) -> list[str]:
        """The problems as printed: with the catalog line of their text, what copyfitting
        already tried, and the translation to shorten when a frame cannot fit."""
        from .checks import frame_texts
        from .copyfit import longest_translation, note_floor

        problems = [note_floor(p, fitted.fits, fitted.hopeless) for p in fitted.problems]
        for frame in sorted(fitted.hopeless):
            culprit = longest_translation(frame_texts(fitted.document, frame), sections)
            if culprit:
                problems.append(culprit)
        return list(
            dict.fromkeys(
                [_located(p, sections) for p in problems]
                + [f"WeasyPrint: {w}" for w in fitted.warnings]
            )
        )

    def write(self, document, target: Path, problems: list[str]) -> Path | None:
        """Write the PDF; a WeasyPrint warning while writing fails it, and nothing is left."""
        warnings: list[str] = []
        try:
            with atomic_output(target) as handle:
                self.layout.write(document, handle, warnings)
                if warnings:
                    raise _Discard
        except _Discard:
            problems.extend(f"WeasyPrint: {w}" for w in warnings)
            return None
        return target

    def impose(self, material: Material, task: Task, target: Path, result: Result) -> None:
        """Place the card's checked PDF ten times on a sheet (impose.py)."""
        from .impose import impose

        source = self.project.pdf_path(task.lang, material.impose)
        paper = PAPER[(material.paper, self.options.paper)]
        with atomic_output(target) as handle:
            result.pages = impose(source, handle, paper, task.lang)
        if result.pages != material.pages:
            raise InputError(f"{result.pages} pages instead of {material.pages}")
        result.path = target
        result.inputs = {"files": [], "catalogs": {}}

    def inputs(self, material: Material, sections: list[Section]) -> dict:
        """What the document was made from: every file read (templates, stylesheets, fonts,
        pictograms) and, per language, the catalog entries looked up."""
        files = [
            *self.renderer.template_files(material.template),
            *self.renderer.font_files(sections),
            *self.layout.fetcher.fetched,
        ]
        return {
            "files": sorted({str(path) for path in files}),
            "catalogs": {
                section.language.code: sorted(section.translator.used, key=str)
                for section in sections
                if section.translator.catalog is not None
            },
        }

    def preview(self, pdf: Path, imposed: bool = False) -> list[Path]:
        from .preview import LONG_SIDE_PX, SHEET_LONG_SIDE_PX, render_pages

        return render_pages(
            pdf, preview_dir(pdf), long_side=SHEET_LONG_SIDE_PX if imposed else LONG_SIDE_PX
        )


class _Discard(Exception):
    """Raised inside an atomic write to leave the target as it was."""


_worker: Worker | None = None


def init_worker(project: Project, data: Data, options: Options) -> None:
    global _worker
    _worker = Worker(project, data, options)


def build_one(task: Task, memory: dict) -> Result:
    """Build one document in this worker process (see ``init_worker``)."""
    try:
        return _worker.build(task, memory)
    finally:
        _release_memory()


def _release_memory() -> None:
    """Give the memory of the document just built back to the system. A layout tree is
    garbage with reference cycles, and writing a PDF copies every font it subsets (14 MB
    for a Chinese face): without this, each worker's resident size only grows, and the
    collector's automatic passes over that growing heap cost more than this one does."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


try:
    _LIBC = ctypes.CDLL("libc.so.6")
    _LIBC.malloc_trim  # noqa: B018 (glibc only)
except (OSError, AttributeError):
    _LIBC = None


def preview_dir(pdf: Path) -> Path:
    return pdf.parent / "preview"


def _remove_previews(pdf: Path) -> None:
    # "<stem>-<page>.png" only: wallet-card's must not take wallet-card-sheet's with them.
    for stale in preview_dir(pdf).glob(f"{pdf.stem}-[0-9]*.png"):
        stale.unlink()


def discard(pdf: Path) -> None:
    """A document that failed leaves nothing behind: not its old PDF, not its previews."""
    pdf.unlink(missing_ok=True)
    _remove_previews(pdf)


def _located(problem, sections) -> str:
    """The problem, with the catalog line whose translation printed its text."""
    if problem.text:
        for section in sections:
            catalog = section.translator.catalog
            line = locate(catalog, problem.text)
            if line:
                return f"{problem} ({display_path(catalog.path)}:{line})"
    return str(problem)
