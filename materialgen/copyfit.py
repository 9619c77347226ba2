"""Copyfitting: the largest type scale at which each frame's text fits its box.

A translation longer than the English shrinks its frame's type, down to the floor the
template declares; a frame with room to spare and a ceiling above 1 (posters) grows. The
search lays the document out at trial scales through an ``attempt`` function and reads only
the fit problems of each layout; the glyph-level checks run once, on the layout it settles on.
"""

from __future__ import annotations

import dataclasses

from .checks import Problem


def copyfit(attempt, limits: dict[str, tuple[float, float]], problems):
    """The largest type scale of each frame, within its limits, at which it fits.

    A frame that does not fit at its design size shrinks, down to its floor; one that fits
    and may grow (a ceiling above 1) grows into the room it has. Bisection on one scale per
    frame, all frames at once (each layout tells every frame whether it fits), so a card
    whose front is too long keeps the back at full size. A problem no frame owns (text
    spilling outside every frame) shrinks them all. Returns the document at the chosen
    scales, its warnings, the scales, and the frames that do not fit even at their floor.
    """

    def failing(found) -> set[str]:
        names = {p.frame for p in found if p.fit}
        if len(names) > 1:
            names.discard(None)  # "too many pages" is explained by the frame that spilled
        return set(limits) if None in names or not names <= limits.keys() else names

    too_long = failing(problems)
    bounds = {
        frame: [floor, 1.0] if frame in too_long else [1.0, ceiling]
        for frame, (floor, ceiling) in limits.items()
        if frame in too_long or ceiling > 1
    }
    fits = {frame: low for frame, (low, _) in bounds.items()}
    trial = None
    while any(high - low > 0.02 for low, high in bounds.values()):  # 2 %: not noticeable
        trial = {frame: sum(bound) / 2 for frame, bound in bounds.items()}
        document, problems, warnings = attempt(trial)
        too_long = failing(problems)
        for frame, bound in bounds.items():
            bound[1 if frame in too_long else 0] = trial[frame]
        fits = {frame: bound[0] for frame, bound in bounds.items()}
    # The floor itself is laid out only when bisection ends on it.
    if trial != fits:
        document, problems, warnings = attempt(fits)
    hopeless = failing(problems) & {
        frame for frame, (floor, _) in limits.items() if fits.get(frame) == floor
    }
    return document, warnings, fits, hopeless


def note_floor(problem, fits: dict[str, float], hopeless: set):
    """Say that copyfitting already did what it could for a frame that still does not fit."""
    if not problem.fit or not (problem.frame in hopeless or (problem.frame is None and hopeless)):
        return problem
    scale = fits.get(problem.frame) or min(fits.values())
    note = f"does not fit even with type reduced to {scale:.0%}: shorten the text"
    return dataclasses.replace(problem, message=f"{problem.message} ({note})")


def longest_translation(texts: list[str], sections):
    """Of the translations printed in a frame that does not fit, the one longest against its
    English: usually the one to shorten."""
    best = None
    for section in sections:
        catalog = section.translator.catalog
        if catalog is None:
            continue
        for (_, source), entry in catalog.entries.items():
            printed = " ".join(entry.text.split())
            if (
                entry.text
                and not entry.fuzzy
                and any(" ".join(text.replace("\u200b", "").split()) in printed for text in texts)
            ):
                ratio = len(entry.text) / max(len(source), 1)
                if best is None or ratio > best[0]:
                    best = (ratio, entry, catalog, source)
    if best is None or best[0] < 1.2:
        return None
    ratio, entry, catalog, source = best
    return Problem(
        "overflow",
        f"the longest translation here against its English ({ratio:.1f} times «{source[:40]}»)",
        entry.text,
    )
