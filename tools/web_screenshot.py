"""The README's picture of the web app: its Build page, taken by Playwright in Debian's
Chromium from a server over a copy of the project; and, into DIR, the other pages.

    .venv/bin/python tools/web_screenshot.py docs/web-build.png [more pages into DIR]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from materialgen.benchmark import copy_project  # noqa: E402


def main(target: Path, more: Path | None = None) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        project = copy_project(Path(folder) / "project")
        environment = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "generate.py"), "serve", "--port", "0",
             "--project", str(project)],
            stdout=subprocess.PIPE, text=True, env=environment,
        )  # fmt: skip
        url = re.search(r"http://\S+/", server.stdout.readline()).group(0)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=["--no-sandbox"] if os.geteuid() == 0 else [],
                    env=environment,
                )
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                page.goto(url + "organisation")
                page.get_by_label("Profile name").fill("riverside")
                page.get_by_label("Organisation name").fill("Riverside Community Center")
                page.get_by_label("Phone", exact=True).fill("612-555-0100")
                page.get_by_role("button", name="Save", exact=True).click()
                if more:
                    page.locator("#preview-pages img").first.wait_for(timeout=60_000)
                    page.screenshot(path=more / "organisation.png", full_page=True)
                page.goto(url + "build")
                for language in ("Somali", "Arabic", "Burmese"):
                    page.get_by_label(language, exact=True).check()
                page.get_by_label("Wallet card").check()
                page.screenshot(path=target, full_page=True)
                if more:
                    page.get_by_role("button", name="Build").click()
                    page.get_by_role("link", name="Download all (zip)").wait_for(timeout=600_000)
                    page.screenshot(path=more / "job.png", full_page=True)
                    page.goto(url + "translations")
                    page.screenshot(path=more / "translations.png", full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else None)
