"""What a run tells its users: a line per document on the terminal, notes per language, and
output/report.html, which a coordinator opens in a browser (no server) to see every document's
preview, translation state, type scale and problems, each linked to the catalog line to fix."""

from __future__ import annotations

import datetime
import html
import json
import os
import re
from pathlib import Path

from .errors import display_path
from .files import write_text_atomically

#: "(locales/so/LC_MESSAGES/messages.po:12)" in a problem, "locales/...po:12:" leading a note
LOCATION = re.compile(r"(?P<path>[^()\s]+\.po):(?P<line>\d+)")


def result_line(result) -> str:
    name = f"{result.lang:<7} {result.material:<18}"
    if not result.ok:
        return f"FAIL  {name} not written\n" + "\n".join(f"        {p}" for p in result.problems)
    pages = f"{result.pages} page{'s' if result.pages != 1 else ''}"
    plain = "".join(f", {frame} without pictograms" for frame in result.plain)
    return (
        f"ok    {name} {display_path(result.path)}  {pages}, {type_sizes(result.fits)}{plain}, "
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


def timing_line(results, wall: float) -> str:
    layout = sum(r.timing["layout"] for r in results)
    check = sum(r.timing["check"] for r in results)
    layouts = sum(r.timing["layouts"] for r in results)
    failed = sum(not r.ok for r in results)
    return (
        f"{len(results) - failed} written, {failed} failed, in {wall:.1f} s "
        f"(layout {layout:.1f} s for {layouts} layout{'s' if layouts != 1 else ''}, "
        f"{max(layouts - len(results), 0)} of them copyfitting; print check {check:.1f} s)"
    )


def record(result) -> dict:
    """What the report keeps of one document's build."""
    return {
        "lang": result.lang,
        "material": result.material,
        "ok": result.ok,
        "pdf": str(result.path) if result.path else None,
        "pages": result.pages,
        "scale": result.scale,
        "fits": result.fits,
        "plain": result.plain,
        "problems": result.problems,
        "previews": [str(p) for p in result.previews],
        "missing": len([k for k in result.missing if k[0] == result.lang]),
        "built": datetime.datetime.now().isoformat(timespec="seconds"),
    }


def write_html(
    output: Path, data, results, statuses: dict[str, dict], notes: dict[str, list[str]]
) -> Path:
    """output/report.html over every document in output/, from this run or an earlier one
    (each build leaves a small record beside its previews), so that building one language
    does not drop the others from the report. Paths are relative: the folder can be zipped."""
    for result in results:
        target = output / result.lang / "preview" / f"{result.material}.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(target, json.dumps(record(result), ensure_ascii=False, indent=1))
    order = {code: index for index, code in enumerate(data.languages)}
    records = []
    for path in output.glob("*/preview/*.json"):
        item = json.loads(path.read_text("utf-8"))
        if item["lang"] in data.languages and (not item["ok"] or Path(item["pdf"]).exists()):
            records.append(item)
    records.sort(key=lambda r: (order.get(r["lang"], 999), r["material"]))
    rows = [
        _row(item, data.languages[item["lang"]], statuses.get(item["lang"], {}), output)
        for item in records
    ]
    failed = sum(not item["ok"] for item in records)
    page = REPORT.format(
        date=datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        summary=f"{len(records) - failed} documents in output/, {failed} failed",
        grid=_grid(records, data, statuses),
        notes=_notes(notes, data, output),
        rows="\n".join(rows),
    )
    output.mkdir(parents=True, exist_ok=True)
    target = output / "report.html"
    write_text_atomically(target, page)
    return target


def _notes(notes: dict[str, list[str]], data, output: Path) -> str:
    """Per language, what its catalog check found, each linked to the catalog line."""
    parts = []
    for code, found in notes.items():
        if found:
            items = "".join(f"<li>{_linked(note, output)}</li>" for note in found[:30])
            more = f"<li>and {len(found) - 30} more</li>" if len(found) > 30 else ""
            parts.append(
                f"<h3>{html.escape(data.languages[code].name)} ({code})</h3><ul>{items}{more}</ul>"
            )
    return "".join(parts) or "<p>No catalog warnings.</p>"


def _grid(records: list[dict], data, statuses: dict) -> str:
    """One line per language: each material's result at a glance, and the review state."""
    materials = sorted({item["material"] for item in records})
    by_key = {(item["lang"], item["material"]): item for item in records}
    head = "".join(f"<th>{m}</th>" for m in materials)
    lines = []
    for code, language in data.languages.items():
        cells = []
        for material in materials:
            item = by_key.get((code, material))
            if item is None:
                cells.append("<td></td>")
            elif item["ok"]:
                cells.append(f'<td class="ok">ok {item["scale"]:.0%}</td>')
            else:
                cells.append('<td class="fail"><b>FAILED</b></td>')
        if any(cell != "<td></td>" for cell in cells):
            status = statuses.get(code, {})
            lines.append(
                f"<tr><td>{html.escape(language.name)} ({code})</td>{''.join(cells)}"
                f"<td>{_completeness(status)}</td><td>{_review(status)}</td></tr>"
            )
    return (
        f'<table class="grid"><tr><th>language</th>{head}<th>translation</th>'
        f"<th>review</th></tr>{''.join(lines)}</table>"
    )


def _row(item: dict, language, status: dict, output: Path) -> str:
    thumbnail = ""
    if item["ok"] and item["previews"]:
        image = _relative(Path(item["previews"][0]), output)
        thumbnail = (
            f'<a href="{_relative(Path(item["pdf"]), output)}"><img src="{image}" '
            f'alt="{item["material"]} in {html.escape(language.name)}"></a>'
        )
    problems = "".join(f"<li>{_linked(problem, output)}</li>" for problem in item["problems"])
    pages = f"{item['pages']} page{'s' if item['pages'] != 1 else ''}"
    missing = f"<br>{item['missing']} printed in English" if item["missing"] else ""
    return (
        f'<tr class="{"ok" if item["ok"] else "fail"}">'
        f"<td>{thumbnail}</td>"
        f"<td><b>{html.escape(language.name)}</b> ({item['lang']})<br>{item['material']}"
        f"<br><small>built {item['built']}</small></td>"
        f"<td>{'written' if item['ok'] else '<b>NOT WRITTEN</b>'}<br>{pages}"
        f"<br>type {item['scale']:.0%}</td>"
        f"<td>{_completeness(status)}{missing}</td>"
        f"<td>{_review(status)}</td>"
        f"<td><ul>{problems}</ul></td></tr>"
    )


def _relative(path: Path, start: Path) -> str:
    return html.escape(os.path.relpath(path, start))


def _linked(problem: str, output: Path) -> str:
    text = html.escape(problem)

    def link(match):
        path = Path(match.group("path"))
        href = _relative(path if path.is_absolute() else Path.cwd() / path, output)
        return f'<a href="{href}">{html.escape(match.group("path"))}:{match.group("line")}</a>'

    return LOCATION.sub(link, text)


def _completeness(status: dict) -> str:
    if not status:
        return ""
    if status.get("error"):
        return f"<b>catalog error</b>: {html.escape(status['error'])}"
    done = 100 * status["translated"] // max(status["total"], 1)
    extra = f", {status['fuzzy']} fuzzy" if status["fuzzy"] else ""
    return f"{done}% translated ({status['translated']}/{status['total']}{extra})"


def _review(status: dict) -> str:
    if status.get("reviewed") == "source":
        return "source language"
    if status.get("reviewed"):
        return f"reviewed {status['reviewed']}<br>by {html.escape(status['reviewer'] or '')}"
    return '<span class="draft">machine-drafted, not reviewed</span>'


REPORT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Materials report</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; color: #1a1a1a; }}
table {{ border-collapse: collapse; width: 100%; }}
td {{ border-top: 1px solid #ccc; padding: 0.5em; vertical-align: top; font-size: 0.9em; }}
img {{ max-width: 180px; max-height: 180px; border: 1px solid #999; }}
tr.fail, td.fail {{ background: #fde8e8; }}
td.ok {{ color: #1d6b2c; }}
table.grid {{ width: auto; margin-bottom: 1em; }}
.draft {{ color: #8a5300; }}
ul {{ margin: 0; padding-left: 1.2em; }}
</style></head><body>
<h1>Materials report</h1>
<p>{date}: {summary}. A document that failed its print check was not written; its problems
name the text and, where it comes from a catalog, the line to fix.</p>
<h2>At a glance</h2>
<p>Per material: whether it was written and the type size copyfitting chose.</p>
{grid}
<h2>Catalogs</h2>
<p>Strings printed in English because they are missing, untranslated or fuzzy (changed in
English since they were translated), catalog errors, and translations identical to the English.</p>
{notes}
<h2>Every document</h2>
<table>
<tr><th>preview</th><th>document</th><th>result</th><th>translation</th><th>review</th>
<th>problems</th></tr>
{rows}
</table></body></html>
"""
