"""The organisation form: named profiles, checked by the content schema, saved as the YAML
file the command line reads.

A profile is materials/organisations/<name>.yaml (its logo beside it, in logos/); choosing
one writes it, atomically, to materials/local-organisation.yaml, its logo's path made
relative to that file, so the chosen profile is the one whose file that is, byte for byte.
A form is checked by writing it as YAML and reading it back with ``schema.read_record``:
the command line and the page accept exactly the same files.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from ..content import Organisation
from ..errors import InputError, InputErrors
from ..files import write_bytes_atomically
from ..inputs import read_input
from ..schema import read_record

PROFILE_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
PROFILE_NAME_HELP = "lower-case letters, digits and hyphens, like food-shelf"
#: The form's fields: the schema's name of each, and its label.
FIELDS = {
    "name": "Organisation name",
    "phone": "Phone",
    "address": "Address",
    "web": "Web address",
}
#: A logo: PNG or JPEG, 2 MB at most, kept inside the project (materials/logos/).
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}
HEADER = "# Written by the web app (generate.py serve); the command line reads it as it is.\n"


def schema_has_logo() -> bool:
    """Whether the organisation schema takes a logo (it gains one with the logo work)."""
    return any(spec.name == "logo" for spec in dataclasses.fields(Organisation))


@dataclasses.dataclass
class Profiles:
    materials_dir: Path

    @property
    def folder(self) -> Path:
        return self.materials_dir / "organisations"

    @property
    def chosen_path(self) -> Path:
        return self.materials_dir / "local-organisation.yaml"

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.yaml") if PROFILE_NAME.fullmatch(p.stem))

    def path(self, name: str) -> Path:
        if not PROFILE_NAME.fullmatch(name):
            raise ValueError(name)
        return self.folder / f"{name}.yaml"

    def values(self, name: str | None) -> dict[str, str]:
        """The fields of profile ``name`` (None: of local-organisation.yaml), as strings."""
        path = self.chosen_path if name is None else self.path(name)
        try:
            record = yaml.safe_load(read_input(path, self.materials_dir.parent)) or {}
        except (InputError, yaml.YAMLError, ValueError):
            return {}
        if not isinstance(record, dict):
            return {}
        return {key: str(value) for key, value in record.items() if value is not None}

    def logo_folder(self) -> Path:
        return self.folder / "logos"

    def chosen_text(self, name: str) -> str:
        """Profile ``name`` as local-organisation.yaml: its logo seen from materials/."""
        values = self.values(name)
        if values.get("logo"):
            values["logo"] = f"{self.folder.name}/{values['logo']}"
        return organisation_yaml(values)

    def chosen(self) -> str | None:
        """The profile that local-organisation.yaml is, byte for byte."""
        try:
            current = self.chosen_path.read_bytes()
        except OSError:
            return None
        for name in self.names():
            if self.chosen_text(name).encode("utf-8") == current:
                return name
        return None

    def save(self, name: str, text: str, choose: bool) -> None:
        write_bytes_atomically(self.path(name), text.encode("utf-8"))
        if choose:
            self.choose(name)

    def choose(self, name: str) -> None:
        write_bytes_atomically(self.chosen_path, self.chosen_text(name).encode("utf-8"))


def organisation_yaml(values: dict[str, str]) -> str:
    """The form's non-empty fields as the YAML file, one line each, in the form's order."""
    record = {key: values[key].strip() for key in [*FIELDS, "logo"] if values.get(key, "").strip()}
    body = yaml.safe_dump(record, allow_unicode=True, sort_keys=False, width=1000) if record else ""
    return HEADER + body


def check_organisation(text: str, scratch: Path) -> dict[str, str]:
    """The schema's messages for the YAML ``text``, by field ("" for the whole file)."""
    path = scratch / "local-organisation.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        read_record(path, Organisation)
    except InputError as error:
        return {"": error.message}
    except InputErrors as many:
        return dict(field_message(error) for error in reversed(many.errors))
    return {}


def field_message(error: InputError) -> tuple[str, str]:
    """(field, message in plain words) of a schema error."""
    missing = re.match(r"missing field '(\w+)'", error.message)
    if missing:
        return missing.group(1), f"{FIELDS.get(missing.group(1), missing.group(1))} is needed."
    name, _, message = error.message.partition(": ")
    if name in (*FIELDS, "logo") and message:
        return name, message[0].upper() + message[1:] + ("" if message.endswith(".") else ".")
    return "", error.message


def check_logo(data: bytes) -> tuple[str | None, str | None]:
    """(file suffix, None) for a PNG or JPEG of at most 2 MB, else (None, why not)."""
    if len(data) > LOGO_MAX_BYTES:
        return None, f"The logo is {len(data) / 1024 / 1024:.1f} MB; it may have 2 MB at most."
    for magic, suffix in LOGO_TYPES.items():
        if data.startswith(magic):
            return suffix, None
    return None, "The logo must be a PNG or JPEG picture."
