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
import os
import sys
import time
import traceback
from pathlib import Path

from . import fonts as fonts_module
from .catalogs import Catalog, Translator, catalog_path, locate, read_catalog
from .content import Content, Material, load_content, stale_resources
from .errors import InputError, InputErrors, display_path
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

_worker = {}


def _init_worker(project: Project, data: Data, options: Options) -> None:
    fonts_module.isolate(project.fonts_dir)
    from .layout import Layout

    _worker["layout"] = Layout(project.templates_dir)
    _worker["renderer"] = Renderer(project.templates_dir, data.fonts, data.languages)
    _worker.update(project=project, data=data, options=options)


def build_one(lang: str, material_id: str, section_langs: list[str]) -> Result:
    """Render, copyfit, check and write one document (in a worker)."""
    from .checks import Expectations, check_document, frame_limits, frame_texts
    from .layout import BlockedURL

    started = time.perf_counter()
    project, data, options = _worker["project"], _worker["data"], _worker["options"]
    layout, renderer = _worker["layout"], _worker["renderer"]
    material = data.content.materials[material_id]
    result = Result(lang, material_id)
    target = project.pdf_path(lang, material_id)
    sections = [
        Section(data.languages[code], Translator(data.languages[code], data.catalogs[code]))
        for code in section_langs
    ]
    timing = result.timing

    def attempt_for(definition: Material):
        """A function that lays out ``definition`` with given frame scales and checks it,
        without writing; and what the check expects of it."""
        min_pt = None
        if definition.min_font_size:
            min_pt = {
                code: definition.min_font_size * data.languages[code].font_scale
                for code in section_langs
            }
        expect = Expectations(
            pages=definition.pages,
            safe_mm=options.safe_mm,
            fonts_by_lang={code: lang_.fonts for code, lang_ in data.languages.items()},
            min_font_pt=min_pt,
            numbers=expected_numbers(definition, data.content),
        )

        def attempt(fits: dict[str, float], full: bool = False):
            warnings: list[str] = []
            started = time.perf_counter()
            html = renderer.render(definition, sections, data.content, options, fits)
            document = layout.render(html, warnings)
            checked = time.perf_counter()
            problems, _ = check_document(document, expect, full)
            timing["layout"] += checked - started
            timing["check"] += time.perf_counter() - checked
            timing["layouts"] += 1
            return document, problems, warnings

        return attempt, expect

    try:
        # A material that repeats another (the card sheet) takes that one's type scale,
        # found on the smaller document.
        fit_material = data.content.materials.get(material.fit_with or "", material)
        attempt, expect = attempt_for(fit_material)
        document, problems, warnings = attempt({})
        fits: dict[str, float] = {}
        hopeless: set = set()
        limits = frame_limits(document)
        if any(p.fit for p in problems) or any(high > 1 for _, high in limits.values()):
            document, warnings, fits, hopeless = _copyfit(attempt, limits, problems)
        if fit_material is not material:
            document, problems, warnings = attempt_for(material)[0](fits, full=True)
        else:
            # The glyph-level checks, once, on the layout copyfitting settled on.
            check_started = time.perf_counter()
            problems, _ = check_document(document, expect, full=True)
            timing["check"] += time.perf_counter() - check_started
        problems = [_note_floor(p, fits, hopeless) for p in problems]
        for frame in sorted(hopeless):
            culprit = _longest_translation(frame_texts(document, frame), sections)
            if culprit:
                problems.append(culprit)
        result.fits = fits
        result.pages = len(document.pages)
        # A sheet repeats the card ten times: report each problem once.
        result.problems = list(
            dict.fromkeys(
                [_located(p, sections) for p in problems] + [f"WeasyPrint: {w}" for w in warnings]
            )
        )
        if result.ok:
            result.path = _write_atomically(layout, document, target, result.problems)
        _remove_previews(target)
        if result.path and options.previews:
            from .preview import render_pages

            result.previews = render_pages(result.path, preview_dir(target), dpi=PREVIEW_DPI)
    except (InputError, BlockedURL) as error:  # BlockedURL: a BaseException, to stop WeasyPrint
        result.problems.append(str(error))
    except Exception as error:
        detail = traceback.format_exc() if options.debug else f"{type(error).__name__}: {error}"
        result.problems.append(detail)
    if not result.ok:
        target.unlink(missing_ok=True)
        _remove_previews(target)
    for section in sections:
        for key, reason in section.translator.missing.items():
            result.missing[(section.language.code, *key)] = reason
    result.seconds = time.perf_counter() - started
    return result


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


def _copyfit(attempt, limits: dict[str, tuple[float, float]], problems):
    """The largest type scale of each frame, within its limits, at which it fits.

    A frame that does not fit at its design size shrinks, down to its floor; one that fits
    and may grow (a ceiling above 1) grows into the room it has. Bisection on one scale per
    frame, all frames at once (each layout tells every frame whether it fits), so a card
    whose front is too long keeps the back at full size. A problem no frame owns (text
    spilling outside every frame) shrinks them all. Returns the document at the chosen
    scales, its warnings, the scales, and the frames that do not fit even at their floor.
    """

    def failing(found) -> set[str]:
        names = {p.frame for p in found if p.fit}
        if len(names) > 1:
            names.discard(None)  # "too many pages" is explained by the frame that spilled
        return set(limits) if None in names or not names <= limits.keys() else names

    too_long = failing(problems)
    bounds = {
        frame: [floor, 1.0] if frame in too_long else [1.0, ceiling]
        for frame, (floor, ceiling) in limits.items()
        if frame in too_long or ceiling > 1
    }
    fits = {frame: low for frame, (low, _) in bounds.items()}
    trial = None
    while any(high - low > 0.02 for low, high in bounds.values()):  # 2 %: not noticeable
        trial = {frame: sum(bound) / 2 for frame, bound in bounds.items()}
        document, problems, warnings = attempt(trial)
        too_long = failing(problems)
        for frame, bound in bounds.items():
            bound[1 if frame in too_long else 0] = trial[frame]
        fits = {frame: bound[0] for frame, bound in bounds.items()}
    # The floor itself is laid out only when bisection ends on it.
    if trial != fits:
        document, problems, warnings = attempt(fits)
    hopeless = failing(problems) & {
        frame for frame, (floor, _) in limits.items() if fits.get(frame) == floor
    }
    return document, warnings, fits, hopeless


def _note_floor(problem, fits: dict[str, float], hopeless: set):
    """Say that copyfitting already did what it could for a frame that still does not fit."""
    if not problem.fit or not (problem.frame in hopeless or (problem.frame is None and hopeless)):
        return problem
    scale = fits.get(problem.frame) or min(fits.values())
    note = f"does not fit even with type reduced to {scale:.0%}: shorten the text"
    return dataclasses.replace(problem, message=f"{problem.message} ({note})")


def _longest_translation(texts: list[str], sections):
    """Of the translations printed in a frame that does not fit, the one longest against its
    English: usually the one to shorten."""
    from .checks import Problem

    best = None
    for section in sections:
        catalog = section.translator.catalog
        if catalog is None:
            continue
        for (_, source), entry in catalog.entries.items():
            printed = " ".join(entry.text.split())
            if (
                entry.text
                and not entry.fuzzy
                and any(" ".join(text.replace("\u200b", "").split()) in printed for text in texts)
            ):
                ratio = len(entry.text) / max(len(source), 1)
                if best is None or ratio > best[0]:
                    best = (ratio, entry, catalog, source)
    if best is None or best[0] < 1.2:
        return None
    ratio, entry, catalog, source = best
    return Problem(
        "overflow",
        f"the longest translation here against its English ({ratio:.1f} times «{source[:40]}»)",
        entry.text,
    )


def _write_atomically(layout, document, target: Path, problems: list[str]) -> Path | None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    warnings: list[str] = []
    try:
        layout.write(document, tmp, warnings)
        if warnings:
            problems.extend(f"WeasyPrint: {w}" for w in warnings)
            return None
        tmp.replace(target)
        return target
    finally:
        tmp.unlink(missing_ok=True)


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
    from .catalogs import catalog_warnings
    from .translate import language_status, read_template, template_keys

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
