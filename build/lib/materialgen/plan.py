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
    plain: list[str] = dataclasses.field(default_factory=list)  # frames without their pictures
    floors: dict = dataclasses.field(default_factory=dict)  # of the plain frames
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


def poster_languages(material: Material, lang: str, override: list[str] | None) -> list[str]:
    """The document's own language first, then the others the poster shows, once each."""
    others = override if override is not None else material.poster_languages
    return list(dict.fromkeys([lang, *others]))


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


def catalog_failures(data: Data, tasks: list[Task]):
    """Documents that cannot be built because one of their catalogs has errors."""
    for task in tasks:
        errors = [str(e) for code in task.section_langs for e in data.catalog_errors.get(code, [])]
        if errors:
            yield task, Result(task.lang, task.material, problems=["catalog has errors", *errors])


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
