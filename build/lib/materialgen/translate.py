"""The translator's commands: extract, add a language, update, status, check.

Catalogs are written by this module with the headers the project needs (Language,
Plural-Forms also for codes CLDR lacks, the review fields), since Babel's own writer drops
unknown headers and a Plural-Forms it cannot derive.
"""

from __future__ import annotations

import argparse
import datetime
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from . import PROJECT_ROOT
from .catalogs import (
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
from .languages import Language

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
        "Plural-Forms": language.gettext_plural_forms,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        STATUS: existing.get(STATUS, "machine-drafted"),
    }
    for name in (REVIEWED_BY, REVIEW_DATE):
        if existing.get(name):
            fields[name] = existing[name]
    return fields


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
    return "\n".join(lines) + "\n\n" + buffer.getvalue().decode("utf-8").lstrip("\n")


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


def update_catalog(root: Path, language: Language, template: Catalog) -> tuple[Path, bool]:
    """Merge the template into one catalog: new strings empty, changed ones fuzzy, removed
    ones dropped, translations and the project's headers kept. Unchanged files stay as they
    are, so running update twice changes nothing."""
    path = catalog_path(root / "locales", language.code)
    checked = parse_catalog(path)  # refuses what the build would refuse, with its line
    old = checked.text
    catalog = read_po(io.BytesIO(old.encode("utf-8")), locale=None)
    catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
    comment = _header_comment(old) or DRAFT_COMMENT.format(name=language.name)
    text = catalog_text(catalog, header_fields(language, checked.headers), comment)
    if text == old:
        return path, False
    write_text_atomically(path, text)
    return path, True


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


def cmd_extract(root: Path, args) -> int:
    from .extract import write_template

    path, changed = write_template(root)
    print(f"{display_path(path)}: {'written' if changed else 'unchanged'}")
    return 0


def cmd_update(root: Path, args) -> int:
    cmd_extract(root, args)
    languages = load_table(root)
    template = read_template(root)
    for code in args.lang or [c for c in languages if c != "en"]:
        path = catalog_path(root / "locales", code)
        if not path.is_file():
            print(f"{display_path(path)}: missing; create it with: generate.py add-language {code}")
            continue
        _, changed = update_catalog(root, languages[code], template)
        print(f"{display_path(path)}: {'updated' if changed else 'unchanged'}")
    return 0


def cmd_add_language(root: Path, args) -> int:
    table = root / "locales" / "languages.yaml"
    languages = load_table(root)
    code = args.code
    if code not in languages:
        missing = [name for name in ("name", "autonym", "script") if not getattr(args, name)]
        if missing:
            raise InputError(
                f"'{code}' is not in the language table: give --{missing[0]} "
                "(and --font, --plural-forms where needed) to add its row",
                table,
            )
        text = table.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + language_row(args)
        tmp = table.with_suffix(".yaml.tmp")
        tmp.write_text(text, encoding="utf-8")
        try:
            languages = load_table(root, tmp)
        except (InputError, InputErrors):
            tmp.unlink()
            raise
        tmp.replace(table)
        print(f"{display_path(table)}: added the row for '{code}'")
    path = init_catalog(root, languages[code])
    print(
        f"{display_path(path)}: created from locales/messages.pot "
        f"(Plural-Forms: {languages[code].gettext_plural_forms})"
    )
    return 0


def language_row(args) -> str:
    lines = [
        f"  - code: {args.code}",
        f"    name: {_yaml_text(args.name)}",
        f"    autonym: {_yaml_text(args.autonym)}",
        f"    script: {args.script}",
        f"    fonts: [{', '.join(args.font or ['Noto Sans'])}]",
    ]
    if args.direction != "ltr":
        lines.append(f"    direction: {args.direction}")
    if args.segment_words:
        lines.append("    segment_words: true")
    if args.plural_forms:
        lines.append(f"    plural_forms: {_yaml_text(args.plural_forms)}")
    return "\n".join(lines) + "\n"


def _yaml_text(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def cmd_status(root: Path, args) -> int:
    languages = load_table(root)
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
            strict = args.strict and not warning.message.startswith("identical")
            print(f"{'error' if strict else 'warning'}: {warning}")
            errors += strict
            warnings += not strict
    print(f"{errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def cmd_review(root: Path, args) -> int:
    """Mark a catalog reviewed: reviewer and date in the header, fuzzy entries refused."""
    languages = load_table(root)
    language = languages[args.code]
    path = catalog_path(root / "locales", args.code)
    catalog = parse_catalog(path)
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
            REVIEW_DATE: datetime.date.today().isoformat(),
            STATUS: "reviewed",
            "PO-Revision-Date": now(),
        }
    )
    parsed = read_po(io.BytesIO(catalog.text.encode("utf-8")), locale=None)
    comment = (
        f"{language.name} translation of the anti-trafficking materials.\n"
        f"Reviewed by {args.by} on {headers[REVIEW_DATE]}."
    )
    write_text_atomically(path, catalog_text(parsed, header_fields(language, headers), comment))
    print(f"{display_path(path)}: marked reviewed by {args.by}")
    return 0


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
        if code not in languages:
            raise InputError(f"unknown language '{code}'", root / "locales" / "languages.yaml")
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
    add.add_argument("--direction", choices=("ltr", "rtl"), default="ltr")
    add.add_argument(
        "--segment-words",
        action="store_true",
        help="the script is written without spaces between words",
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
