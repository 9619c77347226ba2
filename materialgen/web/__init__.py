"""The web app: the generator for people who only use a browser (``generate.py serve``).

It is a third door to the engine (build.build), beside the command line, and imports
neither the command line nor anything that imports it. Pages: Build (what to print, its
progress and results), Organisation (named profiles saved as materials/local-organisation
.yaml), Translations (a catalog tried in a scratch project before it replaces the project's)
and the gallery, output/index.html, served as it is.

Safe by default: only requests for the server's own loopback name are answered (DNS
rebinding), every POST carries the page's token, uploads are bounded and read through the
project's input guard, and nothing is served from outside output/, the jobs' folders and
static/. The server never fetches a URL; templates escape every text they show.
"""

from __future__ import annotations

import hmac
import io
import secrets
import shutil
import tempfile
from pathlib import Path

from flask import Flask, abort, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.security import safe_join

from ..build import Request
from ..catalogs import (
    catalog_path,
    catalog_warnings,
    check_catalog,
    language_status,
    parse_catalog,
    read_template,
    template_keys,
)
from ..errors import InputError
from ..files import write_bytes_atomically
from ..inputs import MAX_INPUT_BYTES, outside, read_input
from ..languages import Language
from ..project import Project
from ..render import Options
from ..schema import read_records
from .jobs import Job, JobQueue
from .organisation import (
    FIELDS,
    LOGO_MAX_BYTES,
    PROFILE_NAME,
    PROFILE_NAME_HELP,
    Profiles,
    check_logo,
    check_organisation,
    organisation_yaml,
    schema_has_logo,
)
from .preview import Previewer

#: The materials' titles, as a coordinator knows them.
TITLES = {
    "wallet-card": "Wallet card",
    "wallet-card-sheet": "Card sheet",
    "safety-card": "Discreet card",
    "flyer": "Flyer",
    "flyer-tabs": "Flyer with tear-off tabs",
    "poster": "Poster",
}
PAPERS = {"us": "US Letter and Tabloid (11×17 in)", "a4": "A4 and A3"}
PRINT_SHOP_BLEED_MM = 3.0
#: The largest request: a logo and the form around it.
MAX_REQUEST_BYTES = LOGO_MAX_BYTES + 256 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def by_code(language: Language) -> str:
    return language.code


def create_app(project: Project, jobs_dir: Path | None = None, hosts: list[str] | None = None):
    """The app for ``project``. ``hosts``: the Host headers answered (the server sets them
    once it knows its port); ``jobs_dir``: where jobs keep their files (default: a new
    temporary folder)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.config["HOSTS"] = set(hosts or [])
    app.jinja_env.autoescape = True  # every template, whatever its name
    jobs_dir = Path(jobs_dir or tempfile.mkdtemp(prefix="materialgen-jobs-"))
    token = secrets.token_urlsafe(32)
    queue = JobQueue(jobs_dir)
    previewer = Previewer(project)
    profiles = Profiles(project.materials_dir)
    app.extensions["materialgen"] = {"queue": queue, "previewer": previewer, "jobs": jobs_dir}

    # --- safety -------------------------------------------------------------------------

    @app.before_request
    def refuse_foreign_hosts_and_forged_posts():
        if request.host not in app.config["HOSTS"]:
            return (
                "This server answers only at its own address.",
                403,
                {"Content-Type": "text/plain"},
            )
        if request.method == "POST":
            sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
            if not hmac.compare_digest(sent.encode(), token.encode()):
                return (
                    "This form is out of date: reload the page and send it again.",
                    403,
                    {"Content-Type": "text/plain"},
                )
        return None

    @app.after_request
    def headers(response):
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.path.startswith("/output/"):  # the gallery is served as it is
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            )
        return response

    @app.context_processor
    def shared():
        return {"csrf_token": token, "titles": TITLES}

    def serve_from(root: Path, name: str):
        """A file below ``root``: no '..', no absolute path, no link leading out of it."""
        path = safe_join(str(root), name)
        if path is None or outside(Path(path), root) or not Path(path).is_file():
            abort(404)
        return send_file(path, max_age=0)

    def languages() -> dict[str, Language]:
        rows = read_records(project.locales_dir / "languages.yaml", "languages", Language, by_code)
        return {language.code: language for language in rows}

    # --- build --------------------------------------------------------------------------

    @app.get("/")
    def home():
        return redirect(url_for("build_form"))

    @app.get("/build")
    def build_form():
        return render_template(
            "build.html",
            languages=languages(),
            materials=list(TITLES),
            papers=PAPERS,
            chosen=profiles.chosen(),
            organisation=profiles.values(None),
            jobs=sorted(queue.jobs.values(), key=lambda j: -j.id)[:10],
        )

    @app.post("/build")
    def start_build():
        known = languages()
        langs = [code for code in request.form.getlist("lang") if code in known]
        materials = [m for m in request.form.getlist("material") if m in TITLES]
        if not langs or not materials:
            return render_template(
                "build.html",
                languages=known,
                materials=list(TITLES),
                papers=PAPERS,
                chosen=profiles.chosen(),
                organisation=profiles.values(None),
                jobs=[],
                error="Choose at least one language and one material.",
                asked=request.form,
            ), 400
        job = submit("build", project, build_request(langs, materials, request.form))
        return redirect(url_for("job_page", ident=job.id), 303)

    def build_request(langs, materials, form) -> Request:
        print_shop = form.get("print_shop") == "on"
        options = Options(
            paper=form.get("paper") if form.get("paper") in PAPERS else "us",
            print_shop=print_shop,
            bleed_mm=PRINT_SHOP_BLEED_MM if print_shop else 0.0,
        )
        return Request(
            langs=langs, materials=materials, options=options, force=form.get("force") == "on"
        )

    def submit(kind: str, job_project: Project, build: Request, **more) -> Job:
        ident, folder = queue.new_folder()
        return queue.submit(Job(ident, kind, job_project, build, folder, **more))

    def job_or_404(ident: int) -> Job:
        job = queue.jobs.get(ident)
        if job is None:
            abort(404)
        return job

    @app.get("/jobs/<int:ident>")
    def job_page(ident: int):
        job = job_or_404(ident)
        section = "catalog_job" if job.kind == "catalog" else "job_page"  # for the menu
        return render_template(
            "job.html", job=job, languages=languages(), describe=describe, section=section
        )

    @app.get("/jobs/<int:ident>/progress.json")
    def job_progress(ident: int):
        return jsonify(job_or_404(ident).progress())

    @app.get("/jobs/<int:ident>/files/<path:name>")
    def job_file(ident: int, name: str):
        return serve_from(job_or_404(ident).folder, name)

    @app.get("/output/<path:name>")
    def output_file(name: str):
        return serve_from(project.output, name)

    @app.get("/favicon.ico")
    def favicon():
        return "", 204

    @app.get("/gallery")
    def gallery():
        return redirect("/output/index.html")

    def document_url(job: Job, path: Path | None) -> str | None:
        """Where a file of a job's output is served."""
        if path is None:
            return None
        path = Path(path)
        if job.kind == "build" and path.is_relative_to(project.output):
            return "/output/" + path.relative_to(project.output).as_posix()
        if path.is_relative_to(job.folder):
            return f"/jobs/{job.id}/files/" + path.relative_to(job.folder).as_posix()
        return None

    def describe(job: Job, document) -> dict:
        """A document of a job in plain words: its files, what was adapted, what failed."""
        result = document.result
        pdf = job.project.pdf_path(document.lang, document.material)
        previews = []
        if result is not None:
            previews = list(result.previews)
        elif pdf.is_file():
            previews = sorted(pdf.parent.glob(f"preview/{document.material}-[0-9]*.png"))
        adaptations = []
        if result is not None and result.ok:
            if result.scale < 0.995:
                adaptations.append(
                    f"Text set at {round(result.scale * 100)}% of its usual size to fit."
                )
            # The adaptation steps it took (materials/adaptations.yaml), as the build says them.
            for says in result.adaptations:
                adaptations.append(f"Adapted to fit: {says}.")
            english = {key for key in result.missing if key[0] != "en"}
            if english:
                adaptations.append(
                    f"{len(english)} sentence(s) printed in English: not translated yet."
                )
        return {
            "pdf": document_url(job, pdf) if document.state in ("built", "up to date") else None,
            "previews": [document_url(job, p) for p in previews if document_url(job, p)],
            "adaptations": adaptations,
            "problems": list(result.problems) if result is not None else [],
        }

    # --- organisation -------------------------------------------------------------------

    @app.get("/organisation")
    def organisation_form():
        name = request.args.get("profile")
        if name is not None and name not in profiles.names():
            abort(404)
        name = name or profiles.chosen()
        values = profiles.values(name) if name else profiles.values(None)
        return organisation_page(values, name or "", {}, saved=request.args.get("saved"))

    def organisation_page(values, profile, errors, saved=None, status=200):
        known = languages()
        return render_template(
            "organisation.html",
            fields=FIELDS,
            values=values,
            profile=profile,
            profile_help=PROFILE_NAME_HELP,
            profiles=profiles.names(),
            chosen=profiles.chosen(),
            errors=errors,
            saved=saved,
            logo_printed=schema_has_logo(),
            languages=known,
            preview_materials=[m for m in TITLES if m != "wallet-card-sheet"],
        ), status

    @app.post("/organisation")
    def save_organisation():
        form = request.form
        if form.get("action") == "choose":
            name = form.get("profile", "")
            if name not in profiles.names():
                abort(404)
            profiles.choose(name)
            return redirect(url_for("organisation_form", profile=name, saved="chosen"), 303)
        values = {key: form.get(key, "") for key in FIELDS}
        profile = form.get("profile_name", "").strip()
        errors = {}
        if not PROFILE_NAME.fullmatch(profile):
            errors["profile_name"] = f"Give the profile a name of {PROFILE_NAME_HELP}."
        scratch = Path(tempfile.mkdtemp(dir=jobs_dir, prefix="form-"))
        try:
            received, suffix = None, None
            logo = request.files.get("logo")
            if logo and logo.filename:
                received, suffix, problem = receive_logo(logo, scratch)
                if problem:
                    errors["logo"] = problem
                elif schema_has_logo():
                    values["logo"] = f"{profiles.logo_folder().name}/{profile}{suffix}"
            elif schema_has_logo() and PROFILE_NAME.fullmatch(profile):
                kept = profiles.values(profile).get("logo")
                if kept:
                    values["logo"] = kept
            text = organisation_yaml(values)
            errors = {**check_organisation(text, scratch), **errors}
            if not errors and received is not None:  # kept only with a profile saved
                write_bytes_atomically(profiles.logo_folder() / f"{profile}{suffix}", received)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        if errors:
            return organisation_page(values, profile, errors, status=400)
        profiles.save(profile, text, choose=form.get("use") != "off")
        return redirect(url_for("organisation_form", profile=profile, saved="saved"), 303)

    def receive_logo(upload, scratch: Path) -> tuple[bytes | None, str | None, str | None]:
        """(bytes, suffix, None) for a PNG or JPEG of 2 MB at most, else (None, None, why)."""
        data = upload.stream.read(LOGO_MAX_BYTES + 1)
        suffix, problem = check_logo(data)
        if problem:
            return None, None, problem
        received = scratch / f"logo{suffix}"
        received.write_bytes(data)
        try:  # the project's input guard: a regular file, of a bounded size
            data = read_input(received, scratch, limit=LOGO_MAX_BYTES)
            from PIL import Image

            with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as image:
                image.verify()
        except InputError as error:
            return None, None, error.message
        except Exception:
            return None, None, "The logo could not be read as a picture: is the file damaged?"
        return data, suffix, None

    @app.post("/preview")
    def preview():
        form = request.form
        lang, material = form.get("lang", ""), form.get("material", "")
        if lang not in languages() or material not in TITLES or material == "wallet-card-sheet":
            abort(400)
        values = {key: form.get(key, "") for key in FIELDS}
        profile = form.get("profile_name", "")
        if schema_has_logo() and PROFILE_NAME.fullmatch(profile) and profile in profiles.names():
            logo = profiles.values(profile).get("logo")  # the one saved with it
            if logo:
                values["logo"] = str(profiles.folder / logo)  # read from the preview's folder
        text = organisation_yaml(values) if values.get("name", "").strip() else ""
        # The last few previews stay (a page may still be loading one); older ones go.
        earlier = sorted(jobs_dir.glob("preview-*"), key=lambda p: p.stat().st_mtime)
        for old in earlier[:-3]:
            shutil.rmtree(old, ignore_errors=True)
        folder = Path(tempfile.mkdtemp(dir=jobs_dir, prefix="preview-"))
        paper = form.get("paper") if form.get("paper") in PAPERS else "us"
        answer = previewer.render(text, lang, material, paper, folder)
        pages = ["/previews/" + Path(p).relative_to(jobs_dir).as_posix() for p in answer["pages"]]
        return jsonify(problems=answer["problems"], pages=pages)

    @app.get("/previews/<path:name>")
    def preview_file(name: str):
        if not name.startswith("preview-"):
            abort(404)
        return serve_from(jobs_dir, name)

    # --- translations -------------------------------------------------------------------

    @app.get("/translations")
    def translations():
        return translations_page({})

    def translations_page(errors, status=200):
        known = languages()
        try:
            template = template_keys(read_template(project.root))
        except InputError:
            template = {}
        rows = [language_status(project.root, language, template) for language in known.values()]
        return render_template(
            "translations.html",
            rows=rows,
            languages=known,
            errors=errors,
            materials=list(TITLES),
            percent=lambda row: 100 * row["translated"] // max(row["total"], 1),
        ), status

    @app.post("/translations")
    def try_catalog():
        known = languages()
        lang = request.form.get("lang", "")
        upload = request.files.get("catalog")
        materials = [m for m in request.form.getlist("material") if m in TITLES] or list(TITLES)
        errors = {}
        if lang not in known or lang == "en":
            errors["lang"] = "Choose the language of the catalog."
        if not upload or not upload.filename:
            errors["catalog"] = "Choose the edited .po file."
        data = upload.stream.read(MAX_INPUT_BYTES + 1) if upload else b""
        if not errors.get("catalog") and len(data) > MAX_INPUT_BYTES:
            errors["catalog"] = "The file is larger than 1 MB: is it the right file?"
        if errors:
            return translations_page(errors, 400)
        ident, folder = queue.new_folder()
        scratch = scratch_project(folder / "project")
        path = catalog_path(scratch.locales_dir, lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        messages = []
        can_build = True
        try:
            catalog = parse_catalog(path)  # through the input guard
        except InputError as error:
            messages.append(("error", error))
            can_build = False
        else:
            messages += [("error", e) for e in check_catalog(catalog, known[lang])]
            can_build = not messages
            template = template_keys(read_template(project.root))
            messages += [("warning", w) for w in catalog_warnings(catalog, template)]
        build = Request(langs=[lang], materials=materials, options=Options())
        job = Job(ident, "catalog", scratch, build, folder, lang=lang)
        job.messages = [(kind, line_of(error), error.message) for kind, error in messages]
        if can_build:
            queue.submit(job)
        else:
            job.state = "failed"
            queue.jobs[ident] = job
        return redirect(url_for("job_page", ident=ident), 303)

    def line_of(error: InputError) -> str:
        return f"line {error.line}" if error.line else "the file"

    def scratch_project(root: Path) -> Project:
        """A copy of the project's content, catalogs and templates (fonts linked), whose
        output is the job's own: a catalog on trial touches nothing of the project."""
        for name in ("materials", "locales"):
            shutil.copytree(project.root / name, root / name)
        shutil.copytree(
            project.templates_dir, root / "templates", ignore=shutil.ignore_patterns("fonts")
        )
        (root / "templates" / "fonts").symlink_to(project.fonts_dir.resolve())
        return Project(root, root.parent / "output")

    @app.post("/jobs/<int:ident>/save")
    def save_catalog(ident: int):
        job = job_or_404(ident)
        if job.kind != "catalog" or not job.finished or any(k == "error" for k, *_ in job.messages):
            abort(409)
        source = catalog_path(job.project.locales_dir, job.lang)
        try:
            data = read_input(source, job.project.root)
        except InputError:
            abort(409)
        write_bytes_atomically(catalog_path(project.locales_dir, job.lang), data)
        job.saved = True
        return redirect(url_for("job_page", ident=ident, saved=1), 303)

    @app.errorhandler(413)
    def too_large(_):
        return (
            "The file is too large (a logo may have 2 MB, a catalog 1 MB).",
            413,
            {"Content-Type": "text/plain"},
        )

    return app
