"""The copyfitting search, on model frames: it must find the largest scale that fits (within
its step), grow into room, stop at the floor, confirm remembered scales in one layout, and
always end, whatever the frames do. Real layouts are covered by the full build's tests."""

from __future__ import annotations

import dataclasses
import math

import pytest

from materialgen import copyfit as copyfit_module
from materialgen.checks import Problem
from materialgen.copyfit import STEP, copyfit


@dataclasses.dataclass
class ModelFrame:
    """A frame whose content takes ``lines`` lines of height ``scale``: fill jumps a whole
    line at a time, like a card face; ``spill`` makes overflow move to a new page."""

    words: float  # width of the text, in frame widths at scale 1
    line: float  # height of one line at scale 1, in frame heights
    floor: float = 0.8
    ceiling: float = 1.0
    spill: bool = False
    start: float = 1.0  # where the template starts the search (data-fit-start)

    def fill(self, scale: float) -> float:
        lines = math.ceil(self.words * scale - 1e-9)
        return lines * self.line * scale

    def fits(self, scale: float) -> bool:
        return self.fill(scale) <= 1 + 1e-9


class Document:
    def __init__(self, frames, trial):
        self.frames, self.trial = frames, trial


def model(monkeypatch, frames: dict[str, ModelFrame]):
    """An attempt function over model frames, with the checks' measures patched to read them."""
    layouts = []

    def attempt(fits):
        trial = {name: fits.get(name, frame.start) for name, frame in frames.items()}
        layouts.append(trial)
        problems = [
            Problem("overflow", "does not fit", frame=name)
            for name, frame in frames.items()
            if not frame.fits(trial[name])
        ]
        return Document(frames, trial), problems, []

    monkeypatch.setattr(
        copyfit_module,
        "frame_limits",
        lambda document: {name: (f.floor, f.ceiling) for name, f in document.frames.items()},
    )
    monkeypatch.setattr(
        copyfit_module,
        "frame_starts",
        lambda document: {name: f.start for name, f in document.frames.items()},
    )
    monkeypatch.setattr(
        copyfit_module,
        "frame_fill",
        lambda document: {
            name: (f.fill(document.trial[name]), f.spill and not f.fits(document.trial[name]))
            for name, f in document.frames.items()
        },
    )
    return attempt, layouts


def largest_fitting(frame: ModelFrame) -> float:
    scale = frame.ceiling
    while scale > frame.floor and not frame.fits(scale):
        scale -= 0.0005
    return max(scale, frame.floor)


CASES = {
    "fits-as-designed": ModelFrame(words=3.2, line=0.2),
    "a-little-long": ModelFrame(words=5.5, line=0.17),
    "long": ModelFrame(words=6.5, line=0.18, floor=0.7),
    "long-spilling": ModelFrame(words=6.5, line=0.18, floor=0.7, spill=True),
    "room-to-grow": ModelFrame(words=4.0, line=0.12, ceiling=1.5),
    "room-to-grow-spilling": ModelFrame(words=4.0, line=0.12, ceiling=1.5, spill=True),
    "one-long-line": ModelFrame(words=0.95, line=1.05),
    "started-below": ModelFrame(words=6.5, line=0.18, floor=0.7, start=0.85),
    "started-below-with-room": ModelFrame(words=4.0, line=0.12, ceiling=1.5, start=0.9),
}


@pytest.mark.parametrize("name", CASES)
def test_finds_the_largest_scale_that_fits(monkeypatch, name):
    frame = CASES[name]
    attempt, layouts = model(monkeypatch, {"frame": frame})
    fitted = copyfit(attempt)
    chosen = fitted.fits["frame"]
    best = largest_fitting(frame)
    assert frame.fits(chosen)
    assert frame.floor <= chosen <= frame.ceiling
    # Within a step of the best; or its frame is full (fill as measured, at least 95 %).
    assert chosen >= best - STEP or frame.fill(chosen) >= copyfit_module.FULL
    assert fitted.hopeless == set()
    assert fitted.document.trial["frame"] == chosen, "the document returned is at the scale"
    assert len(layouts) <= 6, layouts
    assert len({tuple(t.items()) for t in layouts}) == len(layouts), "a scale tried twice"


def test_a_frame_that_cannot_fit_stops_at_its_floor(monkeypatch):
    frame = ModelFrame(words=9, line=0.3, floor=0.8)
    attempt, layouts = model(monkeypatch, {"frame": frame})
    fitted = copyfit(attempt)
    assert fitted.fits == {"frame": 0.8}
    assert fitted.hopeless == {"frame"}
    assert len(layouts) <= 4


def test_frames_are_fitted_each_on_its_own(monkeypatch):
    frames = {"front": ModelFrame(words=6.5, line=0.18, floor=0.7), "back": ModelFrame(3, 0.2)}
    attempt, _ = model(monkeypatch, frames)
    fitted = copyfit(attempt)
    assert fitted.fits["back"] == 1.0
    assert fitted.fits["front"] < 1.0 and frames["front"].fits(fitted.fits["front"])


def test_remembered_scales_are_confirmed_in_one_layout(monkeypatch):
    frame = ModelFrame(words=6.5, line=0.18, floor=0.7)
    attempt, layouts = model(monkeypatch, {"frame": frame})
    first = copyfit(attempt)
    layouts.clear()
    again = copyfit(attempt, first.fits, first.fills)
    assert again.fits == first.fits
    assert len(layouts) == 1


def test_remembered_scales_are_searched_again_when_the_text_changed(monkeypatch):
    frame = ModelFrame(words=6.5, line=0.18, floor=0.7)
    attempt, _ = model(monkeypatch, {"frame": frame})
    first = copyfit(attempt)
    shorter = ModelFrame(words=4.5, line=0.18, floor=0.7)
    attempt, _ = model(monkeypatch, {"frame": shorter})
    again = copyfit(attempt, first.fits, first.fills)
    assert again.fits["frame"] >= largest_fitting(shorter) - STEP
    longer = ModelFrame(words=8, line=0.18, floor=0.7)
    attempt, _ = model(monkeypatch, {"frame": longer})
    again = copyfit(attempt, first.fits, first.fills)
    assert longer.fits(again.fits["frame"])


def test_a_remembered_scale_outside_the_limits_is_clamped(monkeypatch):
    frame = ModelFrame(words=3.2, line=0.2, floor=0.9)
    attempt, layouts = model(monkeypatch, {"frame": frame})
    fitted = copyfit(attempt, {"frame": 0.5, "gone": 0.7})
    assert fitted.fits == {"frame": 1.0}


def test_a_predicted_curve_aims_past_a_line_break(monkeypatch):
    """From a predicted start, the search aims with the prediction's curve (which, set line
    by line, knows where a line breaks in two) rather than a power law: a frame whose first
    layout fits with a line's room left, the next line not fitting a step larger, is settled
    in two layouts instead of three, at the same scale. The curve is 3 % off, as
    predictions are."""
    frame = ModelFrame(words=3.3, line=0.3, floor=0.7)
    start, full = {"frame": 0.9}, {"frame": copyfit_module.PREDICTED_FULL}
    assert frame.fits(0.9) and frame.fill(0.9) < copyfit_module.PREDICTED_FULL
    counts = []
    for curves in (None, {"frame": lambda scale: frame.fill(scale) * 0.97}):
        attempt, layouts = model(monkeypatch, {"frame": frame})
        fitted = copyfit(attempt, start, None, full, curves)
        assert fitted.fits["frame"] >= largest_fitting(frame) - STEP
        assert frame.fits(fitted.fits["frame"])
        counts.append(len(layouts))
    assert counts == [3, 2]
