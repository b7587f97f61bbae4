"""The source registry (`sources.toml`): what each source is, where it lives, what its licence
allows, how politely to fetch it and how many records a healthy run yields.

`load_registry` rejects a bad file before anything is fetched, with a message that names the
source and the key, because the operator who edits it reads only that one line.
"""

import codecs
import tomllib
from pathlib import Path
from typing import Annotated, Literal

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


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


#: One column (a header, or a dotted path into a JSON record), or several whose values are
#: listed (list fields) or joined with a space (text fields). Stored as a list.
Columns = Annotated[list[Annotated[str, Field(min_length=1)]], BeforeValidator(_as_list)]
_EXTENSIONS: dict[str, FileFormat] = {".csv": "csv", ".tsv": "csv", ".txt": "csv",
                                      ".xlsx": "xlsx", ".xlsm": "xlsx", ".json": "json"}
LIST_FIELDS = ("phones_text", "emails_text", "web_text", "topics", "flags_text")


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
    meeting_text: Columns | None = None
    topics: Columns | None = None
    contact_person: Columns | None = None
    accessibility_text: Columns | None = None
    online_text: Columns | None = None
    org_type: Columns | None = None
    parent_key: Columns | None = None
    flags_text: Columns | None = None
    contact_count_text: Columns | None = None

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

    suffixes: list[str] = Field(default_factory=list)
    path: str | None = None
    key: str | None = None

    @model_validator(mode="after")
    def _one_layout(self) -> "FileBranches":
        if self.suffixes and self.path:
            raise ValueError("give suffixes (flat files) or path (JSON), not both")
        if any(not s for s in self.suffixes):
            raise ValueError("a suffix must not be empty")
        return self


class FileSettings(BaseModel):
    """`[source.file]`: how to read a file a contact centre sends, with no code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: FileFormat | None = Field(None, description="default: from the file extension")
    encoding: str | None = Field(None, description="default: BOM, strict UTF-8, Windows-1252")
    delimiter: str | None = Field(None, min_length=1, max_length=1,
                                  description="default: sniffed among ; , tab |")
    header_row: int = Field(1, ge=1, description="csv/xlsx: the line holding the headers")
    sheet: str | None = Field(None, description="xlsx: default the first sheet")
    records: str | None = Field(None, description="json: dotted path to the list of records")
    key: Columns = Field(min_length=1, description="column(s) forming the source's own key")
    kind: Literal["group", "contact_centre", "organisation"] = "group"
    columns: FileColumns
    split: dict[str, str] = Field(default_factory=dict,
                                  description="list field -> separator inside one cell")
    hours_by_day: object = Field(
        None, description="weekday (mo…so) -> column, or (json) the path to an object keyed by "
                          "weekday")
    branches: FileBranches | None = None

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError as exc:
                raise ValueError(f"unknown encoding {value!r}") from exc
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

    @field_validator("split")
    @classmethod
    def _list_fields_only(cls, value: dict[str, str]) -> dict[str, str]:
        for field, sep in value.items():
            if field not in LIST_FIELDS:
                raise ValueError(f"{field}: only list fields ({', '.join(LIST_FIELDS)}) "
                                 f"can be split")
            if not sep:
                raise ValueError(f"{field}: the separator must not be empty")
        return value


class ReleaseSettings(BaseModel):
    """`[source.release]`: what kind of release a `release` source imports."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["atlas", "hsds"] = Field(
        "atlas", description="atlas: another instance's latest.json; hsds: an HSDS 3.0 "
                             "service list")
    kind: Literal["group", "contact_centre", "organisation"] = Field(
        "group", description="hsds only: what the services are")


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    kind: Literal["html", "file", "release"]
    scraper: str | None = Field(None, description="scraper module name; defaults to the id")
    start_urls: list[str] = Field(default_factory=list)
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
        for url in self.start_urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"start URL {url!r} is not http(s)")
        return self

    @property
    def publishable(self) -> bool:
        return self.policy == "open"


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
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from exc
    entries = data.get("source")
    if not isinstance(entries, list) or not entries:
        raise RegistryError(f"{path}: no [[source]] tables")
    unknown_top = set(data) - {"source"}
    if unknown_top:
        raise RegistryError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown_top))}")
    sources, problems = [], []
    for n, entry in enumerate(entries, start=1):
        sid = entry.get("id")
        label = f"source {sid!r}" if isinstance(sid, str) else f"source #{n}"
        try:
            sources.append(Source.model_validate(entry))
        except ValidationError as exc:
            for err in exc.errors():
                key = ".".join(str(p) for p in err["loc"]) or "(entry)"
                problems.append(f"{path}: {label}: key {key!r}: {err['msg']}")
    seen: set[str] = set()
    for s in sources:
        if s.id in seen:
            problems.append(f"{path}: source {s.id!r}: key 'id': declared twice")
        seen.add(s.id)
    if problems:
        raise RegistryError("\n".join(problems))
    return Registry(path=path, sources=sources)
