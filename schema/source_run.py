"""What one source run produced, as the collection hands it to the warehouse's one writer.

Free of DuckDB and Arrow on purpose: collecting processes build and pickle these and would
carry both libraries' memory for nothing (docs/performance.md)."""

from dataclasses import dataclass, field
from datetime import datetime

from schema.listing import Listing
from schema.listing_rows import ListingBatches
from schema.normalise.quality import FieldQuality


@dataclass(frozen=True)
class PageRow:
    """A row of `raw_pages` without its run id: one page the run read, and how."""

    source_id: str
    url: str
    status: int
    not_modified: bool
    sha256: str
    bytes: int
    encoding: str | None
    fetched_at: datetime
    warc_file: str | None


@dataclass(frozen=True)
class QuarantineRow:
    """A row of `quarantine` without its run id: a record (or page) the run did not accept,
    kept with the reason for inspection."""

    source_id: str
    source_key: str | None
    url: str | None
    field: str | None
    reason: str
    raw: str | None
    quarantined_at: datetime


@dataclass
class LoadCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    vanished: int = 0


@dataclass
class SourceRun:
    """Everything one source produced in one run, ready to commit."""

    source_id: str
    started_at: datetime
    finished_at: datetime
    status: str = "ok"  # ok | failed
    failure_class: str | None = None
    reason: str | None = None
    fetched: int = 0
    not_modified: int = 0
    parsed: int = 0
    #: A file source's listings come as batches, past the first spilled to a file.
    listings: list[Listing] | ListingBatches = field(default_factory=list)
    pages: list[PageRow] = field(default_factory=list)
    quarantine: list[QuarantineRow] = field(default_factory=list)
    #: Rows of `source_run_stats`, without run and source id.
    stats: list[FieldQuality] = field(default_factory=list)
    counts: LoadCounts = field(default_factory=LoadCounts)
    #: Source keys not read this run for a passing reason: their listings stay as they are.
    keep_keys: list[str] = field(default_factory=list)
    #: False when a failure may hide records it cannot name: then nothing vanishes this run.
    complete: bool = True
    #: Fingerprint of the code that turned pages into records (`flows.unchanged`), for a
    #: live html source; None when the source cannot be confirmed unchanged.
    fingerprint: str | None = None
    #: Every page read, none failed: the same pages will give the same records.
    confirmable: bool = False
    #: Set when every page was as in this earlier accepted run: its records stand, nothing
    #: was parsed or loaded; `unchanged_records` of them.
    unchanged_since: str | None = None
    unchanged_records: int = 0

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
