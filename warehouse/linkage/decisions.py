"""`linkage-decisions.toml`: what a person decided about pairs of listings, above any score.

Each `[[decision]]` names two listings as `source_id:source_key` (the key the source publishes
them under, as in the published `listings` table), says `same = true` or `false` and why
(`reason`), optionally who (`by`) and when (`on`). "Not the same" keeps two listings apart
however their scores agree; "the same" joins them however they disagree. A later entry about
the same pair replaces an earlier one (a person changed their mind). The file sits beside the
registry (`sources.toml`) unless a command names another.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
)

from schema.ids import listing_id

FILE_NAME = "linkage-decisions.toml"

#: `source_id:source_key`: a source id holds no colon, a key may.
ListingRef = Annotated[str, StringConstraints(strip_whitespace=True,
                                              pattern=r"^[A-Za-z0-9_.-]+:\S.*$")]


class DecisionsError(ValueError):
    """A malformed decisions file; the message names the file, the entry and the field."""

    failure_class = "config_error"


class Decision(BaseModel):
    """One person's decision about one pair of listings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: ListingRef
    b: ListingRef
    same: StrictBool  # "yes" or 1 is a typo to report, not a guess
    reason: Annotated[str, Field(min_length=1)]
    by: str | None = None
    on: date | None = None

    @property
    def pair(self) -> tuple[str, str]:
        """Both listing ids, ordered: the pair's key whichever side was named first."""
        x, y = ref_id(self.a), ref_id(self.b)
        return (x, y) if x <= y else (y, x)


def ref_id(ref: str) -> str:
    """The listing id `source_id:source_key` stands for (schema.ids.listing_id)."""
    source_id, _, key = ref.partition(":")
    return str(listing_id(source_id, key))


@dataclass(frozen=True)
class Decisions:
    """The decisions of one file, the last word per pair."""

    path: Path | None
    entries: tuple[Decision, ...] = ()

    def by_pair(self) -> dict[tuple[str, str], Decision]:
        """Listing-id pair -> its last decision."""
        return {d.pair: d for d in self.entries}

    def digest(self) -> str:
        """What linkage depends on of the file: the pairs and their verdicts, in order."""
        return hashlib.sha256(json.dumps(
            sorted([*pair, d.same] for pair, d in self.by_pair().items())).encode()).hexdigest()


NONE = Decisions(None)


def default_path(registry_path: Path | str) -> Path:
    """The decisions file beside the registry."""
    return Path(registry_path).resolve().parent / FILE_NAME


def load_decisions(path: Path | str | None) -> Decisions:
    """The file's decisions; no file, no decisions. Anything malformed raises
    `DecisionsError` naming the file, the entry (1-based) and the field."""
    if path is None or not Path(path).is_file():
        return Decisions(None if path is None else Path(path))
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DecisionsError(f"{path}: not valid TOML: {exc}") from exc
    extra = sorted(set(data) - {"decision"})
    if extra:
        raise DecisionsError(f"{path}: unknown table {extra[0]!r}; only [[decision]] entries "
                             f"are read")
    entries = data.get("decision", [])
    if not isinstance(entries, list):
        raise DecisionsError(f"{path}: 'decision' must be an array of tables ([[decision]])")
    return Decisions(path, tuple(_entry(path, n, e) for n, e in enumerate(entries, 1)))


def _entry(path: Path, n: int, entry: object) -> Decision:
    try:
        decision = Decision.model_validate(entry)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(map(str, err["loc"])) or "(entry)"
        raise DecisionsError(f"{path}: decision {n}{_names(entry)}: field {field!r}: "
                             f"{err['msg']}") from exc
    if decision.pair[0] == decision.pair[1]:
        raise DecisionsError(f"{path}: decision {n}{_names(entry)}: field 'b': names the same "
                             f"listing as 'a'")
    return decision


def _names(entry: object) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("a"), str) and isinstance(
            entry.get("b"), str):
        return f" ({entry['a']} / {entry['b']})"
    return ""


def append_decision(path: Path | str, a: str, b: str, *, same: bool, reason: str,
                    by: str | None = None, on: date | None = None) -> Decision:
    """Validate one decision and append it to the file (created if missing); the file as it
    stands must be valid first, so a broken file is never made worse."""
    path = Path(path)
    load_decisions(path)
    fields = {"a": a, "b": b, "same": same, "reason": reason}
    fields |= {k: v for k, v in (("by", by), ("on", on)) if v is not None}
    decision = _entry(path, len(load_decisions(path).entries) + 1, fields)
    lines = ["", "[[decision]]"]
    for key, value in decision.model_dump(exclude_none=True).items():
        lines.append(f"{key} = {_toml_value(value)}")
    old = path.read_text("utf-8") if path.is_file() else _HEADER
    path.write_text(old.rstrip("\n") + "\n" + "\n".join(lines) + "\n", "utf-8")
    return decision


_HEADER = ("# Linkage decisions: pairs of listings a person declared the same (same = true) or\n"
           "# not the same (same = false), honoured above any score. Listings are named\n"
           "# source_id:source_key. See docs/operations.md.\n")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string
