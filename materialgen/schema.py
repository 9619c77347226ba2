"""Line-aware YAML loading and validation of records declared as dataclasses.

Every data file (content, language table, font list) is read here, so every error about one
names its file and line. Records are declared once, as dataclasses whose fields carry their
documentation in ``metadata["doc"]``; ``read_records`` checks types, unknown and missing
fields, and runs each field's ``metadata["check"]``, collecting every error before failing.
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
    """SafeLoader (no object construction, no code) that keeps line numbers."""


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
    """Parse a YAML file safely, raising InputError with the line of any error."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path) from None
    return parse_yaml(data, path)


def parse_yaml(data: bytes, path: Path) -> object:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InputError("not valid UTF-8 text", path, line) from None
    loader = _LineLoader(text)
    loader.name = str(path)
    try:
        return loader.get_single_data()
    except InputError as error:
        error.path = path
        raise
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
        loader.dispose()


def field(doc: str, *, default=dataclasses.MISSING, check=None, translated: bool = False):
    """A record field with its documentation, an optional value check and a translation flag.

    ``check(value)`` returns an error message or None. ``translated`` fields are extracted
    into the catalogs and translated at render time.
    """
    metadata = {"doc": doc, "check": check, "translated": translated}
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
                InputError(f"unknown field '{name}' (known: {known})", path, item.lines[name])
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
        return "empty text" if not value.strip() else f"text '{value}'"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"'{value}'"


def matches(pattern: str, meaning: str):
    """A field check that requires the whole value to match ``pattern``."""
    compiled = re.compile(pattern)

    def check(value) -> str | None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not compiled.fullmatch(str(item)):
                return f"'{item}' is not {meaning}"
        return None

    return check
