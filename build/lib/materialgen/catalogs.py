"""Reading gettext catalogs and translating with them.

The generator reads the .po files directly: a translator edits one and re-runs, nothing else.
Translations are data, so they are escaped like any other text; only an allow-list of inline
tags survives (Jinja's own i18n extension would mark every translation as safe HTML).
A string missing from a catalog, empty or fuzzy, falls back to English and is recorded.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog as BabelCatalog
from babel.messages.pofile import PoFileError, read_po
from markupsafe import Markup, escape

from .errors import InputError, InputErrors
from .inputs import read_input_text
from .languages import Language
from .schema import FORBIDDEN, shorten
from .segment import insert_breaks

PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")
ALLOWED_TAGS = ("strong", "em")
TAG = re.compile(r"</?([A-Za-z][\w-]*)[^>]*>")
NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
# Web addresses, and the addresses a translation must never add: file://, javascript: and
# data: ones, and any with a scheme (the English gives its addresses without http://).
WEB_ADDRESS = re.compile(
    r"\b(?:(?i:https?|ftp)://[^\s<>\"']*"
    r"|(?i:file|javascript|vbscript):[^\s<>\"']*"
    r"|(?i:data):[\w.+-]+/[\w.+-]+[;,][^\s<>\"']*"
    r"|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:org|com|gov|net|edu|us)\b[\w./-]*)"
)
#: A translation may be this many times as long as its English, and at least MIN_LIMIT
#: characters: the longest shipped translation is under 3 times its English, and one a
#: hundred times longer would only fail every document at the print check.
MAX_GROWTH = 20
MIN_LIMIT = 200

REVIEWED_BY = "X-Reviewed-By"
REVIEW_DATE = "X-Review-Date"


@dataclasses.dataclass
class Entry:
    text: str
    line: int
    fuzzy: bool


@dataclasses.dataclass
class Catalog:
    """One language's catalog, as read from its .po file."""

    path: Path
    entries: dict[tuple[str | None, str], Entry]
    headers: dict[str, str]
    #: the file's text as read (without a byte order mark): what the translator commands rewrite
    text: str = dataclasses.field(default="", repr=False, compare=False)

    @property
    def reviewer(self) -> str | None:
        return self.headers.get(REVIEWED_BY) or None

    @property
    def review_date(self) -> datetime.date | None:
        try:
            return datetime.date.fromisoformat(self.headers.get(REVIEW_DATE, ""))
        except ValueError:
            return None

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewer and self.review_date)


def catalog_path(locales_dir: Path, code: str) -> Path:
    return locales_dir / code / "LC_MESSAGES" / "messages.po"


# A line of a .po file that is not blank or a comment: a keyword and a string, or a string
# continuing the previous one. Babel's parser accepts more (an unterminated string, say);
# msgfmt, Poedit and Weblate do not, so neither does the generator.
PO_LINE = re.compile(
    r'(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"\s*'
)


def _syntax_error(lines: list[str], path: Path) -> InputError | None:
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or PO_LINE.fullmatch(stripped):
            continue
        if '"' in stripped:
            return InputError('invalid catalog: a string is not closed with "', path, number)
        return InputError(f"invalid catalog: cannot read «{stripped[:40]}»", path, number)
    return None


KEYWORD = re.compile(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"')


@dataclasses.dataclass
class _RawEntry:
    """An entry as written: its keys as quoted in the file, where its msgid and first
    msgstr are, and how many plural forms (msgstr[n]) it has."""

    context: str | None = None
    msgid: str = ""
    line: int = 0
    msgstr_line: int = 0
    forms: int = 0
    plural: bool = False


def _raw_entries(lines: list[str]) -> list[_RawEntry]:
    """The entries of syntactically valid .po lines, obsolete (#~) ones left out."""
    entries: list[_RawEntry] = []
    entry, keyword = None, None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = KEYWORD.match(stripped)
        string = stripped[stripped.index('"') :].strip()[1:-1]
        if not match:  # a string continuing the previous keyword's
            if entry is not None and keyword == "msgctxt":
                entry.context += string
            elif entry is not None and keyword == "msgid":
                entry.msgid += string
            continue
        keyword = match.group(1)
        # A msgid starts an entry unless it follows the entry's msgctxt.
        if keyword == "msgctxt" or (keyword == "msgid" and (entry is None or entry.line)):
            entry = _RawEntry()
            entries.append(entry)
        if keyword == "msgctxt":
            entry.context = string
        elif keyword == "msgid":
            entry.msgid, entry.line = string, number
        elif keyword == "msgid_plural":
            entry.plural = True
        else:
            entry.msgstr_line = entry.msgstr_line or number
            entry.forms += keyword.startswith("msgstr[")
    return entries


def _structure_error(lines: list[str], headers: dict[str, str], path: Path) -> InputError | None:
    """A duplicate entry, or plural forms that do not match the header: Babel would silently
    keep one of two entries and drop extra forms."""
    first: dict[tuple[str | None, str], int] = {}
    nplurals = _nplurals(headers.get("Plural-Forms", ""))
    for entry in _raw_entries(lines):
        key = (entry.context, entry.msgid)
        if key in first:
            label = f"«{shorten(entry.msgid, 50)}»"
            if entry.context:
                label += f" [{entry.context}]"
            return InputError(
                f"duplicate entry {label} (first on line {first[key]}): keep only one",
                path,
                entry.line,
            )
        first[key] = entry.line
        if entry.plural and nplurals and entry.forms != int(nplurals):
            return InputError(
                f"{entry.forms} plural forms (msgstr[0] to msgstr[{entry.forms - 1}]), but the "
                f"header says nplurals={nplurals}",
                path,
                entry.msgstr_line or entry.line,
            )
    return None


def read_catalog(path: Path, language: Language) -> Catalog:
    """Parse and check a .po file; every problem is an InputError with the file's line."""
    catalog = parse_catalog(path)
    errors = check_catalog(catalog, language)
    if errors:
        raise InputErrors(errors)
    return catalog


def parse_catalog(path: Path) -> Catalog:
    """Parse a .po file, as strictly as msgfmt; InputError with the line on bad syntax. It is
    read through the project's input guard (no links out of the project, no huge files)."""
    text = read_input_text(path)
    if not text.strip():
        code = path.parent.parent.name
        raise InputError(
            f"the catalog is empty: restore it, or delete it and run: "
            f"generate.py add-language {code}",
            path,
        )
    lines = text.splitlines()
    headers = headers_of(text)
    error = _syntax_error(lines, path) or _structure_error(lines, headers, path)
    if error:
        raise error
    charset = re.search(r"charset=([\w.:-]+)", headers.get("Content-Type", "charset=UTF-8"))
    if not charset or charset.group(1).lower() not in ("utf-8", "utf8"):
        raise InputError(
            f"header 'Content-Type: {shorten(headers['Content-Type'])}' must say charset=UTF-8 "
            "(the file must be saved as UTF-8 too)",
            path,
            _header_line(lines, "Content-Type"),
        )
    try:
        parsed = read_po(io.BytesIO(text.encode("utf-8")), locale=None, abort_invalid=True)
    except PoFileError as error:
        raise InputError(
            f"invalid catalog: {error.args[0].rsplit(' on ', 1)[0]}", path, error.lineno + 1
        ) from None
    except (ValueError, LookupError) as error:
        raise InputError(f"invalid catalog: {error}", path) from None
    entries = {}
    for message in parsed:
        if not message.id or message.pluralizable:
            continue
        line = _msgstr_line(lines, message.lineno or 1)
        entries[(message.context, message.id)] = Entry(message.string or "", line, message.fuzzy)
    return Catalog(path, entries, headers, text)


def _msgstr_line(lines: list[str], msgid_line: int) -> int:
    """The line of the msgstr that follows a msgid: where a translator makes the fix."""
    for number in range(msgid_line, len(lines) + 1):
        if lines[number - 1].startswith("msgstr"):
            return number
    return msgid_line


def headers_of(text: str) -> dict[str, str]:
    """The header entry's fields in the text of a .po file, including the X- fields Babel
    does not keep."""
    match = re.search(r'^msgid ""\s*\nmsgstr ((?:".*"\s*\n?)+)', text, re.MULTILINE)
    if not match:
        return {}
    raw = "".join(re.findall(r'"(.*)"', match.group(1)))
    raw = raw.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
    headers = {}
    for line in raw.split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip()] = value.strip()
    return headers


def check_catalog(catalog: Catalog, language: Language) -> list[InputError]:
    """Problems that make a translation unsafe or wrong to print."""
    errors = []
    language_header = catalog.headers.get("Language", "").replace("_", "-")
    if "Language" not in catalog.headers:
        errors.append(
            InputError(
                f'the header has no Language field: add the line "Language: '
                f'{language.code.replace("-", "_")}\\n"',
                catalog.path,
                1,
            )
        )
    elif language_header != language.code:
        errors.append(
            InputError(
                f"header 'Language: {shorten(language_header)}' does not match the "
                f"catalog folder '{language.code}'",
                catalog.path,
                1,
            )
        )
    plural_forms = catalog.headers.get("Plural-Forms", "")
    if _nplurals(plural_forms) != _nplurals(language.gettext_plural_forms):
        errors.append(
            InputError(
                f"header 'Plural-Forms: {shorten(plural_forms)}' does not match the language "
                f"({language.gettext_plural_forms}); run: generate.py update",
                catalog.path,
                _header_line(catalog.text.splitlines(), "Plural-Forms"),
            )
        )
    for (_, source), entry in catalog.entries.items():
        if not entry.text:
            continue
        problem = translation_problem(source, entry.text)
        if problem:
            errors.append(InputError(problem, catalog.path, entry.line))
    return errors


def catalog_warnings(catalog: Catalog, template: dict) -> list[InputError]:
    """What a translator should look at but that does not stop printing: strings missing,
    fuzzy (changed since translated), empty, or identical to the English."""
    warnings = []
    for key in template:
        context, source = key
        entry = catalog.entries.get(key)
        label = f"«{source[:50]}»" + (f" [{context}]" if context else "")
        if entry is None:
            warnings.append(InputError(f"missing {label}: run generate.py update", catalog.path))
        elif entry.fuzzy:
            warnings.append(
                InputError(
                    f"fuzzy {label}: the English changed; check the "
                    "translation and remove the fuzzy flag",
                    catalog.path,
                    entry.line,
                )
            )
        elif not entry.text.strip():
            warnings.append(InputError(f"untranslated {label}", catalog.path, entry.line))
        elif entry.text.strip() == source.strip() and re.search("[A-Za-z]{3}", source):
            warnings.append(
                InputError(f"identical to the English {label}", catalog.path, entry.line)
            )
    return warnings


def locate(catalog: Catalog | None, text: str) -> int | None:
    """The line of the catalog entry whose translation printed ``text`` (a line of it)."""
    if catalog is None:
        return None
    wanted = " ".join(text.replace("\u200b", "").split())
    if len(wanted) < 2:
        return None
    for entry in catalog.entries.values():
        if wanted in " ".join(entry.text.split()):
            return entry.line
    return None


def _nplurals(plural_forms: str) -> str | None:
    match = re.search(r"nplurals\s*=\s*(\d+)", plural_forms)
    return match.group(1) if match else None


def _header_line(lines: list[str], name: str) -> int:
    for number, line in enumerate(lines, start=1):
        if line.startswith(f'"{name}:'):
            return number
    return 1


def translation_problem(source: str, translation: str) -> str | None:
    """What makes ``translation`` unusable for ``source``, or None."""
    limit = max(MIN_LIMIT, MAX_GROWTH * len(source))
    if len(translation) > limit:
        return (
            f"the translation is {len(translation)} characters, "
            f"{len(translation) / len(source):.0f} times as long as the English "
            f"(at most {limit} here): shorten it"
        )
    if match := FORBIDDEN.search(translation):
        return (
            f"invisible or control character U+{ord(match.group()):04X} in the translation: "
            "remove it"
        )
    if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
        wanted = ", ".join(f"%({name})s" for name in PLACEHOLDER.findall(source) if name)
        return (
            f"the translation must keep the placeholders of the source exactly: {wanted or 'none'}"
        )
    tags = TAG.findall(translation)
    if bad := [tag for tag in tags if tag.lower() not in ALLOWED_TAGS]:
        return f"markup <{bad[0]}> is not allowed; only {', '.join(ALLOWED_TAGS)}"
    if sorted(TAG.findall(source)) != sorted(tags):
        return "the translation must keep the markup of the source"
    if sorted(WEB_ADDRESS.findall(source)) != sorted(WEB_ADDRESS.findall(translation)):
        wanted = ", ".join(WEB_ADDRESS.findall(source)) or "none"
        return f"web addresses differ from the source ({wanted}); copy them exactly"
    if sorted(NUMBER.findall(source)) != sorted(NUMBER.findall(translation)):
        return (
            f"numbers differ from the source ({', '.join(NUMBER.findall(source)) or 'none'}); "
            "numbers must be copied exactly, in Western digits"
        )
    return None


# --- translation state, for status, check, review and the build report ---------------


def read_template(root: Path) -> BabelCatalog:
    path = root / "locales" / "messages.pot"
    try:
        return read_po(io.BytesIO(read_input_text(path).encode("utf-8")), abort_invalid=True)
    except (PoFileError, ValueError, LookupError) as error:
        raise InputError(f"invalid template ({error}): run generate.py extract", path) from None


def template_keys(template: BabelCatalog) -> dict:
    return {(message.context, message.id): message.lineno for message in template if message.id}


def language_status(root: Path, language: Language, template: dict, catalog=None) -> dict:
    """Counts for one language; fuzzy counts as not translated. ``catalog``: already read."""
    path = catalog_path(root / "locales", language.code)
    status = {
        "code": language.code,
        "name": language.name,
        "path": path,
        "total": len(template),
        "translated": 0,
        "fuzzy": 0,
        "untranslated": len(template),
        "reviewed": None,
        "reviewer": None,
        "error": None,
    }
    if language.code == "en":
        status.update(translated=len(template), untranslated=0, reviewed="source")
        return status
    if catalog is None and not path.is_file():
        status["error"] = "no catalog"
        return status
    try:
        catalog = catalog or parse_catalog(path)
    except InputError as error:
        status["error"] = str(error)
        return status
    for key in template:
        entry = catalog.entries.get(key)
        if entry and entry.fuzzy:
            status["fuzzy"] += 1
        elif entry and entry.text.strip():
            status["translated"] += 1
    status["untranslated"] = status["total"] - status["translated"] - status["fuzzy"]
    if catalog.reviewed:
        status["reviewed"] = catalog.review_date.isoformat()
        status["reviewer"] = catalog.reviewer
    return status


def fallback_reason(catalog: Catalog | None, key: tuple[str | None, str]) -> str | None:
    """Why the entry ``key`` prints in English (missing, fuzzy, untranslated), or None."""
    entry = catalog.entries.get(key) if catalog is not None else None
    if entry is None:
        return "not in the catalog"
    if entry.fuzzy:
        return f"fuzzy (line {entry.line})"
    if not entry.text.strip():
        return f"untranslated (line {entry.line})"
    return None


def missing_strings(keys, catalog: Catalog | None) -> dict:
    """Of the entries ``keys`` looked up, those printed in English, with the reason."""
    reasons = {tuple(key): fallback_reason(catalog, tuple(key)) for key in keys}
    return {key: reason for key, reason in reasons.items() if reason}


class Translator:
    """gettext for one language, returning escaped, ready-to-print markup.

    English (the source language) has no catalog. Every entry looked up is recorded in
    ``used``; those that fell back to English are ``missing``, with the reason.
    """

    def __init__(self, language: Language, catalog: Catalog | None):
        self.language = language
        self.catalog = catalog
        #: every entry looked up, in order: what an incremental build must watch for changes
        self.used: dict[tuple[str | None, str], None] = {}

    @property
    def missing(self) -> dict[tuple[str | None, str], str]:
        """The entries looked up that print in English, with the reason."""
        return missing_strings(self.used, self.catalog)

    def lookup(self, context: str | None, message: str) -> str:
        if self.language.code == "en":
            return message
        self.used[(context, message)] = None
        if fallback_reason(self.catalog, (context, message)) is None:
            return self.catalog.entries[(context, message)].text
        return message

    def gettext(self, message: str, **variables) -> Markup:
        return self.format(self.lookup(None, message), variables)

    def pgettext(self, context: str, message: str, **variables) -> Markup:
        return self.format(self.lookup(context, message), variables)

    def format(self, text: str, variables: dict) -> Markup:
        """Escape the text, keep allow-listed tags, segment words, fill placeholders.

        Placeholders are filled here rather than with ``%``, so a lone % in content text
        ("100% free") prints as it is; ``%%`` is a literal %, as in python-format strings.
        """
        segment = self.language.segment_words
        pieces = []
        position = 0
        for match in re.finditer(f"{PLACEHOLDER.pattern}|{TAG.pattern}", text):
            pieces.append(self._text(text[position : match.start()], segment))
            token = match.group()
            tag = TAG.fullmatch(token)
            if tag and tag.group(1).lower() in ALLOWED_TAGS:
                name = tag.group(1).lower()
                pieces.append(Markup(f"<{'/' if token.startswith('</') else ''}{name}>"))
            elif tag:
                pieces.append(escape(token))
            elif token == "%%":
                pieces.append(Markup("%"))
            elif match.group(1) in variables:
                pieces.append(escape(variables[match.group(1)]))
            else:
                raise KeyError(f"no value for placeholder {token} in «{text}»")
            position = match.end()
        pieces.append(self._text(text[position:], segment))
        return Markup("").join(pieces)

    def _text(self, text: str, segment: bool) -> Markup:
        if segment:
            text = insert_breaks(text, self.language.code)
        return escape(text)
