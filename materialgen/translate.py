"""The translator's commands: extract, add a language, update, status, check.

Catalogs are written by this module with the headers the project needs (Language,
Plural-Forms also for codes CLDR lacks, the review fields), since Babel's own writer drops
unknown headers and a Plural-Forms it cannot derive.
"""

from __future__ import annotations

import datetime
import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from .catalogs import REVIEW_DATE, REVIEWED_BY, _raw_headers, catalog_path
from .extract import PROJECT
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
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=True, sort_output=False, include_previous=True)
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += ['msgid ""', 'msgstr ""']
    lines += [f'"{name}: {value}\\n"' for name, value in fields.items()]
    return "\n".join(lines) + "\n\n" + buffer.getvalue().decode("utf-8").lstrip("\n")


def init_catalog(root: Path, language: Language) -> Path:
    """Create locales/<code>/LC_MESSAGES/messages.po from the template, all untranslated."""
    path = catalog_path(root / "locales", language.code)
    if path.exists():
        raise FileExistsError(path)
    with (root / "locales" / "messages.pot").open("rb") as handle:
        template = read_po(handle)
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
    path.parent.mkdir(parents=True, exist_ok=True)
    text = catalog_text(catalog, header_fields(language), DRAFT_COMMENT.format(name=language.name))
    path.write_text(text, encoding="utf-8")
    return path


def existing_headers(path: Path) -> dict[str, str]:
    return _raw_headers(path) if path.is_file() else {}


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M+0000")


def read_template(root: Path) -> Catalog:
    with (root / "locales" / "messages.pot").open("rb") as handle:
        return read_po(handle)


def update_catalog(root: Path, language: Language, template: Catalog) -> tuple[Path, bool]:
    """Merge the template into one catalog: new strings empty, changed ones fuzzy, removed
    ones dropped, translations and the project's headers kept. Unchanged files stay as they
    are, so running update twice changes nothing."""
    path = catalog_path(root / "locales", language.code)
    headers = existing_headers(path)
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=None)
    catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
    comment = _header_comment(path) or DRAFT_COMMENT.format(name=language.name)
    text = catalog_text(catalog, header_fields(language, headers), comment)
    old = path.read_text(encoding="utf-8")
    if text == old:
        return path, False
    tmp = path.with_suffix(".po.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path, True


def _header_comment(path: Path) -> str:
    """The comment lines above the header entry, without their '# '."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(lines)
