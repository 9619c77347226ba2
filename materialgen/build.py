"""Run the stages for each language and material, and write the PDFs that pass the check.

Everything is loaded and validated before anything is written. Each document is laid out,
copyfitted, checked, and only then written to a temporary file that is renamed into place:
a failed document leaves no PDF behind (not even an older one), and never touches another's.
"""

from __future__ import annotations

import concurrent.futures
import ctypes.util
import dataclasses
import datetime
import multiprocessing
import sys
import time
import traceback
from pathlib import Path

from . import fonts as fonts_module
from .catalogs import Catalog, Translator, catalog_path, locate, read_catalog
from .content import Content, Material, load_content, stale_resources
from .errors import InputError, InputErrors, display_path
from .files import atomic_output
from .languages import Language, load_languages
from .render import Options, Renderer, Section


@dataclasses.dataclass
class Project:
    """Where everything lives; tests point it at a copy."""

    root: Path
    output_dir: Path | None = None

    @property
    def materials_dir(self) -> Path:
        return self.root / "materials"

    @property
    def locales_dir(self) -> Path:
        return self.root / "locales"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def fonts_dir(self) -> Path:
        return self.templates_dir / "fonts"

    @property
    def output(self) -> Path:
        return self.output_dir or self.root / "output"

    def pdf_path(self, lang: str, material: str) -> Path:
        return self.output / lang / f"{material}.pdf"


@dataclasses.dataclass
class Data:
    """Everything loaded and validated, ready to render."""

    fonts: list[fonts_module.FontFile]
    languages: dict[str, Language]
    content: Content
    catalogs: dict[str, Catalog | None]
    catalog_errors: dict[str, list[InputError]]
    warnings: list[InputError]


@dataclasses.dataclass
class Result:
    """What building one document gave."""

    lang: str
    material: str
    path: Path | None = None
    pages: int = 0
    fits: dict = dataclasses.field(default_factory=dict)  # type scale per frame (copyfitting)
    plain: list[str] = dataclasses.field(default_factory=list)  # frames without their pictures
    problems: list[str] = dataclasses.field(default_factory=list)
    missing: dict = dataclasses.field(default_factory=dict)
    seconds: float = 0.0
    previews: list[Path] = dataclasses.field(default_factory=list)
    #: seconds spent laying out and checking, and how many layouts copyfitting needed
    timing: dict = dataclasses.field(
        default_factory=lambda: {"layout": 0.0, "check": 0.0, "layouts": 0}
    )

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def scale(self) -> float:
        """The smallest type scale of its frames: what a reader notices."""
        return min(self.fits.values(), default=1.0)


def load(
    project: Project,
    organisation: Path | None,
    langs: list[str] | None,
    today: datetime.date | None = None,
) -> Data:
    """Load fonts, languages, content and catalogs. Content errors raise InputErrors;
    a broken catalog only marks its language as failed."""
    errors: list[InputError] = []

    def attempt(function, *args):
        try:
            return function(*args)
        except InputError as error:
            errors.append(error)
        except InputErrors as many:
            errors.extend(many.errors)
        return None

    fonts = attempt(fonts_module.load_fonts, project.templates_dir / "fonts.yaml") or []
    families = {font.family for font in fonts}
    languages = attempt(load_languages, project.locales_dir / "languages.yaml", families) or {}
    content = attempt(load_content, project.materials_dir, organisation)
    for code in langs or ():
        if languages and code not in languages:
            errors.append(
                InputError(
                    f"unknown language '{code}' (known: {', '.join(languages)})",
                    project.locales_dir / "languages.yaml",
                )
            )
    for material in content.materials.values() if content else ():
        for code in material.poster_languages:
            if languages and code not in languages:
                errors.append(
                    InputError(
                        f"poster_languages: unknown language '{code}'",
                        material.where.path,
                        material.where.of("poster_languages"),
                    )
                )
    if not errors:
        renderer = Renderer(project.templates_dir, fonts, languages)
        errors += renderer.check_templates()
    if errors:
        raise InputErrors(errors)
    missing = fonts_module.missing_prepared(fonts, project.fonts_dir)
    if missing:
        raise InputError(
            f"{len(missing)} font files are not prepared (first: "
            f"{missing[0].prepared_name}): run ./setup.sh",
            project.fonts_dir,
        )
    catalogs: dict[str, Catalog | None] = {}
    catalog_errors: dict[str, list[InputError]] = {}
    for code, language in languages.items():
        if code == "en":
            catalogs[code] = None
            continue
        path = catalog_path(project.locales_dir, code)
        if not path.is_file():
            catalog_errors[code] = [InputError(f"no catalog for '{code}' ({language.name})", path)]
            continue
        try:
            catalogs[code] = read_catalog(path, language)
        except InputError as error:
            catalog_errors[code] = [error]
        except InputErrors as many:
            catalog_errors[code] = many.errors
    warnings = stale_resources(content, today or datetime.date.today())
    return Data(fonts, languages, content, catalogs, catalog_errors, warnings)


def poster_languages(material: Material, lang: str, override: list[str] | None) -> list[str]:
    """The document's own language first, then the others the poster shows, once each."""
    others = override if override is not None else material.poster_languages
    return list(dict.fromkeys([lang, *others]))


def expected_numbers(material: Material, content: Content) -> tuple[str, ...]:
    numbers = []
    for ident in material.resources:
        resource = content.resources[ident]
        numbers += [n for n in (resource.phone, resource.text_number) if n]
    if content.organisation and content.organisation.phone:
        numbers.append(content.organisation.phone)
    return tuple(dict.fromkeys(numbers))


# --- the worker side: everything below runs where WeasyPrint is imported ------------------


@dataclasses.dataclass
class Fitted:
    """A document laid out at the type scales copyfitting chose, with what the check found."""

    document: object
    fits: dict[str, float]
    hopeless: set[str]  # frames that do not fit even at their floor
    problems: list
    warnings: list[str]
    plain: frozenset[str] = frozenset()  # frames laid out without their optional pictures


class Worker:
    """Builds documents in a process where WeasyPrint is imported, one named step at a time:
    lay out and copyfit, check, write, preview."""

    def __init__(self, project: Project, data: Data, options: Options):
        fonts_module.isolate(project.fonts_dir)
        from .layout import Layout

        self.project, self.data, self.options = project, data, options
        self.layout = Layout(project.templates_dir)
        self.renderer = Renderer(project.templates_dir, data.fonts, data.languages)

    def build(self, lang: str, material_id: str, section_langs: list[str]) -> Result:
        """Render, copyfit, check and write one document."""
        from .layout import BlockedURL

        started = time.perf_counter()
        material = self.data.content.materials[material_id]
        result = Result(lang, material_id)
        target = self.project.pdf_path(lang, material_id)
        sections = self.sections(section_langs)
        try:
            fitted = self.fit(material, sections, result.timing)
            result.fits = fitted.fits
            result.plain = sorted(fitted.plain)
            result.pages = len(fitted.document.pages)
            result.problems = self.explain(fitted, sections)
            if result.ok:
                result.path = self.write(fitted.document, target, result.problems)
            _remove_previews(target)
            if result.path and self.options.previews:
                result.previews = self.preview(result.path)
        except (InputError, BlockedURL) as error:  # BlockedURL: a BaseException, see layout.py
            result.problems.append(str(error))
        except Exception as error:
            debug = self.options.debug
            result.problems.append(
                traceback.format_exc() if debug else f"{type(error).__name__}: {error}"
            )
        if not result.ok:
            target.unlink(missing_ok=True)
            _remove_previews(target)
        for section in sections:
            for key, reason in section.translator.missing.items():
                result.missing[(section.language.code, *key)] = reason
        result.seconds = time.perf_counter() - started
        return result

    def sections(self, section_langs: list[str]) -> list[Section]:
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

    def attempt(self, material, sections, expect, timing, fits, full=False, plain=frozenset()):
        """Lay ``material`` out at the frame scales ``fits`` and check it, without writing."""
        from .checks import check_document

        warnings: list[str] = []
        started = time.perf_counter()
        html = self.renderer.render(
            material, sections, self.data.content, self.options, fits, plain
        )
        document = self.layout.render(html, warnings)
        checked = time.perf_counter()
        problems, _ = check_document(document, expect, full)
        timing["layout"] += checked - started
        timing["check"] += time.perf_counter() - checked
        timing["layouts"] += 1
        return document, problems, warnings

    def fit(self, material: Material, sections: list[Section], timing: dict) -> Fitted:
        """Lay out at the largest type scales that fit, then run the full check once.

        A material that repeats another (the card sheet) takes that one's scales, found on
        the smaller document.
        """
        from .checks import check_document, frame_limits
        from .copyfit import copyfit

        fit_material = self.data.content.materials.get(material.fit_with or "", material)
        expect = self.expectations(fit_material, sections)

        def fit_with(plain: frozenset[str]):
            def attempt(fits, full=False):
                return self.attempt(fit_material, sections, expect, timing, fits, full, plain)

            document, problems, warnings = attempt({})
            fits: dict[str, float] = {}
            hopeless: set[str] = set()
            limits = frame_limits(document)
            if any(p.fit for p in problems) or any(high > 1 for _, high in limits.values()):
                document, warnings, fits, hopeless = copyfit(attempt, limits, problems)
            return document, problems, warnings, fits, hopeless

        plain: frozenset[str] = frozenset()
        document, problems, warnings, fits, hopeless = fit_with(plain)
        # A frame that does not fit even at its floor may have a plainer layout (the card
        # back without pictograms): fit again with it, when the template offers one.
        if hopeless and self._has_plain_layout(fit_material, sections, fits, frozenset(hopeless)):
            plain = frozenset(hopeless)
            document, problems, warnings, fits, hopeless = fit_with(plain)
        if fit_material is not material:
            expect = self.expectations(material, sections)
            document, problems, warnings = self.attempt(
                material, sections, expect, timing, fits, full=True, plain=plain
            )
        else:
            # The glyph-level checks, once, on the layout copyfitting settled on.
            check_started = time.perf_counter()
            problems, _ = check_document(document, expect, full=True)
            timing["check"] += time.perf_counter() - check_started
        return Fitted(document, fits, hopeless, problems, warnings, plain)

    def _has_plain_layout(self, material, sections, fits, frames: frozenset[str]) -> bool:
        """Whether the template lays ``frames`` out differently when asked for plain ones."""
        content, options = self.data.content, self.options
        render = self.renderer.render
        return render(material, sections, content, options, fits, frames) != render(
            material, sections, content, options, fits
        )

    def explain(self, fitted: Fitted, sections: list[Section]) -> list[str]:
        """The problems as printed: with the catalog line of their text, what copyfitting
        already tried, and the translation to shorten when a frame cannot fit."""
        from .checks import frame_texts
        from .copyfit import longest_translation, note_floor

        problems = [note_floor(p, fitted.fits, fitted.hopeless) for p in fitted.problems]
        for frame in sorted(fitted.hopeless):
            culprit = longest_translation(frame_texts(fitted.document, frame), sections)
            if culprit:
                problems.append(culprit)
        # A sheet repeats the card ten times: report each problem once.
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

    def preview(self, pdf: Path) -> list[Path]:
        from .preview import render_pages

        return render_pages(pdf, preview_dir(pdf), dpi=PREVIEW_DPI)


class _Discard(Exception):
    """Raised inside an atomic write to leave the target as it was."""


_worker: Worker | None = None


def _init_worker(project: Project, data: Data, options: Options) -> None:
    global _worker
    _worker = Worker(project, data, options)


def build_one(lang: str, material_id: str, section_langs: list[str]) -> Result:
    """Build one document in this worker process (see ``_init_worker``)."""
    return _worker.build(lang, material_id, section_langs)


PREVIEW_DPI = 60


def preview_dir(pdf: Path) -> Path:
    return pdf.parent / "preview"


def _remove_previews(pdf: Path) -> None:
    # "<stem>-<page>.png" only: wallet-card's must not take wallet-card-sheet's with them.
    for stale in preview_dir(pdf).glob(f"{pdf.stem}-[0-9]*.png"):
        stale.unlink()


def _located(problem, sections) -> str:
    """The problem, with the catalog line whose translation printed its text."""
    if problem.text:
        for section in sections:
            catalog = section.translator.catalog
            line = locate(catalog, problem.text)
            if line:
                return f"{problem} ({display_path(catalog.path)}:{line})"
    return str(problem)


def hb_subset_missing() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is None


def run(
    project: Project,
    data: Data,
    langs: list[str],
    material_ids: list[str],
    options: Options,
    poster_override: list[str] | None,
    jobs: int,
):
    """Build every (language, material) pair, yielding Results in a stable order."""
    tasks = []
    for lang in langs:
        for material_id in material_ids:
            material = data.content.materials[material_id]
            section_langs = [lang]
            if material.poster_languages or poster_override is not None:
                section_langs = poster_languages(material, lang, poster_override)
            tasks.append((lang, material_id, section_langs))
    failed_langs = set(data.catalog_errors)
    runnable = [t for t in tasks if not failed_langs & set(t[2])]
    for lang, material_id, section_langs in tasks:
        if (lang, material_id, section_langs) not in runnable:
            data_errors = [
                str(e) for code in section_langs for e in data.catalog_errors.get(code, [])
            ]
            project.pdf_path(lang, material_id).unlink(missing_ok=True)
            yield Result(lang, material_id, problems=["catalog has errors"] + data_errors)
    if jobs <= 1 or len(runnable) <= 1:
        _init_worker(project, data, options)
        for task in runnable:
            yield build_one(*task)
        return
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_init_worker,
        initargs=(project, data, options),
    ) as pool:
        futures = [pool.submit(build_one, *task) for task in runnable]
        for future in futures:
            yield future.result()


def generate(
    project: Project,
    *,
    organisation: Path | None,
    langs: list[str] | None,
    materials: list[str] | None,
    options: Options,
    poster_override: list[str] | None,
    jobs: int,
    out=print,
    err=None,
) -> int:
    """Load, build, report: what ``generate.py`` does. Returns the exit code."""
    from . import report
    from .catalogs import catalog_warnings, language_status, read_template, template_keys

    err = err or (lambda text: print(text, file=sys.stderr))
    started = time.perf_counter()
    default_organisation = project.materials_dir / "local-organisation.yaml"
    if organisation is None and default_organisation.is_file():
        organisation = default_organisation
    try:
        data = load(project, organisation, [*(langs or []), *(poster_override or [])])
        materials = materials or list(data.content.materials)
        unknown = [m for m in materials if m not in data.content.materials]
        if unknown:
            raise InputError(
                f"unknown material '{unknown[0]}' (known: {', '.join(data.content.materials)})",
                project.materials_dir / "materials.yaml",
            )
    except (InputError, InputErrors) as error:
        if options.debug:
            traceback.print_exc()
        errors = error.errors if isinstance(error, InputErrors) else [error]
        for item in errors:
            err(f"error: {item}")
        err(f"{len(errors)} error(s); nothing was written.")
        return 1
    for warning in data.warnings:
        err(f"warning: {warning}")
    if hb_subset_missing():
        err(
            "warning: libharfbuzz-subset is not installed: fonts are subset with fontTools, "
            "which is much slower (run ./setup.sh)"
        )
    langs = langs or list(data.languages)
    results = []
    for result in run(project, data, langs, materials, options, poster_override, jobs):
        results.append(result)
        out(report.result_line(result))
    for line in report.language_notes(data, results, langs):
        out(line)
    wall = time.perf_counter() - started
    template = template_keys(read_template(project.root))
    statuses = {
        code: language_status(project.root, language, template, data.catalogs.get(code))
        for code, language in data.languages.items()
    }
    notes = {}  # per language: catalog errors and warnings, for the report
    for code, catalog in data.catalogs.items():
        if catalog is not None:
            notes[code] = [str(warning) for warning in catalog_warnings(catalog, template)]
    for code, errors in data.catalog_errors.items():
        notes[code] = [str(error) for error in errors]
    path = report.write_html(project.output, data, results, statuses, notes)
    out(f"report: {display_path(path)}")
    out(report.timing_line(results, wall))
    return 1 if any(not r.ok for r in results) else 0
