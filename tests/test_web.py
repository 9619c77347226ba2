"""The web app (generate.py serve), as a coordinator and a translator use it: the real server
(waitress, in a process of its own, on a free port) over a copy of the project, driven by
Debian's Chromium through Playwright, and by plain HTTP where a browser would not send what
an attacker can."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import zipfile
from pathlib import Path

import pikepdf
import pytest
import yaml
from conftest import ROOT, pdf_text

import generate
from materialgen.benchmark import copy_project

ORGANISATION = {
    "Organisation name": "Cedar Riverside Helpers",
    "Phone": "612-555-0147",
    "Address": "1500 Riverside Ave, Minneapolis, MN 55454",
    "Web address": "cedarhelpers.example.org",
}


class Server:
    """``generate.py serve --port 0`` over ``project``, in a session of its own."""

    def __init__(self, project: Path, *args: str):
        environment = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
        self.project = project
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "generate.py"), "serve", "--port", "0",
             "--project", str(project), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
            start_new_session=True,
        )  # fmt: skip
        self.line = self.process.stdout.readline()
        match = re.search(r"http://([\d.]+):(\d+)/", self.line)
        if not match:
            self.stop()
            raise RuntimeError(f"no address printed: {self.line!r} {self.process.stderr.read()}")
        self.host, self.port = match.group(1), int(match.group(2))
        self.url = match.group(0)

    def stop(self, sig=signal.SIGTERM) -> None:
        """Stop the server and every process it started (the forkserver, the workers)."""
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        self.process.wait(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.killpg(self.process.pid, signal.SIGKILL)

    # --- plain HTTP, with any Host header and any path ------------------------------

    def request(self, method: str, path: str, body=None, headers=None, host=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host or f"127.0.0.1:{self.port}")
        data = urllib.parse.urlencode(body, doseq=True).encode() if isinstance(body, dict) else body
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if data is not None:
            if isinstance(body, dict):
                connection.putheader("Content-Type", "application/x-www-form-urlencoded")
            connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        response = connection.getresponse()
        content = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), content

    def token(self) -> str:
        _, _, page = self.request("GET", "/build")
        return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()

    def post(self, path: str, fields: dict, **more):
        return self.request("POST", path, {"csrf_token": self.token(), **fields}, **more)

    def wait(self, job_path: str, timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            progress = json.loads(self.request("GET", job_path + "/progress.json")[2])
            if progress["finished"]:
                return progress
            time.sleep(0.3)
        raise TimeoutError(job_path)


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = "----materialgen-test-boundary"
    parts = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{item}\r\n".encode()
            )
    for name, (filename, data) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("web") / "project")
    server = Server(project)
    yield server
    server.stop()


def job_path(location: str) -> str:
    path = urllib.parse.urlsplit(location).path
    assert re.fullmatch(r"/jobs/\d+", path), location
    return path


# --- the server itself ------------------------------------------------------------------


def listening(port: int) -> list[str]:
    """The local addresses of the sockets listening on ``port`` (/proc/net/tcp, tcp6)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


def test_the_server_listens_on_127_0_0_1_only_and_prints_its_address(served):
    assert served.line.startswith(f"Serving the pages at http://127.0.0.1:{served.port}/")
    assert listening(served.port) == ["0100007F"]  # 127.0.0.1, little-endian; no IPv6
    status, headers, page = served.request("GET", "/build")
    assert status == 200 and b"<h1>Build the materials</h1>" in page
    assert "waitress" in headers.get("Server", "")


def test_another_host_is_served_only_with_a_warning(tmp_path):
    server = Server(ROOT, "--host", "0.0.0.0")
    try:
        assert server.url == f"http://127.0.0.1:{server.port}/"
        assert listening(server.port) == ["00000000"]
    finally:
        server.stop()
    warning = server.process.stderr.read()
    assert "warning: listening on 0.0.0.0: anyone who can reach this computer" in warning


def test_materialgen_serve_opens_the_browser_at_its_address(project, tmp_path):
    """The console command of pyproject.toml, with --open: the browser (here a script in
    $BROWSER, which Python's webbrowser honours) is given the printed address."""
    opened = tmp_path / "opened"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    command = Path(sys.executable).with_name("materialgen")
    environment = {**os.environ, "BROWSER": str(browser)}
    environment.pop("FONTCONFIG_FILE", None)
    process = subprocess.Popen(
        [str(command), "serve", "--port", "0", "--open", "--project", str(project)],
        stdout=subprocess.PIPE, text=True, env=environment, start_new_session=True,
    )  # fmt: skip
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", process.stdout.readline()).group(0)
        deadline = time.monotonic() + 30
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert opened.read_text().strip() == url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def test_a_foreign_host_is_refused(served):
    """DNS rebinding: a page of evil.example whose name now leads to 127.0.0.1."""
    for host in (
        f"evil.example:{served.port}",
        "evil.example",
        f"127.0.0.1.evil.example:{served.port}",
    ):
        status, _, body = served.request("GET", "/build", host=host)
        assert status == 403 and b"only at its own address" in body, host
    for host in (f"127.0.0.1:{served.port}", f"localhost:{served.port}"):
        assert served.request("GET", "/build", host=host)[0] == 200, host


def test_a_post_without_the_token_is_refused(served):
    organisation = served.project / "materials" / "local-organisation.yaml"
    before = organisation.read_bytes() if organisation.exists() else None
    fields = {"profile_name": "forged", "name": "Forged"}
    for token in ({}, {"csrf_token": "0" * 43}):
        status, _, body = served.request("POST", "/organisation", {**fields, **token})
        assert status == 403 and b"reload the page" in body
        status, _, _ = served.request(
            "POST", "/build", {"lang": "en", "material": "flyer", **token}
        )
        assert status == 403
    after = organisation.read_bytes() if organisation.exists() else None
    assert after == before
    assert not (served.project / "materials" / "organisations" / "forged.yaml").exists()


def test_nothing_outside_output_jobs_and_static_is_served(served):
    output = served.project / "output"
    output.mkdir(exist_ok=True)
    (output / "inside.txt").write_text("served")
    (output / "leak.yaml").symlink_to(served.project / "materials" / "resources.yaml")
    assert served.request("GET", "/output/inside.txt")[2] == b"served"
    for path in (
        "/output/../materials/resources.yaml",
        "/output/..%2fmaterials%2fresources.yaml",
        "/output/%2e%2e/materials/resources.yaml",
        "/output/..%5cmaterials%5cresources.yaml",
        "/output//etc/passwd",
        "/output/leak.yaml",  # a link out of output/
        "/static/../__init__.py",
        "/static/..%2f__init__.py",
        "/jobs/1/files/../../../etc/passwd",
        "/jobs/1/files/%2e%2e/%2e%2e/etc/passwd",
        "/previews/../../etc/passwd",
        "/previews/preview-x/..%2f..%2fetc/passwd",
        "/materials/resources.yaml",
        "/locales/so/LC_MESSAGES/messages.po",
    ):
        status, headers, body = served.request("GET", path)
        if status == 308:  # "//" merged into "/": still below /output/, and not there
            assert headers["Location"].endswith("/output/etc/passwd"), headers
            status, _, body = served.request("GET", "/output/etc/passwd")
        assert status in (400, 404), (path, status)
        assert b"hotline" not in body.lower() and b"root:" not in body, path


def test_uploads_are_bounded_and_logos_are_pictures(served):
    fields = {"csrf_token": served.token(), "profile_name": "logo-test", "name": "Logo test",
              "use": "off"}  # fmt: skip
    for data, expected in (
        (b"GIF89a" + b"\0" * 100, b"The logo must be a PNG or JPEG picture."),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, b"The logo could not be read as a picture"),
    ):
        body, boundary = multipart(fields, {"logo": ("logo.png", data)})
        status, _, page = served.request(
            "POST", "/organisation", body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )  # fmt: skip
        assert status == 400 and expected in page
    body, boundary = multipart(
        fields, {"logo": ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 3_000_000)}
    )
    status, _, _ = served.request(
        "POST", "/organisation", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert status == 413
    body, boundary = multipart(
        {"csrf_token": served.token(), "lang": "so"}, {"catalog": ("so.po", b"#" * 1_100_000)}
    )
    status, _, page = served.request(
        "POST", "/translations", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert status == 400 and b"larger than 1 MB" in page
    assert not (served.project / "materials" / "organisations" / "logos").exists()
    assert not (served.project / "materials" / "organisations" / "logo-test.yaml").exists()


def test_a_logo_is_kept_with_its_profile(served):
    """A PNG is kept beside its profile; where the schema prints logos, the profile names it
    from its own folder and local-organisation.yaml from materials/."""
    from PIL import Image

    from materialgen.web.organisation import schema_has_logo

    picture = io.BytesIO()
    Image.new("RGB", (60, 20), "navy").save(picture, format="PNG")
    fields = {"csrf_token": served.token(), "profile_name": "with-logo", "name": "Logo Group"}
    body, boundary = multipart(fields, {"logo": ("our logo.png", picture.getvalue())})
    status, _, _ = served.request(
        "POST", "/organisation", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    assert status == 303
    materials = served.project / "materials"
    assert (materials / "organisations/logos/with-logo.png").read_bytes() == picture.getvalue()
    profile = yaml.safe_load((materials / "organisations/with-logo.yaml").read_text())
    chosen = yaml.safe_load((materials / "local-organisation.yaml").read_text())
    if schema_has_logo():
        assert profile["logo"] == "logos/with-logo.png"
        assert chosen["logo"] == "organisations/logos/with-logo.png"
    else:
        assert "logo" not in profile and "logo" not in chosen
    assert chosen["name"] == "Logo Group"
    _, _, page = served.request("GET", "/build")
    assert "Printed contact: <strong>Logo Group</strong>" in page.decode()


def test_user_text_is_escaped(served):
    name = '<script>alert(1)</script> & "Friends"'
    status, headers, _ = served.post(
        "/organisation", {"profile_name": "escaped", "name": name, "use": "off"}
    )
    assert status == 303
    _, _, page = served.request("GET", "/organisation?profile=escaped")
    assert b"<script>alert" not in page
    assert b'value="&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Friends&#34;"' in page
    saved = served.project / "materials" / "organisations" / "escaped.yaml"
    assert yaml.safe_load(saved.read_text()) == {"name": name}  # kept as typed
    _, headers, _ = served.request("GET", "/build")
    assert "script-src 'self'" in headers["Content-Security-Policy"]  # no inline script runs


# --- a coordinator, in a browser --------------------------------------------------------


def fill_organisation(page, base: str, profile: str) -> None:
    page.goto(base + "organisation")
    page.get_by_label("Profile name").fill(profile)
    for label, value in ORGANISATION.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text(f"Saved, and printed from now on: profile “{profile}”").wait_for()


def test_build_from_the_page_and_download_the_zip(served, browser_page, tmp_path):
    page, base = browser_page, served.url
    fill_organisation(page, base, "cedar-riverside")
    saved = (served.project / "materials" / "local-organisation.yaml").read_text()
    assert "name: Cedar Riverside Helpers" in saved and "phone: 612-555-0147" in saved
    page.get_by_role("link", name="Build", exact=True).click()
    page.get_by_label("Somali").check()
    page.get_by_label("Wallet card").check()
    page.get_by_role("button", name="Build").click()
    zip_link = page.get_by_role("link", name="Download all (zip)")
    zip_link.wait_for(timeout=300_000)
    assert "Finished: 1 of 1 documents built." in page.locator("#progress-text").inner_text()
    document = page.locator("#doc-so-wallet-card")
    assert "Wallet card, Somali" in document.inner_text()
    assert document.locator("img").count() == 2
    assert all(document.locator("img").evaluate_all("i => i.map(x => x.naturalWidth > 0)"))
    with page.expect_download() as download:
        zip_link.click()
    archive = zipfile.ZipFile(download.value.path())
    assert archive.namelist() == ["so/wallet-card.pdf"]
    pdf = tmp_path / "wallet-card.pdf"
    pdf.write_bytes(archive.read("so/wallet-card.pdf"))
    text = pdf_text(pdf)
    assert "Cedar Riverside Helpers" in text and "612-555-0147" in text
    # Previews asked for while the form was typed in end with the page: not an error.
    errors = [e for e in page.record.errors if not e.endswith("/preview net::ERR_ABORTED")]
    assert errors == []
    outside = [url for url in page.record.requests if not url.startswith(base)]
    assert outside == []


def test_a_validation_error_is_shown_and_announced(served, browser_page):
    page = browser_page
    page.goto(served.url + "organisation")
    page.get_by_label("Profile name").fill("bad-phone")
    page.get_by_label("Organisation name").fill("Helpers")
    page.get_by_label("Phone", exact=True).fill("555 01")
    page.get_by_role("button", name="Save", exact=True).click()
    phone = page.get_by_label("Phone", exact=True)
    message = page.locator("#phone-error")
    assert "is not a phone number written like 1-888-373-7888" in message.inner_text()
    assert phone.get_attribute("aria-invalid") == "true"
    assert "phone-error" in phone.get_attribute("aria-describedby").split()
    # The browser's own reading of it: the message is the field's accessible description.
    description = page.evaluate(
        "async () => { const e = document.getElementById('phone');"
        " return [...e.ariaDescribedByElements || []].map(x => x.textContent).join(' ') ||"
        " e.getAttribute('aria-describedby').split(' ')"
        ".map(i => document.getElementById(i).textContent).join(' '); }"
    )
    assert "is not a phone number" in description
    alert = page.get_by_role("alert")
    assert "Phone" in alert.inner_text() and "not a phone number" in alert.inner_text()
    # Beside its field: right under it.
    gap = page.evaluate(  # both measured at once: the page may scroll to the messages
        "document.getElementById('phone-error').getBoundingClientRect().top"
        " - document.getElementById('phone').getBoundingClientRect().bottom"
    )
    assert 0 <= gap < 40
    # The list of messages has the focus, so a screen reader reads it out first.
    page.wait_for_function("document.activeElement.id === 'form-errors'")
    assert not (served.project / "materials" / "organisations" / "bad-phone.yaml").exists()


def tab_to(page, name: str, limit: int = 80) -> None:
    """Press Tab until the focused element's accessible name (its label or text) is ``name``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const e = document.activeElement;"
            " const label = e.labels && e.labels[0] ? e.labels[0].textContent : '';"
            " return (label || e.textContent || '').trim(); })()"
        )
        if focused == name:
            return
    raise AssertionError(f"no {name!r} within {limit} presses of Tab")


def test_the_whole_flow_by_keyboard(served, browser_page):
    page = browser_page
    page.goto(served.url + "organisation")
    tab_to(page, "Profile name")
    page.keyboard.type("keyboard-only")
    for label, value in ORGANISATION.items():
        tab_to(page, label)
        page.keyboard.press("Control+A")
        page.keyboard.type(value.replace("Cedar", "Keyboard"))
    tab_to(page, "Save")
    page.keyboard.press("Enter")
    page.get_by_text("Saved, and printed from now on: profile “keyboard-only”").wait_for()
    tab_to(page, "Build")
    page.keyboard.press("Enter")
    page.wait_for_url("**/build")
    tab_to(page, "Hmong")
    page.keyboard.press("Space")
    tab_to(page, "Flyer")
    page.keyboard.press("Space")
    tab_to(page, "Build")
    assert page.evaluate("document.activeElement.tagName") == "BUTTON"
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Download all (zip)").wait_for(timeout=300_000)
    tab_to(page, "PDF: hmn/flyer.pdf")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    text = pdf_text(download.value.path())
    assert "Keyboard Riverside Helpers" in text
    # Every focusable element shows where the focus is.
    page.goto(served.url + "build")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


def test_the_page_builds_the_same_pdfs_as_the_cli(served, tmp_path, capsys):
    status, headers, _ = served.post(
        "/organisation",
        {"profile_name": "same-bytes", "name": "Same Bytes Collective", "phone": "651-555-0123",
         "address": "12 Main St, St Paul, MN 55101", "web": "samebytes.example.org"},
    )  # fmt: skip
    assert status == 303
    fields = {"lang": ["es", "ar"], "material": ["wallet-card", "wallet-card-sheet"], "paper": "us"}
    status, headers, _ = served.post("/build", fields)
    assert status == 303
    progress = served.wait(job_path(headers["Location"]))
    assert progress["state"] == "done" and progress["done"] == 4
    organisation = served.project / "materials" / "local-organisation.yaml"
    cli_output = tmp_path / "cli"
    code = generate.main(
        ["--project", str(served.project), "--output", str(cli_output),
         "--organisation", str(organisation), "--lang", "es", "--lang", "ar",
         "--material", "wallet-card", "--material", "wallet-card-sheet", "--jobs", "1"]
    )  # fmt: skip
    capsys.readouterr()
    assert code == 0
    for lang in ("es", "ar"):
        for material in ("wallet-card", "wallet-card-sheet"):
            from_page = served.project / "output" / lang / f"{material}.pdf"
            from_cli = cli_output / lang / f"{material}.pdf"
            assert from_page.read_bytes() == from_cli.read_bytes(), f"{lang}/{material}"
    assert "Same Bytes Collective" in pdf_text(served.project / "output" / "es" / "wallet-card.pdf")


# --- a translator -----------------------------------------------------------------------


def test_a_catalog_is_checked_and_built_before_it_is_saved(served, tmp_path):
    catalog = served.project / "locales" / "so" / "LC_MESSAGES" / "messages.po"
    original = catalog.read_text(encoding="utf-8")
    line = original.splitlines().index('msgid "Forced to work or to have sex? Get help."') + 2
    old = 'msgstr "Ma lagugu qasbay shaqo ama galmo? Caawimaad hel."'
    assert original.splitlines()[line - 1] == old

    def upload(text: str) -> str:
        body, boundary = multipart(
            {"csrf_token": served.token(), "lang": "so", "material": "wallet-card"},
            {"catalog": ("messages.po", text.encode())},
        )
        status, headers, _ = served.request(
            "POST", "/translations", body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )  # fmt: skip
        assert status == 303
        return job_path(headers["Location"])

    _, _, page = served.request("GET", "/translations")
    somali = re.search(rb"<th scope=\"row\">Somali .*?</tr>", page, re.DOTALL).group(0)
    assert b"100% (" in somali and b"Machine-drafted, not reviewed" in somali
    # A broken translation: the check's message, with its line; nothing built, no Save.
    bad = upload(original.replace(old, 'msgstr "Caawimaad <script>hel</script>"'))
    _, _, page = served.request("GET", bad)
    assert f"Error, line {line}:</strong> markup &lt;script&gt; is not allowed".encode() in page
    assert b"<script>hel" not in page and b">Save</button>" not in page
    # An edited one: built in the job's scratch project; the project's catalog unchanged.
    edited = original.replace(old, 'msgstr "Ma lagu qasbay shaqo? Caawimaad hel hadda."')
    trial = upload(edited)
    assert served.wait(trial)["state"] == "done"
    _, _, page = served.request("GET", trial)
    assert b"Built and checked." in page and b">Save</button>" in page
    pdf_url = re.search(rb'href="(/jobs/\d+/files/output/so/wallet-card.pdf)"', page).group(1)
    status, _, pdf = served.request("GET", pdf_url.decode())
    built = tmp_path / "trial.pdf"
    built.write_bytes(pdf)
    assert status == 200 and "Ma lagu qasbay shaqo? Caawimaad hel hadda." in pdf_text(built)
    assert catalog.read_text(encoding="utf-8") == original
    assert not (served.project / "output" / "so" / "wallet-card.pdf").exists() or (
        "Ma lagu qasbay" not in pdf_text(served.project / "output" / "so" / "wallet-card.pdf")
    )
    # Save: now it is the project's.
    status, _, _ = served.post(trial + "/save", {})
    assert status == 303
    assert catalog.read_text(encoding="utf-8") == edited
    _, _, page = served.request("GET", trial)
    assert b"Saved: the project's catalog for Somali is now this one." in page


def test_the_preview_process_ends_with_a_killed_server(project):
    """The preview process is the server's child's child: it ends when the server is
    killed outright (nothing can tell it to), and the fork server with it."""
    server = Server(project)
    try:
        fields = {"name": "Preview Group", "lang": "so", "material": "wallet-card"}
        answer = json.loads(server.post("/preview", fields)[2])
        assert answer["problems"] == [] and len(answer["pages"]) == 2
        status, _, png = server.request("GET", answer["pages"][0])
        assert status == 200 and png.startswith(b"\x89PNG")
        os.kill(server.process.pid, signal.SIGKILL)  # the server alone
        server.process.wait(10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(server.process.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            pytest.fail("processes of the killed server are still running")
    finally:
        server.stop(signal.SIGKILL)


def test_killing_the_server_mid_build_leaves_no_partial_file(project):
    server = Server(project)
    try:
        fields = {"lang": ["so", "hmn"], "material": ["flyer", "poster", "wallet-card"]}
        status, headers, _ = server.post("/build", fields)
        assert status == 303
        path = job_path(headers["Location"])
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            progress = json.loads(server.request("GET", path + "/progress.json")[2])
            if progress["done"] >= 1:
                break
            time.sleep(0.05)
        assert not progress["finished"], "the build ended before it could be killed"
        # The pages answer while it builds, and a second build waits for the first.
        for page in ("/build", "/organisation", "/translations"):
            assert server.request("GET", page)[0] == 200
        status, headers, _ = server.post("/build", {"lang": "es", "material": "flyer"})
        queued = json.loads(
            server.request("GET", job_path(headers["Location"]) + "/progress.json")[2]
        )
        assert queued["state"] == "queued"
        assert not json.loads(server.request("GET", path + "/progress.json")[2])["finished"]
    finally:
        server.stop(signal.SIGKILL)  # the server, its forkserver and its workers at once
    output = project / "output"
    pdfs = sorted(output.glob("*/*.pdf"))
    assert 1 <= len(pdfs) < 6
    for pdf in pdfs:
        with pikepdf.open(pdf) as document:
            assert len(document.pages) >= 1
    assert not [p for p in output.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
    # The next build, from the command line, builds what is missing and trusts the rest.
    code = generate.main(
        ["--project", str(project), "--lang", "so", "--lang", "hmn", "--material", "flyer",
         "--material", "poster", "--material", "wallet-card", "--jobs", "1"]
    )  # fmt: skip
    assert code == 0


# --- accessibility ----------------------------------------------------------------------


def test_every_page_passes_axe(served, browser_page):
    """axe-core (brought by axe-playwright-python) on every page: no serious or critical
    violation. The job pages are those of a finished build and of a catalog trial."""
    from axe_playwright_python.sync_playwright import Axe

    status, headers, _ = served.post("/build", {"lang": ["en", "my"], "material": ["flyer"]})
    build_job = job_path(headers["Location"])
    served.wait(build_job)
    catalog = (served.project / "locales" / "ar" / "LC_MESSAGES" / "messages.po").read_bytes()
    body, boundary = multipart(
        {"csrf_token": served.token(), "lang": "ar", "material": "wallet-card"},
        {"catalog": ("messages.po", catalog)},
    )
    _, headers, _ = served.request(
        "POST", "/translations", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    trial_job = job_path(headers["Location"])
    served.wait(trial_job)
    page, axe = browser_page, Axe()
    pages = ["build", "organisation", "translations", build_job[1:], trial_job[1:],
             "output/index.html"]  # fmt: skip
    found = {}
    for path in pages:
        page.goto(served.url + path)
        page.wait_for_load_state("networkidle")
        found[path] = axe.run(page).response["violations"]
    # The organisation form with its messages, and the build form refused.
    page.goto(served.url + "organisation")
    page.get_by_label("Phone", exact=True).fill("not a number")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#phone-error").wait_for()
    found["organisation (errors)"] = axe.run(page).response["violations"]
    page.goto(served.url + "build")
    page.get_by_role("button", name="Build").click()
    page.get_by_role("alert").wait_for()
    found["build (refused)"] = axe.run(page).response["violations"]
    serious = {
        path: [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]  # fmt: skip
        for path, violations in found.items()
    }
    assert serious == {path: [] for path in found}
