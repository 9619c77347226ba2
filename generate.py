#!/usr/bin/env python3
"""Generate translated, print-ready anti-trafficking materials into output/<lang>/<material>.pdf.

python generate.py                      every material in every language
python generate.py --lang so --lang hmn only Somali and Hmong
python generate.py --material flyer     only the flyer
python generate.py serve                the same in a browser: http://127.0.0.1:8000/
python generate.py batch ORGS_DIR       one set per organisation file of ORGS_DIR
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from materialgen import PROJECT_ROOT, translate
from materialgen.cli import generate, generate_batch
from materialgen.project import Project
from materialgen.render import Options

#: What print shops usually ask for (1/8 in, 3.175 mm, in the US: --bleed 3.175).
PRINT_SHOP_BLEED_MM = 3.0


def executor_name(text: str) -> str:
    if text in ("local", "dask-local") or (text.startswith("dask://") and ":" in text[7:]):
        return text
    raise argparse.ArgumentTypeError(
        f"'{text}' is not local, dask-local or dask://HOST:PORT (e.g. dask://10.0.0.5:8786)"
    )


def parse_args(argv: list[str] | None, batch: bool = False) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="generate.py batch" if batch else "generate.py",
        description="Build the wallet cards, card sheets, discreet cards, flyers (also with "
        "tear-off tabs) and posters, in every language "
        "of locales/languages.yaml, into output/<lang>/<material>.pdf. Each document is checked "
        "before it is written (text inside its boxes, every glyph from the project's fonts, "
        "hotline numbers present); a document that fails is not written. A document whose "
        "inputs did not change since it was written is up to date and not built again.",
        epilog="Translators' commands: generate.py {extract,add-language,update,status,check,"
        "review,watch} --help (see TRANSLATING.md). In a browser: generate.py serve --help.",
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
        help="build only this material (repeatable): wallet-card, wallet-card-sheet, safety-card, "
        "flyer, flyer-tabs, poster",
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
    if batch:
        parser.description = (
            "A coalition's batch: one set of documents per organisation file of ORGS_DIR, "
            "into output/<file stem>/<lang>/<material>.pdf, with a zip per organisation and "
            "one gallery; documents that do not show the organisation (the discreet card) are "
            "built once per language and shared. An organisation file that fails does not "
            "stop the others."
        )
        parser.add_argument("orgs_dir", type=Path, metavar="ORGS_DIR")
    else:
        parser.add_argument(
            "--organisation",
            type=Path,
            metavar="FILE",
            help="local organisation block to print (default: "
            "materials/local-organisation.yaml when it exists)",
        )
    parser.add_argument(
        "--print-shop",
        action="store_true",
        help="for a print shop: single cards, flyers and posters get a 3 mm bleed and crop "
        "marks outside it (TrimBox = the paper size, BleedBox = trim + bleed, MediaBox = "
        "room for the marks); the card sheet keeps its own cut marks",
    )
    parser.add_argument(
        "--bleed",
        type=float,
        metavar="MM",
        help="bleed around single cards, flyers and posters, e.g. 3.175 for 1/8 in "
        "(default: 3 with --print-shop, else 0)",
    )
    parser.add_argument(
        "--archive",
        action="store_true",
        help="write PDF/A-2a (archival; still tagged PDF/UA-1) instead of tagged PDF/UA-1; "
        "its date comes from SOURCE_DATE_EPOCH, else from the newest 'verified' date",
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
        default=os.cpu_count() or 1,
        metavar="N",
        help=f"documents built at once (default: one per core, here {os.cpu_count() or 1})",
    )
    parser.add_argument(
        "--executor",
        default="local",
        type=executor_name,
        metavar="WHERE",
        help="where documents are built: local (this machine's cores, the default), "
        "dask-local (a Dask cluster on this machine), or dask://HOST:PORT (an existing Dask "
        "cluster whose workers have this project at the same path; see README)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="build every document, even those whose inputs did not change since output/ "
        "was written (see output/manifest.json)",
    )
    parser.add_argument(
        "--no-previews",
        action="store_true",
        help="skip the PNG previews of output/<lang>/preview/ (faster)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    args = parser.parse_args(argv)
    if args.bleed is None:
        args.bleed = PRINT_SHOP_BLEED_MM if args.print_shop else 0.0
    if args.bleed < 0 or (args.print_shop and args.bleed == 0):
        parser.error("--bleed: a print shop needs a bleed above 0 mm (3 is usual)")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in translate.COMMANDS:
        return translate.main(argv)
    if argv and argv[0] == "serve":
        from materialgen.web.server import main as serve

        return serve(argv[1:])
    batch = bool(argv) and argv[0] == "batch"
    args = parse_args(argv[1:] if batch else argv, batch)
    project = Project(args.project.resolve(), args.output)
    poster_override = None
    if args.poster_languages is not None:
        poster_override = [
            code.strip() for code in args.poster_languages.split(",") if code.strip()
        ]
    options = Options(
        paper=args.paper,
        bleed_mm=args.bleed,
        print_shop=args.print_shop,
        archive=args.archive,
        safe_mm=args.safe_margin,
        debug=args.debug,
        previews=not args.no_previews,
    )
    shared = dict(
        langs=args.lang,
        materials=args.material,
        options=options,
        poster_override=poster_override,
        jobs=args.jobs,
        force=args.force,
        executor=args.executor,
    )
    if batch:
        return generate_batch(project, args.orgs_dir, **shared)
    return generate(project, organisation=args.organisation, **shared)


if __name__ == "__main__":
    sys.exit(main())
