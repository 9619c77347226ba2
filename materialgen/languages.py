"""The language table: how each language is named, written and typeset.

What Unicode, CLDR and ICU know about a language is taken from them, not from a hand list:
the direction of its script (ICU's script data), whether its script uses the zero-width
joiner and non-joiner (ICU's character properties), its plural rules (CLDR, through Babel;
a code CLDR only knows as an alias, like ``prs`` for ``fa_AF``, through that alias). For the
codes CLDR does not know (``hmn``, ``ksw``) the table carries the plural forms. Everything
else about a language that the generator needs is here, so adding one is a row and a
catalog, not code.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

import babel
import icu
from babel.core import get_global

from .errors import InputError, InputErrors
from .plurals import cldr_plural_forms, legacy_plural_forms, same_forms
from .schema import Location, field, matches, read_records

SCRIPTS_NEEDING_SEGMENTATION = {"Mymr", "Khmr", "Laoo", "Thai"}
#: A language code as the table and the catalog folders spell it.
CODE = re.compile(r"[a-z]{2,3}(-[A-Z][a-z]{3})?")


def _icu_script(code: str):
    """ICU's script for an ISO 15924 code, or None if ICU does not know the code."""
    try:
        found = icu.Script.getCode(code)
    except icu.ICUError:
        return None
    return icu.Script(found[0]) if found and icu.Script(found[0]).getShortName() == code else None


def script_problem(code: str) -> str | None:
    if not re.fullmatch(r"[A-Z][a-z]{3}", code):
        return "a four-letter ISO 15924 code"
    if _icu_script(code) is None or code in ("Zyyy", "Zinh", "Zzzz"):
        return f"'{code}' is not an ISO 15924 script code (Latn, Arab, Ethi, Mymr, ...)"
    return None


def script_direction(code: str) -> str:
    """rtl for the scripts ICU's Unicode data says are written right to left (Arabic,
    Hebrew, Thaana, Syriac, N'Ko, Adlam, Hanifi Rohingya, ...), else ltr."""
    script = _icu_script(code)
    return "rtl" if script is not None and script.isRightToLeft() else "ltr"


def script_uses_joiners(code: str) -> bool:
    """Whether text in this script needs U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH
    JOINER: scripts with cursively joining letters (Arabic, Syriac, N'Ko, Mongolian, Adlam:
    Persian and Dari spell می‌توانید with a ZWNJ) and the Indic scripts with a virama
    (Devanagari, Bengali, Tamil, ...: half forms and explicit viramas). Unicode's own
    properties, read through ICU: Joining_Type=Dual_Joining or Indic_Syllabic_Category=Virama.
    Elsewhere (Latin, Myanmar, Khmer, ...) they are invisible noise and stay refused."""
    if _icu_script(code) is None:
        return False
    joining = icu.UnicodeSet(f"[[:Script={code}:]&[:Joining_Type=Dual_Joining:]]")
    virama = icu.UnicodeSet(f"[[:Script={code}:]&[:Indic_Syllabic_Category=Virama:]]")
    return len(joining) + len(virama) > 0


def text_direction(text: str, default: str = "ltr") -> str:
    """The direction of a text of unknown language (an organisation's name), from its first
    strong character, as the Unicode bidi algorithm finds a paragraph's (rules P2, P3)."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return default


def cldr_locale(code: str) -> babel.Locale | None:
    """The CLDR locale of a language code; a code CLDR has only as an alias (``prs``, Dari:
    ``fa_AF``) through CLDR's alias; None for codes CLDR does not know (hmn, ksw)."""
    tag = code.replace("-", "_")
    for candidate in (tag, get_global("language_aliases").get(tag)):
        if not candidate:
            continue
        try:
            return babel.Locale.parse(candidate)
        except (babel.UnknownLocaleError, ValueError):
            continue
    return None


@dataclasses.dataclass(kw_only=True)
class Language:
    """One row of locales/languages.yaml."""

    code: str = field(
        "BCP 47 code, also the catalog folder: locales/<code>/",
        check=matches(CODE.pattern, "a code like so, hmn or zh-Hant"),
    )
    name: str = field("English name, for reports and the coordinator")
    autonym: str = field("the language's name in itself, printed on posters")
    script: str = field("ISO 15924 script code (Latn, Arab, Mymr, ...)", check=script_problem)
    fonts: list[str] = field("font families, in fallback order, from templates/fonts.yaml")
    direction: str | None = field(
        "ltr or rtl; only where it differs from the script's (ICU's data: Arab, Hebr, Thaa, "
        "Syrc, Nkoo, Adlm, ... are rtl, the others ltr)",
        default=None,
        check=matches("ltr|rtl", "ltr or rtl"),
    )
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

    def __post_init__(self):
        if self.direction is None:
            self.direction = script_direction(self.script)

    @property
    def uses_joiners(self) -> bool:
        """ZWNJ and ZWJ are part of the spelling (see script_uses_joiners)."""
        return script_uses_joiners(self.script)

    @property
    def tight_line_height(self) -> float:
        """Line height for headings and fine print: tighter for scripts with no tall marks,
        the same as body text for the others (their marks would touch)."""
        return min(1.15, self.line_height) if self.line_height <= 1.3 else self.line_height

    @property
    def babel_locale(self) -> babel.Locale | None:
        """The CLDR locale, or None for codes CLDR does not know (hmn, ksw)."""
        return cldr_locale(self.code)

    @property
    def gettext_plural_forms(self) -> str:
        """The Plural-Forms catalogs are written with: the table's, else CLDR's rule for
        whole numbers (plurals.cldr_plural_forms)."""
        if self.plural_forms:
            return self.plural_forms
        locale = self.babel_locale
        if locale is None:
            return "nplurals=1; plural=0;"
        cldr = cldr_plural_forms(locale)
        # Where GNU gettext's table chooses the same forms, its spelling (the one Poedit and
        # Weblate show) is kept.
        legacy = legacy_plural_forms(locale, self.code)
        return legacy if legacy and same_forms(legacy, cldr) else cldr

    def plural_forms_accepted(self, header: str) -> bool:
        """Whether a catalog's Plural-Forms header agrees with this language: it chooses the
        same forms as the table's or CLDR's rule, or as GNU gettext's older table."""
        if same_forms(header, self.gettext_plural_forms):
            return True
        legacy = None if self.plural_forms else legacy_plural_forms(self.babel_locale, self.code)
        return legacy is not None and same_forms(header, legacy)


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
