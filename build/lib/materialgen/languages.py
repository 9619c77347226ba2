"""The language table: how each language is named, written and typeset.

CLDR (through Babel) knows most codes; for the ones it does not (``hmn``, ``ksw``) the table
carries what Babel would have given: plural forms. Everything else about a language that the
generator needs is here, so adding one is a row and a catalog, not code.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import babel

from .errors import InputError, InputErrors
from .schema import Location, field, matches, read_records

SCRIPTS_NEEDING_SEGMENTATION = {"Mymr", "Khmr", "Laoo", "Thai"}


@dataclasses.dataclass(kw_only=True)
class Language:
    """One row of locales/languages.yaml."""

    code: str = field(
        "BCP 47 code, also the catalog folder: locales/<code>/",
        check=matches(r"[a-z]{2,3}(-[A-Z][a-z]{3})?", "a code like so, hmn or zh-Hant"),
    )
    name: str = field("English name, for reports and the coordinator")
    autonym: str = field("the language's name in itself, printed on posters")
    script: str = field(
        "ISO 15924 script code (Latn, Arab, Mymr, ...)",
        check=matches(r"[A-Z][a-z]{3}", "a four-letter ISO 15924 code"),
    )
    fonts: list[str] = field("font families, in fallback order, from templates/fonts.yaml")
    direction: str = field("ltr or rtl", default="ltr", check=matches("ltr|rtl", "ltr or rtl"))
    line_height: float = field("line height for this script; taller for stacked marks", default=1.3)
    font_scale: float = field(
        "type size relative to Latin: scripts that read smaller at the same "
        "point size (Myanmar, Ethiopic, Khmer) get more",
        default=1.0,
    )
    segment_words: bool = field(
        "insert line-break opportunities at ICU word boundaries (scripts written without spaces)",
        default=False,
    )
    plural_forms: str | None = field(
        "gettext Plural-Forms, needed only where CLDR lacks the code", default=None
    )
    where: Location | None = None

    @property
    def tight_line_height(self) -> float:
        """Line height for headings and fine print: tighter for scripts with no tall marks,
        the same as body text for the others (their marks would touch)."""
        return min(1.15, self.line_height) if self.line_height <= 1.3 else self.line_height

    @property
    def babel_locale(self) -> babel.Locale | None:
        """The CLDR locale, or None for codes CLDR does not know (hmn, ksw)."""
        try:
            return babel.Locale.parse(self.code.replace("-", "_"))
        except (babel.UnknownLocaleError, ValueError):
            return None

    @property
    def gettext_plural_forms(self) -> str:
        if self.plural_forms:
            return self.plural_forms
        locale = self.babel_locale
        if locale is None:
            return "nplurals=1; plural=0;"
        from babel.messages.plurals import get_plural

        plural = get_plural(locale)
        return f"nplurals={plural.num_plurals}; plural={plural.plural_expr};"


def load_languages(path: Path, font_families: set[str]) -> dict[str, Language]:
    """Read and check the language table against the fonts the project has."""
    languages = {
        lang.code: lang
        for lang in read_records(path, "languages", Language, lambda lang: lang.code)
    }
    errors = []
    for lang in languages.values():
        for family in lang.fonts:
            if family not in font_families:
                errors.append(
                    InputError(
                        f"{lang.code}: font '{family}' is not in templates/fonts.yaml; "
                        f"add a font for script {lang.script} there first",
                        path,
                        lang.where.of("fonts"),
                    )
                )
        if lang.babel_locale is None and not lang.plural_forms:
            errors.append(
                InputError(
                    f"{lang.code}: CLDR does not know this code, so 'plural_forms' is required",
                    path,
                    lang.where.line,
                )
            )
        if lang.script in SCRIPTS_NEEDING_SEGMENTATION and not lang.segment_words:
            errors.append(
                InputError(
                    f"{lang.code}: script {lang.script} is written without spaces between words; "
                    "set 'segment_words: true'",
                    path,
                    lang.where.line,
                )
            )
    if "en" not in languages:
        errors.append(InputError("the table needs 'en', the source language", path, 1))
    if errors:
        raise InputErrors(errors)
    return languages
