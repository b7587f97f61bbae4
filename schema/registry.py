"""The source registry (`sources.toml`): what each source is, where it lives, what its licence
allows, how politely to fetch it and how many records a healthy run yields.

`load_registry` rejects a bad file before anything is fetched, with a message that names the
source and the key, because the operator who edits it reads only that one line.
"""

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Policy = Literal["open", "withhold"]
Cadence = Literal["daily", "weekly", "monthly"]


class RegistryError(ValueError):
    """A malformed registry; the message names file, source and key."""


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1)
    publisher: str = Field(min_length=1)
    kind: Literal["html", "file"]
    scraper: str | None = Field(None, description="scraper module name; defaults to the id")
    start_urls: list[str] = Field(default_factory=list)
    path: str | None = Field(None, description="file sources: the file, relative to the registry")
    licence: str = Field(min_length=1, description="SPDX id, LicenseRef-… or licence URI")
    policy: Policy
    attribution: str | None = None
    cadence: Cadence = "daily"
    rate_per_second: float = Field(1.0, gt=0, le=20)
    min_records: int = Field(1, ge=0)
    may_be_empty: bool = False

    @model_validator(mode="after")
    def _where(self) -> "Source":
        if self.kind == "html" and not self.start_urls:
            raise ValueError("an html source needs start_urls")
        if self.kind == "file" and not self.path:
            raise ValueError("a file source needs a path")
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
