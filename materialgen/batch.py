"""A coalition's batch: one set of documents per organisation file of a folder.

``generate.py batch ORGS_DIR`` builds, in one run of the engine (one plan, one pool of
workers, one progress bar), ``output/<stem>/<lang>/<material>.pdf`` for each
``ORGS_DIR/<stem>.yaml``. The documents that do not show the organisation (the discreet
card) are built once per language, into ``output/<lang>/``, and linked into each
organisation's folder. Each organisation gets a zip of its set, ``output/<stem>/<stem>.zip``,
rewritten only when a document in it changed. An organisation file that fails to load
fails that organisation only.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import zipfile
from pathlib import Path

from .errors import InputError, InputErrors
from .files import atomic_output

#: The zip's timestamps: fixed, so that the same documents give the same zip.
ZIP_DATE = (2000, 1, 1, 0, 0, 0)


def organisation_files(orgs_dir: Path) -> dict[str, Path]:
    """The organisation files of a folder, by stem: ``*.yaml`` and ``*.yml``."""
    if not orgs_dir.is_dir():
        raise InputError("not a folder of organisation files", orgs_dir)
    files = sorted([*orgs_dir.glob("*.yaml"), *orgs_dir.glob("*.yml")])
    found: dict[str, Path] = {}
    for path in files:
        if path.stem.startswith("."):
            continue
        if path.stem in found:
            raise InputError(f"two files for the organisation '{path.stem}'", path)
        found[path.stem] = path
    if not found:
        raise InputError("no organisation file (*.yaml) in this folder", orgs_dir)
    return found


def load_organisations(files: dict[str, Path], languages, root: Path) -> tuple[dict, dict]:
    """(organisation by stem, errors by stem): a file that fails fails only its own set.
    A stem that is a language code would share its folder with the shared documents."""
    from .content import load_organisation

    loaded, errors = {}, {}
    for stem, path in files.items():
        if stem in languages:
            errors[stem] = [
                InputError(f"'{stem}' is a language code: rename the file (its folder would be "
                           "the language's)", path)
            ]  # fmt: skip
            continue
        try:
            loaded[stem] = load_organisation(path, root)
        except (InputError, InputErrors) as error:
            errors[stem] = error.errors
    return loaded, errors


def share(output: Path, shared_keys: list[str], orgs: list[str], ok: set[str]) -> None:
    """Link each shared document into every organisation's folder (a hard link: the same
    bytes, no second copy; a copy where links are impossible). A shared document that
    failed is removed from the folders, so no set keeps an old one."""
    for org in orgs:
        for key in shared_keys:
            source, target = output / f"{key}.pdf", output / org / f"{key}.pdf"
            if key not in ok:
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    target.unlink()
                continue
            with contextlib.suppress(OSError):
                if os.path.samefile(source, target):
                    continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.link")
            try:
                os.link(source, temporary)
            except OSError as error:
                if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                    raise
                shutil.copyfile(source, temporary)
            os.replace(temporary, target)


def write_zip(output: Path, org: str, members: list[tuple[str, str]]) -> Path | None:
    """``output/<org>/<org>.zip`` of the set's PDFs (``members``: (key without the org,
    SHA-256)), unless the zip there already holds exactly these."""
    if not members:
        return None
    target = output / org / f"{org}.zip"
    stamp = hashlib.sha256(repr(sorted(members)).encode()).hexdigest().encode()
    with contextlib.suppress(OSError, zipfile.BadZipFile), zipfile.ZipFile(target) as existing:
        if existing.comment == stamp:
            return target
    with atomic_output(target) as handle, zipfile.ZipFile(handle, "w") as archive:
        for key, _ in sorted(members):
            info = zipfile.ZipInfo(f"{key}.pdf", ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED  # a PDF's streams are compressed already
            info.external_attr = 0o644 << 16
            archive.writestr(info, (output / org / f"{key}.pdf").read_bytes())
        archive.comment = stamp
    return target
