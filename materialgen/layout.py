"""WeasyPrint, confined: project files only, project fonts only, every warning kept.

``isolate`` (fonts.py) must have pointed fontconfig at the empty configuration before this
module is imported, because fontconfig reads its configuration once per process.
"""

from __future__ import annotations

import contextlib
import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from . import pdf

#: Largest file the renderer may read (fonts are the largest assets).
MAX_ASSET_BYTES = 32 * 1024 * 1024


class BlockedURL(FatalURLFetchingError):
    """A document asked for something outside the project's templates and fonts."""


class ProjectFetcher(URLFetcher):
    """Serves regular files below the allowed folders and refuses everything else.

    Refused: other schemes (http, https, ftp, data), files elsewhere (/etc/passwd), devices
    and pipes (/dev/urandom would never end), and symbolic links leading out of the folders.
    A refusal stops the render: WeasyPrint would otherwise log it and carry on.
    """

    def __init__(self, allowed_dirs: list[Path]):
        super().__init__(timeout=1, allowed_protocols={"file"})
        self.allowed_dirs = [directory.resolve() for directory in allowed_dirs]
        #: every file served: what an incremental build must watch for changes
        self.fetched: set[Path] = set()
        #: files served from memory instead of their bytes on disk: the organisation's logo,
        #: checked and re-encoded when the content was loaded (content.load_logo)
        self.served: dict[Path, bytes] = {}

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise BlockedURL(f"blocked {url}: only the project's own files may be loaded")
        path = Path(unquote(parts.path)).resolve()
        if path in self.served:
            self.fetched.add(path)
            return URLFetcherResponse(
                path.as_uri(), self.served[path], headers={"Content-Type": "image/png"}
            )
        if not any(path.is_relative_to(directory) for directory in self.allowed_dirs):
            raise BlockedURL(f"blocked {url}: outside the project's templates and fonts")
        if not path.is_file():
            raise BlockedURL(f"blocked {url}: not a regular file of the project")
        if path.stat().st_size > MAX_ASSET_BYTES:
            raise BlockedURL(f"blocked {url}: larger than {MAX_ASSET_BYTES} bytes")
        self.fetched.add(path)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), path.read_bytes(), headers={"Content-Type": media_type}
        )


class WarningCollector(logging.Handler):
    """Collects what WeasyPrint logs at warning level or above while it is attached."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def collect_warnings():
    logger = logging.getLogger("weasyprint")
    collector = WarningCollector()
    logger.addHandler(collector)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield collector.messages
    finally:
        logger.removeHandler(collector)
        logger.propagate = propagate


class Layout:
    """Lays out HTML documents with one font configuration for the whole process, and
    writes them as ``pdf_settings`` says (tagged, archival, print shop: see pdf.py)."""

    def __init__(self, templates_dir: Path, pdf_settings: pdf.PdfSettings | None = None):
        self.templates_dir = templates_dir
        # The fonts folder may be a link to a shared copy (tests, several checkouts).
        self.fetcher = ProjectFetcher([templates_dir, templates_dir / "fonts"])
        self.font_config = FontConfiguration()
        self.pdf_settings = pdf_settings or pdf.PdfSettings()
        pdf.tag_languages()

    def render(self, html: str, warnings: list[str]):
        """The laid-out document; WeasyPrint's warnings are appended to ``warnings``."""
        with collect_warnings() as messages:
            try:
                document = HTML(
                    string=html,
                    base_url=self.templates_dir.as_uri() + "/",
                    url_fetcher=self.fetcher,
                ).render(font_config=self.font_config)
            finally:
                warnings.extend(messages)
        return document

    def write(self, document, target, warnings: list[str]) -> None:
        """Write the PDF to ``target``, a path or a binary file. WeasyPrint's warnings, and
        what keeps the file from being what it claims (pdf.py), go to ``warnings``."""
        with collect_warnings() as messages:
            try:
                pdf.write(document, target, self.pdf_settings, warnings)
            finally:
                warnings.extend(messages)
