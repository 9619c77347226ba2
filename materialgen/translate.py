"""The translator's commands: extract, add a language, update, status, check.

Catalogs are written by this module with the headers the project needs (Language,
Plural-Forms also for codes CLDR lacks, the review fields), since Babel's own writer drops
unknown headers and a Plural-Forms it cannot derive.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from . import PROJECT_ROOT
from .catalogs import (
    DRAFT_MARK,
    REVIEW_DATE,
    REVIEWED_BY,
    catalog_path,
    fallback_reason,
    language_status,
    parse_catalog,
    read_template,
    template_keys,
)
from .errors import InputError, InputErrors, display_path
from .extract import PROJECT, drop_false_format_flags
from .files import write_text_atomically
from .languages import CODE, Language, script_direction
from .plurals import same_forms
from .poformat import extra_flags_of, gnu_layout
from .schema import shorten

#: The fields of a language's row (languages.yaml), as ``where.field_lines`` names them.
FIELD_NAMES = {field.name for field in dataclasses.fields(Language)} - {"where"}

STATUS = "X-Translation-Status"
DRAFT_COMMENT = (
    "{name} translation of the anti-trafficking materials.\n"
    "MACHINE-DRAFTED AND NOT REVIEWED: a native speaker must review every entry, then set\n"
    "X-Reviewed-By and X-Review-Date in the header (see TRANSLATING.md). Until then every\n"
    "material printed in this language says it is a draft."
)


def header_fields(language: Language, existing: dict[str, str] | None = None) -> dict[str, str]:
    """The header of a catalog, keeping review and translator fields already there."""
    existing = existing or {}
    fields = {
        "Project-Id-Version": f"{PROJECT} 1",
        "Language": language.code.replace("-", "_"),  # gettext spelling: zh_Hant
        "Language-Team": language.name,
        "PO-Revision-Date": existing.get("PO-Revision-Date") or now(),
        "Last-Translator": existing.get("Last-Translator") or "machine draft",
        "Plural-Forms": plural_forms_to_write(language, existing.get("Plural-Forms")),
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        STATUS: existing.get(STATUS, "machine-drafted"),
    }
    for name in (REVIEWED_BY, REVIEW_DATE):
        if existing.get(name):
            fields[name] = existing[name]
    # What a translator's tool added (Poedit's X-Generator, Weblate's X-Weblate fields, ...)
    # stays, after the project's fields: saving in the tool and updating must not churn.
    return fields | {name: value for name, value in existing.items() if name not in fields}


def plural_forms_to_write(language: Language, existing: str | None) -> str:
    """The language's Plural-Forms (CLDR's, or the table's), unless the catalog already has
    one that chooses the same forms, written its own way: a translator's or Poedit's
    spelling of the same rule is no reason for a diff."""
    if existing and same_forms(existing, language.gettext_plural_forms):
        return existing
    return language.gettext_plural_forms


def catalog_text(catalog: Catalog, fields: dict[str, str], comment: str) -> str:
    """A .po file: our header, then Babel's entries (without its header)."""
    drop_false_format_flags(catalog)
    buffer = io.BytesIO()
    write_po(
        buffer,
        catalog,
        width=100,
        omit_header=True,
        sort_output=False,
        include_previous=True,
        include_lineno=False,
    )
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += ['msgid ""', 'msgstr ""']
    lines += [f'"{name}: {value}\\n"' for name, value in fields.items()]
    text = "\n".join(lines) + "\n\n" + buffer.getvalue().decode("utf-8").lstrip("\n")
    return gnu_layout(text, extra_flags_of(catalog))


def init_catalog(root: Path, language: Language) -> Path:
    """Create locales/<code>/LC_MESSAGES/messages.po from the template, all untranslated."""
    path = catalog_path(root / "locales", language.code)
    if path.exists():
        raise FileExistsError(path)
    template = read_template(root)
    catalog = Catalog(locale=None, charset="utf-8")
    for message in template:
        if message.id:
            catalog.add(
                message.id,
                "",
                locations=message.locations,
                auto_comments=message.auto_comments,
                flags=message.flags,
                context=message.context,
            )
    text = catalog_text(catalog, header_fields(language), DRAFT_COMMENT.format(name=language.name))
    write_text_atomically(path, text)
    return path


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M+0000")


def update_catalog(
    root: Path, language: Language, template: Catalog
) -> tuple[Path, bool, list[str]]:
    """Merge the template into one catalog: new strings empty, changed ones fuzzy, removed
    ones dropped, translations and the project's headers kept. Unchanged files stay as they
    are, so running update twice changes nothing. Returns the path, whether it was written,
    and notes on header fields it corrected (an old Plural-Forms)."""
    path = catalog_path(root / "locales", language.code)
    checked = parse_catalog(path)  # refuses what the build would refuse, with its line
    old = checked.text
    catalog = read_po(io.BytesIO(old.encode("utf-8")), locale=None)
    # Length limits come from the template alone: Babel would keep an outdated one beside it.
    for message in catalog:
        message.flags = {flag for flag in message.flags if not flag.startswith("max-length:")}
    catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
    comment = _header_comment(old) or DRAFT_COMMENT.format(name=language.name)
    fields = header_fields(language, checked.headers)
    notes = []
    if checked.headers.get("Plural-Forms") != fields["Plural-Forms"]:
        source = "the language table" if language.plural_forms else "CLDR"
        notes.append(
            f"Plural-Forms '{checked.headers.get('Plural-Forms', '')}' replaced by "
            f"'{fields['Plural-Forms']}' ({source})"
        )
    text = catalog_text(catalog, fields, comment)
    if text == old:
        return path, False, notes
    write_text_atomically(path, text)
    return path, True, notes


def _header_comment(text: str) -> str:
    """The comment lines above the header entry of a catalog's text, without their '# '."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(lines)


# --- the commands -------------------------------------------------------------------------

COMMANDS = ("extract", "add-language", "update", "status", "check", "review", "watch")


def load_table(root: Path, table: Path | None = None) -> dict[str, Language]:
    """The language table (or a candidate version of it), checked against the fonts."""
    from .fonts import load_fonts
    from .languages import load_languages

    fonts = load_fonts(root / "templates" / "fonts.yaml")
    table = table or root / "locales" / "languages.yaml"
    return load_languages(table, {font.family for font in fonts})


def known_language(
    root: Path, languages: dict[str, Language], code: str, catalog: bool = False
) -> Language:
    """The row of ``code``; an InputError for a code that is malformed, not in the table or,
    with ``catalog``, one that has no catalog (English, the source, never has one)."""
    table = root / "locales" / "languages.yaml"
    if not CODE.fullmatch(code):
        raise InputError(
            f"'{shorten(code, 20)}' is not a language code: codes look like so, hmn or zh-Hant "
            f"(known: {', '.join(languages)})",
            table,
        )
    if code not in languages:
        raise InputError(
            f"unknown language '{code}' (known: {', '.join(languages)}); to add it: "
            f"generate.py add-language {code} --name ... --autonym ... --script ...",
            table,
        )
    if catalog and code == "en":
        raise InputError("'en' is the source language: it has no catalog", table)
    path = catalog_path(root / "locales", code)
    if catalog and not path.is_file() and not path.is_symlink():
        raise InputError(f"no catalog yet: create it with: generate.py add-language {code}", path)
    return languages[code]


def cmd_extract(root: Path, args) -> int:
    from .extract import write_template

    path, changed = write_template(root)
    print(f"{display_path(path)}: {'written' if changed else 'unchanged'}")
    return 0


def cmd_update(root: Path, args) -> int:
    languages = load_table(root)
    for code in args.lang or []:
        known_language(root, languages, code, catalog=True)
    cmd_extract(root, args)
    template = read_template(root)
    for code in args.lang or [c for c in languages if c != "en"]:
        path = catalog_path(root / "locales", code)
        if not path.is_file():
            print(f"{display_path(path)}: missing; create it with: generate.py add-language {code}")
            continue
        _, changed, notes = update_catalog(root, languages[code], template)
        print(f"{display_path(path)}: {'updated' if changed else 'unchanged'}")
        for note in notes:
            print(f"{display_path(path)}: {note}")
    return 0


ROW_OPTIONS = ("name", "autonym", "script", "font", "direction", "segment_words", "plural_forms")


def cmd_add_language(root: Path, args) -> int:
    table = root / "locales" / "languages.yaml"
    languages = load_table(root)
    code = args.code
    if not CODE.fullmatch(code):
        known_language(root, languages, code)  # the message for a malformed code
    given = [name for name in ROW_OPTIONS if getattr(args, name) is not None]
    if code not in languages:
        if args.update_row:
            known_language(root, languages, code)  # unknown: nothing to update
        missing = [name for name in ("name", "autonym", "script") if not getattr(args, name)]
        if missing:
            raise InputError(
                f"'{code}' is not in the language table: give --{missing[0]} "
                "(and --font, --plural-forms where needed) to add its row",
                table,
            )
        text = table.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + language_row(args)
        languages = _replace_table(root, table, text)
        print(
            f"{display_path(table)}: added the row for '{code}' ({_row_summary(languages[code])})"
        )
    elif args.update_row:
        if not given:
            raise InputError(
                f"--update-row: give the fields of '{code}' to change, e.g. --direction rtl",
                table,
            )
        text = updated_row_text(table.read_text(encoding="utf-8"), languages[code], args)
        languages = _replace_table(root, table, text)
        print(
            f"{display_path(table)}: updated the row of '{code}' ({_row_summary(languages[code])})"
        )
    elif given:
        raise InputError(
            f"'{code}' is already in the language table (line "
            f"{languages[code].where.line}); to change its row, add --update-row: "
            f"generate.py add-language {code} --update-row --{given[0].replace('_', '-')} ...",
            table,
        )
    language = languages[code]
    path = catalog_path(root / "locales", code)
    if code == "en":
        return 0
    if path.exists() and args.update_row:
        _, changed, notes = update_catalog(root, language, read_template(root))
        print(f"{display_path(path)}: {'updated' if changed else 'unchanged'}")
        for note in notes:
            print(f"{display_path(path)}: {note}")
        return 0
    if path.exists():
        raise InputError(
            f"already exists; to change the language's row instead: generate.py add-language "
            f"{code} --update-row --direction rtl (or --name, --script, --font, ...)",
            path,
        )
    path = init_catalog(root, language)
    print(
        f"{display_path(path)}: created from locales/messages.pot "
        f"(Plural-Forms: {language.gettext_plural_forms})"
    )
    return 0


def _row_summary(language: Language) -> str:
    direction = "right to left" if language.direction == "rtl" else "left to right"
    return f"script {language.script}, {direction}"


def _replace_table(root: Path, table: Path, text: str) -> dict[str, Language]:
    """Write ``text`` as the language table if it loads and checks; else nothing changes."""
    tmp = table.with_suffix(".yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        languages = load_table(root, tmp)
    except (InputError, InputErrors):
        tmp.unlink()
        raise
    tmp.replace(table)
    return languages


def _row_values(args) -> dict[str, str]:
    """The YAML text of each row field given on the command line."""
    values = {}
    for name in ("name", "autonym"):
        if getattr(args, name) is not None:
            values[name] = _yaml_text(getattr(args, name))
    if args.script is not None:
        values["script"] = args.script
    if args.font is not None:
        values["fonts"] = f"[{', '.join(args.font)}]"
    if args.direction is not None:
        values["direction"] = args.direction
    if args.segment_words is not None:
        values["segment_words"] = "true" if args.segment_words else "false"
    if args.plural_forms is not None:
        values["plural_forms"] = _yaml_text(args.plural_forms)
    return values


def updated_row_text(text: str, language: Language, args) -> str:
    """The table's text with the fields given in ``args`` changed in the row of
    ``language``, or added to its end; other lines and comments stay as they are."""
    lines = text.split("\n")
    values = _row_values(args)
    field_lines = {
        name: line for name, line in language.where.field_lines.items() if name in FIELD_NAMES
    }
    last = max(field_lines.values(), default=language.where.line)
    added = []
    for name, value in values.items():
        if name in field_lines:
            index = field_lines[name] - 1
            indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
            comment = re.search(r"\s+#.*$", lines[index])
            lines[index] = f"{indent}{name}: {value}" + (comment.group() if comment else "")
        else:
            added.append(f"    {name}: {value}")
    lines[last:last] = added
    return "\n".join(lines)


def language_row(args) -> str:
    lines = [
        f"  - code: {args.code}",
        f"    name: {_yaml_text(args.name)}",
        f"    autonym: {_yaml_text(args.autonym)}",
        f"    script: {args.script}",
        f"    fonts: [{', '.join(args.font or ['Noto Sans'])}]",
    ]
    # The direction follows from the script; the row says it only where it differs.
    if args.direction is not None and args.direction != script_direction(args.script):
        lines.append(f"    direction: {args.direction}")
    if args.segment_words:
        lines.append("    segment_words: true")
    if args.plural_forms:
        lines.append(f"    plural_forms: {_yaml_text(args.plural_forms)}")
    return "\n".join(lines) + "\n"


def _yaml_text(text: str) -> str:
    """``text`` as a YAML value: plain, like the rows written by hand, where YAML reads it
    back unchanged as text, else quoted."""
    import json

    import yaml

    try:
        plain = yaml.safe_load(f"value: {text}") == {"value": text} and "#" not in text
    except yaml.YAMLError:
        plain = False
    return text if plain else json.dumps(text, ensure_ascii=False)


def cmd_status(root: Path, args) -> int:
    languages = load_table(root)
    for code in args.lang or []:
        known_language(root, languages, code)
    template = template_keys(read_template(root))
    rows = [
        language_status(root, languages[code], template) for code in args.lang or list(languages)
    ]
    print(f"{'code':<8} {'language':<28} {'done':>5} {'fuzzy':>6} {'todo':>5}  review")
    for row in rows:
        if row["error"]:
            review = f"ERROR {row['error']}"
        elif row["reviewed"] == "source":
            review = "source language"
        elif row["reviewed"]:
            changed = f", {row['fuzzy']} changed since" if row["fuzzy"] else ""
            review = f"reviewed {row['reviewed']} by {row['reviewer']}{changed}"
        else:
            review = "machine-drafted, not reviewed"
            if row["drafted"]:
                review += f" ({row['drafted']} entries marked machine-drafted)"
        done = f"{100 * row['translated'] // max(row['total'], 1)}%"
        print(
            f"{row['code']:<8} {row['name'][:28]:<28} {done:>5} {row['fuzzy']:>6} "
            f"{row['untranslated']:>5}  {review}"
        )
    return 0


def cmd_check(root: Path, args) -> int:
    from .catalogs import catalog_warnings, check_catalog

    languages = load_table(root)
    template = template_keys(read_template(root))
    for code in args.lang or []:
        known_language(root, languages, code, catalog=True)
    errors = warnings = 0
    for code in args.lang or [c for c in languages if c != "en"]:
        path = catalog_path(root / "locales", code)
        try:
            catalog = parse_catalog(path)
        except InputError as error:
            print(f"error: {error}")
            errors += 1
            continue
        for error in check_catalog(catalog, languages[code]):
            print(f"error: {error}")
            errors += 1
        for warning in catalog_warnings(catalog, template):
            # Identical on purpose (a name), and longer than a limit measured for every text
            # of a box running long at once, can both be right: never errors.
            strict = args.strict and not warning.message.startswith(("identical", "longer"))
            print(f"{'error' if strict else 'warning'}: {warning}")
            errors += strict
            warnings += not strict
    print(f"{errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def cmd_review(root: Path, args) -> int:
    """Record a native speaker's review: of the whole language (reviewer and date in the
    header, every entry's machine-draft mark removed; refused while anything is untranslated
    or fuzzy), or, with --entry, of single entries (their mark replaced by who reviewed them
    and when)."""
    languages = load_table(root)
    language = known_language(root, languages, args.code, catalog=True)
    path = catalog_path(root / "locales", args.code)
    catalog = parse_catalog(path)
    parsed = read_po(io.BytesIO(catalog.text.encode("utf-8")), locale=None)
    today = datetime.date.today().isoformat()
    if args.entry:
        messages = [_find_entry(parsed, key, catalog, path) for key in args.entry]
        for message in messages:
            if message.fuzzy or not message.string:
                raise InputError(
                    f"«{shorten(message.id, 40)}» is "
                    f"{'fuzzy' if message.fuzzy else 'untranslated'}: translate it first",
                    path,
                    catalog.entries[(message.context, message.id)].line,
                )
        for message in messages:
            message.user_comments = [
                c
                for c in message.user_comments
                if c != DRAFT_MARK and not c.startswith("reviewed by ")
            ] + [f"reviewed by {args.by} on {today}"]
        comment = _header_comment(catalog.text) or DRAFT_COMMENT.format(name=language.name)
        text = catalog_text(parsed, header_fields(language, catalog.headers), comment)
        write_text_atomically(path, text)
        left = len(parse_catalog(path).drafted)
        print(
            f"{display_path(path)}: {len(messages)} entries marked reviewed by {args.by}; "
            f"{left} still machine-drafted"
        )
        return 0
    template = template_keys(read_template(root))
    open_entries = [key for key in template if fallback_reason(catalog, key)]
    if open_entries:
        raise InputError(
            f"{len(open_entries)} strings are untranslated or fuzzy (first: "
            f"«{open_entries[0][1][:40]}»): review them first",
            path,
        )
    headers = dict(catalog.headers)
    headers.update(
        {
            REVIEWED_BY: args.by,
            REVIEW_DATE: today,
            STATUS: "reviewed",
            "PO-Revision-Date": now(),
        }
    )
    for message in parsed:
        message.user_comments = [c for c in message.user_comments if c != DRAFT_MARK]
    comment = (
        f"{language.name} translation of the anti-trafficking materials.\n"
        f"Reviewed by {args.by} on {headers[REVIEW_DATE]}."
    )
    write_text_atomically(path, catalog_text(parsed, header_fields(language, headers), comment))
    print(f"{display_path(path)}: marked reviewed by {args.by}")
    return 0


def _find_entry(parsed: Catalog, key: str, catalog, path: Path):
    """The entry ``key`` names: its msgctxt (sign:documents:short), its English, or the line
    of its msgstr as check reports it."""
    for message in parsed:
        if not message.id:
            continue
        line = catalog.entries.get((message.context, message.id))
        if key in (message.context, message.id) or (line and key == str(line.line)):
            return message
    raise InputError(
        f"--entry {shorten(key, 40)!r}: no entry has this context, English text or msgstr line",
        path,
    )


def cmd_watch(root: Path, args) -> int:
    """Rebuild the languages' materials each time one of their catalogs is saved.

    Polls modification times (no extra dependency, works on every file system); stops on
    Ctrl-C, or after ``--rebuilds`` rebuilds (tests).
    """
    import time

    from .cli import generate
    from .project import Project
    from .render import Options

    languages = load_table(root)
    for code in args.lang:
        known_language(root, languages, code)
    paths = [catalog_path(root / "locales", code) for code in args.lang if code != "en"]

    def stamps():
        return [path.stat().st_mtime_ns if path.exists() else 0 for path in paths]

    print(f"watching {', '.join(display_path(p) for p in paths)}; Ctrl-C to stop", flush=True)
    seen, rebuilds = None, 0
    try:
        while True:
            current = stamps()
            if current != seen:
                seen = current
                generate(
                    Project(root),
                    organisation=None,
                    langs=args.lang,
                    materials=args.material,
                    options=Options(previews=False),
                    poster_override=None,
                    jobs=1,
                    out=lambda text: print(text, flush=True),
                    err=lambda text: print(text, flush=True),
                )
                rebuilds += 1
                if args.rebuilds and rebuilds >= args.rebuilds:
                    return 0
                print("waiting for the next save...", flush=True)
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0


def main(argv: list[str]) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--project",
        type=Path,
        default=PROJECT_ROOT,
        metavar="DIR",
        help="project folder (default: the folder of generate.py)",
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser = argparse.ArgumentParser(prog="generate.py", description="Translation commands.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "extract", parents=[common], help="templates and content -> locales/messages.pot"
    )
    add = commands.add_parser(
        "add-language", parents=[common], help="start a catalog for a language"
    )
    add.add_argument("code", help="language code, e.g. ti or ksw")
    add.add_argument("--name", help="English name, for a language not yet in the table")
    add.add_argument("--autonym", help="the language's name in itself")
    add.add_argument("--script", help="ISO 15924 script code, e.g. Ethi")
    add.add_argument("--font", action="append", help="font family from templates/fonts.yaml")
    add.add_argument(
        "--direction",
        choices=("ltr", "rtl"),
        help="only where it differs from the script's (Arab, Hebr, Thaa, Syrc, Nkoo, Adlm... "
        "are right to left, from ICU's data)",
    )
    add.add_argument(
        "--segment-words",
        action=argparse.BooleanOptionalAction,
        help="the script is written without spaces between words",
    )
    add.add_argument(
        "--update-row",
        action="store_true",
        help="the language is in the table already: change the fields given in its row "
        "(and bring its catalog's header up to date)",
    )
    add.add_argument("--plural-forms", help="gettext Plural-Forms, needed if CLDR lacks the code")
    for name, text in (
        ("update", "extract, then merge the template into the catalogs"),
        ("status", "translated, fuzzy and untranslated strings per language"),
        ("check", "check catalogs; path:line for every finding"),
    ):
        sub = commands.add_parser(name, parents=[common], help=text)
        sub.add_argument("--lang", action="append", metavar="CODE")
        if name == "check":
            sub.add_argument(
                "--strict", action="store_true", help="also fail on untranslated and fuzzy strings"
            )
    review = commands.add_parser("review", parents=[common], help="mark a language reviewed")
    review.add_argument("code")
    review.add_argument("--by", required=True, help='reviewer, e.g. "Name <email>"')
    review.add_argument(
        "--entry",
        action="append",
        metavar="KEY",
        help="review only this entry (repeatable): its msgctxt (sign:documents:short), its "
        "English text, or the line of its msgstr",
    )
    watch = commands.add_parser(
        "watch", parents=[common], help="rebuild a language whenever its catalog is saved"
    )
    watch.add_argument("--lang", action="append", required=True, metavar="CODE")
    watch.add_argument("--material", action="append", metavar="ID")
    watch.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    watch.add_argument("--rebuilds", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.project.resolve()
    handlers = {
        "extract": cmd_extract,
        "add-language": cmd_add_language,
        "update": cmd_update,
        "status": cmd_status,
        "check": cmd_check,
        "review": cmd_review,
        "watch": cmd_watch,
    }
    try:
        return handlers[args.command](root, args)
    except (InputError, InputErrors) as error:
        for item in error.errors if isinstance(error, InputErrors) else [error]:
            print(f"error: {item}", file=sys.stderr)
        return 1
    except FileExistsError as error:
        print(f"error: {display_path(error.args[0])}: already exists", file=sys.stderr)
        return 1
    except Exception as error:  # a bug: say so in one line, the traceback with --debug
        if args.debug:
            raise
        print(
            f"error: {args.command} failed unexpectedly ({type(error).__name__}: {error}); "
            "run it again with --debug and report the traceback",
            file=sys.stderr,
        )
        return 2
