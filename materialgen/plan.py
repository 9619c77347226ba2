"""The plan: one task per document, and which of them are already up to date.

A task's inputs are fingerprinted (options, content records, language rows, fonts; for a
sheet, its card's PDF) and compared with output/manifest.json (manifest.py), which also
remembers, per document, what copyfitting settled on. ``Plan`` keeps the manifest current as
results come in, so that a build that is stopped half-way keeps the work it finished.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from .content import Material
from .manifest import Manifest, digest, record_digest
from .project import Data, Project
from .render import Options


@dataclasses.dataclass(frozen=True)
class Task:
    """One document to build: a material in a language, with the languages it shows."""

    lang: str
    material: str
    section_langs: tuple[str, ...]
    #: for a sheet: the key of the card document it imposes
    card: str | None = None
    #: in a batch: the organisation it is printed for (its file's stem); None for a single
    #: build, and for a batch's documents that do not show the organisation (shared)
    org: str | None = None

    @property
    def key(self) -> str:
        """Also its PDF's path below the output folder, without ``.pdf``."""
        prefix = f"{self.org}/" if self.org else ""
        return f"{prefix}{self.lang}/{self.material}"


@dataclasses.dataclass
class Result:
    """What building one document gave."""

    lang: str
    material: str
    path: Path | None = None
    org: str | None = None  # the task's (see Task.org)
    pages: int = 0
    fits: dict = dataclasses.field(default_factory=dict)  # type scale per frame (copyfitting)
    fills: dict = dataclasses.field(default_factory=dict)  # how full each frame is at that
    #: the adaptation steps the document took (adapt.py), and what they say
    steps: list[str] = dataclasses.field(default_factory=list)
    adaptations: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    #: why the whole run must stop after this document (the disk is full), else None
    stop: str | None = None
    missing: dict = dataclasses.field(default_factory=dict)
    seconds: float = 0.0
    previews: list[Path] = dataclasses.field(default_factory=list)
    #: seconds spent laying out and checking, and how many layouts copyfitting needed
    timing: dict = dataclasses.field(
        default_factory=lambda: {"layout": 0.0, "check": 0.0, "layouts": 0}
    )
    #: what the document was made from, for the manifest: files read, catalog entries used
    inputs: dict = dataclasses.field(default_factory=dict)
    #: what a worker made, until the engine writes it: the PDF, its pages' previews (PNG)
    pdf: bytes | None = dataclasses.field(default=None, repr=False)
    pngs: list[bytes] = dataclasses.field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def scale(self) -> float:
        """The smallest type scale of its frames: what a reader notices."""
        return min(self.fits.values(), default=1.0)


def poster_languages(material: Material, lang: str, override: list[str] | None) -> list[str]:
    """The document's own language first, then the others the poster shows, once each."""
    others = override if override is not None else material.poster_languages
    return list(dict.fromkeys([lang, *others]))


def pdf_path(project: Project, task: Task) -> Path:
    return project.output / f"{task.key}.pdf"


def plan(
    data: Data,
    langs: list[str],
    material_ids: list[str],
    poster_override: list[str] | None,
    orgs: list[str] | None = None,
) -> list[Task]:
    """One task per (language, material), in a stable order. A sheet's card is built too,
    when it is not asked for: the sheet is made from its PDF. With ``orgs`` (a batch): one
    per organisation too, except for the materials that do not show it (discreet), built
    once per language and shared."""
    if orgs is not None:
        single = plan(data, langs, material_ids, poster_override)
        materials = data.content.materials
        shared = [task for task in single if materials[task.material].discreet]
        own = [task for task in single if not materials[task.material].discreet]
        tasks = list(shared)
        for org in orgs:
            for task in own:
                card = task.card
                if card and not materials[card.split("/")[1]].discreet:
                    card = f"{org}/{card}"
                tasks.append(dataclasses.replace(task, org=org, card=card))
        return tasks
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
    organisation = data.organisations[task.org] if task.org else content.organisation
    records = [
        record_digest(material),
        [record_digest(content.resources[ident]) for ident in material.resources],
        [record_digest(content.signs[ident]) for ident in material.signs],
        organisation and record_digest(organisation),
        task.section_langs,
    ]
    languages = [record_digest(data.languages[code]) for code in (*task.section_langs, "en")]
    return {
        "options": shared["options"],
        "content": digest(records),
        "languages": digest(languages),
        "fonts": shared["fonts"],
    }


def catalog_failures(data: Data, tasks: list[Task]):
    """Documents that cannot be built because one of their catalogs has errors."""
    for task in tasks:
        errors = [str(e) for code in task.section_langs for e in data.catalog_errors.get(code, [])]
        if errors:
            failed = Result(task.lang, task.material, org=task.org)
            yield task, dataclasses.replace(failed, problems=["catalog has errors", *errors])


#: Relative cost of a material's first build, to start the longest ones first.
_WEIGHT = {"tabloid": 3.0, "letter": 2.0, "card": 1.0}
#: How often the manifest is saved during a build, so that a killed build keeps its work.
_SAVE_EVERY = 2.0


class Plan:
    """One run: the tasks, what is up to date, and the manifest it keeps current."""

    def __init__(self, project: Project, data: Data, options: Options, manifest: Manifest):
        self.project, self.data, self.options, self.manifest = project, data, options, manifest
        self.shared = run_inputs(data, options)
        self.saved = time.monotonic()
        self.save_seconds = 0.0

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
                    pdf_path(self.project, task),
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
        # A large manifest (a coalition's batch) takes a while to write, and holds the GIL
        # meanwhile, which keeps the workers waiting for their next document: save it at
        # most a twentieth of the time.
        if time.monotonic() - self.saved > max(_SAVE_EVERY, 20 * self.save_seconds):
            self.save()

    def save(self) -> None:
        started = time.monotonic()
        self.manifest.save()
        self.saved = time.monotonic()
        self.save_seconds = self.saved - started

    def cost(self, task: Task) -> float:
        known = (self.manifest.documents.get(task.key) or {}).get("seconds")
        material = self.data.content.materials[task.material]
        return known or _WEIGHT[material.paper] * len(task.section_langs)
