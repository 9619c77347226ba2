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
import json
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
    sha256: str | list[str] = field(
        "SHA-256 of that file: the pinned version, or a list of them where the reference "
        "releases (Debian 12 and 13) package different versions of it",
        check=matches(r"[0-9a-f]{64}", "a SHA-256 in hex"),
    )
    face: int | None = field(
        "index of the face in a .ttc collection; the prepared file holds that face alone",
        default=None,
    )
    keep: list[str] = field(
        "Unicode ranges the prepared file keeps (hex, like 0000-2FFF), when the language "
        "needs only part of the font: a Korean face without its 21,000 Han characters is "
        "2 MB instead of 16, and every PDF written copies and subsets the whole face. A "
        "character left out fails the print check like any other missing glyph.",
        default=[],
        check=matches(r"[0-9A-F]{4,6}-[0-9A-F]{4,6}", "a range of hex code points like 0000-2FFF"),
    )
    where: Location | None = None

    @property
    def pins(self) -> list[str]:
        return [self.sha256] if isinstance(self.sha256, str) else list(self.sha256)

    @property
    def prepared_name(self) -> str:
        stem, suffix = Path(self.path).stem, Path(self.path).suffix
        if self.face is not None:
            stem, suffix = f"{stem}-face{self.face}", ".otf"
        if self.keep:
            ranges = hashlib.sha256(" ".join(self.keep).encode()).hexdigest()[:8]
            stem = f"{stem}-part-{ranges}"
        return stem + suffix

    @property
    def ranges(self) -> list[tuple[int, int]]:
        return [tuple(int(end, 16) for end in text.split("-")) for text in self.keep]


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

    A file that is none of the pinned versions (another distribution's package, a newer
    Debian) is an error with ``strict``; otherwise it is used with a warning: the print check
    still proves every glyph is there, but the output may differ from what was tested. A
    prepared file is made again when its source changed (the package was upgraded), so that
    every document printed with it is rebuilt.
    """
    fonts_dir.mkdir(parents=True, exist_ok=True)
    errors, done = [], []
    stamps_path = fonts_dir / PREPARED_FROM
    stamps = _read_stamps(stamps_path)
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
        if digest not in font.pins:
            expected = " or ".join(f"{pin[:12]}..." for pin in font.pins)
            mismatch = InputError(
                f"{font.path} is not the pinned version (SHA-256 {digest[:12]}..., expected "
                f"{expected}): check the package version, then update the pin",
                font.where.path,
                font.where.of("sha256"),
            )
            if strict:
                errors.append(mismatch)
                continue
            done.append(f"warning: {mismatch}; using it anyway")
        if target.is_file() and stamps.get(target.name) == digest:
            continue
        tmp = target.with_name(target.name + ".tmp")
        if font.face is None:
            shutil.copyfile(source, tmp)
        else:
            from fontTools.ttLib import TTCollection

            collection = TTCollection(str(source))
            collection.fonts[font.face].save(str(tmp))
        if font.keep:
            tmp.write_bytes(subset(tmp.read_bytes(), font.ranges))
        tmp.replace(target)
        stamps[target.name] = digest
        done.append(f"prepared {target.name} ({font.family} {font.weight})")
    wanted = {font.prepared_name for font in fonts}
    for stale in [*fonts_dir.glob("*.ttf"), *fonts_dir.glob("*.otf")]:
        if stale.name not in wanted:
            stale.unlink()
            done.append(f"removed {stale.name} (no longer in fonts.yaml)")
    stamps = {name: sha for name, sha in stamps.items() if name in wanted}
    if stamps != _read_stamps(stamps_path):
        write_text_atomically(stamps_path, json.dumps(stamps, indent=1, sort_keys=True) + "\n")
    if errors:
        raise InputErrors(errors)
    return done


#: Which source file (its SHA-256) each prepared file was made from.
PREPARED_FROM = "prepared-from.json"


def _read_stamps(path: Path) -> dict[str, str]:
    try:
        stamps = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamps if isinstance(stamps, dict) else {}


HARFBUZZ = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode, void *user_data,
                          void *destroy);
void hb_blob_destroy(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
void hb_face_destroy(hb_face_t *face);
void hb_set_add_range(hb_set_t *set, unsigned int first, unsigned int last);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""


def subset(data: bytes, ranges: list[tuple[int, int]]) -> bytes:
    """The font ``data`` with only the characters in ``ranges`` (and the glyphs their
    shaping needs), by HarfBuzz's subsetter: the library WeasyPrint subsets with."""
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(HARFBUZZ)
    harfbuzz = ffi.dlopen("libharfbuzz.so.0")
    subsetter = ffi.dlopen("libharfbuzz-subset.so.0")
    blob = harfbuzz.hb_blob_create(data, len(data), 1, ffi.NULL, ffi.NULL)  # 1: read-only
    face = harfbuzz.hb_face_create(blob, 0)
    wanted = subsetter.hb_subset_input_create_or_fail()
    try:
        unicodes = subsetter.hb_subset_input_unicode_set(wanted)
        for first, last in ranges:
            harfbuzz.hb_set_add_range(unicodes, first, last)
        part = subsetter.hb_subset_or_fail(face, wanted)
        if part == ffi.NULL:
            raise ValueError("HarfBuzz could not subset the font")
        result = harfbuzz.hb_face_reference_blob(part)
        length = ffi.new("unsigned int *")
        pointer = harfbuzz.hb_blob_get_data(result, length)
        subset_data = ffi.buffer(pointer, length[0])[:]
        harfbuzz.hb_blob_destroy(result)
        harfbuzz.hb_face_destroy(part)
    finally:
        subsetter.hb_subset_input_destroy(wanted)
        harfbuzz.hb_face_destroy(face)
        harfbuzz.hb_blob_destroy(blob)
    return subset_data


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
