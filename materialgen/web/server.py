"""``generate.py serve``: the web app under waitress, on this computer only by default.

python generate.py serve              http://127.0.0.1:8000/
python generate.py serve --port 0     a free port (printed)
python generate.py serve --open       and open it in the browser
"""

from __future__ import annotations

import argparse
import ipaddress
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import webbrowser
from pathlib import Path

from .. import PROJECT_ROOT
from .. import fonts as fonts_module
from ..project import Project

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def default_project() -> Path:
    """The project of this checkout; else the working folder (an installed package)."""
    if (PROJECT_ROOT / "locales" / "languages.yaml").is_file():
        return PROJECT_ROOT
    return Path.cwd()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="generate.py serve",
        description="Serve the generator's pages (build, organisation, translations, gallery) "
        "to a browser on this computer.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port (default 8000; 0: a free one)"
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default 127.0.0.1: this computer only). Another address "
        "lets others on the network build and change the project: only on a network you trust",
    )
    parser.add_argument("--open", action="store_true", help="open the pages in the browser")
    parser.add_argument(
        "--project",
        type=Path,
        default=default_project(),
        metavar="DIR",
        help="project folder holding materials/, locales/ and templates/",
    )
    parser.add_argument(
        "--output", type=Path, metavar="DIR", help="where to write (default: output/)"
    )
    return parser.parse_args(argv)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> list[str]:
    """The Host headers answered: the loopback names, and an address given with --host. Any
    other is refused, so a web page whose name was pointed at 127.0.0.1 (DNS rebinding)
    cannot reach the app."""
    names = {"127.0.0.1", "localhost", "[::1]"}
    if host not in ("0.0.0.0", "::"):
        names.add(f"[{host}]" if ":" in host else host)
    hosts = [f"{name}:{port}" for name in sorted(names)]
    if port == 80:
        hosts += sorted(names)
    return hosts


def main(argv: list[str] | None = None) -> int:
    import waitress

    from . import create_app

    args = parse_args(argv)
    project = Project(args.project.resolve(), args.output.resolve() if args.output else None)
    if not (project.locales_dir / "languages.yaml").is_file():
        print(f"error: {project.root} is not a project folder (no locales/languages.yaml)",
              file=sys.stderr)  # fmt: skip
        return 1
    if not is_loopback(args.host):
        print(
            f"warning: listening on {args.host}: anyone who can reach this computer on port "
            f"{args.port} can build and change the project's files; the pages have no password.",
            file=sys.stderr,
        )
    # Before WeasyPrint is imported anywhere: fontconfig sees only the project's fonts, and
    # the forkserver that starts the workers inherits that.
    fonts_module.isolate(project.fonts_dir)
    # The fork server is a new Python: it is told, as isolate() told this one, that
    # fontconfig offering no font of the machine is intended.
    quiet = "ignore:No fonts configured in FontConfig:UserWarning"
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), quiet]))
    # One fork server starts the builds' workers and the preview process: WeasyPrint is
    # imported there once, whichever asks first.
    multiprocessing.get_context("forkserver").set_forkserver_preload(
        ["materialgen.worker", "weasyprint"]
    )
    jobs_dir = Path(tempfile.mkdtemp(prefix="materialgen-jobs-"))
    app = create_app(project, jobs_dir)
    server = waitress.create_server(app, host=args.host, port=args.port, threads=8)
    port = server.effective_port
    app.config["HOSTS"] = set(allowed_hosts(args.host, port))
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"http://{shown}:{port}/"
    print(f"Serving the pages at {url} (Ctrl+C stops)", flush=True)
    if args.open:
        webbrowser.open(url)
    # Stopped by a signal (or its terminal closed) as by Ctrl+C: the running job and the
    # preview process end first.
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, lambda *_: sys.exit(0))
    try:
        server.run()
    except KeyboardInterrupt:
        print("Stopped.")
    finally:
        state = app.extensions["materialgen"]
        state["queue"].close()
        state["previewer"].close()
        shutil.rmtree(jobs_dir, ignore_errors=True)
    return 0
