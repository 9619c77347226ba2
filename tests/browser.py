"""A headless Chromium (Debian's `chromium`) driven through the Chrome DevTools Protocol, for
the tests that open output/index.html as a coordinator would.

The protocol runs over a pipe (--remote-debugging-pipe: the browser reads commands on its
descriptor 3 and writes answers and events on 4, each a JSON message ending in a NUL byte),
so no port is opened and no client package is needed. The browser is started with the
switches that keep it from reaching any server of its own (updates, sync, metrics) and a
fresh profile; as root it needs --no-sandbox.

    with Browser.start(profile_dir) as browser:
        page = browser.open(url, width=1280)
        page.evaluate("document.title")
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

EXECUTABLES = ("chromium", "chromium-browser")
SWITCHES = [
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-breakpad",
    "--metrics-recording-only",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
]


class BrowserUnavailable(Exception):
    """Chromium is not installed, or does not start here."""


class ProtocolError(Exception):
    """The browser answered a command with an error."""


def find_chromium() -> str | None:
    for name in EXECUTABLES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    def __init__(self, process: subprocess.Popen, commands: int, answers: int, log: Path):
        self.process = process
        self.commands = commands  # we write here: the browser's descriptor 3
        self.answers = answers  # we read here: the browser's descriptor 4
        self.log = log
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []  # received, not yet waited for
        self.seen: list[dict] = []  # received and waited for

    @classmethod
    def start(cls, profile_dir: Path, timeout: float = 30) -> Browser:
        executable = find_chromium()
        if executable is None:
            raise BrowserUnavailable(
                "Debian's chromium is not installed (setup.sh installs it: apt-get install "
                "chromium)"
            )
        profile_dir.mkdir(parents=True, exist_ok=True)
        to_browser_read, to_browser_write = os.pipe()
        from_browser_read, from_browser_write = os.pipe()
        switches = [*SWITCHES, f"--user-data-dir={profile_dir}"]
        if os.geteuid() == 0:
            switches.append("--no-sandbox")  # Chromium refuses to run as root with it
        log = profile_dir / "chromium.log"
        # The machine's fonts: the tests isolate fontconfig from them for WeasyPrint, and
        # Chromium aborts when fontconfig offers no font at all.
        environment = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
        # A small Python places the pipe ends on descriptors 3 and 4, where Chromium looks
        # (a POSIX shell cannot name descriptors above 9, which ours may be).
        command = [
            sys.executable,
            "-c",
            "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
            "os.execv(sys.argv[3], sys.argv[3:])",
            str(to_browser_read),
            str(from_browser_write),
            executable,
            *switches,
            "about:blank",
        ]
        with log.open("wb") as output:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=(to_browser_read, from_browser_write),
                env=environment,
            )
        os.close(to_browser_read)
        os.close(from_browser_write)
        browser = cls(process, to_browser_write, from_browser_read, log)
        try:
            browser.send("Browser.getVersion", timeout=timeout)
        except (BrowserUnavailable, TimeoutError) as error:
            browser.close()
            raise BrowserUnavailable(f"{executable} did not start: {error}") from None
        return browser

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(BrowserUnavailable, TimeoutError, ProtocolError, OSError):
                self.send("Browser.close", timeout=5)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for fd in (self.commands, self.answers):
            with contextlib.suppress(OSError):
                os.close(fd)

    # --- the protocol ---------------------------------------------------------------

    def send(
        self,
        method: str,
        params: dict | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.commands, data) :]
        except BrokenPipeError:
            raise BrowserUnavailable(self._exit_reason()) from None
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline, f"{method} timed out after {timeout} s")
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise ProtocolError(f"{method}: {answer['error'].get('message')}")
                return answer.get("result", {})
            if "method" in answer:
                self.events.append(answer)

    def wait_for(self, method: str, session: str | None = None, timeout: float = 30) -> dict:
        """The first event ``method`` not yet waited for (taken from those kept)."""
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if event["method"] == method and event.get("sessionId") == session:
                    del self.events[index]
                    self.seen.append(event)
                    return event["params"]
            event = self._receive(deadline, f"no {method} within {timeout} s")
            if "method" in event:
                self.events.append(event)

    def all_events(self, session: str | None = None) -> list[dict]:
        """Every event of ``session`` received so far, in order of arrival."""
        return [e for e in [*self.seen, *self.events] if e.get("sessionId") == session]

    def _receive(self, deadline: float, timeout_message: str) -> dict:
        while b"\0" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(timeout_message)
            ready, _, _ = select.select([self.answers], [], [], remaining)
            if ready:
                chunk = os.read(self.answers, 1 << 20)
                if not chunk:
                    raise BrowserUnavailable(self._exit_reason())
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def _exit_reason(self) -> str:
        try:
            code = self.process.wait(5)
        except subprocess.TimeoutExpired:
            code = None
        tail = self.log.read_text(errors="replace").strip().splitlines()[-5:]
        return f"the browser closed its pipe (exit code {code}): " + " / ".join(tail)

    # --- pages ----------------------------------------------------------------------

    def open(self, url: str, width: int = 1280, height: int = 900) -> Page:
        """A new tab of ``width`` x ``height`` CSS pixels that has loaded ``url``, with its
        console, errors and network requests recorded from the start."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        page.resize(width, height)
        page.send("Page.navigate", {"url": url})
        page.wait_for("Page.loadEventFired")
        return page


class Page:
    def __init__(self, browser: Browser, session: str):
        self.browser = browser
        self.session = session

    def send(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, self.session)

    def wait_for(self, method: str, timeout: float = 30) -> dict:
        return self.browser.wait_for(method, self.session, timeout)

    def resize(self, width: int, height: int, mobile: bool = False) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def evaluate(self, expression: str):
        """The value of a JavaScript expression (awaited when it is a promise)."""
        answer = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise ProtocolError(f"{expression[:60]}: {text}")
        return answer["result"].get("value")

    def wait_until(self, expression: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise TimeoutError(f"still false after {timeout} s: {expression}")
            time.sleep(0.05)

    def click(self, selector: str) -> None:
        """A real mouse click (pressed and released) at the middle of the element."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
            )

    def screenshot(self, path: Path, full_page: bool = False) -> None:
        params: dict = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", params)["data"]))

    # --- what the page did ----------------------------------------------------------

    def requests(self) -> list[str]:
        """Every URL the page asked for, its own included."""
        return [
            event["params"]["request"]["url"]
            for event in self.browser.all_events(self.session)
            if event["method"] == "Network.requestWillBeSent"
        ]

    def errors(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, failed loads."""
        found = []
        for event in self.browser.all_events(self.session):
            method, params = event["method"], event["params"]
            if method == "Runtime.consoleAPICalled" and params["type"] in (
                "error",
                "warning",
                "assert",
            ):
                found.append(
                    f"console.{params['type']}: "
                    + " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                )
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(
                    "uncaught: "
                    + (details.get("exception", {}).get("description") or details["text"])
                )
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                entry = params["entry"]
                found.append(
                    f"{entry['source']} {entry['level']}: {entry['text']} {entry.get('url', '')}"
                )
            elif method == "Network.loadingFailed":
                found.append(f"failed to load: {params.get('errorText')}")
        return found
