"""Run the stages for each language and material, and write the PDFs that pass the check.

Everything is loaded and validated before anything is written. Then the build is planned,
one task per document, and each task is compared with the manifest of what made the PDFs
already in output/ (manifest.py): a document whose inputs did not change is up to date and
is not built again. The others go to a pool of worker processes, one per core, each with
WeasyPrint imported once: a document is rendered, copyfitted (starting from the scales that
fitted last time), checked, and only then written through an unnamed temporary file. A
failed document leaves no PDF behind (not even an older one), and never touches another's.
A sheet of cards is imposed from its card's PDF as soon as that one is written.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import dataclasses
import datetime
import gc
import multiprocessing
import os
import sys
import time
import traceback
from pathlib import Path

from . import fonts as fonts_module
from .adapt import described
from .catalogs import (
    Catalog,
    Translator,
    catalog_path,
    locate,
    missing_strings,
    read_catalog,
    read_template,
    template_keys,
)
from .content import Content, Material, load_content, stale_resources
from .errors import InputError, InputErrors, display_path
from .files import atomic_output
from .inputs import links_out_of
from .languages import Language, load_languages
from .manifest import Manifest, code_fingerprint, digest, record_digest
from .pdf import document_date, pdf_settings
from .render import PAPER, Options, Renderer, Section


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
    #: the entries of messages.pot, for the catalogs' status and warnings
    template: dict
    #: the templates, compiled and checked once; forked workers inherit them
    renderer: Renderer


@dataclasses.dataclass(frozen=True)
class Task:
    """One document to build: a material in a language, with the languages it shows."""

    lang: str
    material: str
    section_langs: tuple[str, ...]
    #: for a sheet: the key of the card document it imposes
    card: str | None = None

    @property
    def key(self) -> str:
        return f"{self.lang}/{self.material}"


@dataclasses.dataclass
class Result:
    """What building one document gave."""

    lang: str
    material: str
    path: Path | None = None
    pages: int = 0
    fits: dict = dataclasses.field(default_factory=dict)  # type scale per frame (copyfitting)
    fills: dict = dataclasses.field(default_factory=dict)  # how full each frame is at that
    #: the adaptation steps the document took (adapt.py), and what they say
    steps: list[str] = dataclasses.field(default_factory=list)
    adaptations: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    missing: dict = dataclasses.field(default_factory=dict)
    seconds: float = 0.0
    previews: list[Path] = dataclasses.field(default_factory=list)
    #: seconds spent laying out and checking, and how many layouts copyfitting needed
    timing: dict = dataclasses.field(
        default_factory=lambda: {"layout": 0.0, "check": 0.0, "layouts": 0}
    )
    #: what the document was made from, for the manifest: files read, catalog entries used
    inputs: dict = dataclasses.field(default_factory=dict)

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

    # Links out of the project are refused before any file is read (inputs.py).
    links_out = links_out_of(project.root)
    if links_out:
        raise InputErrors(links_out)
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
    template = attempt(read_template, project.root)
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
        if not os.path.lexists(path):  # a link is refused by read_catalog, with its target
            catalog_errors[code] = [InputError(f"no catalog for '{code}' ({language.name})", path)]
            continue
        try:
            catalogs[code] = read_catalog(path, language)
        except InputError as error:
            catalog_errors[code] = [error]
        except InputErrors as many:
            catalog_errors[code] = many.errors
    warnings = stale_resources(content, today or datetime.date.today())
    return Data(
        fonts,
        languages,
        content,
        catalogs,
        catalog_errors,
        warnings,
        template_keys(template),
        renderer,
    )


def poster_languages(material: Material, lang: str, override: list[str] | None) -> list[str]:
    """The document's own language first, then the others the poster shows, once each."""
    others = override if override is not None else material.poster_languages
    return list(dict.fromkeys([lang, *others]))


def expected_numbers(material: Material, content: Content) -> tuple[str, ...]:
    numbers = []
    for ident in material.resources:
        resource = content.resources[ident]
        numbers += [n for n in (resource.phone, resource.text_number) if n]
    # A discreet material does not print the organisation: its name may say what it does.
    if content.organisation and content.organisation.phone and not material.discreet:
        numbers.append(content.organisation.phone)
    return tuple(dict.fromkeys(numbers))


# --- planning: which documents, and which of them are already up to date -----------------


def plan(
    data: Data, langs: list[str], material_ids: list[str], poster_override: list[str] | None
) -> list[Task]:
    """One task per (language, material), in a stable order. A sheet's card is built too,
    when it is not asked for: the sheet is made from its PDF."""
    materials = data.content.materials
    wanted = list(material_ids)
    for material_id in material_ids:
        source = materials[material_id].impose
        if source and source not in wanted:
            wanted.insert(wanted.index(material_id), source)
    tasks = []
    for lang in langs:
        for material_id in wanted:
            material = materials[material_id]
            section_langs = [lang]
            if material.poster_languages:  # a poster (--poster-languages changes which)
                section_langs = poster_languages(material, lang, poster_override)
            card = f"{lang}/{material.impose}" if material.impose else None
            tasks.append(Task(lang, material_id, tuple(section_langs), card))
    return tasks


def run_inputs(data: Data, options: Options) -> dict:
    """The fingerprints every document of a run shares: the options and the font table."""
    chosen = {
        field.name: getattr(options, field.name)
        for field in dataclasses.fields(options)
        if field.name not in ("debug", "previews")
    }
    return {
        "options": digest(chosen),
        "fonts": digest([record_digest(font) for font in data.fonts]),
    }


def expected_inputs(task: Task, data: Data, shared: dict, manifest: Manifest) -> dict:
    """The fingerprints of a document's inputs that are known before it is built: options
    (``shared``, from ``run_inputs``), content records, language rows and font table; for an
    imposed sheet, its card's PDF. (The files it reads and the catalog entries it uses are
    recorded when it is built.)"""
    material = data.content.materials[task.material]
    if task.card:
        card = manifest.documents.get(task.card)
        return {
            "options": shared["options"],
            "content": record_digest(material),
            "source": card and card["pdf"]["sha256"],
        }
    content = data.content
    records = [
        record_digest(material),
        [record_digest(content.resources[ident]) for ident in material.resources],
        [record_digest(content.signs[ident]) for ident in material.signs],
        content.organisation and record_digest(content.organisation),
        task.section_langs,
    ]
    languages = [record_digest(data.languages[code]) for code in (*task.section_langs, "en")]
    return {
        "options": shared["options"],
        "content": digest(records),
        "languages": digest(languages),
        "fonts": shared["fonts"],
    }


# --- the worker side: everything below runs where WeasyPrint is imported ------------------


class Worker:
    """Builds documents in a process where WeasyPrint is imported, one named step at a time:
    lay out and copyfit, check, write, preview; or impose a sheet from its card."""

    def __init__(self, project: Project, data: Data, options: Options):
        fonts_module.isolate(project.fonts_dir)
        from .layout import Layout

        self.project, self.data, self.options = project, data, options
        self.layout = Layout(project.templates_dir, pdf_settings(options))
        self.renderer = data.renderer
        organisation = data.content.organisation
        if organisation and organisation.logo_png:  # served re-encoded (content.load_logo)
            self.layout.fetcher.served[organisation.logo_path.resolve()] = organisation.logo_png
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

        # --- issue 17: adaptation steps (adapt.py) --------------------------------------
        def fit(steps: tuple[str, ...], start, remembered):
            def attempt(fits):
                return self.attempt(material, sections, expect, timing, fits, frozenset(steps))

            return copyfit(attempt, start, remembered)

        def changes(steps: tuple[str, ...], step: str) -> bool:
            before = render(material, sections, content, options, {}, frozenset(steps))
            after = render(material, sections, content, options, {}, frozenset((*steps, step)))
            return before != after

        order = [content.steps[step] for step in material.adapt]
        adapted = adapt(fit, order, changes, memory)
        fitted, fitted.steps = adapted.fitted, adapted.steps
        # --- end of issue 17 -------------------------------------------------------------
        # The glyph-level checks, once, on the layout copyfitting settled on.
        started = time.perf_counter()
        fitted.problems, _ = check_document(fitted.document, expect, full=True)
        timing["check"] += time.perf_counter() - started
        return fitted

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


def _init_worker(project: Project, data: Data, options: Options) -> None:
    global _worker
    _worker = Worker(project, data, options)


def build_one(task: Task, memory: dict) -> Result:
    """Build one document in this worker process (see ``_init_worker``)."""
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


def hb_subset_missing() -> bool:
    """Whether HarfBuzz's subsetter is missing (dlopen, not find_library: that one runs
    ldconfig and gcc, which costs a third of a second)."""
    try:
        ctypes.CDLL("libharfbuzz-subset.so.0")
    except OSError:
        return True
    return False


# --- running the plan --------------------------------------------------------------------

#: Relative cost of a material's first build, to start the longest ones first.
_WEIGHT = {"tabloid": 3.0, "letter": 2.0, "card": 1.0}
#: How often the manifest is saved during a build, so that a killed build keeps its work.
_SAVE_EVERY = 2.0


class Build:
    """One run: the tasks, what is up to date, and the manifest it keeps current."""

    def __init__(self, project: Project, data: Data, options: Options, manifest: Manifest):
        self.project, self.data, self.options, self.manifest = project, data, options, manifest
        self.shared = run_inputs(data, options)
        self.saved = time.monotonic()

    def stale(self, tasks: list[Task], force: bool) -> dict[Task, str]:
        """The tasks to build, with why; the others are up to date."""
        to_build: dict[Task, str] = {}
        rebuilt: set[str] = set()  # keys of to_build, for the sheets
        # Cards before the sheets made from them.
        for task in sorted(tasks, key=lambda t: t.card is not None):
            if task.card in rebuilt:
                to_build[task] = f"its card ({task.card}) is rebuilt"
                continue
            reason = (
                "--force"
                if force
                else self.manifest.stale(
                    task.key,
                    expected_inputs(task, self.data, self.shared, self.manifest),
                    self.data.catalogs,
                    self.project.pdf_path(task.lang, task.material),
                    self.options.previews,
                )
            )
            if reason:
                to_build[task] = reason
                rebuilt.add(task.key)
        return to_build

    def finished(self, task: Task, result: Result) -> None:
        """Keep the manifest current: remember what was written, forget what failed."""
        if result.ok and result.path:
            expected = expected_inputs(task, self.data, self.shared, self.manifest)
            self.manifest.record(task.key, expected, result, self.data.catalogs)
        else:
            self.manifest.forget(task.key)
        if time.monotonic() - self.saved > _SAVE_EVERY:
            self.save()

    def save(self) -> None:
        self.manifest.save()
        self.saved = time.monotonic()

    def cost(self, task: Task) -> float:
        known = (self.manifest.documents.get(task.key) or {}).get("seconds")
        material = self.data.content.materials[task.material]
        return known or _WEIGHT[material.paper] * len(task.section_langs)


def run(build: Build, to_build: list[Task], jobs: int):
    """Build the stale tasks, yielding (task, Result) as each is finished. A sheet is
    submitted as soon as its card is written, and fails without trying when its card failed."""
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
    ready.sort(key=build.cost, reverse=True)

    def memory_of(task: Task) -> dict:
        """What the build remembers of a document; for a sheet, of its card (just built,
        or up to date), whose scales it prints."""
        return build.manifest.memory(task.card or task.key)

    def finish(task: Task, result: Result):
        """The result, recorded; then the sheets that were waiting for it, as (task, None)
        when they can be built now, or (task, Result) when they fail with it."""
        build.finished(task, result)
        yield task, result
        for sheet in sheets.pop(task, ()):
            if result.ok:
                yield sheet, None
            else:
                discard(build.project.pdf_path(sheet.lang, sheet.material))
                failed = Result(sheet.lang, sheet.material, problems=["its card failed"])
                yield from finish(sheet, failed)

    if jobs <= 1 or len(to_build) <= 1:
        _init_worker(build.project, build.data, build.options)
        queue = list(ready)
        while queue:
            task = queue.pop(0)
            for follower, result in finish(task, build_one(task, memory_of(task))):
                if result is None:
                    queue.insert(0, follower)
                else:
                    yield follower, result
        return
    # Workers are forked from this process once WeasyPrint is imported here (fontconfig
    # isolated first): each starts at once, with everything loaded, instead of a new Python
    # importing it all again. Nothing here has laid anything out or started a thread yet.
    fonts_module.isolate(build.project.fonts_dir)
    import weasyprint  # noqa: F401

    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=min(jobs, len(to_build)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(build.project, build.data, build.options),
    ) as pool:
        running = {pool.submit(build_one, task, memory_of(task)): task for task in ready}
        while running:
            done, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                for follower, result in finish(running.pop(future), future.result()):
                    if result is None:
                        running[pool.submit(build_one, follower, memory_of(follower))] = follower
                    else:
                        yield follower, result


def catalog_failures(data: Data, tasks: list[Task]):
    """Documents that cannot be built because one of their catalogs has errors."""
    for task in tasks:
        errors = [str(e) for code in task.section_langs for e in data.catalog_errors.get(code, [])]
        if errors:
            yield task, Result(task.lang, task.material, problems=["catalog has errors", *errors])


def generate(
    project: Project,
    *,
    organisation: Path | None,
    langs: list[str] | None,
    materials: list[str] | None,
    options: Options,
    poster_override: list[str] | None,
    jobs: int | None = None,
    force: bool = False,
    out=print,
    err=None,
    progress: bool | None = None,
) -> int:
    """Load, build what changed, report: what ``generate.py`` does. Returns the exit code.

    ``progress``: show a progress bar (default: when standard output is a terminal)."""
    from . import report
    from .catalogs import catalog_warnings, language_status
    from .gallery import write_gallery

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
        if options.archive:  # PDF/A needs a creation date: a reproducible one
            verified = [resource.verified for resource in data.content.resources.values()]
            options = dataclasses.replace(options, pdf_date=document_date(verified))
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
    langs = langs or list(data.languages)
    tasks = plan(data, langs, materials, poster_override)
    manifest = Manifest.load(project.output, project.root, code_fingerprint())
    build = Build(project, data, options, manifest)
    failed = dict(catalog_failures(data, tasks))
    stale = build.stale([t for t in tasks if t not in failed], force)
    to_build = [task for task in tasks if task in stale]
    if to_build and hb_subset_missing():
        err(
            "warning: libharfbuzz-subset is not installed: fonts are subset with fontTools, "
            "which is much slower (run ./setup.sh)"
        )
    if progress is None:
        progress = out is print and sys.stdout.isatty()
    bar = report.Progress(len(to_build)) if progress and to_build else None
    results: dict[Task, Result] = {}
    for task, result in failed.items():
        discard(project.pdf_path(task.lang, task.material))
        manifest.forget(task.key)
        results[task] = result
        out(report.result_line(result))
    # Lines come out in the plan's order, each as soon as those before it are done.
    pending = list(to_build)
    for task, result in run(build, to_build, jobs or os.cpu_count() or 1):
        results[task] = result
        if bar:
            bar.advance()
        while pending and pending[0] in results:
            line = report.result_line(results[pending.pop(0)])
            bar.write(line) if bar else out(line)
    build.save()
    if bar:
        bar.close()
    finished = list(results.values())
    # Strings printed in English, also in the documents that were up to date.
    up_to_date = [task for task in tasks if task not in results]
    printed = list(finished)
    for task in up_to_date:
        noted = Result(task.lang, task.material)
        for code, used in manifest.documents[task.key]["inputs"]["catalogs"].items():
            keys = manifest.keysets.get(used["keys"], [])
            for key, reason in missing_strings(keys, data.catalogs.get(code)).items():
                noted.missing[(code, *key)] = reason
        printed.append(noted)
    for line in report.language_notes(data, printed, langs):
        out(line)
    wall = time.perf_counter() - started
    template = data.template
    statuses = {
        code: language_status(project.root, language, template, data.catalogs.get(code))
        for code, language in data.languages.items()
    }
    notes = {}  # per language: catalog errors and warnings, for the gallery
    for code, catalog in data.catalogs.items():
        if catalog is not None:
            notes[code] = [str(warning) for warning in catalog_warnings(catalog, template)]
    for code, errors in data.catalog_errors.items():
        notes[code] = [str(error) for error in errors]
    path = write_gallery(project.output, project.templates_dir, data, finished, statuses, notes)
    out(f"gallery: {display_path(path)}")
    out(report.timing_line(finished, len(up_to_date), wall))
    return 1 if any(not r.ok for r in finished) else 0
