"""PNG previews of PDF pages (pypdfium2), for people to look at what was printed.

The build writes small ones for the report; for a close look at a script, render larger:

    .venv/bin/python -m materialgen.preview --dpi 300 /tmp/look output/my/wallet-card.pdf
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .files import atomic_output


def render_pages(pdf: Path, target_dir: Path, dpi: int = 100) -> list[Path]:
    """Write ``<stem>-<page>.png`` for each page of ``pdf`` into ``target_dir``."""
    import pypdfium2

    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        for index in range(len(document)):
            page = document[index]
            path = target_dir / f"{pdf.stem}-{index + 1}.png"
            with atomic_output(path) as handle:
                page.render(scale=dpi / 72).to_pil().save(handle, format="PNG")
            written.append(path)
            page.close()
    finally:
        document.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render PDF pages to PNG.")
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("target", type=Path, help="folder for the PNG files")
    parser.add_argument("pdf", type=Path, nargs="+")
    args = parser.parse_args(argv)
    for pdf in args.pdf:
        for path in render_pages(pdf, args.target, args.dpi):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
