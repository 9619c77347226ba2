"""What a run tells its users on the terminal: a line per document, notes per language, and
the timings. The page coordinators open in a browser is output/index.html (gallery.py)."""

from __future__ import annotations

from .errors import display_path


def result_line(result) -> str:
    lang = f"{result.org}/{result.lang}" if getattr(result, "org", None) else result.lang
    name = f"{lang:<7} {result.material:<18}"
    if not result.ok:
        return f"FAIL  {name} not written\n" + "\n".join(f"        {p}" for p in result.problems)
    pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
    adapted = "".join(f", {says}" for says in result.adaptations)
    return (
        f"ok    {name} {display_path(result.path)}  {pages}, {type_sizes(result.fits)}{adapted}, "
        f"{result.seconds:.1f} s"
    )


def type_sizes(fits: dict[str, float]) -> str:
    """Copyfitting's choice: "type 100%", or the frames it scaled."""
    scaled = {frame: scale for frame, scale in fits.items() if round(scale, 2) != 1}
    if not scaled:
        return "type 100%"
    return "type " + ", ".join(f"{scale:.0%} ({frame})" for frame, scale in sorted(scaled.items()))


def missing_by_language(results) -> dict[str, dict]:
    missing: dict[str, dict] = {}
    for result in results:
        for (lang, context, message), reason in result.missing.items():
            missing.setdefault(lang, {})[(context, message)] = reason
    return missing


def language_notes(data, results, langs) -> list[str]:
    """Per language: strings that fell back to English, and review status."""
    lines = []
    missing_all = missing_by_language(results)
    for code in langs:
        if code == "en":
            continue
        catalog = data.catalogs.get(code)
        missing = missing_all.get(code, {})
        notes = []
        if catalog is not None and not catalog.reviewed:
            notes.append("machine-drafted, not reviewed")
        if missing:
            notes.append(f"{len(missing)} strings printed in English")
        if not notes:
            continue
        where = display_path(catalog.path) if catalog else ""
        lines.append(f"note: {code}: {'; '.join(notes)} {where}".rstrip())
        for (context, message), reason in sorted(missing.items(), key=str)[:10]:
            label = f"[{context}] " if context else ""
            lines.append(f"        {label}{message[:60]!r}: {reason}")
        if len(missing) > 10:
            lines.append(f"        ... and {len(missing) - 10} more")
    return lines


def timing_line(results, up_to_date: int, wall: float) -> str:
    """The run in one line: documents written, up to date and failed, and what the written
    ones cost (layouts per document: copyfitting's price)."""
    layout = sum(r.timing["layout"] for r in results)
    check = sum(r.timing["check"] for r in results)
    layouts = sum(r.timing["layouts"] for r in results)
    failed = sum(not r.ok for r in results)
    laid_out = sum(bool(r.timing["layouts"]) for r in results)
    written = len(results) - failed
    line = f"{written} written, {up_to_date} up to date, {failed} failed, in {wall:.1f} s"
    if laid_out:
        line += (
            f" ({layouts / laid_out:.2f} layouts per document, {layouts} in all: layout "
            f"{layout:.1f} s, print check {check:.1f} s)"
        )
    return line


class Progress:
    """A progress bar on a terminal: documents done of those to build, and the time left.
    Result lines are written above it."""

    def __init__(self, total: int):
        from tqdm import tqdm

        self.bar = tqdm(
            total=total,
            unit="doc",
            leave=False,
            dynamic_ncols=True,
            bar_format="{bar:30} {n_fmt}/{total_fmt} documents, {elapsed} (about {remaining} left)",
        )

    def advance(self) -> None:
        self.bar.update(1)

    def write(self, line: str) -> None:
        self.bar.write(line)

    def close(self) -> None:
        self.bar.close()
