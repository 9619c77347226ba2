"""output/index.html, the gallery coordinators open: what it keeps across runs, what it
escapes, the previews it shows, and the page itself in a real headless Chromium (Playwright)."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pypdfium2
import pytest
from conftest import make_too_long, run_generate
from PIL import Image

import generate
from materialgen import gallery
from materialgen.catalogs import language_status
from materialgen.preview import LONG_SIDE_PX, MAX_DPI, preview_scale, render_pages
from materialgen.project import Project, load

PO = re.compile(r"\.po$")


def test_gallery_keeps_every_document_and_links_problems(project, capsys):
    output = project / "output"
    output.mkdir()
    (output / "report.html").write_text("an older version's report")
    args = ["--project", str(project), "--material", "wallet-card"]
    code, out, _ = run_generate(capsys, *args, "--lang", "so", "--lang", "hmn")
    assert code == 0, out
    assert "gallery: " in out and "index.html" in out
    # A second run for one language keeps the other in the gallery.
    make_too_long(project, "hmn")
    code, _, _ = run_generate(capsys, *args, "--lang", "hmn")
    assert code == 1
    page = (output / "index.html").read_text(encoding="utf-8")
    assert 'id="lang-so"' in page and 'id="lang-hmn"' in page
    assert re.search(r'src="so/preview/wallet-card-1.png" width="\d+" height="\d+"', page)
    assert re.search(r'href="so/wallet-card.pdf" download', page)
    failed = page[page.index('id="hmn-wallet-card"') :]
    failed = failed[: failed.index("</article>")]
    assert "Not written" in failed
    assert '<a href="../locales/hmn/LC_MESSAGES/messages.po">' in failed
    assert "machine-drafted, not reviewed" in page
    assert not (output / "report.html").exists()


def test_gallery_escapes_names_problems_and_paths(project, tmp_path):
    """Language names, problems and file names are data: they never become markup."""
    table = project / "locales" / "languages.yaml"
    table.write_text(
        table.read_text(encoding="utf-8").replace(
            "name: Somali", "name: Somali <img src=x onerror=alert(1)>"
        ),
        encoding="utf-8",
    )
    data = load(Project(project), None, ["so"])
    output = tmp_path / "output"
    (output / "so" / "preview").mkdir(parents=True)
    catalog = tmp_path / "cat#alogs" / "so.po"  # a name that would end a URL unquoted
    record = {
        "lang": "so",
        "material": "flyer",
        "ok": False,
        "pdf": None,
        "pages": 1,
        "scale": 1.0,
        "fits": {},
        "problems": [f'text "<script>alert(1)</script>" overflows ({catalog}:3)'],
        "previews": [],
        "missing": 0,
        "built": "2025-01-01T10:00:00",
    }
    (output / "so" / "preview" / "flyer.json").write_text(json.dumps(record))
    status = language_status(project, data.languages["so"], {}, data.catalogs["so"])
    status.update(reviewed="2025-01-02", reviewer="Ana <ana@example.org>")
    statuses = {"so": status}
    path = gallery.write_gallery(output, project / "templates", data, [], statuses, {})
    page = path.read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "Somali &lt;img src=x onerror=alert(1)&gt;" in page
    assert "reviewed 2025-01-02 by Ana &lt;ana@example.org&gt;" in page
    assert f'<a href="../cat%23alogs/so.po">{catalog}:3</a>' in page


def test_previews_are_sized_in_pixels_and_lossless(project, tmp_path, capsys):
    code, out, _ = run_generate(
        capsys, "--project", str(project), "--lang", "en", "--material", "wallet-card",
        "--material", "flyer",
    )  # fmt: skip
    assert code == 0, out
    output = project / "output" / "en"
    card = Image.open(output / "preview" / "wallet-card-1.png")
    flyer = Image.open(output / "preview" / "flyer-1.png")
    # A card stops at MAX_DPI (its 7 pt print stays readable); a flyer gets the long side.
    assert card.size == pytest.approx((85.6 / 25.4 * MAX_DPI, 53.98 / 25.4 * MAX_DPI), abs=1)
    assert max(flyer.size) == LONG_SIDE_PX
    # The hand-made PNG holds exactly the pixels pdfium rendered.
    page = pypdfium2.PdfDocument(str(output / "flyer.pdf"))[0]
    rendered = page.render(scale=preview_scale(*page.get_size()), rev_byteorder=True).to_pil()
    assert flyer.convert("RGB").tobytes() == rendered.tobytes()
    # Also from the PDF's bytes, under another name.
    again = render_pages((output / "flyer.pdf").read_bytes(), tmp_path, stem="copy")
    assert [p.name for p in again] == ["copy-1.png"]
    assert again[0].read_bytes() == (output / "preview" / "flyer-1.png").read_bytes()


# --- the gallery in a real browser ----------------------------------------------------


def test_gallery_in_a_real_browser(project, capsys, browser_page):
    """Two languages, every material; Somali reviewed, Hmong failing on purpose."""
    assert generate.main(["review", "so", "--by", "A. Reviewer", "--project", str(project)]) == 0
    make_too_long(project, "hmn")
    code, out, _ = run_generate(capsys, "--project", str(project), "--lang", "so", "--lang", "hmn")
    assert code == 1 and "FAIL  hmn     wallet-card" in out, out
    output = project / "output"
    base = output.as_uri() + "/"
    previews = sorted(output.glob("*/preview/*.png"))
    page = browser_page
    page.goto(base + "index.html")

    # Every thumbnail in view (they load lazily), then all of them loaded.
    page.set_viewport_size(
        {"width": 1280, "height": page.evaluate("document.documentElement.scrollHeight")}
    )
    page.wait_for_function("[...document.images].every(image => image.complete)")
    images = page.evaluate(
        "[...document.images].filter(i => i.id !== 'viewer-image')"
        ".map(i => [i.getAttribute('src'), i.naturalWidth])"
    )  # the viewer's image gets its source when a thumbnail is clicked
    assert sorted(src for src, _ in images) == sorted(
        p.relative_to(output).as_posix() for p in previews
    )
    assert all(width > 0 for _, width in images), images

    # Every link leads somewhere: a file in output/ or one of the project's catalogs,
    # or an element of the page.
    links = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
    ids = set(page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)"))
    pdfs = {base + p.relative_to(output).as_posix() for p in output.glob("*/*.pdf")}
    assert pdfs and pdfs <= set(links)
    for link in links:
        url = urllib.parse.urlsplit(link)
        assert url.scheme == "file", link
        if link.startswith(base + "index.html#"):
            assert urllib.parse.unquote(url.fragment) in ids, link
            continue
        target = Path(urllib.request.url2pathname(url.path))
        assert target.is_file(), link
        assert target.is_relative_to(output) or (
            target.is_relative_to(project / "locales") and PO.search(target.name)
        ), link

    # The states a coordinator looks for.
    assert re.search(
        r"reviewed \d{4}-\d\d-\d\d by A\. Reviewer",
        page.evaluate("document.querySelector('#lang-so .state').innerText"),
    )
    assert "machine-drafted, not reviewed" in page.evaluate(
        "document.querySelector('#lang-hmn .state').innerText"
    )
    failed = page.evaluate("document.querySelector('#hmn-wallet-card').innerText")
    assert "NOT WRITTEN" in failed and "messages.po:" in failed

    # Filters: a language, then a material of it, then only the failures.
    def shown():
        return page.evaluate(
            "[...document.querySelectorAll('article.doc')]"
            ".filter(d => d.getClientRects().length).map(d => d.id)"
        )

    def choose(control: str, value: str):
        page.evaluate(
            f"(() => {{ const c = document.getElementById('{control}');"
            f" c.{'checked' if control == 'filter-failed' else 'value'} = {json.dumps(value)};"
            " c.dispatchEvent(new Event('change', {bubbles: true})); })()"
        )

    everything = shown()
    assert len(everything) == len(list(output.glob("*/preview/*.json")))  # every document
    choose("filter-lang", "hmn")
    assert shown() == [d for d in everything if d.startswith("hmn-")]
    assert not page.evaluate("document.getElementById('lang-so').getClientRects().length")
    choose("filter-material", "flyer")
    assert shown() == ["hmn-flyer"]
    choose("filter-material", "")
    choose("filter-failed", True)
    hmn_failed = shown()
    assert "hmn-wallet-card" in hmn_failed
    assert all(page.evaluate(f"document.getElementById('{d}').className") == "doc fail"
               for d in hmn_failed)  # fmt: skip
    choose("filter-lang", "")
    choose("filter-failed", False)
    assert shown() == everything

    # A thumbnail, clicked, opens its full-size view.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#so-wallet-card a.page")
    page.wait_for_function("document.getElementById('viewer').open")
    page.wait_for_function("document.getElementById('viewer-image').complete")
    viewer = page.evaluate(
        "(() => { const v = document.getElementById('viewer-image');"
        " const t = document.querySelector('#so-wallet-card a.page img');"
        " return [v.getAttribute('src'), v.naturalWidth, v.getBoundingClientRect().width,"
        " t.getBoundingClientRect().width]; })()"
    )
    assert viewer[0] == "so/preview/wallet-card-1.png"
    assert viewer[1] > 0 and viewer[2] >= 2 * viewer[3]  # at least twice the thumbnail
    page.click("#viewer-next")
    assert page.evaluate("document.getElementById('viewer-caption').textContent").endswith(
        "page 2 of 2"
    )
    page.click("#viewer-close")
    assert not page.evaluate("document.getElementById('viewer').open")

    # On a phone nothing runs off the side (the grid scrolls in its own box).
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    assert page.record.errors == []
    outside = [url for url in page.record.requests if not url.startswith(base)]
    assert outside == [], "requests outside output/"
