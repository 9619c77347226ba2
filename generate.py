#!/usr/bin/env python3
"""Generate translated, print-ready anti-trafficking materials into output/<lang>/<material>.pdf.

python generate.py                      every material in every language
python generate.py --lang so --lang hmn only Somali and Hmong
python generate.py --material flyer     only the flyer
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

from materialgen import PROJECT_ROOT
from materialgen.build import Project, hb_subset_missing, load, run
from materialgen.errors import InputError, InputErrors, display_path
from materialgen.render import Options


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="generate.py",
        description="Build the wallet cards, card sheets, flyers and posters, in every language "
        "of locales/languages.yaml, into output/<lang>/<material>.pdf. Each document is checked "
        "before it is written (text inside its boxes, every glyph from the project's fonts, "
        "hotline numbers present); a document that fails is not written.",
    )
    parser.add_argument(
        "--lang",
        action="append",
        metavar="CODE",
        help="build only this language (repeatable), e.g. --lang so",
    )
    parser.add_argument(
        "--material",
        action="append",
        metavar="ID",
        help="build only this material (repeatable): wallet-card, wallet-card-sheet, flyer, poster",
    )
    parser.add_argument(
        "--paper",
        choices=("us", "a4"),
        default="us",
        help="us: Letter flyers and sheets, 11x17 in posters (default); "
        "a4: A4 flyers and sheets, A3 posters",
    )
    parser.add_argument(
        "--poster-languages",
        metavar="CODES",
        help="comma-separated languages every poster shows beside its own "
        "(default from materials.yaml: en,es); empty for single-language posters",
    )
    parser.add_argument(
        "--organisation",
        type=Path,
        metavar="FILE",
        help="local organisation block to print (default: "
        "materials/local-organisation.yaml when it exists)",
    )
    parser.add_argument(
        "--bleed",
        type=float,
        default=0.0,
        metavar="MM",
        help="bleed around single cards, flyers and posters for a print shop, "
        "e.g. 3 or 3.175 (default 0)",
    )
    parser.add_argument(
        "--safe-margin",
        type=float,
        default=3.0,
        metavar="MM",
        help="no text closer than this to a trim or cut line (default 3)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="DIR",
        help="where to write (default: output/ in the project folder)",
    )
    parser.add_argument(
        "--project",
        type=Path,
        default=PROJECT_ROOT,
        metavar="DIR",
        help="project folder holding materials/, locales/ and templates/ "
        "(default: the folder of generate.py)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        metavar="N",
        help="documents built at once (default: 2, or 1 on a one-core machine)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    project = Project(args.project.resolve(), args.output)
    organisation = args.organisation
    if organisation is None and (project.materials_dir / "local-organisation.yaml").is_file():
        organisation = project.materials_dir / "local-organisation.yaml"
    poster_override = None
    if args.poster_languages is not None:
        poster_override = [
            code.strip() for code in args.poster_languages.split(",") if code.strip()
        ]
    started = time.perf_counter()
    try:
        data = load(project, organisation, [*(args.lang or []), *(poster_override or [])])
        materials = args.material or list(data.content.materials)
        unknown = [m for m in materials if m not in data.content.materials]
        if unknown:
            raise InputError(
                f"unknown material '{unknown[0]}' (known: {', '.join(data.content.materials)})",
                project.materials_dir / "materials.yaml",
            )
    except (InputError, InputErrors) as error:
        if args.debug:
            traceback.print_exc()
        errors = error.errors if isinstance(error, InputErrors) else [error]
        for item in errors:
            print(f"error: {item}", file=sys.stderr)
        print(f"{len(errors)} error(s); nothing was written.", file=sys.stderr)
        return 1

    for warning in data.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if hb_subset_missing():
        print(
            "warning: libharfbuzz-subset is not installed: fonts are subset with fontTools, "
            "which is much slower (run ./setup.sh)",
            file=sys.stderr,
        )
    langs = args.lang or list(data.languages)
    options = Options(
        paper=args.paper, bleed_mm=args.bleed, safe_mm=args.safe_margin, debug=args.debug
    )
    results = []
    for result in run(project, data, langs, materials, options, poster_override, args.jobs):
        results.append(result)
        name = f"{result.lang:<4} {result.material:<18}"
        if result.ok:
            print(
                f"ok    {name} {display_path(result.path)}  {result.pages} pages, "
                f"type {result.scale:.0%}, {result.seconds:.1f} s"
            )
        else:
            print(f"FAIL  {name} not written")
            for problem in result.problems:
                print(f"        {problem}")
    print_language_notes(data, results, langs)
    failed = [r for r in results if not r.ok]
    print(
        f"{len(results) - len(failed)} written, {len(failed)} failed, "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return 1 if failed else 0


def print_language_notes(data, results, langs) -> None:
    """Per language: strings that fell back to English, and review status."""
    for code in langs:
        if code == "en":
            continue
        catalog = data.catalogs.get(code)
        missing = {}
        for result in results:
            for (lang, context, message), reason in result.missing.items():
                if lang == code:
                    missing[(context, message)] = reason
        notes = []
        if catalog is not None and not catalog.reviewed:
            notes.append("machine-drafted, not reviewed")
        if missing:
            notes.append(f"{len(missing)} strings printed in English")
        if not notes:
            continue
        where = display_path(catalog.path) if catalog else ""
        print(f"note: {code}: {'; '.join(notes)} {where}".rstrip())
        for (context, message), reason in sorted(missing.items(), key=str)[:10]:
            label = f"[{context}] " if context else ""
            print(f"        {label}{message[:60]!r}: {reason}")
        if len(missing) > 10:
            print(f"        ... and {len(missing) - 10} more")


if __name__ == "__main__":
    sys.exit(main())
