"""The project's fonts: pinned files, prepared once, and the only ones rendering can see.

``prepare`` (run by setup.sh) copies each file of templates/fonts.yaml from its Debian package
into templates/fonts/, refusing a file whose SHA-256 differs from the pinned one, and takes a
single face out of a .ttc collection (WeasyPrint's @font-face always takes face 0).

``isolate`` points fontconfig at a configuration with no font directories, so the only fonts a
render can use are the @font-face rules written by ``font_face_css``: a character they do not
cover becomes a .notdef glyph that the print check catches, never a silent system fallback.
It must run before WeasyPrint (and so fontconfig) is first imported.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import shutil
import sys
import warnings
from pathlib import Path

from .errors import InputError, InputErrors
from .files import write_text_atomically
from .schema import Location, field, matches, read_records


@dataclasses.dataclass(kw_only=True)
class FontFile:
    """One font file of templates/fonts.yaml."""

    family: str = field("CSS font-family name, used by the language table")
    weight: int = field("CSS font-weight of this file: 400 regular, 700 bold")
    package: str = field("Debian package that installs the file")
    path: str = field("where the package installs the file")
    sha256: str = field(
        "SHA-256 of that file: the pinned version",
        check=matches(r"[0-9a-f]{64}", "a SHA-256 in hex"),
    )
    face: int | None = field(
        "index of the face in a .ttc collection; the prepared file holds that face alone",
        default=None,
    )
    where: Location | None = None

    @property
    def prepared_name(self) -> str:
        stem = Path(self.path).stem
        if self.face is not None:
            return f"{stem}-face{self.face}.otf"
        return Path(self.path).name


def load_fonts(path: Path) -> list[FontFile]:
    return read_records(path, "fonts", FontFile, lambda font: (font.family, font.weight))


def missing_prepared(fonts: list[FontFile], fonts_dir: Path) -> list[FontFile]:
    return [font for font in fonts if not (fonts_dir / font.prepared_name).is_file()]


def font_face_css(fonts: list[FontFile], families: set[str]) -> str:
    """@font-face rules for the given families, with URLs relative to templates/."""
    rules = []
    for font in fonts:
        if font.family in families:
            rules.append(
                f'@font-face {{ font-family: "{font.family}"; font-weight: {font.weight}; '
                f'src: url("fonts/{font.prepared_name}"); }}'
            )
    return "\n".join(rules)


def isolate(fonts_dir: Path) -> None:
    """Make fontconfig see no font on the machine (see the module docstring)."""
    cache_dir = fonts_dir / "cache"
    cache_dir.mkdir(parents=True, exist_ok=True)
    conf = fonts_dir / "fonts.conf"
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        "<!-- No <dir>: only the @font-face files of the materials are visible. -->\n"
        f"<fontconfig><cachedir>{cache_dir}</cachedir></fontconfig>\n"
    )
    if not conf.is_file() or conf.read_text() != text:
        write_text_atomically(conf, text)
    os.environ["FONTCONFIG_FILE"] = str(conf)
    os.environ.pop("FONTCONFIG_PATH", None)
    # WeasyPrint announces at import that fontconfig has no fonts: that is the point here.
    warnings.filterwarnings("ignore", message="No fonts configured in FontConfig")


def prepare(fonts: list[FontFile], fonts_dir: Path, strict: bool = False) -> list[str]:
    """Copy (or extract) every pinned font into ``fonts_dir``; return what was done.

    A file that is not the pinned version (another distribution's package, a newer Debian)
    is an error with ``strict``; otherwise it is used with a warning: the print check still
    proves every glyph is there, but the output may differ from what was tested.
    """
    fonts_dir.mkdir(parents=True, exist_ok=True)
    errors, done = [], []
    for font in fonts:
        target = fonts_dir / font.prepared_name
        source = Path(font.path)
        line = font.where.line
        if not source.is_file():
            errors.append(
                InputError(
                    f"{font.path} is missing: install the Debian package {font.package}",
                    font.where.path,
                    line,
                )
            )
            continue
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        if digest != font.sha256:
            mismatch = InputError(
                f"{font.path} is not the pinned version (SHA-256 {digest[:12]}..., expected "
                f"{font.sha256[:12]}...): check the package version, then update the pin",
                font.where.path,
                font.where.of("sha256"),
            )
            if strict:
                errors.append(mismatch)
                continue
            done.append(f"warning: {mismatch}; using it anyway")
        if target.is_file():
            continue
        tmp = target.with_name(target.name + ".tmp")
        if font.face is None:
            shutil.copyfile(source, tmp)
        else:
            from fontTools.ttLib import TTCollection

            collection = TTCollection(str(source))
            collection.fonts[font.face].save(str(tmp))
        tmp.replace(target)
        done.append(f"prepared {target.name} ({font.family} {font.weight})")
    if errors:
        raise InputErrors(errors)
    return done


def main(argv: list[str] | None = None) -> int:
    from . import PROJECT_ROOT

    parser = argparse.ArgumentParser(description="Prepare the pinned fonts in templates/fonts/.")
    parser.add_argument(
        "--strict", action="store_true", help="refuse font files that are not the pinned versions"
    )
    args = parser.parse_args(argv)
    try:
        fonts = load_fonts(PROJECT_ROOT / "templates" / "fonts.yaml")
        for line in prepare(fonts, PROJECT_ROOT / "templates" / "fonts", args.strict):
            print(line)
    except (InputError, InputErrors) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"fonts ready: {len(fonts)} files in templates/fonts/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
