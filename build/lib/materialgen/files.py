"""Writing a file so that no reader ever sees half of it, even if the process is killed.

The data goes to an unnamed file in the target's folder (Linux ``O_TMPFILE``): a process
killed while writing leaves nothing behind, not even a temporary name. Only a complete file
gets a name, by a link and a rename, so a reader sees the old file or the new one. Where the
file system has no unnamed files, a hidden temporary name is used instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import tempfile
from pathlib import Path

_NO_UNNAMED_FILES = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT}
_AT_FDCWD, _AT_EMPTY_PATH = -100, 0x1000
_libc = ctypes.CDLL(None, use_errno=True)


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
    """A binary file whose content replaces ``path`` only when the ``with`` block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    named: str | None = None
    try:
        fd = os.open(path.parent, os.O_TMPFILE | os.O_RDWR, 0o644)
    except OSError as error:
        if error.errno not in _NO_UNNAMED_FILES:
            raise
        fd, named = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
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
