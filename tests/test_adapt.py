"""The adaptation loop (materialgen/adapt.py) on its own: steps in the declared order, taken
only while a frame cannot fit, kept only when they give room without breaking another frame;
the remembered steps confirmed in one layout. The layouts are stood in for by a table of
how much each step gives; the real materials are built in test_organisations.py."""

from __future__ import annotations

import dataclasses

from materialgen.adapt import Step, adapt, described


@dataclasses.dataclass
class Fitted:
    fits: dict
    fills: dict
    hopeless: set


def step(ident, frames=("card back",), always=False):
    return Step(id=ident, kind="layout", frames=list(frames), says=ident, always=always)


class Document:
    """A two-frame card: how much too long each frame is at its floor with each set of
    steps (fill above 1: does not fit); every fit call is one copyfitting search."""

    def __init__(self, gives: dict[str, dict[str, float]], back=1.3, front=0.9):
        self.gives, self.base = gives, {"card back": back, "card front": front}
        self.calls: list[tuple] = []

    def fit(self, steps, start, remembered):
        self.calls.append((steps, start, remembered))
        fills = dict(self.base)
        for name in steps:
            for frame, change in self.gives.get(name, {}).items():
                fills[frame] += change
        hopeless = {frame for frame, fill in fills.items() if fill > 1}
        fits = {
            frame: 0.83 if frame in hopeless or fill > 0.95 else 1.0
            for frame, fill in fills.items()
        }
        return Fitted(fits, fills, hopeless)

    def changes(self, steps, ident):
        return ident in self.gives


def test_steps_are_taken_in_order_until_the_frame_fits():
    document = Document(
        {"a": {"card back": -0.2}, "b": {"card back": -0.2}, "c": {"card back": -0.5}}
    )
    result = adapt(document.fit, [step("a"), step("b"), step("c")], document.changes, {})
    assert result.steps == ("a", "b")  # c, last in the order, is not needed
    assert not result.fitted.hopeless


def test_a_step_that_breaks_another_frame_or_gives_nothing_is_undone():
    document = Document(
        {
            "to-front": {"card back": -0.2, "card front": 0.3},  # the front no longer fits
            "nothing": {"card back": 0.0},
            "plain": {"card back": -0.4},
        }
    )
    order = [step("to-front"), step("nothing"), step("plain")]
    result = adapt(document.fit, order, document.changes, {})
    assert result.steps == ("plain",)


def test_an_always_step_is_kept_though_it_alone_gives_nothing():
    document = Document({"no-logo": {"card back": 0.0}, "plain": {"card back": -0.4}})
    order = [step("no-logo", always=True), step("plain")]
    assert adapt(document.fit, order, document.changes, {}).steps == ("no-logo", "plain")


def test_steps_for_other_frames_or_without_effect_cost_no_layout():
    document = Document({"poster-only": {"card back": -1.0}, "plain": {"card back": -0.4}})
    order = [step("poster-only", frames=["poster"]), step("absent"), step("plain")]
    result = adapt(document.fit, order, document.changes, {})
    assert result.steps == ("plain",)
    assert [call[0] for call in document.calls] == [(), ("plain",)]


def test_a_document_that_fits_takes_no_step():
    document = Document({"plain": {"card back": -0.4}}, back=0.9)
    assert adapt(document.fit, [step("plain")], document.changes, {}).steps == ()


def test_a_rebuild_confirms_the_remembered_steps_in_one_search():
    document = Document({"a": {"card back": -0.2}, "b": {"card back": -0.2}})
    order = [step("a"), step("b")]
    first = adapt(document.fit, order, document.changes, {})
    memory = {"steps": list(first.steps), "fits": first.fitted.fits, "fills": first.fitted.fills}
    document.calls.clear()
    again = adapt(document.fit, order, document.changes, memory)
    assert again.steps == first.steps and len(document.calls) == 1
    assert document.calls[0] == (first.steps, memory["fits"], memory["fills"])


def test_a_rebuild_searches_again_when_the_text_got_shorter():
    document = Document({"a": {"card back": -0.2}, "b": {"card back": -0.2}})
    order = [step("a"), step("b")]
    memory = {"steps": ["a", "b"], "fits": {"card back": 0.83, "card front": 1.0}, "fills": {}}
    document.base["card back"] = 1.1  # shorter now: "a" alone is enough
    again = adapt(document.fit, order, document.changes, memory)
    assert again.steps == ("a",)


def test_what_the_steps_say_in_the_order_taken():
    declared = {"b": step("b"), "a": step("a")}
    assert described(("b", "a", "gone"), declared) == ["b", "a"]
