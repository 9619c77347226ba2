"""Jinja2 templates -> HTML, one document per language and material.

Everything a template shows comes from the context built here: the language, its translator
(``_`` and ``pgettext`` for template strings, ``tr`` for content fields), the resources and
signs the material lists, the organisation block, paper geometry and the type size.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

import jinja2
from markupsafe import Markup

from .catalogs import Translator
from .content import Content, Material, message_context
from .errors import InputError
from .fonts import FontFile, font_face_css
from .inputs import read_input_text
from .languages import Language, text_direction
from .qr import qr_svg

#: Trim sizes in millimetres, (width, height), for US paper and their ISO equivalents.
PAPER = {
    ("card", "us"): (85.6, 53.98),
    ("card", "a4"): (85.6, 53.98),  # ID-1 / CR80, ISO/IEC 7810
    ("letter", "us"): (215.9, 279.4),
    ("letter", "a4"): (210.0, 297.0),
    ("tabloid", "us"): (279.4, 431.8),
    ("tabloid", "a4"): (297.0, 420.0),
}


@dataclasses.dataclass
class Options:
    """Choices of the command line that change what is rendered."""

    paper: str = "us"  # "us" (Letter, Tabloid) or "a4" (A4, A3)
    bleed_mm: float = 0.0  # print-shop bleed around single cards, flyers and posters
    print_shop: bool = False  # crop marks outside the bleed (see pdf.py)
    archive: bool = False  # PDF/A-2a instead of plain tagged PDF/UA-1
    pdf_date: str | None = None  # ISO 8601 date an archival PDF carries (pdf.document_date)
    safe_mm: float = 3.0  # no text closer than this to the trim (or a card's cut line)
    debug: bool = False  # keep tracebacks of unexpected errors
    previews: bool = True  # PNG previews of every page, for the gallery


@dataclasses.dataclass
class Section:
    """One language's part of a document: its language and translator."""

    language: Language
    translator: Translator

    @property
    def gettext(self):
        return self.translator.gettext

    @property
    def pgettext(self):
        return self.translator.pgettext

    @property
    def draft(self) -> bool:
        """Printed from a translation no reviewer has marked reviewed."""
        catalog = self.translator.catalog
        return self.language.code != "en" and not (catalog and catalog.reviewed)

    def tr(self, record, name: str) -> Markup:
        """A content field, translated with its message context."""
        return self.translator.pgettext(message_context(record, name), getattr(record, name))


class ProjectLoader(jinja2.BaseLoader):
    """Templates from templates/, read like every other input (inputs.read_input): a link
    leading out of the project is refused, where Jinja's FileSystemLoader would follow it,
    and listing the templates does not follow links into other folders."""

    def __init__(self, templates_dir: Path):
        self.templates_dir = templates_dir

    def get_source(self, environment, template: str):
        path = self.templates_dir.joinpath(*jinja2.loaders.split_template_path(template))
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        text = read_input_text(path)
        mtime = os.path.getmtime(path)
        return text, str(path), lambda: os.path.getmtime(path) == mtime

    def list_templates(self) -> list[str]:
        names = []
        for folder, _, files in os.walk(self.templates_dir):  # links to folders not followed
            for name in files:
                path = Path(folder, name)
                names.append(path.relative_to(self.templates_dir).as_posix())
        return sorted(names)


def template_environment(templates_dir: Path) -> jinja2.Environment:
    """Jinja as every template of the project is rendered: read through the input guard,
    escaping on, an undefined name an error."""
    return jinja2.Environment(
        loader=ProjectLoader(templates_dir),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Renderer:
    def __init__(self, templates_dir: Path, fonts: list[FontFile], languages: dict[str, Language]):
        self.templates_dir = templates_dir
        self.fonts = fonts
        self.languages = languages
        self.env = template_environment(templates_dir)

    def check_templates(self) -> list[InputError]:
        """Compile every template before anything renders: syntax errors stop the run early."""
        errors = []
        for name in self.env.list_templates(extensions=["html"]):
            try:
                self.env.get_template(name)
                errors += self._reference_errors(name)
            except jinja2.TemplateSyntaxError as error:
                path = Path(error.filename or self.templates_dir / name)
                errors.append(InputError(f"template error: {error.message}", path, error.lineno))
            except InputError as error:
                errors.append(error)
        return errors

    def _reference_errors(self, name: str) -> list[InputError]:
        """Each extends, include or import of ``name`` that names no template of
        templates/ (a path leading out of it, a misspelt name), at its line."""
        from jinja2 import nodes

        source, filename, _ = self.env.loader.get_source(self.env, name)
        errors = []
        kinds = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)
        for node in self.env.parse(source).find_all(kinds):
            names = node.template.as_const() if isinstance(node.template, nodes.Const) else None
            for reference in [names] if isinstance(names, str) else names or ():
                try:
                    self.env.loader.get_source(self.env, reference)
                except jinja2.TemplateNotFound:
                    errors.append(
                        InputError(
                            f"template error: '{reference}' is not a template of "
                            f"{self.templates_dir.name}/",
                            filename,
                            node.lineno,
                        )
                    )
        return errors

    @functools.cache  # noqa: B019 (one renderer per process; templates do not change)
    def template_files(self, name: str) -> list[Path]:
        """``name`` and every template it extends, imports or includes: the Jinja files a
        document is rendered from. A reference that is not a plain name makes it depend on
        all of them."""
        from jinja2 import meta

        found: dict[str, None] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in found:
                continue
            found[current] = None
            source, _, _ = self.env.loader.get_source(self.env, current)
            for reference in meta.find_referenced_templates(self.env.parse(source)):
                if reference is None:
                    return [self.templates_dir / n for n in self.env.list_templates()]
                pending.append(reference)
        return [self.templates_dir / n for n in found]

    def font_files(self, sections: list[Section]) -> list[Path]:
        """The font files a document's @font-face rules name."""
        families = {family for section in sections for family in section.language.fonts}
        return [
            self.templates_dir / "fonts" / font.prepared_name
            for font in self.fonts
            if font.family in families
        ]

    def render(
        self,
        material: Material,
        sections: list[Section],
        content: Content,
        options: Options,
        fits: dict[str, float] | None = None,
        adapted: frozenset[str] = frozenset(),
    ) -> str:
        """The HTML of ``material``; ``fits`` scales the type of named frames (copyfitting),
        and ``adapted`` names the adaptation steps taken because the text did not fit
        otherwise (adapt.py; the templates test ``"plain-signs" in adapted``)."""
        fits = fits or {}
        main = sections[0]
        width, height = PAPER[(material.paper, options.paper)]
        organisation = None if material.discreet else content.organisation
        # A name written in another script than the document's is set in that script's
        # fonts: its language is the first of the table written in that script.
        name_lang = organisation and self.script_language(organisation.name)
        extra = [name_lang] if name_lang else []
        families = {
            family
            for language in [*(section.language for section in sections), *extra]
            for family in language.fonts
        }
        context = {
            "material": material,
            "lang": main.language,
            "sections": sections,
            "_": main.gettext,
            "pgettext": main.pgettext,
            "tr": main.tr,
            "resources": [content.resources[ident] for ident in material.resources],
            "signs": [content.signs[ident] for ident in material.signs],
            # The discreet card never shows the organisation (its name may say what it does).
            "organisation": organisation,
            "name_lang": name_lang,
            # The logo's address: served, re-encoded, by the layout's confined fetcher.
            "logo": organisation.logo_path.resolve().as_uri()
            if organisation and organisation.logo
            else None,
            "draft": any(section.draft for section in sections),
            "page": {
                "width": width,
                "height": height,
                "bleed": options.bleed_mm,
                "safe": options.safe_mm,
            },
            # Root type size; everything else in the stylesheets is in em.
            "font_size": material.font_size * main.language.font_scale,
            "fit": lambda frame, start=1.0: fits.get(frame, start),
            "adapted": adapted,
            # The direction of a text in no known language (the organisation's name).
            "direction_of": text_direction,
            # QR codes open https:// addresses: the web fields are written without it.
            "qr": lambda address, width_mm: qr_svg(f"https://{address}", width_mm),
            "font_css": Markup(
                font_face_css(self.fonts, families) + "\n" + self.language_css(sections, extra)
            ),
        }
        try:
            template = self.env.get_template(material.template)
            return template.render(context)
        except jinja2.TemplateSyntaxError as error:
            path = Path(error.filename or self.templates_dir / material.template)
            raise InputError(f"template error: {error.message}", path, error.lineno) from None
        except (jinja2.UndefinedError, TypeError, ValueError, KeyError) as error:
            raise InputError(f"template error: {error}", *self._template_line(error)) from None
        except jinja2.TemplateNotFound as error:  # a name computed while rendering
            raise InputError(
                f"template error: '{error.name}' is not a template of {self.templates_dir.name}/",
                *self._template_line(error),
            ) from None

    def _template_line(self, error: Exception) -> tuple[Path | None, int | None]:
        """The innermost template frame of a rendering error's traceback."""
        traceback = error.__traceback__
        location = (None, None)
        while traceback is not None:
            filename = traceback.tb_frame.f_code.co_filename
            if filename.startswith(str(self.templates_dir)):
                location = (Path(filename), traceback.tb_lineno)
            traceback = traceback.tb_next
        return location

    def script_language(self, text: str) -> Language | None:
        """The language whose fonts set ``text``, when its letters are not Latin."""
        script = text_script(text)
        if script in (None, "Latn"):
            return None
        return next((lang for lang in self.languages.values() if lang.script == script), None)

    def language_css(self, sections: list[Section], extra: list[Language] = ()) -> str:
        """Per-language font stack, and line heights for body text and for headings."""
        rules = []
        # English too: the draft note carries an English copy in every document.
        codes = dict.fromkeys(
            [*(section.language.code for section in sections), "en", *(x.code for x in extra)]
        )
        for lang in (self.languages[code] for code in codes):
            stack = ", ".join(f'"{family}"' for family in lang.fonts)
            rules.append(
                f'[lang="{lang.code}"] {{ font-family: {stack}; '
                f"line-height: {lang.line_height}; }}\n"
                f":is(h1, h2, .card-title, .fine-print):lang({lang.code}) "
                f"{{ line-height: {lang.tight_line_height}; }}"
            )
        return "\n".join(rules)


def text_script(text: str) -> str | None:
    """The ISO 15924 code of the first script of ``text`` that is not Common or Inherited
    (digits, punctuation, marks), as ICU names it; None for text without letters. Han is
    Simplified Chinese's (Hans): its fonts set the traditional forms too."""
    import icu

    for char in text:
        code = icu.Script.getScript(ord(char)).getShortName()
        if code not in ("Zyyy", "Zinh", "Zzzz"):
            return {"Hani": "Hans", "Hang": "Kore"}.get(code, code)
    return None
