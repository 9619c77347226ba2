"""Adapting a document whose text does not fit at its type floor: the material's steps, in
the order materials.yaml declares them, in one loop with copyfitting.

A step is declared once in materials/adaptations.yaml (what it changes, the frames it gives
room to, and the words the build prints for it) and listed by the materials that may take
it, in the order a designer chose: layout alternatives first (the same content arranged
differently), then content steps (something optional left out or said shorter). The
templates read the steps taken as the set ``adapted``.

The loop: copyfit the document as designed; while a frame does not fit even at its floor,
take the next listed step that gives room to that frame and changes the document, and
copyfit again. A step is kept when it gives room (the frame fits, or overflows less) and
makes no other frame hopeless (moving the organisation to the card front must not break
the front); otherwise it is undone and the next one tried. What is never dropped (hotline
numbers, the organisation's name and phone, the warning signs, the draft notice) is not in
any step: the templates keep it in every
arrangement and the print check requires the numbers.

The manifest remembers the steps a document settled on with its scales: a rebuild lays it
out with them at once, and keeps them when that one layout fits as full as before (one
layout). When it no longer fits, or fits with room to spare (a translation got shorter),
the search starts again from the design.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .schema import Location, field, matches, read_records

STEP_ID_CHECK = matches(r"[a-z0-9]+(-[a-z0-9]+)*", "an identifier (lower-case, hyphens)")


@dataclasses.dataclass(kw_only=True)
class Step:
    """One way a material may adapt when its text does not fit at its type floor."""

    id: str = field(
        "name the materials list in their `adapt` and the templates test (`in adapted`)",
        check=STEP_ID_CHECK,
    )
    kind: str = field(
        "layout (the same content arranged differently) or content (something optional "
        "left out or said in its short form)",
        check=matches("layout|content", "layout or content"),
    )
    frames: list[str] = field(
        "the frames (data-frame names in the templates) the step gives room to: it is tried "
        "only when one of them does not fit"
    )
    says: str = field(
        "what the build prints for a document that took the step, and the gallery shows",
        max_length=60,
    )
    always: bool = field(
        "kept whenever it is tried, even when it alone gives no room (the logo: the first "
        "thing a material that adapts gives up); otherwise a step that does not help is undone",
        default=False,
    )
    where: Location | None = None


def load_steps(path: Path) -> dict[str, Step]:
    return {step.id: step for step in read_records(path, "steps", Step)}


@dataclasses.dataclass
class Adapted:
    """Copyfitting's result with the steps it was laid out with."""

    fitted: object  # copyfit.Fitted
    steps: tuple[str, ...]


def adapt(fit, order: list[Step], changes, memory: dict, predicted=None) -> Adapted:
    """Copyfit, taking the steps of ``order`` one by one while a frame cannot fit.

    ``fit(steps, start, remembered)`` copyfits the document laid out with ``steps`` (a
    tuple of ids), starting from the scales ``start`` with the fills ``remembered``;
    ``changes(steps, step)`` says whether adding ``step`` changes the document at all (a
    step about the logo does nothing without one: it costs no layout). ``memory``: the
    manifest's ``fits``, ``fills`` and ``steps`` of the last build; ``predicted``: the
    scales to start from when it remembers none (predict.py).
    """
    declared = {step.id for step in order}
    remembered = tuple(s for s in memory.get("steps") or () if s in declared)
    if remembered:
        fitted = fit(remembered, memory.get("fits"), memory.get("fills"))
        if not fitted.hopeless and _as_before(fitted.fits, memory.get("fits") or {}):
            return Adapted(fitted, remembered)
        fitted = fit((), predicted, None)
    elif memory.get("fits"):
        fitted = fit((), memory.get("fits"), memory.get("fills"))
    else:
        fitted = fit((), predicted, None)
    steps: tuple[str, ...] = ()
    for step in order:
        hopeless = set(fitted.hopeless)
        if not hopeless:
            break
        if not hopeless & set(step.frames) or not changes(steps, step.id):
            continue
        trial = fit((*steps, step.id), fitted.fits, None)
        if set(trial.hopeless) - hopeless or not (step.always or _better(trial, fitted, hopeless)):
            continue  # it moved the problem to another frame, or did not help: undone
        steps, fitted = (*steps, step.id), trial
    return Adapted(fitted, steps)


def _better(trial, fitted, hopeless: set) -> bool:
    """Whether ``trial`` needs less room than ``fitted`` in the frames that did not fit: one
    of them fits now, or together they overflow less (fills above 1)."""
    if set(trial.hopeless) < hopeless:
        return True
    before = sum(fitted.fills.get(frame, 1.0) for frame in hopeless)
    after = sum(trial.fills.get(frame, 1.0) for frame in hopeless)
    return after < before - 1e-4


def _as_before(fits: dict, before: dict) -> bool:
    """Copyfitting settled where it did last time: the text is no shorter than it was."""
    return fits.keys() == before.keys() and all(
        abs(fits[frame] - before[frame]) < 1e-6 for frame in fits
    )


def described(steps, declared: dict[str, Step]) -> list[str]:
    """What the steps taken say, in the order they were taken."""
    return [declared[step].says for step in steps if step in declared]
