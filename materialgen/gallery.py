"""output/index.html: the page coordinators open, in a browser, from the file system.

It shows every document in output/: a thumbnail of each page (a click shows it full size), a
download link per PDF, each language's translation and review state, the catalog notes linked
to their lines, and the problems of each failed document. Filters narrow it to a language, a
material or the failures.

The gallery is a function of the records in output/ and the languages' statuses: each build
leaves a small JSON record beside its previews (output/<lang>/preview/<material>.json), so a
run that builds one language, or none, keeps every other document in the gallery. Writing it
does no image work (preview sizes come from the PNG headers): it stays cheap on every run.

It works offline: no script, style, font or image from elsewhere; every path is relative to
output/, so the folder can be zipped and sent. The links to catalog lines are the exception:
they point to the project's own catalogs (../locales/...), for whoever fixes them in the
project, and do not travel with a zipped output/.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup, escape

from .files import FileInTheWay, write_text_atomically
from .preview import png_size
from .render import template_environment
from .report import type_sizes

#: "(locales/so/LC_MESSAGES/messages.po:12)" in a problem, "locales/...po:12:" leading a note
LOCATION = re.compile(r"(?P<path>[^()\s]+\.po):(?P<line>\d+)")
TEMPLATE = "gallery/index.html"
#: Catalog notes shown per language; the rest are counted.
MAX_NOTES = 30
#: Problems shown open on a failed document; the rest behind a click.
OPEN_PROBLEMS = 3


def record(result, output: Path) -> dict:
    """What the gallery keeps of one document's build; paths relative to ``output``."""
    return {
        "lang": result.lang,
        "material": result.material,
        "org": result.org,
        "ok": result.ok,
        "pdf": _relative(result.path, output) if result.path else None,
        "pages": result.pages,
        "scale": result.scale,
        "fits": result.fits,
        "steps": result.steps,
        "adaptations": result.adaptations,
        "problems": result.problems,
        "previews": [_relative(path, output) for path in result.previews],
        "missing": len([key for key in result.missing if key[0] == result.lang]),
        "built": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def save_records(output: Path, results) -> None:
    for result in results:
        folder = output / result.org if result.org else output
        target = folder / result.lang / "preview" / f"{result.material}.json"
        item = record(result, output)
        try:
            write_text_atomically(target, json.dumps(item, ensure_ascii=False, indent=1))
        except FileInTheWay:  # the document's own line already says so
            continue


def load_records(output: Path, languages) -> list[dict]:
    """The records of documents in output/ whose language is known; a written document
    whose PDF has since gone is left out."""
    records = []
    # A batch's organisations have a folder each: output/<org>/<lang>/preview/.
    for path in [*output.glob("*/preview/*.json"), *output.glob("*/*/preview/*.json")]:
        item = json.loads(path.read_text("utf-8"))
        if item["lang"] in languages and (not item["ok"] or (output / item["pdf"]).is_file()):
            records.append(item)
    return records


@dataclasses.dataclass
class Page:
    href: str  # the preview PNG, relative to output/
    width: int
    height: int


@dataclasses.dataclass
class Document:
    """One document as the gallery shows it."""

    lang: str
    material: str
    ok: bool
    pdf: str | None  # relative to output/
    pdf_kb: int
    page_count: int
    scale: float  # the smallest type scale of its frames
    pages: list[Page]  # previews found; none after --no-previews
    type_sizes: str
    #: the adaptation steps it took, as the build line says them (adapt.py)
    adaptations: list[str]
    missing: int
    built: str
    problems: list[Markup]

    @property
    def anchor(self) -> str:
        return f"{self.lang}-{self.material}"

    @property
    def title(self) -> str:
        return self.material.replace("-", " ")


@dataclasses.dataclass
class LanguageView:
    code: str
    name: str
    autonym: str
    direction: str
    status: dict
    notes: list[Markup]
    more_notes: int
    documents: list[Document]

    @property
    def drafted(self) -> bool:
        return not self.status.get("reviewed")

    @property
    def completeness(self) -> str:
        status = self.status
        if not status or status.get("error"):
            return ""
        done = 100 * status["translated"] // max(status["total"], 1)
        fuzzy = f", {status['fuzzy']} fuzzy" if status["fuzzy"] else ""
        return f"{done}% translated ({status['translated']}/{status['total']}{fuzzy})"


def write_gallery(
    output: Path,
    templates_dir: Path,
    data,
    results,
    statuses: dict[str, dict],
    notes: dict[str, list[str]],
) -> Path:
    """Record this run's documents, then write output/index.html over every record."""
    save_records(output, results)
    records = load_records(output, data.languages)
    html = render_gallery(output, templates_dir, data, records, statuses, notes)
    target = output / "index.html"
    write_text_atomically(target, html)
    # Earlier versions wrote output/report.html; the gallery replaced it.
    (output / "report.html").unlink(missing_ok=True)
    return target


def render_gallery(output, templates_dir, data, records, statuses, notes) -> str:
    material_order = {material: index for index, material in enumerate(data.content.materials)}
    by_lang: dict[str, list[Document]] = {}

    def rank(material: str):  # the order of materials.yaml, then any it no longer has
        return material_order.get(material, len(material_order)), material

    for item in sorted(records, key=lambda item: rank(item["material"])):
        by_lang.setdefault(item["lang"], []).append(_document(item, output))
    languages = []
    for code, language in data.languages.items():
        if code not in by_lang:
            continue  # never built into this output/
        found = notes.get(code, [])
        languages.append(
            LanguageView(
                code=code,
                name=language.name,
                autonym=language.autonym,
                direction=language.direction,
                status=statuses.get(code, {}),
                notes=[linked(note, output) for note in found[:MAX_NOTES]],
                more_notes=max(len(found) - MAX_NOTES, 0),
                documents=by_lang.get(code, []),
            )
        )
    documents = [doc for view in languages for doc in view.documents]
    materials = sorted({doc.material for doc in documents}, key=rank)
    return (
        template_environment(templates_dir)
        .get_template(TEMPLATE)
        .render(
            built=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            languages=languages,
            materials=materials,
            documents=documents,
            failed=[doc for doc in documents if not doc.ok],
            drafted=[view for view in languages if view.drafted],
            open_problems=OPEN_PROBLEMS,
        )
    )


def _document(item: dict, output: Path) -> Document:
    pages = []
    for preview in item["previews"]:
        path = output / preview
        try:
            width, height = png_size(path)
        except (OSError, ValueError):
            continue  # removed or damaged since: the PDF link still works
        pages.append(Page(_url(path, output), width, height))
    pdf_kb = 0
    if item["ok"]:
        pdf_kb = round((output / item["pdf"]).stat().st_size / 1024)
    org = item.get("org")
    return Document(
        lang=item["lang"],
        # In a batch, each organisation's documents are a material of their own here.
        material=f"{org}/{item['material']}" if org else item["material"],
        ok=item["ok"],
        pdf=_url(output / item["pdf"], output) if item["ok"] else None,
        pdf_kb=pdf_kb,
        page_count=item["pages"],
        scale=item["scale"],
        pages=pages,
        type_sizes=type_sizes(item["fits"]),
        adaptations=list(item.get("adaptations") or []),
        missing=item["missing"],
        built=item["built"].replace("T", " ")[:16],
        problems=[linked(problem, output) for problem in item["problems"]],
    )


def _relative(path: Path, start: Path) -> str:
    """The path from ``start`` to ``path``, both taken from the working directory."""
    return Path(os.path.relpath(Path(path).absolute(), start.absolute())).as_posix()


def _url(path: Path, start: Path) -> str:
    """A relative URL from ``start`` to ``path``: a space or # in a name must not end it."""
    return quote(_relative(path, start))


def linked(text: str, output: Path) -> Markup:
    """``text`` escaped, with each catalog location a link to that catalog."""
    parts = []
    position = 0
    for match in LOCATION.finditer(text):
        path = Path(match.group("path"))
        href = _url(path if path.is_absolute() else Path.cwd() / path, output)
        parts.append(escape(text[position : match.start()]))
        parts.append(Markup('<a href="{}">{}</a>').format(href, match.group()))
        position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)
