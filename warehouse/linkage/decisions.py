"""`linkage-decisions.toml`: what a person decided about pairs of listings, above any score.

Each `[[decision]]` names two listings as `source_id:source_key` (the key the source publishes
them under, as in the published `listings` table), says `same = true` or `false` and why
(`reason`), optionally who (`by`) and when (`on`). "Not the same" keeps two listings apart
however their scores agree; "the same" joins them however they disagree. A later entry about
the same pair replaces an earlier one (a person changed their mind). The file sits beside the
registry (`sources.toml`) unless a command names another.

The review queue holds what a person should decide: a compared pair is uncertain when its score
lies in the band [REVIEW_LOW, REVIEW_HIGH), where the evidence is thin either way. Each run
replaces the queue (`link_review`) with its uncertain pairs no decision covers; `shg review`
lists them and appends a person's decision here, which takes the pair into the next linkage.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated

import duckdb
import pyarrow as pa
import tomlkit
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
    a, b = (entry.get(side) if isinstance(entry, dict) else None for side in ("a", "b"))
    return f" ({a} / {b})" if isinstance(a, str) and isinstance(b, str) else ""


def append_decision(path: Path | str, a: str, b: str, *, same: bool, reason: str,
                    by: str | None = None, on: date | None = None) -> Decision:
    """Validate one decision and append it to the file (created if missing); the file as it
    stands must be valid first, so a broken file is never made worse."""
    path = Path(path)
    fields = {"a": a, "b": b, "same": same, "reason": reason}
    fields |= {k: v for k, v in (("by", by), ("on", on)) if v is not None}
    decision = _entry(path, len(load_decisions(path).entries) + 1, fields)
    entry = tomlkit.dumps({"decision": [decision.model_dump(exclude_none=True)]})
    old = path.read_text("utf-8") if path.is_file() else _HEADER
    path.write_text(old.rstrip("\n") + "\n\n" + entry, "utf-8")
    return decision


_HEADER = ("# Linkage decisions: pairs of listings a person declared the same (same = true) or\n"
           "# not the same (same = false), honoured above any score. Listings are named\n"
           "# source_id:source_key. See docs/operations.md.\n")


#: The uncertain band of `warehouse.linkage.evidence`'s score (0–1). On the real pairs of
#: tests/real/pairs.toml it holds 55 of 152 pairs and 3 of the rules' 8 misses; on the
#: 20,000-listing synthetic world of bench.link, 163 of 2,657 compared pairs.
REVIEW_LOW = 0.40
REVIEW_HIGH = 0.60

#: The evidence a reviewer reads: what agreed and what disagreed.
AGREED = ("same_address", "same_place", "same_web_site", "same_web_domain")
DISAGREED = ("name_conflict", "address_conflict", "other_city", "generic_name")


def uncertain(score: float, evidence: dict) -> bool:
    """Is a compared pair one a person should look at?"""
    return REVIEW_LOW <= score < REVIEW_HIGH and evidence["compatible_kinds"]


def review_row(a_id: str, b_id: str, score: float, evidence: dict) -> dict:
    """One queue row; the pair ordered by listing id, as decisions key it."""
    first, second = sorted((a_id, b_id))
    return {"listing_a": first, "listing_b": second, "score": score,
            "rule": evidence["rule"], "evidence": json.dumps(evidence, sort_keys=True)}


def summary(evidence: dict) -> tuple[list[str], list[str]]:
    """(agreed, disagreed): the features a reviewer reads first."""
    agreed = [k for k in AGREED if evidence.get(k)]
    agreed += [f"{k}={','.join(evidence[k])}" for k in ("shared_phones", "shared_emails")
               if evidence.get(k)]
    agreed.append(f"name_similarity={evidence.get('name_similarity', 0):.0f}")
    disagreed = [k for k in DISAGREED if evidence.get(k)]
    return agreed, disagreed


REVIEW_SCHEMA = pa.schema([("listing_a", pa.string()), ("listing_b", pa.string()),
                           ("score", pa.float64()), ("rule", pa.string()),
                           ("evidence", pa.string())])


def write_queue(con: duckdb.DuckDBPyConnection, run_id: str, rows: list[dict]) -> None:
    """Replace the queue with this run's uncertain pairs (inside the caller's transaction)."""
    table = pa.Table.from_pylist(rows, schema=REVIEW_SCHEMA)
    con.register("_review_in", table)
    try:
        con.execute("DELETE FROM link_review")
        con.execute("""INSERT INTO link_review
                       SELECT listing_a::UUID, listing_b::UUID, score, rule, evidence::JSON, ?
                       FROM _review_in""", [run_id])
    finally:
        con.unregister("_review_in")


def read_queue(con: duckdb.DuckDBPyConnection, decided: set[tuple[str, str]]) -> list[dict]:
    """The queue with both listings' names and sources, best score first, minus the pairs a
    decision already covers."""
    queue = con.sql("""
        SELECT r.listing_a::VARCHAR AS listing_a, r.listing_b::VARCHAR AS listing_b, r.score,
               r.rule, r.evidence::VARCHAR AS evidence,
               a.source_id || ':' || a.source_key AS ref_a, a.name AS name_a,
               b.source_id || ':' || b.source_key AS ref_b, b.name AS name_b
        FROM link_review r
        JOIN listings a ON a.id = r.listing_a
        JOIN listings b ON b.id = r.listing_b
        ORDER BY r.score DESC, r.listing_a, r.listing_b
    """).to_arrow_table().to_pylist()
    return [q | {"evidence": json.loads(q["evidence"])} for q in queue
            if (q["listing_a"], q["listing_b"]) not in decided]
