"""A pseudo-locale whose translations are the English in upper case: any lower-case letter
left in a rendered document is a string that escaped gettext."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from babel.messages.pofile import read_po
from conftest import run_generate

from materialgen.catalogs import PLACEHOLDER, Translator
from materialgen.project import Project, load
from materialgen.render import Options, Renderer, Section

PSEUDO_ROW = """
  - code: qaa
    name: Pseudo (upper case)
    autonym: PSEUDO
    script: Latn
    fonts: [Noto Sans]
    plural_forms: nplurals=2; plural=(n != 1);
"""


def upper_keeping_placeholders(text: str) -> str:
    pieces, position = [], 0
    for match in PLACEHOLDER.finditer(text):
        pieces += [text[position : match.start()].upper(), match.group()]
        position = match.end()
    return "".join(pieces + [text[position:].upper()])


def po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_pseudo_locale(project) -> None:
    with (project / "locales" / "languages.yaml").open("a") as handle:
        handle.write(PSEUDO_ROW)
    with (project / "locales" / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    lines = [
        'msgid ""',
        'msgstr ""',
        '"Language: qaa\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
        "",
    ]
    for message in template:
        if not message.id:
            continue
        if message.context:
            lines.append(f"msgctxt {po_string(message.context)}")
        lines += [
            f"msgid {po_string(message.id)}",
            f"msgstr {po_string(upper_keeping_placeholders(message.id))}",
            "",
        ]
    target = project / "locales" / "qaa" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    target.write_text("\n".join(lines), encoding="utf-8")


class VisibleText(HTMLParser):
    """Text a reader sees, minus what is deliberately not translated: numbers and addresses
    (dir="ltr"), and the English copy of the draft note (lang="en")."""

    SKIPPED = {"style", "script"}

    def __init__(self):
        super().__init__()
        self.stack: list[bool] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = (
            tag in self.SKIPPED
            or attrs.get("dir") == "ltr"
            or (attrs.get("lang") == "en" and tag != "html")
        )
        self.stack.append(skipped or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.texts.append(data.strip())


def test_no_string_escapes_gettext(project):
    make_pseudo_locale(project)
    paths = Project(project)
    data = load(paths, None, ["qaa"])
    renderer = Renderer(paths.templates_dir, data.fonts, data.languages)
    section = Section(
        data.languages["qaa"], Translator(data.languages["qaa"], data.catalogs["qaa"])
    )
    # Imposed sheets have no text of their own: they print their card's PDF.
    for material in (m for m in data.content.materials.values() if m.template):
        html = renderer.render(material, [section], data.content, Options())
        parser = VisibleText()
        parser.feed(html)
        escaped = [text for text in parser.texts if re.search("[a-z]", text)]
        assert not escaped, f"{material.id}: text not from the catalog: {escaped}"
        assert not section.translator.missing, section.translator.missing


def test_pseudo_locale_builds(project, capsys):
    """The upper-case locale also lays out and passes the print check on the wallet card."""
    make_pseudo_locale(project)
    code, out, err = run_generate(
        capsys, "--project", str(project), "--lang", "qaa", "--material", "wallet-card"
    )
    assert code == 0, out + err
    assert re.search(r"^ok +qaa +wallet-card ", out, re.MULTILINE)
