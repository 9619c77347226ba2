"""The project: where its files live, and everything loaded from them and validated.

``load`` reads fonts, languages, content and catalogs before anything is built: a content
error stops the run with every ``path:line`` at once, while a broken catalog only marks its
own language as failed. The result, ``Data``, is what every door (the command line, the web
app, a batch) hands to the engine in build.py.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from pathlib import Path

from . import fonts as fonts_module
from .catalogs import Catalog, catalog_path, read_catalog, read_template, template_keys
from .content import Content, load_content, stale_resources
from .errors import InputError, InputErrors
from .inputs import links_out_of
from .languages import Language, load_languages
from .render import Renderer, text_script


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
    #: in a batch: each organisation that loaded, by its file's stem
    organisations: dict = dataclasses.field(default_factory=dict)


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
        except (InputError, InputErrors) as error:
            errors.extend(error.errors)
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
    organisation_record = content.organisation if content else None
    if organisation_record and languages:
        # The name is set in the fonts of its own script (render.text_script): one of the
        # languages must be written in it, or the name would print as boxes.
        script = text_script(organisation_record.name)
        known = {language.script for language in languages.values()} | {"Latn"}
        if script is not None and script not in known:
            errors.append(
                InputError(
                    f"name: written in a script ({script}) that no language of "
                    "locales/languages.yaml uses, so the project has no fonts for it",
                    organisation_record.where.path,
                    organisation_record.where.of("name"),
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
        except (InputError, InputErrors) as error:
            catalog_errors[code] = error.errors
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
