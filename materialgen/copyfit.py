"""Copyfitting: the largest type scale at which each frame's text fits its box.

A translation longer than the English shrinks its frame's type, down to the floor the
template declares; a frame with room to spare and a ceiling above 1 (posters) grows. The
search lays the document out at trial scales through an ``attempt`` function and reads the
fit problems of each layout; the glyph-level checks run once, on the layout it settles on.

Each layout costs as much as a bare WeasyPrint render, so the search estimates instead of
halving blindly: it measures how full each frame is (``checks.frame_fill``) and scales by
the root of that, since a paragraph's height grows with about the square of its type size
(more lines, each taller); from the second layout on it learns the real exponent. A build
that remembers the scales chosen last time starts from them, and one layout confirms them
when the text did not get shorter.
"""

from __future__ import annotations

import dataclasses
import math

from .checks import Problem, frame_fill, frame_limits, frame_starts

#: A frame is fitted once its largest fitting scale is known to within this: 5 % of 8.5 pt is
#: 0.4 pt, which no reader sees without the other version beside it. Finer costs a layout
#: or two more per document (each as dear as a bare WeasyPrint render).
STEP = 0.05
#: A frame this full is full: what is left is less than a line or two, and a larger type
#: would rarely fit (the next line of a flyer or poster is often a whole row of blocks,
#: which moves to a new page at once).
FULL = 0.93
#: Fill the estimate aims at: inside the frame, by about half a line.
TARGET = 0.965
#: A fresh build predicts each frame's scale from its text before the first layout
#: (predict.py). It aims a little lower than TARGET, since a prediction that overflows costs
#: a layout, and takes that first layout when it fits and is PREDICTED_FULL full: predictions
#: are off by 2 to 5 % of fill, and a window of 0.93 to 1 would mean a second layout for a
#: third of the documents. After that first layout the search aims with the prediction's
#: curve (``copyfit(curves=...)``). Measured on a fresh build of the 17 languages (95
#: laid-out documents): 1.19 layouts per document (1.81 from the declared starts, 1.22 with
#: a prediction that broke lines inside phone numbers and inline blocks and set every line
#: as tall as its tallest text); the scales chosen 0.002 smaller on average than with that
#: earlier prediction, 1 frame of 209 more than a STEP smaller (0.053). With the example
#: organisation, predicted from the calibration made with it: 148 layouts for the same 95
#: documents (1.56) instead of 194 (2.04).
PREDICTED_TARGET = 0.95
PREDICTED_FULL = 0.90
#: How a frame's fill grows with its type scale, until two layouts have measured it:
#: between 1 (lines too short to wrap: only their height grows) and 2 (paragraphs: more
#: lines, each taller). Lower errs towards fitting when shrinking.
EXPONENT = 1.2
#: The share of an overflow measured across a page break that is real (measured on the
#: flyers and posters of the 17 languages: 3 % to 19 % of it is room left by a moved block).
SPILLED_OVERFLOW = 0.7
MAX_LAYOUTS = 12


@dataclasses.dataclass
class Fitted:
    """A document laid out at the type scales copyfitting chose."""

    document: object
    problems: list
    warnings: list[str]
    fits: dict[str, float]  # frame -> scale; empty when there is nothing to fit
    fills: dict[str, float]  # frame -> fill at that scale, for the next build to start from
    hopeless: set[str]  # frames that do not fit even at their floor
    limits: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    steps: tuple[str, ...] = ()  # the adaptation steps it was laid out with (adapt.py)


@dataclasses.dataclass
class _Frame:
    """The search for one frame's scale: what is known to fit, to fail, and measured."""

    floor: float
    ceiling: float
    fit_at: float | None = None  # largest scale known to fit
    fail_at: float | None = None  # smallest scale known not to fit
    #: (scale, fill, clean) of each layout; not clean: measured across a page break, which
    #: moves a whole line or block at once, so it errs on the long side
    points: list = dataclasses.field(default_factory=list)
    chosen: float | None = None
    #: the fill predicted at any scale (predict.py), when the search started from it
    curve: object = None

    def observe(
        self, scale: float, fits: bool, measured, remembered: float | None, full: float = FULL
    ):
        """Learn from a layout at ``scale``: ``measured`` is (fill, spilled) or None;
        ``full``: the fill at which a frame that fits is taken as it is."""
        fill, spilled = measured or (None, False)
        if fits:
            self.fit_at = scale if self.fit_at is None else max(self.fit_at, scale)
        else:
            self.fail_at = scale if self.fail_at is None else min(self.fail_at, scale)
        if fill is not None and fill > 0:
            self.points.append((scale, fill, not spilled))
        if fits and scale >= self.ceiling - 1e-9:
            self.chosen = scale
        elif not fits and scale <= self.floor + 1e-9:
            self.chosen = self.floor
        elif self.fit_at is not None and self.fail_at is not None and self._bracketed():
            self.chosen = self.fit_at
        # Full, or no emptier than when this scale was chosen before: a larger type would
        # not fit either.
        full = fill is not None and (
            fill >= full or (remembered is not None and fill >= remembered - 0.005)
        )
        if self.chosen is None and fits and full:
            self.chosen = scale

    def _bracketed(self) -> bool:
        return self.fail_at - self.fit_at <= STEP + 1e-9

    def next_scale(self) -> float:
        """The next scale to try: estimated from the fill measured last, kept strictly inside
        what is known to fit and to fail; the middle when the estimate says nothing new."""
        low = self.fit_at if self.fit_at is not None else self.floor
        high = self.fail_at if self.fail_at is not None else self.ceiling
        estimate = None
        if self.points:
            # Fill grows with scale as a power: from the last two layouts, learn the power;
            # then aim from the latest clean measure (or the latest at all).
            last = self.points[-1]
            exponent = EXPONENT
            other = next(
                (p for p in reversed(self.points[:-1]) if abs(p[0] - last[0]) > 1e-6), None
            )
            if other and abs(other[1] - last[1]) > 1e-6:
                measured = math.log(last[1] / other[1]) / math.log(last[0] / other[0])
                exponent = min(max(measured, 0.8), 2.5)
            scale, fill, clean = next((p for p in reversed(self.points) if p[2]), last)
            if not clean:
                # Measured across a page break, the overflow errs long: part of it is the
                # room a moved block left at the bottom of the page.
                fill = 1 + (fill - 1) * SPILLED_OVERFLOW
            estimate = scale * (TARGET / fill) ** (1 / exponent)
            if self.curve is not None:
                # The prediction's own curve, set line by line, knows where a line breaks
                # in two (a power law does not): aim with it, corrected by the fill measured.
                ratio = fill / max(self.curve(scale), 1e-6)
                estimate = largest_scale(
                    self.floor, self.ceiling, lambda s: ratio * self.curve(s) <= TARGET
                )
        margin = STEP / 4  # every trial a little inside what is known, so it teaches something
        if self.fit_at is not None and self.fail_at is not None:
            if estimate is None or not low + margin <= estimate <= high - margin:
                estimate = (low + high) / 2
        elif self.fail_at is not None:  # shrinking, nothing fitted yet
            if estimate is None:
                estimate = (self.floor + self.fail_at) / 2
            estimate = min(estimate, self.fail_at - STEP)
        elif self.fit_at is not None:  # growing, nothing failed yet
            if estimate is None:
                estimate = (self.fit_at + self.ceiling) / 2
            estimate = max(estimate, self.fit_at + STEP)
        return round(min(max(estimate, self.floor), self.ceiling), 4)


def largest_scale(floor: float, ceiling: float, good) -> float:
    """The largest scale, in steps of a fifth of STEP down from ``ceiling``, for which
    ``good(scale)`` holds; ``floor`` when none does."""
    scale = ceiling
    while scale > floor + 1e-9 and not good(scale):
        scale = max(floor, scale - STEP / 5)
    return scale


def copyfit(
    attempt,
    start: dict[str, float] | None = None,
    remembered=None,
    first_full: dict[str, float] | None = None,
    curves: dict | None = None,
) -> Fitted:
    """Lay out with the largest type scale of each frame, within its limits, that fits.

    ``attempt(fits)`` lays the document out at the given frame scales and returns
    ``(document, problems, warnings)``. ``start``: the scales to try first (last build's,
    or predicted from the text); ``remembered``: the fill each frame had at them;
    ``first_full``: per frame, how full it must be for its first layout to be taken (lower
    for a predicted start: Prediction.full; FULL for a frame it does not name);
    ``curves``: per frame, the fill its prediction expects at any scale, which the search
    then aims with. All frames are searched at once, each layout telling every frame
    whether it fits, so a card whose front is too long keeps its back at full size. A
    problem no frame owns (text spilling outside every frame) counts against all of them.
    """
    start = dict(start or {})
    remembered = remembered or {}
    document, problems, warnings = attempt(start)
    limits = frame_limits(document)
    if not limits:
        return Fitted(document, problems, warnings, {}, {}, set())
    # What the first layout used: the remembered scales, else each frame's declared start.
    rendered = {**frame_starts(document), **start}
    rendered = {frame: rendered.get(frame, 1.0) for frame in limits}
    trial = {
        frame: min(max(rendered[frame], floor), ceiling)
        for frame, (floor, ceiling) in limits.items()
    }
    if trial != rendered:
        document, problems, warnings = attempt(trial)
    curves = curves or {}
    frames = {
        frame: _Frame(floor, ceiling, curve=curves.get(frame))
        for frame, (floor, ceiling) in limits.items()
    }
    layouts = 1
    fitting = None  # the last layout in which every frame fitted, and its scales
    while True:
        too_long = _failing(problems, limits)
        if not too_long:
            fitting = (dict(trial), document, problems, warnings)
        fills = frame_fill(document)
        for name, frame in frames.items():
            if frame.chosen is None:
                remembered_fill = remembered.get(name) if trial[name] == start.get(name) else None
                full = (first_full or {}).get(name, FULL) if layouts == 1 else FULL
                frame.observe(
                    trial[name], name not in too_long, fills.get(name), remembered_fill, full
                )
        if all(frame.chosen is not None for frame in frames.values()) or layouts >= MAX_LAYOUTS:
            break
        trial = {
            name: frame.chosen if frame.chosen is not None else frame.next_scale()
            for name, frame in frames.items()
        }
        document, problems, warnings = attempt(trial)
        layouts += 1
    chosen = {
        name: frame.chosen if frame.chosen is not None else (frame.fit_at or frame.floor)
        for name, frame in frames.items()
    }
    if chosen != trial:
        if fitting and fitting[0] == chosen:
            document, problems, warnings = fitting[1:]
        else:
            document, problems, warnings = attempt(chosen)
    hopeless = _failing(problems, limits) & {
        name for name, (floor, _) in limits.items() if chosen[name] <= floor + 1e-9
    }
    fills = {name: fill for name, (fill, _) in frame_fill(document).items()}
    return Fitted(document, problems, warnings, chosen, fills, hopeless, limits)


def _failing(problems, limits) -> set[str]:
    """The frames a layout's fit problems belong to."""
    names = {p.frame for p in problems if p.fit}
    if len(names) > 1:
        names.discard(None)  # "too many pages" is explained by the frame that spilled
    return set(limits) if None in names or not names <= limits.keys() else names


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
