"""Hostile addresses in content, the organisation file, translations and templates never make
the generator connect anywhere: a listener on a loopback port sees no connection."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import urllib.request

import pytest
from conftest import pdf_text, run_generate, set_msgstr, set_nhth_summary


@pytest.fixture
def listener():
    """A TCP listener on a free loopback port; connections wait, unaccepted, in its queue."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as server:
        server.setblocking(False)
        yield server


def connections(server: socket.socket) -> int:
    """How many connections reached the listener (completed by the kernel, not accepted)."""
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def payloads(port: int) -> list[str]:
    url = f"http://127.0.0.1:{port}"
    return [
        f'<img src="{url}/image.png">',
        f'<link rel="stylesheet" href="{url}/style.css">',
        f'<span style="background: url({url}/background.png)">x</span>',
        f"{url}/plain",
    ]


def test_addresses_in_content_print_and_connect_nowhere(project, capsys, listener):
    port = listener.getsockname()[1]
    hostile = payloads(port)
    set_nhth_summary(project, " ".join(hostile))
    # The organisation's fields are shorter (content.ORGANISATION_LIMITS): shorter payloads.
    url = f"http://127.0.0.1:{port}"
    name, address = f"<img src={url}/i>", f"<i style=background:url({url})>"
    (project / "materials" / "local-organisation.yaml").write_text(
        f"name: {json.dumps(name)}\naddress: {json.dumps(address)}\n", encoding="utf-8"
    )
    code, out, err = run_generate(
        capsys, "--project", str(project), "--lang", "en", "--material", "flyer"
    )
    assert code == 0, out + err
    # The payloads reached the layout, as text.
    text = re.sub(r"\s", "", pdf_text(project / "output" / "en" / "flyer.pdf"))
    for payload in [*hostile, name, address]:
        assert re.sub(r"\s", "", payload) in text
    assert connections(listener) == 0


def test_addresses_in_translations_and_templates_connect_nowhere(project, capsys, listener):
    port = listener.getsockname()[1]
    hostile = payloads(port)
    set_msgstr(project, "so", "Local help", hostile[3])
    flyer = project / "templates" / "flyer.html"
    flyer.write_text(
        flyer.read_text().replace("{% block body %}", "{% block body %}" + "".join(hostile), 1)
    )
    base_css = project / "templates" / "base.css"
    base_css.write_text(
        f"@import url(http://127.0.0.1:{port}/import.css);\n" + base_css.read_text()
    )
    (project / "materials" / "local-organisation.yaml").write_text(
        f"name: Example Community Center\naddress: {json.dumps(hostile[0])}\n", encoding="utf-8"
    )
    code, out, _ = run_generate(
        capsys,
        "--project",
        str(project),
        "--lang",
        "so",
        "--lang",
        "es",
        "--material",
        "flyer",
        "--material",
        "wallet-card",
    )
    assert code == 1
    assert "web addresses differ from the source" in out  # the Somali translation
    assert f"blocked http://127.0.0.1:{port}/" in out  # the templates
    assert connections(listener) == 0


def test_the_listener_does_see_a_connection(listener):
    """The check above can fail: a real request shows up in the listener's queue."""
    port = listener.getsockname()[1]
    with contextlib.suppress(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=0.2)
    assert connections(listener) == 1
