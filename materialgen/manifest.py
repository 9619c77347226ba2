"""The build manifest: what made each PDF, so that a rerun rebuilds only what changed.

``output/manifest.json`` records, for every document written, a fingerprint of each input
that made it:

- the generator itself: its source files and the versions of the libraries that lay out,
  segment, impose and preview (a new version may move a line);
- the command-line options that change what is printed;
- the content records it printed (its material, resources, warning signs, organisation)
  and the rows of its languages;
- the Jinja templates it was rendered from, and every file WeasyPrint read for it
  (stylesheets, fonts, pictograms);
- for each of its languages, the catalog entries it looked up (a missing entry counts too,
  since English was printed instead) and whether the catalog is reviewed, which decides the
  draft note. One msgstr edited rebuilds exactly the documents that print it;
- for an imposed sheet, the PDF it imposes.

It also keeps what copyfitting chose for each document (scale and fill of each frame), so
that a rebuild starts from there, and the size, time and SHA-256 of each PDF written, so that
a deleted or replaced PDF is rebuilt. Hashes of input files are cached by size and
modification time, so that a rerun with nothing changed reads no large file.

A manifest that is missing, unreadable, or written by another version of the generator is
ignored: everything is rebuilt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
from pathlib import Path

from .files import write_text_atomically

FORMAT = 1
NAME = "manifest.json"
#: Libraries whose version can change a printed page or its preview.
RENDERING_LIBRARIES = (
    "weasyprint",
    "pydyf",
    "tinycss2",
    "cssselect2",
    "pyicu-wheels",
    "pikepdf",
    "pypdfium2",
    "segno",
    "pillow",
    "fonttools",
)


def digest(value) -> str:
    """SHA-256 of a JSON-able value, in a canonical form."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def code_fingerprint() -> str:
    """The generator's own source and the versions of the libraries it renders with."""
    package = Path(__file__).resolve().parent
    sources = hashlib.sha256()
    for path in sorted(package.glob("*.py")):
        sources.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    versions = {}
    for name in RENDERING_LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return digest({"format": FORMAT, "sources": sources.hexdigest(), "versions": versions})


def record_digest(record) -> str:
    """A content record's fingerprint, without where it was declared (lines may move)."""
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    fields.pop("where", None)
    return digest(fields)


def catalog_digest(catalog, keys) -> str:
    """What the entries ``keys`` of ``catalog`` would print (None: no catalog, English)."""
    entries = catalog.entries if catalog is not None else {}
    printed = []
    for context, message in keys:
        entry = entries.get((context, message))
        printed.append([context, message, None if entry is None else [entry.text, entry.fuzzy]])
    return digest(printed)


class FileHashes:
    """SHA-256 of files, cached by (size, mtime): a rerun hashes only files that changed.

    The prepared fonts (templates/fonts/) are not read: what they hold is pinned by
    templates/fonts.yaml, whose records are part of every document's fingerprint, and they
    weigh 100 MB. Their size and time stand for them, so a file replaced by hand still
    counts as changed. A file is looked at once per run, however many documents read it."""

    def __init__(self, root: Path, cache: dict | None = None):
        self.root = root
        self.fonts_dir = (root / "templates" / "fonts").resolve()  # may be a link (tests)
        self.cache: dict[str, list] = dict(cache or {})
        self.seen: dict[str, str | None] = {}  # this run's answers, not saved

    def name(self, path: Path) -> str:
        """The file's name in the manifest: relative to the project where it lies inside."""
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    def get(self, name: str) -> str | None:
        if name not in self.seen:
            self.seen[name] = self._fingerprint(name)
        return self.seen[name]

    def _fingerprint(self, name: str) -> str | None:
        path = Path(name) if os.path.isabs(name) else self.root / name
        try:
            stat = path.stat()
        except OSError:
            return None
        cached = self.cache.get(name)
        if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
            return cached[2]
        if path.resolve().parent == self.fonts_dir:
            return f"{stat.st_size}:{stat.st_mtime_ns}"
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        self.cache[name] = [stat.st_size, stat.st_mtime_ns, sha]
        return sha


def pdf_stamp(path: Path) -> dict:
    data = path.read_bytes()
    stat = path.stat()
    return {
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def pdf_unchanged(path: Path, stamp: dict) -> bool:
    """The PDF written then is still there, untouched (by size and time, else by content)."""
    try:
        stat = path.stat()
    except OSError:
        return False
    if stat.st_size != stamp["size"]:
        return False
    if stat.st_mtime_ns == stamp["mtime_ns"]:
        return True
    return hashlib.sha256(path.read_bytes()).hexdigest() == stamp["sha256"]


class Manifest:
    """output/manifest.json: per document, the fingerprints of its inputs (see the module
    docstring) and what the build remembers of it."""

    def __init__(self, path: Path, root: Path, code: str, data: dict | None = None):
        self.path = path
        self.code = code
        data = data or {}
        self.documents: dict[str, dict] = data.get("documents", {})
        self.keysets: dict[str, list] = data.get("keysets", {})
        self.files = FileHashes(root, data.get("files"))

    @classmethod
    def load(cls, output: Path, root: Path, code: str) -> Manifest:
        """The manifest of ``output``, or an empty one when it is missing, unreadable or
        written by another version of the generator."""
        path = output / NAME
        manifest = cls(path, root, code)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return manifest
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("code") != code:
            return manifest
        try:
            loaded = cls(path, root, code, data)
            for entry in loaded.documents.values():
                entry["inputs"], entry["pdf"]  # noqa: B018 (a corrupt entry fails here)
        except (AttributeError, KeyError, TypeError):
            return manifest
        return loaded

    def memory(self, key: str) -> dict:
        """What copyfitting chose for the document last time: the scale and fill of each
        frame, and the adaptation steps it settled on (adapt.py)."""
        entry = self.documents.get(key) or {}
        return {
            name: entry.get(name) or ({} if name != "steps" else [])
            for name in ("fits", "fills", "steps")
        }

    def stale(self, key: str, expected: dict, catalogs: dict, pdf: Path, previews: bool):
        """Why document ``key`` must be rebuilt, or None when it is up to date.

        ``expected``: the fingerprints computable before building (options, content,
        languages, templates, an imposed source); ``catalogs``: the catalogs now loaded.
        """
        entry = self.documents.get(key)
        if entry is None:
            return "not built before"
        inputs = entry["inputs"]
        for name, value in expected.items():
            if inputs.get(name) != value:
                return f"{name} changed"
        for name, sha in inputs["files"].items():
            if self.files.get(name) != sha:
                return f"{name} changed"
        for code, used in inputs["catalogs"].items():
            catalog = catalogs.get(code)
            reviewed = bool(catalog is not None and catalog.reviewed)
            keys = self.keysets.get(used["keys"])
            if keys is None or used["reviewed"] != reviewed:
                return f"catalog {code} changed"
            if catalog_digest(catalog, [tuple(k) for k in keys]) != used["digest"]:
                return f"catalog {code} changed"
        if not pdf_unchanged(pdf, entry["pdf"]):
            return "PDF missing or replaced"
        shown = entry.get("previews")
        if previews and not (shown and all((self.path.parent / n).is_file() for n in shown)):
            return "previews missing"
        return None

    def record(self, key: str, expected: dict, result, catalogs: dict) -> None:
        """Remember a document just written, with every input that made it."""
        files = {}
        for path in result.inputs.get("files", ()):
            name = self.files.name(path)
            files[name] = self.files.get(name)
        used = {}
        for code, keys in result.inputs.get("catalogs", {}).items():
            keys = sorted(keys, key=lambda k: (k[0] or "", k[1]))
            keyset = digest(keys)
            self.keysets.setdefault(keyset, [list(k) for k in keys])
            catalog = catalogs.get(code)
            used[code] = {
                "keys": keyset,
                "digest": catalog_digest(catalog, keys),
                "reviewed": bool(catalog is not None and catalog.reviewed),
            }
        output = self.path.parent
        self.documents[key] = {
            "inputs": {**expected, "files": files, "catalogs": used},
            "pdf": pdf_stamp(result.path),
            "previews": [str(Path(p).relative_to(output)) for p in result.previews],
            "fits": result.fits,
            "fills": result.fills,
            "steps": result.steps,
            "layouts": result.timing["layouts"],
            "seconds": round(result.seconds, 3),
        }

    def forget(self, key: str) -> None:
        self.documents.pop(key, None)

    def save(self) -> None:
        used = {
            entry["inputs"]["catalogs"][code]["keys"]
            for entry in self.documents.values()
            for code in entry["inputs"]["catalogs"]
        }
        data = {
            "format": FORMAT,
            "code": self.code,
            "documents": self.documents,
            "keysets": {k: v for k, v in self.keysets.items() if k in used},
            "files": self.files.cache,
        }
        write_text_atomically(self.path, json.dumps(data, ensure_ascii=False, sort_keys=True))
