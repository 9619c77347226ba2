"""Measure the generator: a full build, a rebuild with nothing changed, a rebuild after one
translation changed, and (``--compare-bare``) the same documents rendered by bare WeasyPrint.

    .venv/bin/python -m materialgen.benchmark [--compare-bare] [--jobs N] [--repeat N]
                                              [--coalition ORGS]
    .venv/bin/python -m materialgen.benchmark --web     the web app: preview, memory

Everything runs on a temporary copy of the project (the fonts are linked, not copied), so
output/ and the catalogs are left alone. Each build is a fresh ``generate.py`` process; its
wall time, its own peak memory and the largest peak of its worker processes are reported.

The bare comparison is what a user would get who wrote the same HTML by hand and called
WeasyPrint once per document: every document's final HTML (at the type scales the build
chose), written one after another in one process, with one shared font configuration, as
the same kind of PDF (tagged PDF/UA; without tags WeasyPrint writes about 10 % faster). For
the card sheet, which the generator imposes from the checked card instead of laying it out,
the bare side lays out the ten-card page such a user would write (the card's faces in a
2 x 5 grid, with cut marks), so both sides make the same documents.

Speed is measured here, never in the tests (a loaded machine would make timed tests flaky).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import PROJECT_ROOT

#: The bare runs: the same kind of PDF as the generator's (the comparison), and WeasyPrint's
#: default (untagged), for reference.
BARE_KINDS = (("tagged", "pdf/ua-1"), ("untagged", ""))
#: The string changed for the one-string rebuild: on every Spanish material and in the
#: Spanish part of every poster, so the worst case of one msgstr.
CHANGED = ("es", "You can call in your own language.")

# Runs generate.py's main in a fresh process and reports its peak memory and its workers'.
RUN = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import generate
started = time.perf_counter()
code = generate.main(sys.argv[2:])
wall = time.perf_counter() - started
# Workers that replaced recycled ones are children of the fork server: once it is stopped
# and reaped, their CPU time and peak RSS count among this process's children too.
import multiprocessing.forkserver
try:
    multiprocessing.forkserver._forkserver._stop()
except Exception:
    pass
own = resource.getrusage(resource.RUSAGE_SELF)
workers = resource.getrusage(resource.RUSAGE_CHILDREN)  # every worker process, reaped
cpu = own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime
print("@@" + json.dumps({"code": code, "wall": wall, "own": own.ru_maxrss,
                         "workers": workers.ru_maxrss, "cpu": cpu}))
"""

# Bare WeasyPrint: each HTML file to a PDF, one after another, one font configuration, the
# same kind of PDF as the generator's (tagged PDF/UA).
BARE = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from materialgen import fonts
fonts.isolate(Path(sys.argv[2]) / "fonts")
started = time.perf_counter()
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
imported = time.perf_counter()
font_config = FontConfiguration()
base = Path(sys.argv[2]).as_uri() + "/"
times = {}
for html, pdf in json.loads(Path(sys.argv[3]).read_text()):
    begin = time.perf_counter()
    HTML(filename=html, base_url=base).write_pdf(
        pdf, font_config=font_config, pdf_variant=sys.argv[4] or None)
    times[pdf] = time.perf_counter() - begin
import resource
usage = resource.getrusage(resource.RUSAGE_SELF)
print("@@" + json.dumps({"import": imported - started, "render": time.perf_counter() - imported,
                         "times": times, "cpu": usage.ru_utime + usage.ru_stime}))
"""

#: The ten-card page a user would write by hand, from the card's own macros.
HAND_SHEET = """{% extends "base.html" %}
{% from "_card.html" import card_front, card_back with context %}
{% block body %}
<style>
.sheet { position: relative; width: 100%; height: 100vh; page-break-after: always; }
.sheet:last-child { page-break-after: auto; }
.slot { position: absolute; width: 85.6mm; height: 53.98mm; }
.slot .card { page-break-after: auto; }
.cut { position: absolute; background: #000; }
</style>
{% for side, positions in (("front", fronts), ("back", backs)) %}
<div class="sheet">
{% for slot in positions %}
  <div class="slot" style="left: {{ slot.x }}mm; top: {{ slot.y }}mm">
  {% if side == "front" %}{{ card_front(_, tr, lang, resources) }}
  {% else %}{{ card_back(_, tr, lang, signs, resources, organisation, draft) }}{% endif %}
  </div>
{% endfor %}
{% for x, y, w, h in marks[side] %}
  <div class="cut" style="left: {{ x }}mm; top: {{ y }}mm; width: {{ w }}mm; height: {{ h }}mm">
  </div>
{% endfor %}
</div>
{% endfor %}
{% endblock %}
"""


def copy_project(target: Path) -> Path:
    """The project's data and templates in ``target`` (fonts linked); no organisation file."""
    for name in ("materials", "locales"):
        shutil.copytree(PROJECT_ROOT / name, target / name)
    shutil.copytree(
        PROJECT_ROOT / "templates", target / "templates", ignore=shutil.ignore_patterns("fonts")
    )
    (target / "templates" / "fonts").symlink_to(PROJECT_ROOT / "templates" / "fonts")
    (target / "materials" / "local-organisation.yaml").unlink(missing_ok=True)
    return target


def run_generate(
    project: Path, output: Path, *args: str, command: tuple = (), failures: bool = False
) -> dict:
    """One generate.py process: its exit code, wall seconds, CPU seconds of it and all its
    worker processes, and peak RSS in MB. ``command``: e.g. ("batch", ORGS_DIR);
    ``failures``: documents that fail their print check are counted, not fatal."""
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            RUN,
            str(PROJECT_ROOT),
            *command,
            "--project",
            str(project),
            "--output",
            str(output),
            *args,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    lines = completed.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("@@"):
        sys.exit(f"generate.py failed:\n{completed.stdout}{completed.stderr}")
    measured = json.loads(lines[-1][2:])
    failed = len(re.findall(r"^FAIL ", completed.stdout, re.MULTILINE))
    if measured["code"] != 0 and not (failures and failed):
        sys.exit(f"the build failed:\n{completed.stdout}{completed.stderr}")
    summary = next((line for line in reversed(lines) if " written, " in line), "")
    layouts = re.search(r"\(([0-9.]+) layouts per document", summary)
    return {
        "wall": wall,
        "cpu": measured["cpu"],
        "own_mb": measured["own"] / 1024,
        "workers_mb": measured["workers"] / 1024,
        "summary": summary,
        "written": len(re.findall(r"^ok ", completed.stdout, re.MULTILINE)),
        "failed": failed,
        "layouts": float(layouts.group(1)) if layouts else None,
    }


def organisation_files(folder: Path, count: int) -> Path:
    """``count`` organisation files, as a coalition would have them."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, count + 1):
        (folder / f"member-{number:03}.yaml").write_text(
            f"name: Member Organisation {number}\nphone: 612-555-{number:04}\n",
            encoding="utf-8",
        )
    return folder


def final_html(project: Path, output: Path, target: Path) -> list[tuple[str, str]]:
    """Every document's final HTML, at the type scales of the build in ``output``, written
    to ``target``; (html, pdf) pairs for the bare renderer."""
    import jinja2

    from .catalogs import Translator
    from .impose import cut_marks, sheet_slots
    from .plan import plan
    from .project import Project, load
    from .render import PAPER, Options, Section

    paths = Project(project, output)
    data = load(paths, None, None)
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))["documents"]
    renderer = data.renderer
    renderer.env.loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({"hand-written-sheet.html": HAND_SHEET}), renderer.env.loader]
    )
    materials = data.content.materials
    pairs = []
    for task in plan(data, list(data.languages), list(materials), None):
        material = materials[task.material]
        fits = manifest[task.key]["fits"]
        if material.impose:
            card = materials[material.impose]
            fits = manifest[f"{task.lang}/{card.id}"]["fits"]
            width, height = PAPER[(material.paper, "us")]
            fronts, backs = sheet_slots(width, height)
            renderer.env.globals.update(
                fronts=fronts,
                backs=backs,
                marks={
                    "front": cut_marks(width, height, fronts),
                    "back": cut_marks(width, height, backs),
                },
            )
            # The card's id: base.html links the card's stylesheet.
            material = dataclasses.replace(card, template="hand-written-sheet.html", paper="letter")
        sections = [
            Section(data.languages[code], Translator(data.languages[code], data.catalogs[code]))
            for code in task.section_langs
        ]
        html = renderer.render(material, sections, data.content, Options(), fits)
        path = target / f"{task.lang}-{task.material}.html"
        path.write_text(html, encoding="utf-8")
        pairs.append((str(path), str(target / f"{task.lang}-{task.material}.pdf")))
    return pairs


def bare(project: Path, pairs: list[tuple[str, str]], work: Path, variant: str) -> dict:
    """Bare WeasyPrint over ``pairs``; ``variant``: "pdf/ua-1" (tagged, as the generator
    writes) or "" (WeasyPrint's default, untagged)."""
    listing = work / "bare.json"
    listing.write_text(json.dumps(pairs), encoding="utf-8")
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            BARE,
            str(PROJECT_ROOT),
            str(project / "templates"),
            str(listing),
            variant,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"bare WeasyPrint failed:\n{completed.stderr}")
    measured = json.loads(completed.stdout.strip().splitlines()[-1][2:])
    sheets = sum(t for pdf, t in measured["times"].items() if pdf.endswith("-sheet.pdf"))
    return {"wall": wall, "render": measured["render"], "sheets": sheets, "cpu": measured["cpu"]}


def change_one_string(project: Path) -> None:
    lang, message = CHANGED
    catalog = project / "locales" / lang / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    pattern = rf'(msgid "{re.escape(message)}"\nmsgstr ")(.*)(")'
    changed, count = re.subn(pattern, lambda m: m[1] + m[2].rstrip(".") + " ya." + m[3], text)
    if count != 1:
        sys.exit(f"{catalog}: no translation of «{message}» to change")
    catalog.write_text(changed, encoding="utf-8")


# --- the web app (generate.py serve) ----------------------------------------------------

#: The previews timed: (language, material), from the lightest to the heaviest.
PREVIEWS = (("so", "wallet-card"), ("ar", "flyer"), ("my", "wallet-card"), ("km", "poster"))
WEB_BUILDS = 20


class _WebServer:
    """``generate.py serve --port 0`` over ``project``, talked to over plain HTTP."""

    def __init__(self, project: Path):
        import os

        environment = {k: v for k, v in os.environ.items() if k != "FONTCONFIG_FILE"}
        self.process = subprocess.Popen(
            [sys.executable, str(PROJECT_ROOT / "generate.py"), "serve", "--port", "0",
             "--project", str(project)],
            stdout=subprocess.PIPE, text=True, env=environment, start_new_session=True,
        )  # fmt: skip
        self.port = int(re.search(r":(\d+)/", self.process.stdout.readline()).group(1))
        page = self.call("GET", "/build")
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def call(self, method: str, path: str, fields: dict | None = None) -> str:
        import urllib.parse
        import urllib.request

        data = urllib.parse.urlencode(fields, doseq=True).encode() if fields else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"X-CSRF-Token": getattr(self, "token", "")},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=600) as answer:
            return answer.read().decode()

    def memory_mb(self) -> tuple[float, float]:
        """Resident memory of the server's process, and of it with every process it started
        (the forkserver, the preview process, workers still alive)."""
        import os

        def rss(pid: int) -> float:
            try:
                text = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                return 0.0
            return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024

        group = [
            int(pid)
            for pid in os.listdir("/proc")
            if pid.isdigit() and _pgid(int(pid)) == self.process.pid
        ]
        return rss(self.process.pid), sum(rss(pid) for pid in group)

    def stop(self) -> None:
        import os
        import signal

        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(30)


def _pgid(pid: int) -> int | None:
    import os

    try:
        return os.getpgid(pid)
    except OSError:
        return None


def web(builds: int = WEB_BUILDS) -> None:
    """Preview latency (cold, then warm: the median and the slowest of 5 edits) and the
    server's memory over ``builds`` builds (each rebuilding the Somali wallet card and flyer)."""
    with tempfile.TemporaryDirectory(prefix="materialgen-benchmark-") as work:
        project = copy_project(Path(work) / "project")
        server = _WebServer(project)
        try:
            for lang, material in PREVIEWS:
                times = []
                for edit in range(6):
                    fields = {"name": f"Riverside Helpers {edit}", "phone": "612-555-0100",
                              "lang": lang, "material": material}  # fmt: skip
                    started = time.perf_counter()
                    answer = json.loads(server.call("POST", "/preview", fields))
                    times.append(time.perf_counter() - started)
                warm = times[1:]
                # A document that fails its print check is laid out all the same: the page
                # shows its problems instead of its picture.
                failed = "" if answer["pages"] else ", failing its print check"
                print(
                    f"preview {lang}/{material}: first {times[0]:.2f} s, warm median "
                    f"{statistics.median(warm):.2f} s, slowest {max(warm):.2f} s "
                    f"(target 1.5 s){failed}"
                )
            fields = {"lang": "so", "material": ["wallet-card", "flyer"], "force": "on"}
            memory = []
            started = time.perf_counter()
            for _ in range(builds):
                page = server.call("POST", "/build", fields)
                ident = re.search(r"<h1>Build (\d+)</h1>", page).group(1)
                while not json.loads(server.call("GET", f"/jobs/{ident}/progress.json"))[
                    "finished"
                ]:
                    time.sleep(0.2)
                memory.append(server.memory_mb())
            wall = time.perf_counter() - started
            shown = ", ".join(
                f"{n}: {memory[n - 1][0]:.0f}/{memory[n - 1][1]:.0f}"
                for n in sorted({1, 2, 5, 10, builds})
                if n <= builds
            )
            print(
                f"server memory after N builds (server / with its processes, MB): {shown} "
                f"({builds} builds of 2 documents in {wall:.0f} s)"
            )
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare-bare", action="store_true", help="also time bare WeasyPrint")
    parser.add_argument("--jobs", type=int, help="worker processes (default: one per core)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (median reported)")
    parser.add_argument(
        "--coalition",
        type=int,
        default=0,
        metavar="ORGS",
        help="also a coalition's batch of ORGS organisations x every language x every "
        "material (the issue's figure is 20), against a single build's documents per second",
    )
    parser.add_argument(
        "--web", action="store_true", help="the web app instead: preview latency, server memory"
    )
    args = parser.parse_args(argv)
    if args.web:
        web()
        return 0
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    cases: dict[str, list[dict]] = {}
    bare_runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="materialgen-benchmark-") as work:
            work = Path(work)
            project = copy_project(work / "project")
            # A first build warms the disk caches for both sides and gives the scales.
            run_generate(project, work / "warm", *jobs)
            if args.compare_bare:
                (work / "html").mkdir()
                pairs = final_html(project, work / "warm", work / "html")
                bare_runs.append(
                    {name: bare(project, pairs, work, variant) for name, variant in BARE_KINDS}
                )
            output = work / "output"
            cases.setdefault("full", []).append(run_generate(project, output, *jobs))
            # Without previews: what bare WeasyPrint does too, and what a batch builds.
            plain = run_generate(project, work / "plain", *jobs, "--no-previews")
            cases.setdefault("plain", []).append(plain)
            if args.coalition:
                orgs = organisation_files(work / "orgs", args.coalition)
                # The batch's reference: a single build printing one of its organisations,
                # so that both lay out the same kind of documents.
                single = run_generate(
                    project,
                    work / "single",
                    *jobs,
                    "--no-previews",
                    "--organisation",
                    str(orgs / "member-001.yaml"),
                    failures=True,
                )
                cases.setdefault("single", []).append(single)
                batch = run_generate(
                    project,
                    work / "batch",
                    *jobs,
                    "--no-previews",
                    command=("batch", str(orgs)),
                    failures=True,
                )
                cases.setdefault("batch", []).append(batch)
            cases.setdefault("noop", []).append(run_generate(project, output, *jobs))
            change_one_string(project)
            cases.setdefault("one", []).append(run_generate(project, output, *jobs))

    def median(name, key="wall"):
        return statistics.median(run[key] for run in cases[name])

    full, noop, one = median("full"), median("noop"), median("one")
    print(f"full build from an empty output/ (previews included): {full:.2f} s")
    print(f"    {cases['full'][-1]['summary']}")
    print(f"no-op rebuild: {noop:.2f} s   ({cases['noop'][-1]['summary']})")
    lang, message = CHANGED
    print(
        f"one msgstr changed ({lang}: «{message}»): {one:.2f} s, "
        f"{cases['one'][-1]['written']} documents rebuilt"
    )
    layouts = statistics.median(run["layouts"] for run in cases["full"])
    print(f"layouts per document, fresh build: {layouts:.2f} (target at most 1.2)")
    plain_cpu = median("plain", "cpu")
    print(
        f"fresh build without previews: {median('plain'):.2f} s, CPU of all processes "
        f"{plain_cpu:.2f} s, {cases['plain'][-1]['written']} documents"
    )
    if "batch" in cases:
        single = cases["single"][-1]
        single_rate = (single["written"] + single["failed"]) / median("single")
        last = cases["batch"][-1]
        done = last["written"] + last["failed"]  # a failed document costs its layouts too
        batch_rate = done / median("batch")
        # The issue counts a batch's documents as organisations x languages x materials:
        # every organisation's set holds the discreet cards, which are built once, shared.
        delivered = args.coalition * (single["written"] + single["failed"])
        print(
            f"coalition batch, {args.coalition} organisations: {done} documents built "
            f"({last['failed']} failed their print check) in {median('batch'):.1f} s = "
            f"{batch_rate:.2f} documents/s, CPU {median('batch', 'cpu'):.0f} s, "
            f"{last['layouts']} layouts per document; a single build with one of the "
            f"organisations {single_rate:.2f} documents/s ({single['layouts']} layouts per "
            f"document); ratio {batch_rate / single_rate:.2f}"
        )
        print(
            f"    the {args.coalition} organisations' sets: {delivered} documents (the discreet "
            f"cards shared) = {delivered / median('batch'):.2f} documents/s; ratio "
            f"{delivered / median('batch') / single_rate:.2f} (target at least 0.9)"
        )
        print(
            f"    CPU per document: batch {median('batch', 'cpu') / done:.3f} s, single build "
            f"{median('single', 'cpu') / (single['written'] + single['failed']):.3f} s (the "
            "wall-clock ratio also depends on what else the machine runs)"
        )
        print(
            f"    largest worker's peak RSS in the batch: "
            f"{max(r['workers_mb'] for r in cases['batch']):.0f} MB (target at most 250)"
        )
    own = max(run["own_mb"] for runs in cases.values() for run in runs)
    workers = max(run["workers_mb"] for runs in cases.values() for run in runs)
    print(f"peak RSS: main process {own:.0f} MB, largest worker {workers:.0f} MB")
    if bare_runs:
        for kind, _ in BARE_KINDS:
            render = statistics.median(run[kind]["render"] for run in bare_runs)
            wall = statistics.median(run[kind]["wall"] for run in bare_runs)
            sheets = statistics.median(run[kind]["sheets"] for run in bare_runs)
            print(
                f"bare WeasyPrint, {kind}, the same documents one after another: {render:.2f} s "
                f"rendering ({wall:.2f} s with Python and imports), of which {sheets:.2f} s "
                "for the card sheets"
            )
            cpu = statistics.median(run[kind]["cpu"] for run in bare_runs)
            print(
                f"    CPU: fresh build without previews, all processes, {plain_cpu:.2f} s; "
                f"bare {cpu:.2f} s; ratio {plain_cpu / cpu:.2f}"
                + (" (target at most 0.85)" if kind == "tagged" else "")
            )
            print(
                f"    ratios: full build {full / render:.2f}, no-op {noop / render:.3f}, "
                f"one msgstr {one / render:.2f}; without the sheets on the bare side, "
                f"full build {full / (render - sheets):.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
