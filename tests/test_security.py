"""Translations and content are data: they never execute, never read files, never reach the
network. The renderer may load only the project's own templates and fonts."""

from __future__ import annotations

import time

import pytest
from conftest import ROOT, run_generate, set_nhth_summary

from materialgen.catalogs import Translator
from materialgen.layout import BlockedURL, Layout, ProjectFetcher
from materialgen.project import Project, load
from materialgen.render import Options, Renderer, Section

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<style>@font-face {{ font-family: "Noto Sans"; src: url(fonts/NotoSans-Regular.ttf) }}
@page {{ size: 85.6mm 53.98mm }} html {{ font-family: "Noto Sans" }}</style>{head}</head>
<body><p>Text</p>{body}</body></html>"""


@pytest.fixture(scope="module")
def layout():
    return Layout(ROOT / "templates")


def render_and_write(layout, tmp_path, head="", body=""):
    warnings: list[str] = []
    document = layout.render(PAGE.format(head=head, body=body), warnings)
    layout.write(document, tmp_path / "out.pdf", warnings)
    return (tmp_path / "out.pdf").read_bytes()


@pytest.mark.parametrize(
    ("head", "body"),
    [
        ('<link rel="attachment" href="file:///etc/passwd">', ""),
        ("", '<a rel="attachment" href="file:///etc/passwd">x</a>'),
        ("", '<img src="file:///etc/passwd">'),
        ("", '<img src="http://192.0.2.1/pixel.png">'),
        ('<link rel="stylesheet" href="https://example.org/evil.css">', ""),
        ("<style>p { background: url(ftp://example.org/x.png) }</style>", ""),
        ("", '<img src="data:image/png;base64,iVBORw0KGgo=">'),
        ("", '<img src="file:///dev/urandom">'),
    ],
    ids=[
        "attachment-link",
        "attachment-anchor",
        "local-image",
        "network-image",
        "network-stylesheet",
        "ftp-url",
        "data-url",
        "endless-device",
    ],
)
def test_outside_resources_are_blocked(layout, tmp_path, head, body):
    started = time.monotonic()
    with pytest.raises(BlockedURL):
        render_and_write(layout, tmp_path, head, body)
    assert time.monotonic() - started < 5, "a blocked resource must not hang the render"


def test_symbolic_link_out_of_templates_is_blocked(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "passwd.css").symlink_to("/etc/passwd")
    fetcher = ProjectFetcher([templates])
    with pytest.raises(BlockedURL):
        fetcher.fetch((templates / "passwd.css").as_uri())


def test_project_files_are_served(tmp_path):
    fetcher = ProjectFetcher([ROOT / "templates"])
    response = fetcher.fetch((ROOT / "templates" / "base.css").as_uri())
    assert b"--accent" in response.read()


def test_template_syntax_in_data_is_not_executed(project):
    hostile = "{{ cycler.__init__.__globals__ }} {% include 'base.css' %}"
    set_nhth_summary(project, hostile)
    catalog_file = project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    catalog_file.write_text(
        'msgid ""\nmsgstr ""\n"Language: so\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        f'msgid "Local help"\nmsgstr "{hostile}"\n',
        encoding="utf-8",
    )
    (project / "materials" / "local-organisation.yaml").write_text("name: Test Group\n")
    paths = Project(project)
    data = load(paths, project / "materials" / "local-organisation.yaml", ["so"])
    renderer = Renderer(paths.templates_dir, data.fonts, data.languages)
    language = data.languages["so"]
    html = renderer.render(
        data.content.materials["flyer"],
        [Section(language, Translator(language, data.catalogs["so"]))],
        data.content,
        Options(),
    )
    assert html.count("{{ cycler.__init__.__globals__ }} {% include &#39;base.css&#39; %}") == 2
    assert "--accent" not in html


def test_markup_in_content_is_escaped(project, capsys):
    set_nhth_summary(project, '<link rel="attachment" href="file:///etc/passwd"> Free.')
    code, out, err = run_generate(
        capsys, "--project", str(project), "--lang", "en", "--material", "flyer"
    )
    assert code == 0, out + err
    pdf = (project / "output" / "en" / "flyer.pdf").read_bytes()
    assert b"root:x:0:0" not in pdf and b"/EmbeddedFile" not in pdf


def test_blocked_resource_fails_the_document_not_the_run(project, capsys):
    flyer = project / "templates" / "flyer.html"
    flyer.write_text(
        flyer.read_text().replace(
            "{% block body %}", '{% block body %}<img src="file:///etc/passwd">', 1
        )
    )
    code, out, _ = run_generate(
        capsys,
        "--project",
        str(project),
        "--lang",
        "en",
        "--material",
        "flyer",
        "--material",
        "wallet-card",
    )
    assert code == 1
    assert "blocked file:///etc/passwd: outside the project's templates and fonts" in out
    assert not (project / "output" / "en" / "flyer.pdf").exists()
    assert (project / "output" / "en" / "wallet-card.pdf").exists()
