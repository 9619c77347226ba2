"""The content schema (resources, warning signs, materials, local organisation) and its loader.

Each field is declared once, here, with its documentation. Fields marked ``translated`` go
through the catalogs with a message context ``<kind>:<id>:<field>``; numbers, text codes and
web addresses are never translated.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

from .adapt import Step
from .errors import InputError, InputErrors
from .schema import Location, field, matches, read_record, read_records

PHONE = r"(1-\d{3}-\d{3}-\d{4}|\d{3}-\d{3}-\d{4}|\d{3})"
PHONE_CHECK = matches(PHONE, "a phone number written like 1-888-373-7888, 612-399-9995 or 911")
WEB_CHECK = matches(
    r"[a-z0-9-]+(\.[a-z0-9-]+)+(/[A-Za-z0-9._~/-]*)?",
    "a web address without http:// (like example.org/page)",
)
SOURCE_CHECK = matches(r"https?://[^\s]+", "an http(s):// address of a public source page")
ID_CHECK = matches(r"[a-z0-9]+(-[a-z0-9]+)*", "an identifier (lower-case letters, digits, hyphens)")

#: Resources verified longer ago than this are reported as needing a fresh check.
VERIFIED_MAX_AGE = datetime.timedelta(days=180)

PAPER_SIZES = ("card", "letter", "tabloid")


@dataclasses.dataclass(kw_only=True)
class Resource:
    """A hotline or service a material can print."""

    id: str = field("identifier that materials use to list this resource", check=ID_CHECK)
    name: str = field("name of the service as printed", translated=True)
    summary: str = field("one or two short sentences: who it helps and how", translated=True)
    sources: list[str] = field(
        "addresses of the public pages the facts come from", check=SOURCE_CHECK
    )
    verified: datetime.date = field("date the facts were last checked against the sources")
    phone: str | None = field("number to call", default=None, check=PHONE_CHECK)
    text_number: str | None = field(
        "number or short code to text",
        default=None,
        check=matches(r"\d{5,6}|" + PHONE, "a short code or phone number"),
    )
    text_keyword: str | None = field(
        "word to send to the text number, printed untranslated",
        default=None,
        check=matches(r"[A-Z]{2,10}", "an upper-case keyword"),
    )
    web: str | None = field("web address, without http://", default=None, check=WEB_CHECK)
    hours: str | None = field("when it can be reached", default=None, translated=True)
    languages: str | None = field("languages served", default=None, translated=True)
    # Neutral on purpose, both of them: the discreet card and the tear-off tabs must never
    # say what the line is about (no "trafficking"), since a controller may search the wallet.
    discreet_name: str | None = field(
        "a neutral name for the line, printed on the discreet card and on the tear-off tabs",
        default=None,
        translated=True,
    )
    discreet_purpose: str | None = field(
        "what the line is for, in neutral words, printed inside the discreet card",
        default=None,
        translated=True,
    )
    where: Location | None = None


@dataclasses.dataclass(kw_only=True)
class Sign:
    """One warning sign of trafficking, in a short form."""

    id: str = field("identifier that materials use to list this sign", check=ID_CHECK)
    text: str = field("the sign, one short sentence", translated=True)
    short: str | None = field(
        "shorter form for the wallet card and poster; no longer than its max-length flag",
        default=None,
        translated=True,
    )
    icon: str = field(
        "pictogram printed beside the sign: templates/icons/<icon>.svg", check=ID_CHECK
    )
    sources: list[str] = field("addresses of the public pages it summarises", check=SOURCE_CHECK)
    where: Location | None = None


@dataclasses.dataclass(kw_only=True)
class Material:
    """One printed material: its template (or the material it imposes), paper and content."""

    id: str = field("name of the output file, output/<lang>/<id>.pdf", check=ID_CHECK)
    template: str | None = field(
        "Jinja2 template in templates/ (not for an imposed sheet)",
        default=None,
        check=matches(r"[A-Za-z0-9_-]+\.html", "the name of an .html file in templates/"),
    )
    paper: str = field(
        "card (ID-1), letter (A4 with --paper a4) or tabloid (A3 with --paper a4)",
        check=matches("|".join(PAPER_SIZES), "one of " + ", ".join(PAPER_SIZES)),
    )
    pages: int = field("number of pages the material must have; more means text spilled over")
    font_size: float | None = field(
        "body font size in points, before per-script scaling and copyfitting "
        "(needed with a template)",
        default=None,
    )
    resources: list[str] = field(
        "resources printed, in order (ids from resources.yaml)", default=[]
    )
    signs: list[str] = field(
        "warning signs printed, in order (ids from warning-signs.yaml)", default=[]
    )
    min_font_size: float | None = field(
        "smallest type size in points the print check accepts for body text (legal posters: 16)",
        default=None,
    )
    impose: str | None = field(
        "a two-page card material whose checked PDF this sheet places ten times on the "
        "paper, fronts on page 1 and backs on page 2, with cut marks (instead of a template)",
        default=None,
    )
    poster_languages: list[str] = field(
        "languages printed beside the material's own language", default=[]
    )
    discreet: bool = field(
        "the material must not say what it is about (someone may search the wallet that "
        "carries it): every resource it lists needs discreet_name and discreet_purpose",
        default=False,
    )
    adapt: list[str] = field(
        "what the material may do, in this order, when its text does not fit at its type "
        "floor (steps declared in adaptations.yaml): layout alternatives first, then content "
        "steps; each is taken only when one of its frames does not fit",
        default=[],
    )
    where: Location | None = None


#: The organisation's limits: the longest value every material holds in every shipped
#: language (measured with tests/organisations/all-at-limit.yaml: its 17 x 6 documents
#: build with the adaptation steps of materials.yaml; README "For community groups").
ORGANISATION_LIMITS = {"name": 40, "address": 50, "web": 30}
#: Largest logo file, and its printed height where a material has room for it.
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_FORMATS = ("PNG", "JPEG")


@dataclasses.dataclass(kw_only=True)
class Organisation:
    """The community group's own contact, printed on every material but the discreet card."""

    name: str = field(
        "name of the organisation, printed as written (in any script the project has fonts "
        f"for); at most {ORGANISATION_LIMITS['name']} characters",
        max_length=ORGANISATION_LIMITS["name"],
    )
    phone: str | None = field("phone number", default=None, check=PHONE_CHECK, max_length=50)
    address: str | None = field(
        f"street address, printed as written; at most {ORGANISATION_LIMITS['address']} characters",
        default=None,
        max_length=ORGANISATION_LIMITS["address"],
    )
    web: str | None = field(
        f"web address, without http://; at most {ORGANISATION_LIMITS['web']} characters",
        default=None,
        check=WEB_CHECK,
        max_length=ORGANISATION_LIMITS["web"],
    )
    logo: str | None = field(
        "a PNG or JPEG file inside the project, relative to this file (at most 2 MB), printed "
        "at a fixed height on the flyers and the poster where they have room",
        default=None,
        check=matches(r"[^\0]+\.(png|PNG|jpg|JPG|jpeg|JPEG)", "a .png or .jpg file"),
        max_length=200,
    )
    where: Location | None = None
    #: the logo, checked and re-encoded as PNG by ``load_logo``: what the PDF embeds (set
    #: after loading; not a field of the file)
    logo_png = None

    @property
    def logo_path(self) -> Path | None:
        return self.where.path.parent / self.logo if self.logo else None


def load_logo(organisation: Organisation, root: Path) -> None:
    """Read the logo through the input guard (inside the project, a regular file, at most
    2 MB), decode it with Pillow, whose decompression-bomb guard stays on (a warning is an
    error here), and keep it re-encoded as PNG: what reaches WeasyPrint is Pillow's output,
    never the bytes of the file."""
    import io
    import warnings

    from PIL import Image

    from .inputs import read_input

    path, line = organisation.logo_path, organisation.where.of("logo")
    try:
        data = read_input(path, root, limit=LOGO_MAX_BYTES)
    except InputError as error:
        raise InputError(f"logo: {error}", organisation.where.path, line) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=LOGO_FORMATS) as image:
                image.load()
                if image.mode not in ("RGB", "RGBA", "L", "LA"):
                    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
                out = io.BytesIO()
                image.save(out, format="PNG", optimize=False)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise InputError(
            f"logo: {path.name}: refused, too many pixels ({error})", organisation.where.path, line
        ) from None
    except (OSError, ValueError, SyntaxError, Image.UnidentifiedImageError) as error:
        raise InputError(
            f"logo: {path.name} is not a readable PNG or JPEG image ({error})",
            organisation.where.path,
            line,
        ) from None
    organisation.logo_png = out.getvalue()


@dataclasses.dataclass
class Content:
    resources: dict[str, Resource]
    signs: dict[str, Sign]
    materials: dict[str, Material]
    organisation: Organisation | None
    #: the adaptation steps of materials/adaptations.yaml, by id (adapt.py)
    steps: dict = dataclasses.field(default_factory=dict)


def load_content(materials_dir: Path, organisation_path: Path | None) -> Content:
    """Load and cross-check every content file, raising InputErrors listing all problems."""
    errors: list[InputError] = []

    def read(path: Path, key: str, cls) -> list:
        try:
            return read_records(path, key, cls)
        except (InputError, InputErrors) as error:
            errors.extend(error.errors)
        return []

    resources = {r.id: r for r in read(materials_dir / "resources.yaml", "resources", Resource)}
    signs = {s.id: s for s in read(materials_dir / "warning-signs.yaml", "signs", Sign)}
    materials = {m.id: m for m in read(materials_dir / "materials.yaml", "materials", Material)}
    steps = {s.id: s for s in read(materials_dir / "adaptations.yaml", "steps", Step)}
    templates_dir = materials_dir.parent / "templates"
    for sign in signs.values():
        if not (templates_dir / "icons" / f"{sign.icon}.svg").is_file():
            errors.append(
                InputError(
                    f"icon: no file templates/icons/{sign.icon}.svg",
                    sign.where.path,
                    sign.where.of("icon"),
                )
            )
    for material in materials.values() if not errors else ():
        where = material.where
        for name, known, ids in (
            ("resources", resources, material.resources),
            ("signs", signs, material.signs),
        ):
            for ident in ids:
                if ident not in known:
                    errors.append(
                        InputError(f"{name}: no entry '{ident}'", where.path, where.of(name))
                    )
        for ident in material.adapt:
            if ident not in steps:
                errors.append(
                    InputError(
                        f"adapt: no step '{ident}' in adaptations.yaml",
                        where.path,
                        where.of("adapt"),
                    )
                )
        for ident in material.resources if material.discreet else ():
            resource = resources.get(ident)
            for name in ("discreet_name", "discreet_purpose"):
                if resource is not None and not getattr(resource, name):
                    errors.append(
                        InputError(
                            f"'{ident}' has no {name}, which the discreet material "
                            f"'{material.id}' prints instead of its name and summary",
                            resource.where.path,
                            resource.where.line,
                        )
                    )
        if material.impose:
            errors += _imposition_errors(material, materials)
            continue
        if not material.template or not material.font_size:
            missing = "template" if not material.template else "font_size"
            errors.append(
                InputError(
                    f"{missing}: a material needs a template and a font_size "
                    "(or 'impose' for a sheet of cards)",
                    where.path,
                    where.line,
                )
            )
            continue
        if not (templates_dir / material.template).is_file():
            errors.append(
                InputError(
                    f"template: no file templates/{material.template}",
                    where.path,
                    where.of("template"),
                )
            )

    organisation = None
    if organisation_path is not None:
        try:
            organisation = load_organisation(organisation_path, materials_dir.parent)
        except (InputError, InputErrors) as error:
            errors.extend(error.errors)
    if errors:
        raise InputErrors(errors)
    return Content(resources, signs, materials, organisation, steps)


def load_organisation(path: Path, root: Path) -> Organisation:
    """An organisation file, its logo read and checked (inside the project ``root``);
    raises InputError(s) with its lines."""
    organisation = read_record(path, Organisation)
    if organisation.logo:
        load_logo(organisation, root)
    return organisation


def _imposition_errors(material: Material, materials: dict[str, Material]) -> list[InputError]:
    where = material.where
    source = materials.get(material.impose)
    if source is None:
        problem, name = f"impose: no material '{material.impose}'", "impose"
    elif source.paper != "card" or source.pages != 2 or source.impose:
        problem, name = f"impose: '{source.id}' is not a two-page card", "impose"
    elif material.template:
        problem, name = "an imposed sheet has no template of its own", "template"
    elif material.paper == "card":
        problem, name = "paper: a sheet of cards needs letter or tabloid paper", "paper"
    else:
        return []
    return [InputError(problem, where.path, where.of(name))]


def stale_resources(content: Content, today: datetime.date) -> list[InputError]:
    """Warnings for resources whose facts were checked too long ago."""
    warnings = []
    for resource in content.resources.values():
        age = today - resource.verified
        if age > VERIFIED_MAX_AGE:
            where = resource.where
            warnings.append(
                InputError(
                    f"'{resource.id}' was last verified {resource.verified} ({age.days} days ago): "
                    "check its sources and update 'verified'",
                    where.path,
                    where.of("verified"),
                )
            )
    return warnings


def message_context(record, name: str) -> str:
    """The gettext context of a translated field: ``<kind>:<id>:<field>``."""
    return f"{type(record).__name__.lower()}:{record.id}:{name}"


def translated_strings(records):
    """Every translatable field of ``records`` as (context, text, comment, path, line)."""
    for record in records:
        for spec in dataclasses.fields(record):
            value = getattr(record, spec.name)
            if spec.metadata.get("translated") and value:
                comment = f"{type(record).__name__} '{record.id}': {spec.metadata['doc']}."
                yield (
                    message_context(record, spec.name),
                    value,
                    comment,
                    record.where.path,
                    record.where.of(spec.name),
                )
