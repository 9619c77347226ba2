"""PNG previews of PDF pages (pypdfium2), for people to look at what was printed."""

from __future__ import annotations

from pathlib import Path


def render_pages(pdf: Path, target_dir: Path, dpi: int = 100) -> list[Path]:
    """Write ``<stem>-<page>.png`` for each page of ``pdf`` into ``target_dir``."""
    import pypdfium2

    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        for index in range(len(document)):
            page = document[index]
            image = page.render(scale=dpi / 72).to_pil()
            path = target_dir / f"{pdf.stem}-{index + 1}.png"
            image.save(path)
            written.append(path)
            page.close()
    finally:
        document.close()
    return written


if __name__ == "__main__":
    import sys

    for name in sys.argv[2:]:
        for path in render_pages(Path(name), Path(sys.argv[1]), dpi=300 if "card" in name else 110):
            print(path)
