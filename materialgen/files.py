"""Writing a file so that no reader ever sees half of it, even if the process is killed.

The data goes to an unnamed file in the target's folder (Linux ``O_TMPFILE``): a process
killed while writing leaves nothing behind, not even a temporary name. Only a complete file
gets a name, by a link and a rename, so a reader sees the old file or the new one. Where the
file system has no unnamed files, a hidden temporary name is used instead.

What is written is gathered in memory first and written to the disk at the end, by Python:
a full disk is then one ``DiskFull`` error that knows the file and the space it needed,
instead of an error deep inside a C library (qpdf aborts its process on one), and a file
standing where a folder should be is a ``FileInTheWay`` with its path.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import io
import os
import shutil
import tempfile
from pathlib import Path

_NO_UNNAMED_FILES = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT}
_AT_FDCWD, _AT_EMPTY_PATH = -100, 0x1000
_libc = ctypes.CDLL(None, use_errno=True)


class DiskFull(OSError):
    """No space left for a file: which, how much it needed, how much was free."""

    def __init__(self, path: Path, needed: int, free: int):
        super().__init__(errno.ENOSPC, "no space left on device", str(path))
        self.path, self.needed, self.free = Path(path), needed, free

    def __str__(self) -> str:
        from .errors import display_path

        return (
            f"{display_path(self.path)}: no space left on device "
            f"({_size(self.needed)} needed, {_size(self.free)} free)"
        )


class FileInTheWay(OSError):
    """A file stands where a folder of the output should be."""

    def __init__(self, path: Path):
        super().__init__(errno.ENOTDIR, "a file stands where a folder should be", str(path))
        self.path = Path(path)

    def __str__(self) -> str:
        from .errors import display_path

        return f"{display_path(self.path)}: a file stands where this folder should be"


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.1f} kB"


def free_space(folder: Path) -> int:
    """Bytes an unprivileged writer may still use in ``folder``'s file system."""
    try:
        stats = os.statvfs(folder)
    except OSError:
        return 0
    return stats.f_bavail * stats.f_frsize


def make_folder(folder: Path) -> None:
    """``mkdir -p``, saying which file stands in the way when one does."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        for parent in [folder, *folder.parents]:
            if parent.exists() and not parent.is_dir():
                raise FileInTheWay(parent) from None
        raise


def _give_name(handle, name: str) -> None:
    """Link an unnamed file to ``name``: linkat(AT_EMPTY_PATH), else through /proc (which
    some kernels refuse across their mounts), else a copy under that name."""
    if _libc.linkat(handle.fileno(), b"", _AT_FDCWD, os.fsencode(name), _AT_EMPTY_PATH) == 0:
        return
    try:
        os.link(f"/proc/self/fd/{handle.fileno()}", name, follow_symlinks=True)
    except OSError:
        with open(handle.fileno(), "rb", closefd=False) as source, open(name, "wb") as copy:
            source.seek(0)
            shutil.copyfileobj(source, copy)


@contextlib.contextmanager
def atomic_output(path: Path):
    """A binary file whose content replaces ``path`` only when the ``with`` block succeeds.
    Raises ``DiskFull`` or ``FileInTheWay``, leaving ``path`` as it was."""
    make_folder(path.parent)
    buffer = io.BytesIO()
    yield buffer
    data = buffer.getbuffer()
    try:
        _write(path, data)
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(path, len(data), free_space(path.parent)) from None
        raise
    finally:
        data.release()


def _write(path: Path, data) -> None:
    named: str | None = None
    try:
        fd = os.open(path.parent, os.O_TMPFILE | os.O_RDWR, 0o644)
    except OSError as error:
        if error.errno not in _NO_UNNAMED_FILES:
            raise
        fd, named = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if named is None:
                named = str(path.with_name(f".{path.name}.{os.getpid()}.tmp"))
                _give_name(handle, named)
        os.replace(named, path)
    finally:
        if named is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(named)


def write_bytes_atomically(path: Path, data: bytes) -> None:
    with atomic_output(path) as handle:
        handle.write(data)


def write_text_atomically(path: Path, text: str) -> None:
    write_bytes_atomically(path, text.encode("utf-8"))
