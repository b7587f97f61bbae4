"""Listings as the rows the warehouse loads, and `ListingBatches`, a source run's listings
handed to the writer in batches.

Free of DuckDB and Arrow, like `schema.source_run`: a collecting process turns a large file's
listings into rows and spills them batch by batch, so neither it nor the writer ever holds
them all at once."""

from __future__ import annotations

import gzip
import hashlib
import json
import pickle
from collections.abc import Iterator
from pathlib import Path

from pydantic_core import to_jsonable_python

from schema.listing import Listing

#: Provenance that changes on every fetch without the listing changing.
_VOLATILE = {"fetched_at", "content_hash"}


def record_hash(listing: Listing) -> str:
    return row_hash(listing.model_dump())


def row_hash(data: dict) -> str:
    """sha256 of the listing's JSON form (`model_dump(mode="json")`, keys sorted) without its
    volatile provenance, from the Python form the row already holds (pydantic's own JSON
    values for UUIDs and dates)."""
    data = data | {"provenance": {k: v for k, v in data["provenance"].items()
                                  if k not in _VOLATILE}}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=to_jsonable_python).encode()
                          ).hexdigest()


def listing_row(item: Listing) -> dict:
    """A listing shaped like the `listings` content columns + record_hash."""
    row = item.model_dump()
    row["record_hash"] = row_hash(row)
    row["id"] = str(row["id"])
    row["parent_id"] = row["parent_id"] and str(row["parent_id"])
    return row


class ListingBatches:
    """A source run's valid listings, added a batch at a time. The newest batch stays in
    memory as listings; once another follows, it is spilled to `path` as rows (what the
    writer loads). A run of one batch never touches the disk and pickles whole; a larger one
    pickles as its path, so `path` must be readable by the process that commits the run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.spilled = 0
        self.pending: list[Listing] = []

    def __len__(self) -> int:
        return self.spilled + len(self.pending)

    def extend(self, listings: list[Listing]) -> None:
        """Add one batch."""
        if self.pending:
            self._spill(self.pending)
        self.pending = list(listings)

    def close(self) -> None:
        """No more batches: once some are on disk, the last one goes there too, so the
        writer is handed a path, not the collector's last batch."""
        if self.spilled and self.pending:
            self._spill(self.pending)
            self.pending = []

    def _spill(self, listings: list[Listing]) -> None:
        """One batch's rows pickled onto the gzip stream (a gzip member per batch)."""
        if not self.spilled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(self.path, "ab" if self.spilled else "wb", compresslevel=1) as out:
            pickle.dump([listing_row(i) for i in listings], out, protocol=5)
        self.spilled += len(listings)

    def _spilled_batches(self) -> Iterator[list[dict]]:
        if not self.spilled:
            return
        with gzip.open(self.path, "rb") as spill:
            while spill.peek(1):
                yield pickle.load(spill)

    def row_batches(self) -> Iterator[list[dict]]:
        """The rows, a batch at a time: the spilled ones, then the one in memory."""
        yield from self._spilled_batches()
        if self.pending:
            yield [listing_row(i) for i in self.pending]

    def __iter__(self) -> Iterator[Listing]:
        for rows in self._spilled_batches():  # rows back to listings, for the rare reader
            for row in rows:
                yield Listing.model_validate({k: v for k, v in row.items() if k != "record_hash"})
        yield from self.pending

    def discard(self) -> None:
        """Forget the listings and remove the spill file."""
        self.path.unlink(missing_ok=True)
        self.spilled, self.pending = 0, []
