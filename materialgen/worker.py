"""The worker side: everything here runs where WeasyPrint is imported.

A ``Worker`` builds one document in named steps: render, lay out and copyfit, check, write
through an unnamed temporary file, preview; or, for a sheet, impose its card's checked PDF.
A document that fails leaves nothing behind, not even an older PDF, and never touches
another's. Worker processes call ``init_worker`` once and ``build_one`` per document.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import gc
import io
import time
import traceback
from pathlib import Path

from . import fonts as fonts_module
from .adapt import described
from .catalogs import Translator, locate
from .content import Content, Material
from .errors import InputError, display_path
from .pdf import pdf_settings
from .plan import Result, Task
from .predict import (
    CALIBRATION,
    WITH_ORGANISATION,
    Demand,
    load_calibration,
    predict,
    read_frames,
)
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
        # What predicts a fresh document's type scales before its first layout (predict.py).
        self.calibration_path = project.templates_dir / CALIBRATION
        self.calibration = load_calibration(self.calibration_path)
        self.calibration_with_organisation = load_calibration(
            self.calibration_path, WITH_ORGANISATION
        )
        self.demand = Demand(project.templates_dir / "fonts", data.fonts, data.languages)
        organisation = data.content.organisation
        if organisation and organisation.logo_png:  # served re-encoded (content.load_logo)
            self.layout.fetcher.served[organisation.logo_path.resolve()] = organisation.logo_png
        # Everything so far lives as long as the worker: keep the collector from scanning
        # it again after each document (_release_memory), which made layouts slower.
        gc.freeze()

    def build(self, task: Task, memory: dict | None = None, card: bytes | None = None) -> Result:
        """Build one document; ``memory``: the scales and fills copyfitting chose last time;
        ``card``: for a sheet, its card's PDF. Nothing is written here: the PDF and its
        previews come back in the result (``pdf``, ``pngs``), and the engine, the one writer
        of the output folder, writes them, wherever this worker runs."""
        from .layout import BlockedURL

        started = time.perf_counter()
        self._current = self.data_for(task.org)
        material = self.data.content.materials[task.material]
        result = Result(task.lang, task.material, org=task.org)
        sections = self.sections(task.section_langs)
        self.layout.fetcher.fetched.clear()
        try:
            if material.impose:
                self.impose(material, task, card, result)
                # What is printed is the card: its scales and adaptation steps.
                result.fits = dict((memory or {}).get("fits") or {})
                result.steps = list((memory or {}).get("steps") or [])
                result.adaptations = described(result.steps, self.data.content.steps)
            else:
                fitted = self.fit(material, sections, result.timing, memory or {})
                result.fits, result.fills = fitted.fits, fitted.fills
                result.steps = list(fitted.steps)
                result.adaptations = described(fitted.steps, self.data.content.steps)
                result.pages = len(fitted.document.pages)
                result.problems = self.explain(fitted, sections)
                if result.ok:
                    result.pdf = self.write(fitted.document, result.problems)
                    result.inputs = self.inputs(material, sections)
            if result.pdf and self.options.previews:
                result.pngs = self.preview(result.pdf, imposed=bool(material.impose))
        except (InputError, BlockedURL) as error:  # BlockedURL: a BaseException, see layout.py
            result.problems.append(str(error))
        except Exception as error:
            debug = self.options.debug
            result.problems.append(
                traceback.format_exc() if debug else f"{type(error).__name__}: {error}"
            )
        if not result.ok:
            result.pdf, result.pngs = None, []
        for section in sections:
            for key, reason in section.translator.missing.items():
                result.missing[(section.language.code, *key)] = reason
        result.seconds = time.perf_counter() - started
        return result

    @property
    def data(self) -> Data:
        """The data of the document being built (``data_for``)."""
        return self._current

    @data.setter
    def data(self, data: Data) -> None:
        self.base, self.by_org, self._current = data, {}, data

    def data_for(self, org: str | None) -> Data:
        """The project's data, with the organisation of a batch's document in its content
        (the documents of one run differ only by it)."""
        if org is None:
            return self.base
        if org not in self.by_org:
            content = dataclasses.replace(
                self.base.content, organisation=self.base.organisations[org]
            )
            self.by_org[org] = dataclasses.replace(self.base, content=content)
        return self.by_org[org]

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

    def attempt(self, material, sections, expect, timing, fits, adapted=frozenset()):
        """Lay ``material`` out at the frame scales ``fits`` and check it, without writing."""
        from .checks import check_document

        warnings: list[str] = []
        started = time.perf_counter()
        html = self.renderer.render(
            material, sections, self.data.content, self.options, fits, adapted
        )
        document = self.layout.render(html, warnings)
        checked = time.perf_counter()
        problems, _ = check_document(document, expect, full=False)
        timing["layout"] += checked - started
        timing["check"] += time.perf_counter() - checked
        timing["layouts"] += 1
        return document, problems, warnings

    def fit(self, material: Material, sections: list[Section], timing: dict, memory: dict):
        """Lay out at the largest type scales that fit, taking the material's adaptation
        steps while a frame does not fit at its floor (adapt.py); then the full check once."""
        from .adapt import adapt
        from .checks import check_document
        from .copyfit import copyfit

        expect = self.expectations(material, sections)
        content, options, render = self.data.content, self.options, self.renderer.render

        # A fresh document starts at the scales predicted from its text (predict.py), and
        # its first layout is taken a little less full than later ones (PREDICTED_FULL).
        prediction = None if memory.get("fits") else self.predicted(material, sections)
        predicted = prediction and prediction.scales

        # --- issue 17: adaptation steps (adapt.py) --------------------------------------
        def fit(steps: tuple[str, ...], start, remembered):
            def attempt(fits):
                return self.attempt(material, sections, expect, timing, fits, frozenset(steps))

            if start is predicted and predicted:
                return copyfit(attempt, start, remembered, prediction.full, prediction.curves)
            return copyfit(attempt, start, remembered)

        def changes(steps: tuple[str, ...], step: str) -> bool:
            before = render(material, sections, content, options, {}, frozenset(steps))
            after = render(material, sections, content, options, {}, frozenset((*steps, step)))
            return before != after

        order = [content.steps[step] for step in material.adapt]
        adapted = adapt(fit, order, changes, memory, predicted)
        fitted, fitted.steps = adapted.fitted, adapted.steps
        # --- end of issue 17 -------------------------------------------------------------
        # The glyph-level checks, once, on the layout copyfitting settled on.
        started = time.perf_counter()
        fitted.problems, _ = check_document(fitted.document, expect, full=True)
        timing["check"] += time.perf_counter() - started
        return fitted

    def predicted(self, material: Material, sections: list[Section]):
        """The scales a fresh document's frames start from: predicted from the length of
        their text (predict.py), from this document's own HTML and the calibration alone, so
        that every worker, in any order, starts it the same way."""
        html = self.renderer.render(
            material, sections, self.data.content, self.options, {}, frozenset()
        )
        calibration = self.calibration_of(material)
        if calibration is None:  # not calibrated: the declared starts
            declared, _ = read_frames(html, sections[0].language.code)
            return predict(declared, {}, {})
        declared, texts = self.demand.frames(html, sections[0].language.code, calibration.places)
        return predict(declared, texts, calibration.measures)

    def calibration_of(self, material: Material):
        """The calibration a document of ``material`` is predicted with: the one made with
        an organisation when it shows this build's (or this batch document's) organisation."""
        if self.data.content.organisation and not material.discreet:
            found = self.calibration_with_organisation.get(material.id)
            if found is not None:
                return found
        return self.calibration.get(material.id)

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

    def write(self, document, problems: list[str]) -> bytes | None:
        """The PDF's bytes; a WeasyPrint warning while writing fails it."""
        warnings: list[str] = []
        buffer = io.BytesIO()
        self.layout.write(document, buffer, warnings)
        if warnings:
            problems.extend(f"WeasyPrint: {w}" for w in warnings)
            return None
        return buffer.getvalue()

    def impose(self, material: Material, task: Task, card: bytes | None, result: Result) -> None:
        """Place the card's checked PDF ten times on a sheet (impose.py)."""
        from .impose import impose

        if card is None:
            raise InputError(f"the card {task.card} was not given to impose")
        paper = PAPER[(material.paper, self.options.paper)]
        buffer = io.BytesIO()
        result.pages = impose(io.BytesIO(card), buffer, paper, task.lang)
        if result.pages != material.pages:
            raise InputError(f"{result.pages} pages instead of {material.pages}")
        result.pdf = buffer.getvalue()
        result.inputs = {"files": [], "catalogs": {}}

    def inputs(self, material: Material, sections: list[Section]) -> dict:
        """What the document was made from: every file read (templates, stylesheets, fonts,
        pictograms) and, per language, the catalog entries looked up."""
        files = [
            *self.renderer.template_files(material.template),
            *self.renderer.font_files(sections),
            *self.layout.fetcher.fetched,
            # A fresh build's first layout is at the scales it predicts (predict.py).
            self.calibration_path,
        ]
        return {
            "files": sorted({str(path) for path in files}),
            "catalogs": {
                section.language.code: sorted(section.translator.used, key=str)
                for section in sections
                if section.translator.catalog is not None
            },
        }

    def preview(self, pdf: bytes, imposed: bool = False) -> list[bytes]:
        from .preview import LONG_SIDE_PX, SHEET_LONG_SIDE_PX, page_pngs

        return page_pngs(pdf, long_side=SHEET_LONG_SIDE_PX if imposed else LONG_SIDE_PX)


_worker: Worker | None = None


def init_worker(project: Project, data: Data, options: Options) -> None:
    global _worker
    _worker = Worker(project, data, options)


def build_one(task: Task, memory: dict, card: bytes | None = None) -> Result:
    """Build one document in this worker process (see ``init_worker``)."""
    try:
        return _worker.build(task, memory, card)
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


def remove_previews(pdf: Path) -> None:
    # "<stem>-<page>.png" only: wallet-card's must not take wallet-card-sheet's with them.
    for stale in preview_dir(pdf).glob(f"{pdf.stem}-[0-9]*.png"):
        stale.unlink()


def discard(pdf: Path) -> None:
    """A document that failed leaves nothing behind: not its old PDF, not its previews."""
    with contextlib.suppress(NotADirectoryError):  # a file where its folder should be
        pdf.unlink(missing_ok=True)
        remove_previews(pdf)


def _located(problem, sections) -> str:
    """The problem, with the catalog line whose translation printed its text."""
    if problem.text:
        for section in sections:
            catalog = section.translator.catalog
            line = locate(catalog, problem.text)
            if line:
                return f"{problem} ({display_path(catalog.path)}:{line})"
    return str(problem)
