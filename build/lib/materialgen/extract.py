"""Extraction: templates and content data -> locales/messages.pot.

Template strings come from Jinja2's Babel extractor (``_`` and ``pgettext`` calls, with the
``L10N:`` comment before them as translator comment). Content strings come from
``extract_yaml``, a Babel extractor for the YAML files: each translated field becomes a
``pgettext`` message with the context ``<kind>:<id>:<field>`` and the field's documentation
as translator comment, so identical English in two places can be translated differently.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import write_po

from .content import Resource, Sign, translated_strings
from .files import write_text_atomically
from .inputs import read_input
from .schema import parse_yaml, records_from

COMMENT_TAGS = ("L10N:",)
KEYWORDS = {"_": None, "gettext": None, "pgettext": ((1, "c"), 2)}
# The same options the renderer uses: a template error must fail extraction, not hide strings.
JINJA_OPTIONS = {"silent": "false", "trim_blocks": "true", "lstrip_blocks": "true"}
RECORD_TYPES = {"resources": Resource, "signs": Sign}
PROJECT = "anti-trafficking-materials"
NAMED_PLACEHOLDER = re.compile(r"%\(\w+\)s")
POT_COMMENT = """\
# Template for the translations of the anti-trafficking materials.
# Written by `python generate.py extract` from templates/ and materials/: do not edit it;
# translations live in locales/<lang>/LC_MESSAGES/messages.po (see TRANSLATING.md)."""


def extract_yaml(fileobj, keywords, comment_tags, options):
    """Babel extractor for the content YAML: yields (line, funcname, message, comments)."""
    path = Path(options.get("path") or getattr(fileobj, "name", "content.yaml"))
    data = parse_yaml(fileobj.read(), path)
    for key, cls in RECORD_TYPES.items():
        if isinstance(data, dict) and key in data:
            records = records_from(data, path, key, cls)
            for context, text, comment, _path, line in translated_strings(records):
                yield line, "pgettext", (context, text), [comment]


def build_template(root: Path) -> Catalog:
    catalog = Catalog(
        project=PROJECT,
        version="1",
        msgid_bugs_address="",
        fuzzy=False,
        charset="utf-8",
        header_comment=POT_COMMENT,
    )
    templates = root / "templates"
    for path in sorted(templates.glob("*.html")):
        with io.BytesIO(read_input(path, root)) as handle:
            for line, message, comments, context in extract(
                "jinja2.ext:babel_extract", handle, KEYWORDS, COMMENT_TAGS, JINJA_OPTIONS
            ):
                catalog.add(
                    message,
                    locations=[(f"templates/{path.name}", line)],
                    auto_comments=comments,
                    context=context,
                )
    for name in ("resources.yaml", "warning-signs.yaml"):
        path = root / "materials" / name
        with io.BytesIO(read_input(path, root)) as handle:
            for line, message, comments, context in extract(
                extract_yaml, handle, KEYWORDS, COMMENT_TAGS, {"path": str(path)}
            ):
                catalog.add(
                    message,
                    locations=[(f"materials/{name}", line)],
                    auto_comments=comments,
                    context=context,
                )
    return catalog


def drop_false_format_flags(catalog: Catalog) -> None:
    """Babel flags any '%' as python-format ("100% free" has "% f"), each time it builds a
    message, and msgfmt then rejects a correct translation. Only strings with named
    placeholders are format strings here; call this right before writing a catalog."""
    for message in catalog:
        if "python-format" in message.flags and not NAMED_PLACEHOLDER.search(message.id):
            message.flags.discard("python-format")


def pot_text(catalog: Catalog) -> str:
    drop_false_format_flags(catalog)
    buffer = io.BytesIO()
    # Locations without line numbers: editing a template must not touch every catalog.
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False, include_lineno=False)
    return buffer.getvalue().decode("utf-8")


def write_template(root: Path) -> tuple[Path, bool]:
    """Write locales/messages.pot; unchanged apart from its date, the file is left alone."""
    target = root / "locales" / "messages.pot"
    text = pot_text(build_template(root))
    if target.is_file() and _without_date(target.read_text("utf-8")) == _without_date(text):
        return target, False
    write_text_atomically(target, text)
    return target, True


def _without_date(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "POT-Creation-Date" not in line)
