"""Catalogs written the way GNU gettext writes them, so a translator's tool leaves a clean diff.

Poedit, msgcat and msgmerge write .po files in GNU gettext's layout: lines wrapped at 79
columns by Unicode's line-breaking rules and the characters' display widths (a Burmese vowel
sign takes no column, a Chinese character two), a long reference list split over several
``#:`` lines. Babel's writer wraps differently, so a catalog written by Babel and saved once
by one of those tools changed on almost every long entry. The translator commands therefore
have the text Babel wrote laid out by GNU ``msgcat`` itself, which setup.sh installs with
gettext; what it does not keep is put back:

- flags it does not know: GNU tools keep only ``fuzzy``, the format flags and ``range:``,
  ``wrap``; Weblate's ``max-length:N`` is added back to each entry's ``#,`` line (a catalog
  that went through msgcat or msgmerge has it again after the next ``generate.py update``).
"""

from __future__ import annotations

import re
import shutil
import subprocess

from .errors import InputError

#: GNU gettext's default width, which Poedit keeps.
WIDTH = 79
#: Flags GNU gettext's tools keep when they read and write a catalog.
GNU_FLAG = re.compile(r"fuzzy|(no-)?[\w+-]+-format|(no-)?wrap|range:.*")

_KEYWORD = re.compile(r'^(msgctxt|msgid)\s+"(.*)"\s*$')
_STRING = re.compile(r'^"(.*)"\s*$')
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r", "a": "\a", "b": "\b"}


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(1)), text)


def entry_key(block: list[str]) -> tuple[str | None, str] | None:
    """(msgctxt, msgid) of an entry's lines; None for the header and obsolete entries."""
    context = msgid = None
    current = None
    for line in block:
        match = _KEYWORD.match(line)
        if match:
            current = match.group(1)
            value = unescape(match.group(2))
            if current == "msgctxt":
                context = value
            else:
                msgid = value
            continue
        match = _STRING.match(line)
        if match and current in ("msgctxt", "msgid"):
            if current == "msgctxt":
                context = (context or "") + unescape(match.group(1))
            else:
                msgid = (msgid or "") + unescape(match.group(1))
        elif not line.startswith("#"):
            current = None
    if not msgid:
        return None
    return context, msgid


def gnu_layout(text: str, extra_flags: dict[tuple[str | None, str], list[str]]) -> str:
    """``text``, a valid .po file, as GNU msgcat lays it out, with ``extra_flags`` (flags GNU
    does not keep, by entry) appended to each entry's ``#,`` line."""
    msgcat = shutil.which("msgcat")
    if msgcat is None:
        raise InputError("GNU gettext's msgcat is not installed: run ./setup.sh")
    result = subprocess.run(
        [msgcat, f"--width={WIDTH}", "-"],
        input=text.encode("utf-8"),
        capture_output=True,
        check=False,
        env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"},
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"msgcat refused the catalog it was to lay out: {message[:1]}")
    laid_out = result.stdout.decode("utf-8")
    if not extra_flags:
        return laid_out
    blocks = laid_out.split("\n\n")
    for index, block in enumerate(blocks):
        lines = block.split("\n")
        flags = extra_flags.get(entry_key(lines) or ("", ""))
        if flags:
            blocks[index] = "\n".join(_with_flags(lines, flags))
    return "\n\n".join(blocks)


def _with_flags(lines: list[str], flags: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if line.startswith("#,"):
            lines[index] = line + ", " + ", ".join(flags)
            return lines
    # GNU's order: translator, extracted, reference comments, then flags, then #| lines.
    at = next(
        (i for i, line in enumerate(lines) if not line.startswith(("# ", "#.", "#:")) and line),
        len(lines),
    )
    lines.insert(at, "#, " + ", ".join(flags))
    return lines


def extra_flags_of(catalog) -> dict[tuple[str | None, str], list[str]]:
    """The flags of a Babel catalog's entries that GNU's tools would drop, in a stable order."""
    found = {}
    for message in catalog:
        if not message.id or isinstance(message.id, tuple):
            continue
        extra = sorted(flag for flag in message.flags if not GNU_FLAG.fullmatch(flag))
        if extra:
            found[(message.context, message.id)] = extra
    return found
