"""Line-aware YAML loading and validation of records declared as dataclasses.

Every data file (content, language table, font list) is read here, so every error about one
names its file and line. Records are declared once, as dataclasses whose fields carry their
documentation in ``metadata["doc"]``; ``read_records`` checks types, unknown and missing
fields, text length and invisible characters, and runs each field's ``metadata["check"]``,
collecting every error before failing.

Data files come from volunteers, so the YAML loader is SafeLoader (no objects, no code) and
refuses what no data file here needs and an attacker would: anchors and aliases (a "billion
laughs" bomb is refused at its first anchor, before anything is expanded), tags other than
YAML's own (``!!python/object``), and nesting deeper than any file here has.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import types
import typing
from pathlib import Path

import yaml

from .errors import InputError, InputErrors
from .inputs import decode_text, read_input

#: Longest text a field may hold unless it declares its own ``max_length``: the longest
#: content text (a resource summary) has about 140 characters.
MAX_TEXT_LENGTH = 500
#: Deepest nesting of lists and mappings accepted; the data files here have four levels.
MAX_DEPTH = 10
# Characters no printed text may carry: bidi embeddings, overrides, isolates and marks (the
# templates isolate numbers themselves), zero-width and other invisible format characters
# (the renderer inserts its own line-break opportunities), line and paragraph separators,
# and C0/C1 controls other than tab and newline.
FORBIDDEN = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
# YAML's own tags, which only say what a plain value already is (!!str 123).
YAML_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
}


class LineDict(dict):
    """A YAML mapping that remembers the line of itself and of each value."""

    line: int = 0

    def __init__(self):
        super().__init__()
        self.lines: dict = {}


class LineList(list):
    """A YAML sequence that remembers the line of itself and of each item."""

    line: int = 0

    def __init__(self):
        super().__init__()
        self.lines: list[int] = []


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no object construction, no code) that keeps line numbers and refuses
    anchors, aliases, foreign tags and deep nesting where they are met."""

    depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or event.anchor is not None:
            raise InputError(
                f"anchors and aliases (&{event.anchor}, *{event.anchor}) are not allowed in "
                "data files: write the value out",
                self.name,
                line,
            )
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in YAML_TAGS:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise InputError(f"tag {shorten(shown)} is not allowed in data files", self.name, line)
        if self.depth >= MAX_DEPTH:
            raise InputError(f"nested more than {MAX_DEPTH} levels deep", self.name, line)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as error:  # 2026-02-30; an integer of 5000 digits
            raise InputError(
                f"cannot read '{shorten(str(node.value))}': {str(error).split(';')[0]}",
                self.name,
                node.start_mark.line + 1,
            ) from None


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_line = key_node.start_mark.line + 1
        if not isinstance(key, str | int | float | bool | datetime.date):
            raise InputError("a key must be a plain value", loader.name, key_line)
        if key in mapping:
            raise InputError(f"duplicate key '{key}'", loader.name, key_line)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = value_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    sequence = LineList()
    sequence.line = node.start_mark.line + 1
    for item_node in node.value:
        sequence.append(loader.construct_object(item_node, deep=True))
        sequence.lines.append(item_node.start_mark.line + 1)
    return sequence


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def load_yaml(path: Path) -> object:
    """Parse a YAML file of the project safely, raising InputError with the line of any
    error (see inputs.read_input for the files refused unread)."""
    return parse_yaml(read_input(path), path)


def parse_yaml(data: bytes, path: Path) -> object:
    text = decode_text(data, path)
    loader = None
    try:
        loader = _LineLoader(text)  # checks every character first
        loader.name = str(path)
        return loader.get_single_data()
    except InputError as error:
        error.path = path
        raise
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        raise InputError(
            f"control character U+{error.character:04X} is not allowed: remove it", path, line
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        problem = error.problem or error.context or "invalid YAML"
        if error.context and error.context_mark and error.problem_mark:
            problem += f" ({error.context} started on line {error.context_mark.line + 1})"
        raise InputError(f"invalid YAML: {problem}", path, line) from None
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {error}", path) from None
    finally:
        if loader is not None:
            loader.dispose()


def field(
    doc: str,
    *,
    default=dataclasses.MISSING,
    check=None,
    translated: bool = False,
    max_length: int = MAX_TEXT_LENGTH,
):
    """A record field with its documentation, an optional value check and a translation flag.

    ``check(value)`` returns an error message or None. ``translated`` fields are extracted
    into the catalogs and translated at render time. Text longer than ``max_length``
    characters is refused before any check runs.
    """
    metadata = {"doc": doc, "check": check, "translated": translated, "max_length": max_length}
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass
class Location:
    """Where a record was declared, and the line of each of its fields."""

    path: Path
    line: int
    field_lines: dict[str, int] = dataclasses.field(default_factory=dict)

    def of(self, name: str) -> int:
        return self.field_lines.get(name, self.line)


def record_fields(cls) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(cls) if f.name != "where"]


def read_records(path: Path, key: str, cls, identity=lambda record: record.id) -> list:
    """Read the list under ``key`` of a YAML file into records of dataclass ``cls``.

    ``identity(record)`` must be unique within the file.
    """
    return records_from(load_yaml(path), path, key, cls, identity)


def records_from(
    data: object, path: Path, key: str, cls, identity=lambda record: record.id
) -> list:
    """Records of dataclass ``cls`` from the list under ``key`` of parsed YAML ``data``."""
    if not isinstance(data, LineDict) or key not in data:
        raise InputError(f"expected a mapping with a '{key}' list", path, 1)
    items = data[key]
    if not isinstance(items, LineList):
        raise InputError(f"'{key}' must be a list", path, data.lines[key])
    errors: list[InputError] = []
    records = []
    seen: dict[object, int] = {}
    for item, line in zip(items, items.lines, strict=True):
        record = _build(cls, item, path, line, errors)
        if record is None:
            continue
        ident = identity(record)
        if ident in seen:
            errors.append(
                InputError(f"duplicate {ident!r} (first on line {seen[ident]})", path, line)
            )
            continue
        seen[ident] = line
        records.append(record)
    if errors:
        raise InputErrors(errors)
    return records


def read_record(path: Path, cls):
    """Read a YAML file that holds one mapping into a record of dataclass ``cls``."""
    data = load_yaml(path)
    errors: list[InputError] = []
    record = _build(cls, data, path, getattr(data, "line", 1), errors)
    if errors:
        raise InputErrors(errors)
    return record


def _build(cls, item, path: Path, line: int, errors: list[InputError]):
    if not isinstance(item, LineDict):
        errors.append(InputError(f"expected a mapping of {cls.__name__} fields", path, line))
        return None
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in record_fields(cls)}
    values = {}
    count = len(errors)
    for name in item:
        if name not in fields:
            known = ", ".join(fields)
            errors.append(
                InputError(
                    f"unknown field '{shorten(str(name))}' (known: {known})", path, item.lines[name]
                )
            )
    for name, spec in fields.items():
        if name not in item:
            required = (
                spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
            )
            if required:
                errors.append(
                    InputError(f"missing field '{name}': {spec.metadata['doc']}", path, item.line)
                )
            continue
        value, value_line = item[name], item.lines[name]
        message = _type_error(value, hints[name])
        if message is None:
            message = text_problem(value, spec.metadata.get("max_length", MAX_TEXT_LENGTH))
        if message is None and spec.metadata.get("check") and value is not None:
            message = spec.metadata["check"](value)
        if message is not None:
            errors.append(InputError(f"{name}: {message}", path, value_line))
            continue
        values[name] = value
    if len(errors) > count:
        return None
    where = Location(path, item.line, dict(item.lines))
    return cls(**values, where=where)


def _type_error(value, hint) -> str | None:
    """None when ``value`` fits the annotation ``hint``, else what is wrong."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = [_type_error(value, option) for option in options if option is not type(None)]
        return None if None in errors else errors[0]
    if origin is list:
        (item_hint,) = typing.get_args(hint)
        if not isinstance(value, list):
            return f"expected a list, got {_describe(value)}"
        for item in value:
            message = _type_error(item, item_hint)
            if message:
                return message
        return None
    if hint is str:
        if isinstance(value, str) and value.strip():
            return None
        return f"expected text, got {_describe(value)}"
    if hint is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"expected a number, got {_describe(value)}"
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"expected a whole number, got {_describe(value)}"
    if hint is bool:
        return (
            None if isinstance(value, bool) else f"expected true or false, got {_describe(value)}"
        )
    if hint is datetime.date:
        ok = isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
        return None if ok else f"expected a date (YYYY-MM-DD), got {_describe(value)}"
    raise TypeError(f"unsupported field type {hint!r}")


def _describe(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return "empty text" if not value.strip() else f"text '{shorten(value)}'"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"'{shorten(str(value))}'"


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters for a message: a 100,000-character value must
    not become a 100,000-character error."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_problem(value, max_length: int) -> str | None:
    """What is wrong with the text of a field (or of each text in a list), or None: too long,
    or carrying an invisible or control character."""
    for text in value if isinstance(value, list) else [value]:
        if not isinstance(text, str):
            continue
        if len(text) > max_length:
            return f"too long ({len(text)} characters; at most {max_length})"
        if match := FORBIDDEN.search(text):
            return f"invisible or control character U+{ord(match.group()):04X}: remove it"
    return None


def matches(pattern: str, meaning: str):
    """A field check that requires the whole value to match ``pattern``."""
    compiled = re.compile(pattern)

    def check(value) -> str | None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not compiled.fullmatch(str(item)):
                return f"'{shorten(str(item))}' is not {meaning}"
        return None

    return check
