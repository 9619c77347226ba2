"""Merge drafted translations into the catalogs: tools/merge_translations.py DIR

DIR holds one <code>.json per language, a list of {"context": null or "resource:...", "id":
msgid, "string": msgstr}, as a translator or a drafting tool hands them over. Each string
replaces the catalog's entry with that context and msgid (and clears its fuzzy flag: the
string was written for this English) and is marked machine-drafted, entry by entry
(catalogs.DRAFT_MARK, a translator comment), until `generate.py review` clears it; an entry
the catalog lacks is an error (run `generate.py update` first). Every string must pass the
generator's own translation check. The catalog keeps its header, so a machine draft stays
marked as one.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from materialgen.catalogs import (  # noqa: E402
    DRAFT_MARK,
    catalog_path,
    parse_catalog,
    translation_problem,
)
from materialgen.files import write_text_atomically  # noqa: E402
from materialgen.translate import (  # noqa: E402
    DRAFT_COMMENT,
    _header_comment,
    catalog_text,
    header_fields,
    load_table,
)


def merge(code: str, entries: list[dict]) -> list[str]:
    """Put ``entries`` into the catalog of ``code``; the problems found (nothing written)."""
    language = load_table(ROOT)[code]
    path = catalog_path(ROOT / "locales", code)
    checked = parse_catalog(path)  # through the input guard, refused as the build would
    catalog = read_po(io.BytesIO(checked.text.encode("utf-8")), locale=None)
    problems = []
    for entry in entries:
        message = catalog.get(entry["id"], context=entry["context"])
        label = f"{code}: «{entry['id'][:40]}» [{entry['context']}]"
        if message is None:
            problems.append(f"{label}: not in the catalog (run generate.py update)")
            continue
        problem = translation_problem(entry["id"], entry["string"], joiners=language.uses_joiners)
        if problem:
            problems.append(f"{label}: {problem}")
            continue
        message.string = entry["string"]
        # A drafted string is marked as one, entry by entry, until a reviewer reads it.
        message.user_comments = [
            c for c in message.user_comments if not c.startswith("reviewed by ")
        ]
        if DRAFT_MARK not in message.user_comments:
            message.user_comments.append(DRAFT_MARK)
        message.flags.discard("fuzzy")
        message.previous_id = []
        message.previous_context = None
    if not problems:
        comment = _header_comment(checked.text) or DRAFT_COMMENT.format(name=language.name)
        text = catalog_text(catalog, header_fields(language, checked.headers), comment)
        write_text_atomically(path, text)
    return problems


def main(argv: list[str]) -> int:
    folder = Path(argv[0])
    problems = []
    for source in sorted(folder.glob("*.json")):
        problems += merge(source.stem, json.loads(source.read_text(encoding="utf-8")))
        print(f"{source.stem}: {'problems' if problems else 'merged'}")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
