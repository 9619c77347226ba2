"""Reading the project's input files: regular files inside the project, of a bounded size.

Community groups get catalogs and content files from volunteers they have never met. Such a
file can be a symbolic link to /etc/passwd, a named pipe that never ends, or 10 MB of YAML.
Every reader of project input (the YAML data, the catalogs, the templates) takes its bytes
from ``read_input``, which refuses all three before reading a byte; ``links_out_of`` lists
the links in the project's folders that lead outside it, so a build refuses them before it
reads anything. A link to another file inside the project is fine.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import InputError

#: Largest input file read. The largest catalog is about 12 kB and the largest content file
#: 3 kB; a data file a hundred times larger is not one a person wrote.
MAX_INPUT_BYTES = 1024 * 1024

#: Folders where no link may lead outside the project. The catalogs in locales/ are checked as
#: each is read, so that a bad one stops only its own language. templates/fonts may be a link
#: to a shared copy (tests, several checkouts): the renderer reads only fonts from it.
CHECKED_FOLDERS = ("materials", "templates")
SHARED_FOLDERS = ("templates/fonts",)


def project_root_of(path: Path) -> Path:
    """The project folder a data file belongs to: the nearest folder above it that holds
    locales/languages.yaml, else the file's own folder. Found without following links, so a
    linked folder (locales/so -> elsewhere) does not move the project."""
    path = Path(os.path.abspath(path))
    for folder in path.parents:
        if (folder / "locales" / "languages.yaml").is_file():
            return folder
    return path.parent


def outside(path: Path, root: Path) -> str | None:
    """Where ``path`` really leads when that is outside ``root`` (following every link on
    the way), else None."""
    real = os.path.realpath(path)
    real_root = os.path.realpath(root)
    if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep):
        return None
    return real


def _refuse_link_out(path: Path, root: Path) -> None:
    real = outside(path, root)
    if real is not None:
        raise InputError(
            f"a link to {real}, outside the project: only files inside the project are "
            "read; put the file itself here",
            path,
        )


def read_input(path: Path, root: Path | None = None, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of an input file; InputError for a link out of ``root`` (default: the
    file's project), for anything but a regular file, and for a file over ``limit`` bytes."""
    path = Path(path)
    _refuse_link_out(path, root or project_root_of(path))
    try:
        # The checked, link-free path; O_NONBLOCK: a named pipe must not stall the build.
        fd = os.open(os.path.realpath(path), os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError("not a regular file: only plain files are read", path)
        if info.st_size > limit:
            raise InputError(
                f"the file is {info.st_size / 1024 / 1024:.1f} MB, more than the "
                f"{limit // 1024 // 1024} MB an input file may have: is it the right file?",
                path,
            )
        data = handle.read(limit + 1)
    if len(data) > limit:  # grew while being read
        raise InputError(f"the file is larger than {limit} bytes", path)
    return data


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 text without a leading byte order mark (Notepad writes one); InputError with
    the line of the first byte that is not UTF-8."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start]
        raise InputError(
            f"not valid UTF-8 text (byte 0x{byte:02X}): save the file as UTF-8", path, line
        ) from None
    return text.removeprefix("\ufeff")


def read_input_text(path: Path, root: Path | None = None) -> str:
    """``read_input`` decoded by ``decode_text``."""
    return decode_text(read_input(path, root), Path(path))


def links_out_of(root: Path) -> list[InputError]:
    """Every symbolic link in materials/ and templates/ that leads outside the project, one
    error each, found without reading any file."""
    errors = []
    shared = {os.path.normpath(root / name) for name in SHARED_FOLDERS}
    for name in CHECKED_FOLDERS:
        top = root / name
        if os.path.islink(top):
            errors += _link_error(top, root)
            continue
        for folder, dirs, files in os.walk(top):  # does not follow links to folders
            for entry in sorted([*dirs, *files]):
                path = Path(folder) / entry
                if os.path.normpath(path) in shared or not os.path.islink(path):
                    continue
                errors += _link_error(path, root)
    return errors


def _link_error(path: Path, root: Path) -> list[InputError]:
    try:
        _refuse_link_out(path, root)
    except InputError as error:
        return [error]
    return []
