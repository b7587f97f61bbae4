"""The source registry (`sources.toml`): what each source is, where it lives, what its licence
allows, how politely to fetch it and how many records a healthy run yields.

`load_registry` rejects a bad file before anything is fetched, with one line per problem that
names the file, the source and the key (`sources.toml: source 'herne': key 'policy': ...`),
because the operator who edits it reads only that line; a syntax error keeps tomllib's line
and column. Besides the values themselves it checks what they name: an html source's scraper
module and class, a file source's file (relative to the registry), an open source's licence.
"""

import codecs
import tomllib
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

Policy = Literal["open", "withhold"]
Cadence = Literal["daily", "weekly", "monthly"]


class RegistryError(ValueError):
    """A malformed registry; the message names file, source and key."""


FileFormat = Literal["csv", "xlsx", "json"]
WEEKDAYS = ("mo", "di", "mi", "do", "fr", "sa", "so")
NonEmpty = Annotated[str, Field(min_length=1)]


#: One column (a header, or a dotted path into a JSON record), or several whose values are
#: listed (list fields) or joined with a space (text fields). Stored as a list.
Columns = Annotated[list[NonEmpty], BeforeValidator(lambda v: [v] if isinstance(v, str) else v)]
_EXTENSIONS: dict[str, FileFormat] = {".csv": "csv", ".tsv": "csv", ".txt": "csv",
                                      ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}
ListField = Literal["phones_text", "emails_text", "web_text", "topics", "flags_text",
                    "social_links"]
LIST_FIELDS = get_args(ListField)
#: Import-only keys of a place and its presence
#: (`scrapers.importers.files.mapping.presence_fields`): read into coordinates, a map link,
#: social links and the as-of date, never joined as text.
PRESENCE_KEYS = ("lat", "lon", "coordinates", "map_url", "social_links", "as_of")


class FileColumns(BaseModel):
    """`[source.file.columns]`: ScrapedRecord field -> column. `street`, `postcode` and `city`
    are import-only parts that become `address_text` ("street, postcode city"), so a postcode
    found in the city column can be noticed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Columns
    description: Columns | None = None
    carrier: Columns | None = None
    address_text: Columns | None = None
    street: Columns | None = None
    postcode: Columns | None = None
    city: Columns | None = None
    district: Columns | None = None
    phones_text: Columns | None = None
    emails_text: Columns | None = None
    web_text: Columns | None = None
    hours_text: Columns | None = None
    phone_hours_text: Columns | None = None
    meeting_text: Columns | None = None
    topics: Columns | None = None
    contact_person: Columns | None = None
    accessibility_text: Columns | None = None
    online_text: Columns | None = None
    org_type: Columns | None = None
    parent_key: Columns | None = None
    flags_text: Columns | None = None
    contact_count_text: Columns | None = None
    # place and presence (see PRESENCE_KEYS)
    lat: Columns | None = Field(None, description="latitude (WGS84, decimal point or comma)")
    lon: Columns | None = Field(None, description="longitude")
    coordinates: Columns | None = Field(None, description='"lat,lon" in one cell, or a JSON '
                                                          "[lat, lon] list")
    map_url: Columns | None = Field(None, description="a map link (OpenStreetMap, Google "
                                                      "Maps, …): its coordinates are used")
    social_links: Columns | None = Field(None, description="social-media links (a list field)")
    as_of: Columns | None = Field(None, description="the record's as-of date (Stand)")

    @model_validator(mode="after")
    def _address_once(self) -> "FileColumns":
        if self.address_text and (self.street or self.postcode or self.city):
            raise ValueError("give address_text or street/postcode/city, not both")
        return self

    def mapped(self) -> dict[str, list[str]]:
        """field -> its columns, for every field the mapping names."""
        return self.model_dump(exclude_none=True)


class FileBranches(BaseModel):
    """`[source.file.branches]`: how one centre's several places are told apart.

    `suffixes`: flat files with a second place in columns like "Straße_2", "Telefon_2";
    `path`: JSON records holding a list of branch objects (read with the same column paths);
    `key`: the column (inside a branch, for `path`) naming a place, appended to the centre's key
    instead of the ordinal; also used when rows repeat the same key.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    suffixes: list[NonEmpty] = Field(default_factory=list)
    path: str | None = None
    key: str | None = None

    @model_validator(mode="after")
    def _one_layout(self) -> "FileBranches":
        if self.suffixes and self.path:
            raise ValueError("give suffixes (flat files) or path (JSON), not both")
        return self


class FileHours(BaseModel):
    """`[source.file.hours]`: office and phone hours a file gives per day. `days` (and
    `phone_days`) name a column or (json) path holding a list of entries ({"day": "Montag",
    "from": "09:00", "to": "12:00", "note": "nach Vereinbarung"}) or an object keyed by weekday
    whose values are entries, lists of entries or text ("09:00–12:00", "appointment"); a
    CSV/XLSX cell holds the same as JSON text. `fields` renames the entry fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: str | None = Field(None, min_length=1, description="office hours per day")
    phone_days: str | None = Field(None, min_length=1, description="phone hours per day")
    fields: dict[Literal["day", "from", "to", "note"], NonEmpty] = Field(
        default_factory=dict, description="entry field (day, from, to, note) -> its name")

    @model_validator(mode="after")
    def _something(self) -> "FileHours":
        if not (self.days or self.phone_days):
            raise ValueError("give days and/or phone_days")
        return self

    def name(self, field: str) -> str:
        return self.fields.get(field, field)


class FileSettings(BaseModel):
    """`[source.file]`: how to read a file a contact centre sends, with no code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: FileFormat | None = Field(None, description="default: from the file extension")
    encoding: str | None = Field(None, description="default: BOM, strict UTF-8, Windows-1252")
    delimiter: str | None = Field(None, min_length=1, max_length=1,
                                  description="default: sniffed among ; , tab |")
    header_row: int = Field(1, ge=1, description="csv/xlsx: the line holding the headers")
    sheet: str | None = Field(None, description="xlsx: default the first sheet")
    records: Columns | None = Field(
        None, description="json: dotted path(s) to lists of records; a part `*` stands for "
                          "every key or item (\"regionen.*.stellen\"); a column \"^name\" is a "
                          "field of the enclosing object, \"^*\" the key `*` matched")
    key: Columns = Field(min_length=1, description="column(s) forming the source's own key")
    kind: Literal["group", "contact_centre", "organisation"] = "group"
    columns: FileColumns
    split: dict[ListField, NonEmpty] = Field(default_factory=dict,
                                  description="list field -> separator inside one cell")
    join: dict[str, str] = Field(default_factory=dict,
                                 description="text field -> separator between its columns' "
                                             "values (default a space)")
    hours_by_day: object = Field(
        None, description="weekday (mo…so) -> column, or (json) the path to an object keyed by "
                          "weekday")
    hours: FileHours | None = None
    branches: FileBranches | None = None
    as_of: str | None = Field(None, min_length=1, description=(
        "json: dotted path from the document's top to the file's as-of date (Stand); a "
        "record's own `columns.as_of` wins"))

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                info = codecs.lookup(value)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {value!r}") from exc
            if not info._is_text_encoding:  # rot13, base64, zlib: bytes <-> bytes codecs
                raise ValueError(f"{value!r} is not a text encoding")
        return value

    @field_validator("hours_by_day")
    @classmethod
    def _weekday_columns(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and value):
            return value
        if not isinstance(value, dict) or not value or \
                not all(isinstance(c, str) and c for c in value.values()):
            raise ValueError("give a table weekday = column, or (json) one path")
        if unknown := set(value) - set(WEEKDAYS):
            raise ValueError(f"unknown weekday(s) {', '.join(sorted(unknown))}; "
                             f"use {', '.join(WEEKDAYS)}")
        return value

    @field_validator("join")
    @classmethod
    def _text_fields_only(cls, value: dict[str, str]) -> dict[str, str]:
        text = (set(FileColumns.model_fields) - set(LIST_FIELDS) - set(PRESENCE_KEYS)
                - {"street", "postcode", "city"})
        if wrong := sorted(set(value) - text):
            raise ValueError(f"{', '.join(wrong)}: only text fields ({', '.join(sorted(text))}) "
                             f"are joined")
        return value


class ReleaseSettings(BaseModel):
    """`[source.release]`: what kind of release a `release` source imports."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["atlas", "hsds"] = Field(
        "atlas", description="atlas: another instance's latest.json; hsds: an HSDS 3.0 "
                             "service list")
    kind: Literal["group", "contact_centre", "organisation"] = Field(
        "group", description="hsds only: what the services are")
    max_bytes: int = Field(256 * 2**20, gt=0,
                           description="size cap of one release file (listings.json, an "
                                       "HSDS page); 256 MiB holds about 150,000 listings")


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    kind: Literal["html", "file", "release"]
    scraper: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]*$",
                                description="scraper module name; defaults to the id")
    start_urls: list[Annotated[str, Field(pattern=r"^https?://")]] = Field(default_factory=list)
    path: str | None = Field(None, description="file sources: the file, relative to the registry")
    licence: str = Field(min_length=1, description="SPDX id, LicenseRef-… or licence URI")
    policy: Policy
    attribution: str | None = None
    cadence: Cadence = "daily"
    rate_per_second: float = Field(1.0, gt=0, le=20)
    min_records: int = Field(1, ge=0)
    #: A run with fewer records than this share of the last accepted run is refused.
    min_share: float = Field(0.5, ge=0, le=1)
    may_be_empty: bool = False
    file: FileSettings | None = Field(None, description="file sources: how to read the file")
    release: ReleaseSettings = Field(default_factory=ReleaseSettings,
                                     description="release sources: what is imported")
    staff_contacts: Literal["withhold", "publish"] = Field(
        "withhold", description="contact centres and organisations: whether their staff's "
                                "names and named mailboxes (vorname.nachname@) may be published")
    max_pages: int | None = Field(
        None, ge=1, description="pages one run may fetch; default 3 x the pages of the last "
                                "accepted run, at least 200 (a first run: 5,000)")
    max_seconds: float | None = Field(
        None, gt=0, description="wall time of one run of the source; default 7200 s")

    @field_validator("file")
    @classmethod
    def _file_format(cls, value: FileSettings | None, info: ValidationInfo) -> FileSettings | None:
        """Fill in the format from the extension, so the importer never guesses again."""
        if value is None:
            return None
        fmt = value.format
        if fmt is None:
            suffix = Path(info.data.get("path") or "").suffix.lower()
            if suffix not in _EXTENSIONS:
                raise ValueError(f"format: cannot tell it from the extension {suffix!r}; "
                                 f"set format = csv|xlsx|json")
            fmt = _EXTENSIONS[suffix]
        if fmt == "json" and (value.delimiter or value.sheet or value.header_row != 1):
            raise ValueError("delimiter, sheet and header_row do not apply to json")
        if fmt != "json" and (value.records or isinstance(value.hours_by_day, str)):
            raise ValueError("records and a path for hours_by_day apply to json only")
        if fmt != "json" and value.branches and value.branches.path:
            raise ValueError("branches.path applies to json; flat files use branches.suffixes")
        if fmt == "json" and value.branches and value.branches.suffixes:
            raise ValueError("branches.suffixes applies to csv/xlsx; json uses branches.path")
        return value.model_copy(update={"format": fmt})

    @model_validator(mode="after")
    def _where(self) -> "Source":
        if self.kind in ("html", "release") and not self.start_urls:
            raise ValueError(f"an {self.kind} source needs start_urls")
        if self.kind != "release" and "release" in self.model_fields_set:
            raise ValueError("[source.release] applies to release sources only")
        if self.kind == "file" and not self.path:
            raise ValueError("a file source needs a path")
        if self.kind == "file" and self.file is None:
            raise ValueError("a file source needs a [source.file] table (key, columns)")
        if self.kind != "file" and self.file is not None:
            raise ValueError("[source.file] applies to file sources only")
        return self


class Registry(BaseModel):
    model_config = ConfigDict(frozen=True)

    path: Path
    sources: list[Source]

    def get(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(self.ids)}")

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.sources]


def load_registry(path: Path | str) -> Registry:
    """The registry at `path`, or a RegistryError listing every problem as
    `<file>: source '<id>': key '<dotted key>': <what is wrong>` (a syntax error: tomllib's
    line and column)."""
    path = Path(path)
    data = _parse(path)
    entries = data.get("source")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{path}: no [[source]] tables")
    problems = [f"{path}: unknown top-level key {key!r}" for key in data if key != "source"]
    sources: list[Source] = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(f"{path}: source #{n}: not a table")
            continue
        sid = entry.get("id")
        label = f"source {sid!r}" if isinstance(sid, str) else f"source #{n}"
        try:
            sources.append(Source.model_validate(entry))
        except ValidationError as exc:
            problems += [f"{path}: {label}: key {_dotted(err['loc'])!r}: {err['msg']}{_got(err)}"
                         for err in exc.errors()]
    found = _duplicate_ids(sources)
    found += [(s, key, why) for s in sources for key, why in _named_things(s, path.parent)]
    problems += [f"{path}: source {s.id!r}: key {key!r}: {why}" for s, key, why in found]
    if problems:
        raise RegistryError("\n".join(problems))
    return Registry(path=path, sources=sources)


def _parse(path: Path) -> dict:
    """The TOML at `path` (a leading UTF-8 BOM, what Windows editors write first, skipped)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the registry: {exc.strerror}") from exc
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise RegistryError(f"{path}:{line}: not UTF-8 (byte {raw[exc.start]:#04x})") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from exc  # its line and column


def _dotted(loc: tuple) -> str:
    """pydantic's error location as the key an operator writes (`file.columns.name`; a bad
    table key is named by itself, not pydantic's "[key]")."""
    return ".".join(str(p) for p in loc if p != "[key]") or "(entry)"


def _duplicate_ids(sources: list[Source]) -> list[tuple[Source, str, str]]:
    """(source, key, why) for every id an earlier entry already declared."""
    first: dict[str, int] = {}
    return [(s, "id", f"declared twice (sources #{first[s.id]} and #{n})")
            for n, s in enumerate(sources, start=1) if first.setdefault(s.id, n) != n]


def _named_things(source: Source, folder: Path) -> list[tuple[str, str]]:
    """(key, what is wrong) for what a valid entry names but cannot be found: checked when the
    registry is loaded, not when the night reaches the source."""
    problems = []
    if source.kind == "html":
        key = "scraper" if source.scraper else "id"
        if why := _scraper_problem(source.scraper or source.id):
            problems.append((key, why))
    if source.kind == "file" and source.path:
        file = folder / source.path
        if not file.is_file():
            problems.append(("path", f"file {source.path!r} not found (relative to the "
                                     f"registry: {file})"))
    if source.policy == "open" and not source.licence.strip():
        problems.append(("licence", "blank: an open source must name its licence (SPDX id, "
                                    "LicenseRef-… or licence URI)"))
    return problems


def _scraper_problem(name: str) -> str | None:
    """Why no scraper is found under `name` the way a run finds it, or None."""
    from scrapers.registry import scraper_class  # a registry without html sources needs none

    try:
        scraper_class(name)
    except LookupError as exc:
        return str(exc).removeprefix(f"source {name!r}: ")
    except Exception as exc:  # the module exists but does not import
        module = f"scrapers.sources.{name.replace('-', '_')}"
        return f"{module} does not import: {type(exc).__name__}: {exc}"
    return None


def _got(err: dict) -> str:
    """The offending value, when it is short enough to quote in one line."""
    value = err.get("input")
    if err["type"] == "missing" or isinstance(value, dict | list) or len(repr(value)) > 60:
        return ""
    return f" (got {value!r})"
