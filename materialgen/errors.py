"""The one error type users see: a message tied to a file and, where known, a line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass
class InputError(Exception):
    """Bad input, reported compiler-style as ``path:line: message``."""

    message: str
    path: Path | str | None = None
    line: int | None = None

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        location = display_path(self.path)
        if self.line is not None:
            location += f":{self.line}"
        return f"{location}: {self.message}"

    @property
    def errors(self) -> list[InputError]:
        """As ``InputErrors.errors``: one ``except (InputError, InputErrors)`` takes both."""
        return [self]


class InputErrors(Exception):
    """Several input errors found in one pass, reported together before aborting once."""

    def __init__(self, errors: list[InputError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def display_path(path: Path | str) -> str:
    """A path relative to the working directory when it lies below it, else as given.

    Links are not followed: a link in a copy of the project that leads into the working
    directory must show where it is, not the file it leads to (nor fail on a link loop).
    """
    path = Path(path)
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except ValueError:
        return str(path)
