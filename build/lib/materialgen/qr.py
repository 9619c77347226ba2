"""QR codes as inline SVG: one filled path, so that layout stays fast and print stays crisp.

The renderer's URL fetcher refuses data: URLs, and an SVG file per address would have to be
written into templates/; inline SVG needs neither. segno makes the code; the path is built
here from its module matrix, one rectangle per run of dark modules in a row (a few hundred
path commands, one element, instead of one element per module).
"""

from __future__ import annotations

import functools

import segno
from markupsafe import Markup, escape

#: Light modules around the code that scanners need (ISO/IEC 18004).
QUIET_ZONE = 4
#: Smallest printed width, quiet zone included, that phone cameras read reliably.
MIN_WIDTH_MM = 15.0


@functools.lru_cache(maxsize=32)
def qr_svg(data: str, width_mm: float) -> Markup:
    """An inline <svg> of ``data`` as a QR code ``width_mm`` wide, quiet zone included. Its
    <title>, the address itself (the same in every language), is what a screen reader
    says for it in the tagged PDF."""
    if width_mm < MIN_WIDTH_MM:
        raise ValueError(f"a QR code must be at least {MIN_WIDTH_MM} mm wide, not {width_mm}")
    code = segno.make_qr(data, error="m")
    runs = []
    for y, row in enumerate(code.matrix_iter(border=QUIET_ZONE)):
        x, row = 0, list(row)
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    size = code.symbol_size(border=QUIET_ZONE)[0]
    return Markup(
        f'<svg class="qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{width_mm:.2f}mm" height="{width_mm:.2f}mm" shape-rendering="crispEdges">'
        f"<title>{escape(data)}</title>"
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
