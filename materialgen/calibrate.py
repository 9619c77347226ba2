"""Where each frame's text is set and how its fill follows it: ``python -m
materialgen.calibrate`` writes templates/copyfit.yaml, which a fresh build reads to predict
each frame's type scale before its first layout (predict.py).

Every material of every language is copyfitted as a build does it (without adaptation steps
or a prediction), and laid out again at two smaller scales, so
that each frame is measured over its range of scales. From the first layout of each, per
material and frame: where each element's text is set (type size, line height, the block it
flows in and its width). From every layout: a point (the height of the frame's lines as
predict.py sets them at that scale, the fill measured). A line is fitted through the points
by least squares, those near the fill a prediction aims at counting most; a point measured
across a page break (``frame_fill``'s rough measure) is left out, as it errs long. Last,
every document is laid out once where the line predicts, and the mean of the fill measured
over the fill predicted there (an overflow counting as full) becomes the line's ``bias``.
All of it twice: without an organisation, and with the example one
(materials/local-organisation.example.yaml), each in its section of the file. A community
group's block is more text, and is set beside the QR code or among other lines, so a
document that shows one follows a line of its own.

Run it again after changing a template, a stylesheet or a material's layout, and commit the
file. A stale file is not wrong, only slower: a fresh build then needs more layouts to
settle (copyfitting checks every layout as before). It takes about 900 layouts.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path

from . import PROJECT_ROOT
from .copyfit import PREDICTED_TARGET
from .predict import CALIBRATION, WITH_ORGANISATION, WITHOUT_ORGANISATION, Demand

#: The organisation the design is calibrated with as well as without one, so that the text
#: of a community group's block is known where it is set.
EXAMPLE_ORGANISATION = Path("materials") / "local-organisation.example.yaml"


def _designs(project_root: Path) -> dict[str, Path | None]:
    """The designs calibrated, by the section of the file that holds each: without an
    organisation, and with the example one when the project has it."""
    designs: dict[str, Path | None] = {WITHOUT_ORGANISATION: None}
    if (project_root / EXAMPLE_ORGANISATION).is_file():
        designs[WITH_ORGANISATION] = project_root / EXAMPLE_ORGANISATION
    return designs


def _design(project_root: Path, organisation: Path | None):
    """The project, its data with ``organisation`` (None: without any, not even the
    project's own local-organisation.yaml), a worker over them, and the languages whose
    catalogs load."""
    import dataclasses

    from .project import Project, load
    from .render import Options
    from .worker import Worker

    project = Project(project_root, project_root / "output")
    data = load(project, organisation, None)
    if organisation is None:
        data = dataclasses.replace(
            data, content=dataclasses.replace(data.content, organisation=None)
        )
    worker = Worker(project, data, Options(previews=False))
    languages = [code for code in data.languages if not data.catalog_errors.get(code)]
    return project, data, worker, languages


def measure(project_root: Path, organisation: Path | None = None):
    """Copyfit every material of every language once, as a fresh build would (without
    predicting), with ``organisation`` or without any. Returns the starts of the frames
    ((material, frame) -> scale), the sizes of their texts (material -> frame -> path ->
    (size, line height)), and the points: (material, frame) -> [(language, demand, scale,
    fill)] of every clean layout."""
    from .checks import frame_fill, frame_starts
    from .copyfit import copyfit
    from .plan import plan

    starts: dict[tuple[str, str], float] = {}
    observed: dict = {}  # (material, frame, path) -> [(size, line height, lang, block, width)]
    documents = []  # (material, language, html, [(frame, scale, fill)])
    project, data, worker, languages = _design(project_root, organisation)
    materials = data.content.materials
    for task in plan(data, languages, list(materials), None):
        material = materials[task.material]
        if material.impose:
            continue
        sections = worker.sections(task.section_langs)
        expect = worker.expectations(material, sections)
        html = data.renderer.render(material, sections, data.content, worker.options, {})
        layouts: list = []
        timing = {"layout": 0.0, "check": 0.0, "layouts": 0}

        def attempt(
            fits,
            material=material,
            sections=sections,
            expect=expect,
            layouts=layouts,
            timing=timing,
        ):
            document, problems, warnings = worker.attempt(material, sections, expect, timing, fits)
            declared = frame_starts(document)
            for frame, start in declared.items():
                starts[(material.id, frame)] = start
            rendered = {**declared, **fits}
            if not layouts:
                font_scale = data.languages[sections[0].language.code].font_scale
                for (frame, path), seen in text_places(document, rendered, font_scale).items():
                    observed.setdefault((material.id, frame, path), []).extend(seen)
            for frame, (fill, rough) in frame_fill(document).items():
                if not rough:
                    layouts.append((frame, rendered.get(frame, 1.0), fill))
            return document, problems, warnings

        fitted = copyfit(attempt)
        # And two layouts with smaller type, so that each frame is measured over the range
        # of its scales (a flyer that fits is measured only once the search settles).
        for share in (0.5, 1.0):
            smaller = {
                frame: round(scale - share * (scale - fitted.limits[frame][0]), 4)
                for frame, scale in fitted.fits.items()
            }
            if smaller != fitted.fits:
                attempt(smaller)
        documents.append((task.material, task.lang, html, layouts))
        print(f"{task.lang} {task.material}: {timing['layouts']} layouts", file=sys.stderr)
    places = summarise_places(observed, data.languages)
    demand = Demand(project.templates_dir / "fonts", data.fonts, data.languages)
    points: dict[tuple[str, str], list] = {}
    for material, lang, html, layouts in documents:
        _, texts = demand.frames(html, lang, places.get(material))
        for frame, scale, fill in layouts:
            if frame in texts:
                points.setdefault((material, frame), []).append((lang, texts[frame], scale, fill))
    return starts, places, points


def text_places(document, scales: dict, font_scale: float) -> dict:
    """(frame, path of the element inside it) -> [(type size relative to the root at the
    frame's scale 1, line height relative to the type size, language, path of the block
    it is set in, that block's width in the material's base size, path of the inline block
    it is kept whole in or "", whether its text may not break, whether it is bold, and the
    room its element's margin, border and padding take before and after it on its line, in
    root em at scale 1)] of the text laid out."""
    from weasyprint.formatting_structure import boxes

    from .checks import walk
    from .predict import element_signature

    root = document.pages[0]._page_box.children[0].style["font_size"]
    base = root / font_scale
    found: dict = {}
    for page in document.pages:
        for box, ancestors in walk(page._page_box):
            if not isinstance(box, boxes.TextBox) or "::" in box.element_tag:
                continue  # generated content (markers, ::before) is not in the HTML's text
            if not box.text.strip(" \u200b"):
                continue
            frame, path, last, block, width, unit = None, [], None, None, 0.0, ""
            edges = (0.0, 0.0)
            for index, ancestor in enumerate(ancestors):
                # The block its lines are as wide as; an inline block (a phone number kept
                # whole) sits in the lines of the block around it.
                if (
                    frame
                    and isinstance(ancestor, boxes.LineBox)
                    and isinstance(ancestors[index - 1], boxes.BlockContainerBox)
                    and not isinstance(ancestors[index - 1], boxes.InlineBlockBox)
                ):
                    block, width = " > ".join(path), ancestors[index - 1].width
                element = getattr(ancestor, "element", None)
                if element is None or element is last:
                    continue
                last = element
                if element.get("data-frame") and element.get("data-fit-floor"):
                    frame, path = element.get("data-frame"), []
                elif frame:
                    path.append(element_signature(element.tag, element.get("class")))
                    if isinstance(ancestor, boxes.InlineBlockBox):
                        unit = " > ".join(path)
                    edges = (0.0, 0.0)
                    if isinstance(ancestor, (boxes.InlineBox, boxes.InlineBlockBox)):
                        edges = tuple(
                            getattr(ancestor, f"margin_{side}")
                            + getattr(ancestor, f"border_{side}_width")
                            + getattr(ancestor, f"padding_{side}")
                            for side in ("left", "right")
                        )
            line_height = box.style["line_height"]
            if frame is None or block is None or not isinstance(line_height, (int, float)):
                continue  # "normal", or a length: not what the stylesheets use in frames
            em = root * scales.get(frame, 1.0)
            size = box.style["font_size"] / em
            nowrap = box.style["white_space"] in ("nowrap", "pre")
            bold = box.style["font_weight"] >= 600
            found.setdefault((frame, " > ".join(path)), []).append(
                (size, float(line_height), box.style["lang"] or "", block, width / base)
                + (unit, nowrap, bold, edges[0] / em, edges[1] / em)
            )
    return found


def summarise_places(observed: dict, languages: dict) -> dict:
    """material -> frame -> path -> Place: the median size and width, the block and the
    inline block most often seen, whether its text may not break and is bold as most often
    seen, the largest room before and after its element, and
    the line height as "body" or "tight" where it is the language's (predict.BODY, TIGHT),
    else the median number."""
    from .predict import BODY, TIGHT, Place

    places: dict = {}
    for (material, frame, path), seen in sorted(observed.items()):
        size = statistics.median(s for s, *_ in seen)
        known = [(h, languages[lang]) for _, h, lang, *_ in seen if lang in languages]
        if known and all(abs(h - language.line_height) < 1e-3 for h, language in known):
            height = BODY
        elif known and all(abs(h - language.tight_line_height) < 1e-3 for h, language in known):
            height = TIGHT
        else:
            height = round(statistics.median(h for _, h, *_ in seen), 4)
        block = statistics.mode(b for _, _, _, b, *_ in seen)
        width = statistics.median(w for _, _, _, b, w, *_ in seen if b == block)
        unit, nowrap, bold = (statistics.mode(s[index] for s in seen) for index in (5, 6, 7))
        # A box broken across lines has its edges on its first and last part only.
        start, end = (round(max(s[index] for s in seen), 4) for index in (8, 9))
        places.setdefault(material, {}).setdefault(frame, {})[path] = Place(
            round(size, 4), height, block, round(width, 3), unit, nowrap, bold, start, end
        )
    return places


def _solve(rows: list[list[float]], values: list[float]) -> list[float]:
    """Least squares: the weights w minimising |rows · w - values|, by the normal equations."""
    n = len(rows[0])
    matrix = [[sum(r[i] * r[j] for r in rows) for j in range(n)] for i in range(n)]
    vector = [sum(r[i] * v for r, v in zip(rows, values, strict=True)) for i in range(n)]
    for column in range(n):
        pivot = max(range(column, n), key=lambda r: abs(matrix[r][column]))
        matrix[column], matrix[pivot] = matrix[pivot], matrix[column]
        vector[column], vector[pivot] = vector[pivot], vector[column]
        if abs(matrix[column][column]) < 1e-12:
            return [0.0] * (n - 1) + [statistics.fmean(values)]
        for row in range(n):
            if row != column:
                factor = matrix[row][column] / matrix[column][column]
                matrix[row] = [
                    a - factor * b for a, b in zip(matrix[row], matrix[column], strict=True)
                ]
                vector[row] -= factor * vector[column]
    return [vector[i] / matrix[i][i] for i in range(n)]


def fit(points) -> dict:
    """One frame's measure: fill = (text * height of its lines + spacing * scale) * font
    scale + intercept, by least squares over its layouts (predict.Measure),
    and how far the layouts are from it."""
    rows = [
        [text.height(scale) * text.font_scale, scale * text.font_scale, 1.0]
        for _, text, scale, _ in points
    ]
    values = [fill for _, _, _, fill in points]
    # What matters is the fill near the aim, where a prediction must land: the layouts
    # there count most (weighted least squares).
    importance = [math.exp(-(((fill - PREDICTED_TARGET) / 0.1) ** 2)) for fill in values]
    weights = _solve(
        [[x * math.sqrt(i) for x in row] for row, i in zip(rows, importance, strict=True)],
        [v * math.sqrt(i) for v, i in zip(values, importance, strict=True)],
    )
    residuals = [
        (v - sum(w * x for w, x in zip(weights, row, strict=True)))
        * math.sqrt(i / statistics.fmean(importance))
        for row, v, i in zip(rows, values, importance, strict=True)
    ]
    text, spacing, intercept = weights
    return {
        "text": float(f"{text:.6g}"),
        "spacing": float(f"{spacing:.6g}"),
        "intercept": round(intercept, 5),
        "points": len(points),
        "rms": round(math.sqrt(statistics.fmean(r * r for r in residuals)), 4),
        "largest": round(max(abs(r) for r in residuals), 4),
    }


def check_predictions(
    project_root: Path, organisation: Path | None = None
) -> dict[tuple[str, str], list[float]]:
    """Every document, with ``organisation`` or without any, laid out once at the scales
    predicted from the calibration file just written: (material, frame) -> [measured fill
    / predicted fill] of the frames predicted between their floor and ceiling."""
    from .checks import frame_fill
    from .plan import plan

    _, data, worker, languages = _design(project_root, organisation)
    ratios: dict[tuple[str, str], list[float]] = {}
    materials = data.content.materials
    for task in plan(data, languages, list(materials), None):
        material = materials[task.material]
        calibration = worker.calibration_of(material)
        if material.impose or calibration is None:
            continue
        sections = worker.sections(task.section_langs)
        prediction = worker.predicted(material, sections)
        html = data.renderer.render(material, sections, data.content, worker.options, {})
        declared, texts = worker.demand.frames(html, task.lang, calibration.places)
        measures = calibration.measures
        expect = worker.expectations(material, sections)
        timing = {"layout": 0.0, "check": 0.0, "layouts": 0}
        document, _, _ = worker.attempt(material, sections, expect, timing, prediction.scales)
        for frame, (fill, _) in frame_fill(document).items():
            scale, limits = prediction.scales.get(frame), declared.get(frame)
            if scale is None or frame not in measures or frame not in texts:
                continue
            if limits.floor < scale < limits.ceiling:
                predicted = measures[frame].fill(texts[frame], scale)
                # An overflow measured across a page break errs long (a block moved whole):
                # it says only that the frame was full.
                ratios.setdefault((material.id, frame), []).append(min(fill, 1.0) / predicted)
    return ratios


def calibration_text(fitted: dict[str, dict[str, dict[str, dict]]]) -> str:
    import yaml

    header = (
        "# Where each frame's text is set and how its fill follows it, for predicting its scale\n"
        "# before a fresh build's first layout (materialgen/predict.py). Written by\n"
        "# `python -m materialgen.calibrate`; run it again after changing a template, a\n"
        "# stylesheet or a material's layout (a stale file costs layouts, not correctness).\n"
        "# `materials`: calibrated without an organisation; `with organisation`: with the\n"
        "# example one (materials/local-organisation.example.yaml), for documents that show\n"
        "# a community group's block. Per material and frame: fill = bias * ((text * height\n"
        "# of the lines + spacing * scale) * font scale + intercept); `places`: element\n"
        "# path -> [type size, line height, block, block width in base em, inline block kept\n"
        "# whole in, nowrap, bold, room before and after its element on a line in root em];\n"
        "# `points`, `rms`, `largest`: the layouts it was fitted on and how far their fills\n"
        "# are from the line.\n"
    )
    return header + yaml.safe_dump(fitted, sort_keys=True, allow_unicode=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m materialgen.calibrate", description=__doc__)
    parser.add_argument("--project", type=Path, default=PROJECT_ROOT)
    args = parser.parse_args(argv)
    from . import fonts

    root = args.project.resolve()
    fonts.isolate(root / "templates" / "fonts")
    designs = _designs(root)
    fitted: dict[str, dict[str, dict[str, dict]]] = {}
    for section, organisation in designs.items():
        fitted[section] = _fitted(*measure(root, organisation)[1:])
    target = root / "templates" / CALIBRATION
    target.write_text(calibration_text(fitted), encoding="utf-8")
    # Then each document laid out where the file predicts, as a fresh build does: the
    # fill measured there over the fill predicted, per frame (their mean), corrects what
    # the line misses near the top (a block that no longer fits its page moves whole).
    # (The predictions checked are the line's, without a correction: run once.)
    for section, organisation in designs.items():
        for (material, frame), ratios in sorted(check_predictions(root, organisation).items()):
            fitted[section][material][frame]["bias"] = round(statistics.fmean(ratios), 4)
    target.write_text(calibration_text(fitted), encoding="utf-8")
    for section, materials in fitted.items():
        for material, frames in materials.items():
            for frame, line in frames.items():
                print(
                    f"{section}: {material} / {frame}: {line['points']} layouts, fill off the "
                    f"line by {line['rms']:.3f} (rms), {line['largest']:.3f} at most; where "
                    f"predicted, {line.get('bias', 1.0):.3f} times fuller than predicted"
                )
    print(f"{target}: {sum(len(f) for f in fitted[WITHOUT_ORGANISATION].values())} frames")
    return 0


def _fitted(places: dict, points: dict) -> dict[str, dict[str, dict]]:
    """material -> frame -> its line and places, as the file holds them."""
    fitted: dict[str, dict[str, dict]] = {}
    for (material, frame), measured in sorted(points.items()):
        line = fit(measured)
        line["places"] = {
            path: [
                place.size,
                place.line_height,
                place.block,
                place.width,
                place.unit,
                place.nowrap,
                place.bold,
                place.start,
                place.end,
            ]
            for path, place in places.get(material, {}).get(frame, {}).items()
        }
        fitted.setdefault(material, {})[frame] = line
    return fitted


if __name__ == "__main__":
    sys.exit(main())
