"""Length limits of the strings, measured on the laid-out materials:
``python -m materialgen.lengths`` writes locales/max-lengths.yaml.

A limit says how long a translation may be and still be printed. It is measured, not
guessed. Translations run longer than English, short texts by more than long ones (IBM's
guideline for user interfaces, ``EXPANSION``: up to 200 % more for a word, 30 % for a
paragraph), so for each frame of each material (a box whose text must fit, like the card's
front) all the strings printed in it are lengthened together by that much times one factor,
and the largest factor at which the material still builds (laid out, copyfitted down to its
type floor and print-checked, as ``generate.py`` does) is found by halving, to within
``PRECISION``. A string's limit is its length at the smallest factor of the frames that
print it (the tightest material): a catalog whose translations all keep to their limits fits
every material. The documents are built with the draft notice (a translation prints it until
reviewed) and the example organisation on them (most groups add theirs).

The trial text is the English itself, continued with its own words: Latin letters of
ordinary width. A script that takes more room per character (Burmese, Khmer) has less than
the limit says, so copyfitting and the print check still judge each language's real text:
the limit is for the translator's tool, the print check has the last word. A frame with room
for more than ``MAX_GROWTH`` times its English is not measured further.

``extract`` writes each limit into messages.pot as Weblate's ``max-length:N`` flag, and
``update`` into every catalog. Measure again after changing a template, a stylesheet or a
material's layout (a test checks that the recorded limits still hold).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime
import multiprocessing
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from . import PROJECT_ROOT
from .catalogs import PLACEHOLDER, Translator
from .project import Project, load
from .render import Options, Section
from .schema import load_yaml

#: How much longer than its English a translation typically runs, by the English's length
#: (IBM, "Globalize your business: text expansion", upper ends): (at most N characters, share).
EXPANSION = ((10, 2.0), (20, 1.0), (30, 0.8), (50, 0.6), (70, 0.4), (None, 0.3))
#: The factor of the expansion that a frame allows is known to within this.
PRECISION = 0.05
#: Frames are not measured beyond this many times the typical expansion: a translation that
#: much longer would hardly say the same thing, whatever the room.
MAX_GROWTH = 4.0


def expansion(length: int) -> float:
    return next(share for limit, share in EXPANSION if limit is None or length <= limit)


def grown(length: int, factor: float) -> int:
    """The length of a ``length``-character English text lengthened by ``factor`` times its
    typical expansion."""
    return int(length * (1 + factor * expansion(length)))


#: The language whose documents carry the trial texts: English's fonts, and the draft
#: notice a translation prints until it is reviewed.
PROBE = "qaa"
LIMITS_FILE = "max-lengths.yaml"


@dataclasses.dataclass
class Limit:
    context: str | None
    msgid: str
    max_length: int
    tightest: str  # the material and frame that set the limit, e.g. "wallet-card: card front"
    room_to_spare: bool = False  # fits even at MAX_GROWTH times the English


def trial_text(source: str, length: int) -> str:
    """``source`` continued with its own words to ``length`` characters (placeholders and
    numbers kept once, at their place in the source, as a translation must)."""
    words = [w for w in PLACEHOLDER.sub("", source).split() if not re.search(r"\d", w)]
    words = words or ["word"]
    text, index = source, 0
    while len(text) < length:
        text += " " + words[index % len(words)]
        index += 1
    return text[:length]


class ProbeTranslator(Translator):
    """English, except the entries of ``texts``; records every entry it is asked for."""

    def __init__(self, language, texts: dict | None = None):
        super().__init__(language, None)
        self.texts = texts or {}

    def _lookup(self, context, message):
        self.used[(context, message)] = None
        return self.texts.get((context, message), message), False


class _FrameFinder(HTMLParser):
    """Which frame (data-frame) each marked text of a rendered document stands in."""

    def __init__(self, markers: dict[str, tuple]):
        super().__init__()
        self.markers, self.stack, self.found = markers, [], collections.defaultdict(set)

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        self.stack.append(dict(attrs).get("data-frame"))

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        frames = [frame for frame in self.stack if frame]
        for marker, key in self.markers.items():
            if marker in data and frames:
                self.found[key].add(frames[-1])


VOID = {"meta", "link", "br", "img", "hr", "input", "col", "source", "wbr", "path", "rect"}


class Measurer:
    def __init__(self, root: Path, paper: str = "us"):
        self.paper = paper  # us: Letter and Tabloid; a4: A4 and A3 (--paper a4)
        self.project = Project(root)
        organisation = self.project.materials_dir / "local-organisation.example.yaml"
        self.data = load(self.project, organisation, None)
        english = self.data.languages["en"]
        probe = dataclasses.replace(english, code=PROBE, name="Length probe", where=None)
        self.data.languages[PROBE] = probe  # the renderer's table too: its fonts and lines
        self.probe = probe
        self._worker = None

    @property
    def worker(self):
        """Made where it builds: WeasyPrint is imported in the worker processes only."""
        from .worker import Worker

        if self._worker is None:
            options = Options(previews=False, paper=self.paper)
            self._worker = Worker(self.project, self.data, options)
        return self._worker

    def materials(self) -> list:
        """The materials laid out here (the card sheet is imposed from the card)."""
        return [m for m in self.data.content.materials.values() if not m.impose]

    def sections(self, material, translator: ProbeTranslator) -> list[Section]:
        sections = [Section(self.probe, translator)]
        for code in material.poster_languages:
            if code != "en":
                language = self.data.languages[code]
                sections.append(Section(language, Translator(language, self.data.catalogs[code])))
        return sections

    def frames(self, material) -> dict[str, list[tuple]]:
        """The strings printed in each frame of ``material``."""
        translator = ProbeTranslator(self.probe)
        render = self.data.renderer.render
        render(material, self.sections(material, translator), self.data.content, Options())
        markers = {f"\ue000{index}\ue001": key for index, key in enumerate(translator.used)}
        marked = ProbeTranslator(self.probe, {key: m for m, key in markers.items()})
        finder = _FrameFinder(markers)
        finder.feed(render(material, self.sections(material, marked), self.data.content, Options()))
        by_frame = collections.defaultdict(list)
        for key, frames in finder.found.items():
            for frame in frames:
                by_frame[frame].append(key)
        return dict(by_frame)

    def fits(self, material, keys: list[tuple], growth: float) -> bool:
        texts = {key: trial_text(key[1], grown(len(key[1]), growth)) for key in keys}
        translator = ProbeTranslator(self.probe, texts)
        timing = collections.defaultdict(float)
        fitted = self.worker.fit(material, self.sections(material, translator), timing, {})
        return not fitted.problems

    def growth(self, material, keys: list[tuple]) -> float | None:
        """The largest factor of their typical expansion by which the strings ``keys`` may
        all grow together; None if even the English does not fit."""
        if not self.fits(material, keys, 0.0):
            return None
        if self.fits(material, keys, MAX_GROWTH):
            return MAX_GROWTH
        low, high = 0.0, MAX_GROWTH
        while high - low > PRECISION:
            middle = (low + high) / 2
            if self.fits(material, keys, middle):
                low = middle
            else:
                high = middle
        return low


#: Both paper sizes (the card is the same on both): a limit must hold on either.
PAPERS = ("us", "a4")
_measurers: dict[str, Measurer] = {}


def _init(root: Path) -> None:
    for paper in PAPERS:
        _measurers[paper] = Measurer(root, paper)


def _growth(item):
    paper, material_id, frame, keys = item
    measurer = _measurers[paper]
    material = measurer.data.content.materials[material_id]
    label = f"{material_id}: {frame}" + (" (A4)" if paper == "a4" else "")
    return label, keys, measurer.growth(material, keys)


def measure(root: Path, jobs: int, out=print) -> list[Limit]:
    """The limit of every string printed in a frame, measured in ``jobs`` processes."""
    measurer = Measurer(root)
    items = [
        (paper, material.id, frame, keys)
        for paper in PAPERS
        for material in measurer.materials()
        # The card is the same size on both papers: measured once.
        if paper == "us" or material.paper != "card"
        for frame, keys in measurer.frames(material).items()
    ]
    limits: dict[tuple, Limit] = {}
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_init, initargs=(root,)) as pool:
        for where, keys, factor in pool.imap_unordered(_growth, items):
            out(f"{where:<28} {len(keys):>3} strings: {factor or 0:.2f} x the typical expansion")
            if factor is None:
                continue
            for key in keys:
                length = grown(len(key[1]), factor)
                known = limits.get(key)
                if known is None or length < known.max_length:
                    limits[key] = Limit(key[0], key[1], length, where, factor >= MAX_GROWTH)
    order = {key: index for index, key in enumerate(read_template_keys(root))}
    return sorted(limits.values(), key=lambda limit: order.get((limit.context, limit.msgid), 0))


def read_template_keys(root: Path) -> list[tuple]:
    from .catalogs import read_template, template_keys

    return list(template_keys(read_template(root)))


def limits_text(limits: list[Limit]) -> str:
    import json

    lines = [
        "# The most characters each string's translation may have, measured on the laid-out",
        "# materials by `python -m materialgen.lengths` (see materialgen/lengths.py and",
        "# TRANSLATING.md): `extract` writes them into messages.pot as Weblate's max-length:N",
        "# flag, `update` into the catalogs. Do not edit by hand; measure again after a",
        f"# layout change. Measured {datetime.date.today().isoformat()}.",
        "limits:",
    ]
    for limit in limits:
        lines.append(f"  - msgid: {json.dumps(limit.msgid, ensure_ascii=False)}")
        if limit.context:
            lines.append(f"    context: {limit.context}")
        lines.append(f"    max_length: {limit.max_length}")
        lines.append(f"    tightest: {json.dumps(limit.tightest)}")
        if limit.room_to_spare:
            lines.append("    room_to_spare: true")
    return "\n".join(lines) + "\n"


def read_limits(root: Path) -> dict[tuple[str | None, str], int]:
    """The recorded limits by (context, msgid); empty when none were measured."""
    path = root / "locales" / LIMITS_FILE
    if not path.is_file():
        return {}
    data = load_yaml(path)
    return {
        (item.get("context"), item["msgid"]): int(item["max_length"])
        for item in data.get("limits") or []
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m materialgen.lengths", description=__doc__)
    parser.add_argument("--project", type=Path, default=PROJECT_ROOT)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    from . import fonts

    fonts.isolate(args.project / "templates" / "fonts")
    limits = measure(args.project.resolve(), args.jobs)
    target = args.project / "locales" / LIMITS_FILE
    target.write_text(limits_text(limits), encoding="utf-8")
    print(f"{target}: {len(limits)} limits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
