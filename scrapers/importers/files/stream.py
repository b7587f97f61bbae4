"""The file importer: a file source read into raw records, a batch at a time, with the rows
that cannot be read as failures; and what an import remembers from row to row (source keys
that stay distinct and stable, contact data seen, to note what another row copied)."""

import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from pydantic import ValidationError

from schema.records import ScrapedRecord
from schema.registry import FileSettings, Source
from scrapers.bases.base import PageInfo, ParseFailure, ScrapeResult
from scrapers.errors import EmptyScrape, FieldError, SourceError
from scrapers.importers.files.cells import Place, first_text, places
from scrapers.importers.files.mapping import (
    check_mapping,
    collect,
    misplaced_notes,
    presence_fields,
    record_fields,
    structured,
)
from scrapers.importers.files.read import Table, file_facts, read_table

#: Records handed on at a time: a large file is normalised, validated and loaded a batch at
#: a time, so what a run holds does not grow with the file.
BATCH_RECORDS = 10_000


@dataclass
class Draft:
    """One place read from a row: its fields, the key it was read under and notes so far."""

    row: int
    base: str
    fields: dict[str, object]
    notes: list[str]


class FileState:
    """Values by kind and key that an import remembers from row to row (source keys taken,
    contact data seen), in a private temporary SQLite database, deleted when closed: its pages
    live on disk, so what an import holds does not grow with the file."""

    BASE, USED, CONTACT = 0, 1, 2

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a temporary on-disk database of its own
        self._db.execute("PRAGMA journal_mode = OFF")  # nothing to roll back or recover
        self._db.execute("CREATE TABLE seen (kind INTEGER, key TEXT, a INTEGER, b INTEGER, "
                         "c TEXT, PRIMARY KEY (kind, key)) WITHOUT ROWID")

    def get(self, kind: int, key: str) -> tuple[int, int | None, str | None] | None:
        return self._db.execute("SELECT a, b, c FROM seen WHERE kind = ? AND key = ?",
                                (kind, key)).fetchone()

    def put(self, kind: int, key: str, a: int, b: int | None = None, c: str | None = None
            ) -> None:
        self._db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?)",
                         (kind, key, a, b, c))

    def close(self) -> None:
        self._db.close()

    def assign(self, base: str, place: Place, fields: dict[str, object]
               ) -> tuple[str, str | None, list[str]]:
        """(key, parent key, notes) of a place, stable and distinct: further places of a key
        get its branch id or ordinal, a repeated row "-<digest>", so row order moves no key."""
        known = self.get(FileState.BASE, base)  # (places so far, first row)
        n, first_row = (1, place.row) if known is None else (known[0] + 1, known[1])
        self.put(FileState.BASE, base, n, first_row)
        if n == 1:
            return base, None, []
        if place.branch_id or place.own is not None:
            return f"{base}-{place.branch_id or n}", base, []
        key = f"{base}-{place_digest(fields)}"
        return key, base, [f"source key {base!r} repeated from row {first_row}; read as {key!r}"]

    def take(self, key: str, row: int) -> int | None:
        """Give `key` to `row`; when another row has it already, that row (and nothing
        changes)."""
        known = self.get(FileState.USED, key)
        if known is not None:
            return known[0]
        self.put(FileState.USED, key, row)
        return None

    def note_copied(self, draft: Draft) -> None:
        """Note on `draft` a phone number or e-mail address another row (of another key) gave
        before: one centre's contact data pasted into another's row looks just like real data
        otherwise. Branches of one centre may share them. Drafts come in file order."""
        kinds: dict[int, set[str]] = {}
        for item in sorted(_contacts(draft.fields)):
            known = self.get(FileState.CONTACT, item)
            if known is None:
                self.put(FileState.CONTACT, item, draft.row, c=draft.base)
                continue
            row, _, base = known
            if base != draft.base:
                kinds.setdefault(row, set()).add(item.split(":", 1)[0])
        for row, what in sorted(kinds.items()):
            draft.notes.append(f"contact data identical to row {row} ({', '.join(sorted(what))})")


def place_digest(fields: dict[str, object]) -> str:
    """Eight hex digits naming a place by what it says of itself (name and address, case and
    spacing ignored): the same in any row order."""
    parts = [fields.get(name) for name in ("name", "address_text", "district")]
    text = "|".join(" ".join(str(p).casefold().split()) for p in parts if p)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def base_key(place: Place, settings: FileSettings) -> str | None:
    parts = [first_text(place.cell(col)) for col in settings.key]
    return "-".join(p for p in parts if p) if all(parts) else None


def _contacts(fields: dict[str, object]) -> set[str]:
    found = set()
    for value in fields.get("phones_text") or []:
        digits = re.sub(r"\D", "", re.sub(r"^\s*\+49", "0", str(value)))
        if len(digits) >= 6:
            found.add(f"phone:{digits}")
    for name in ("emails_text", "web_text"):
        for value in fields.get(name) or []:
            if "@" in str(value):
                found.add(f"e-mail:{str(value).strip().lower().removeprefix('mailto:')}")
    return found


def import_file(source: Source, base_dir: Path) -> ScrapeResult:
    """All records of `source.path` at once (see `stream_file`)."""
    streamed = stream_file(source, base_dir)
    records = [record for batch in streamed.record_batches() for record in batch]
    return ScrapeResult(records=records, failures=streamed.failures, pages=streamed.pages)


def stream_file(source: Source, base_dir: Path, batch_size: int | None = None) -> ScrapeResult:
    """`source.path` (relative to the registry's folder) as raw records, `batch_size` at a
    time. An empty, unreadable or mismatched file is raised here, before any record is made."""
    settings = source.file
    if settings is None or source.path is None:
        raise SourceError(f"source {source.id!r}: not a file source with [source.file]")
    label = f"source {source.id!r}"
    path = (Path(base_dir) / source.path).resolve()
    with ExitStack() as stack:  # the file stays open only while its records are read
        try:
            handle = stack.enter_context(path.open("rb"))
            mtime = datetime.fromtimestamp(os.fstat(handle.fileno()).st_mtime, UTC)
            facts = file_facts(handle)
        except OSError as exc:
            raise SourceError(f"{label}: cannot read {path}: {exc.strerror}") from exc
        # relative to the registry, so provenance does not change with the checkout's location
        uri = "file:" + quote(Path(source.path).as_posix())
        table = read_table(source, handle, facts, label, path.name)
        stack.callback(table.close)
        page = PageInfo(url=uri, status=200, not_modified=False, sha256=facts.sha256,
                        nbytes=facts.nbytes, encoding=table.encoding, fetched_at=mtime,
                        warc_file=None)
        result = ScrapeResult(pages=[page], batches=iter(()))
        if table.empty:
            if source.may_be_empty:
                return result
            raise EmptyScrape(f"{label}: {path.name} holds no records", url=uri)
        check_mapping(table, settings, label, path.name)
        close = stack.pop_all().close
    meta = {"source_id": source.id, "fetched_at": mtime, "kind": settings.kind,
            "content_hash": facts.sha256}
    result.batches = _records(table, settings, uri, meta, result, batch_size or BATCH_RECORDS,
                              close)
    return result


def _records(table: Table, settings: FileSettings, uri: str, meta: dict, result: ScrapeResult,
             size: int, close: Callable[[], None]) -> Iterator[list[ScrapedRecord]]:
    """Records in file order, `size` at a time; the file is closed when they end or are
    dropped. Failures go to `result`: the rows that could not be read in file order, then
    the records that failed validation (as when the whole file was read first)."""
    state = FileState()
    invalid, batch = [], []
    try:
        for d in _drafts(table, settings, uri, result.failures, state):
            state.note_copied(d)
            try:
                # keyed, not numbered: a row inserted above must not change every later record
                url = f"{uri}#key={quote(str(d.fields.get('source_key')))}"
                fields = d.fields | ({"as_of_text": table.as_of}
                                     if table.as_of and not d.fields.get("as_of_text") else {})
                batch.append(ScrapedRecord(**meta, source_url=url, **fields, notes=d.notes))
            except ValidationError as exc:
                invalid.append(ParseFailure(url=f"{uri}#row={d.row}", reason=str(exc),
                                            raw={"fields": d.fields}))
            if len(batch) >= size:
                yield batch
                batch = []
        result.failures.extend(invalid)
        if batch:
            yield batch
    finally:
        state.close()
        close()


def _drafts(table: Table, settings: FileSettings, uri: str, failures: list[ParseFailure],
            keys: FileState) -> Iterator[Draft]:
    """Every place of every row as fields + notes; a row without key or name, or a place whose
    key is taken, goes to failures with the row as it was."""
    for number, cells in table.rows:
        url = f"{uri}#row={number}"
        if not isinstance(cells, dict):
            failures.append(ParseFailure(url, "record is not an object", raw={"value": cells}))
            continue
        row_places = places(number, cells, settings)
        base = base_key(row_places[0], settings)  # a branch shares its row's key
        for place in row_places:
            try:
                draft = _draft(place, base, settings, keys)
            except FieldError as exc:
                failures.append(ParseFailure(url, str(exc), field=exc.field, raw=cells))
                continue
            yield draft


def _draft(place: Place, base: str | None, settings: FileSettings, keys: FileState) -> Draft:
    if base is None:
        raise FieldError("source_key", f"no value in column(s) {', '.join(settings.key)}")
    found = collect(place, settings)
    presence = presence_fields(found, place, settings)
    fields = record_fields(found, settings.join) | presence
    if not fields.get("name"):
        raise FieldError("name", f"no value in column(s) {', '.join(settings.columns.name)}")
    key, parent, notes = keys.assign(base, place, fields)
    if (taken := keys.take(key, place.row)) is not None:
        raise FieldError("source_key", f"{key!r} already used in row {taken}")
    fields["source_key"] = key
    if parent and not fields.get("parent_key"):
        fields["parent_key"] = parent
    days, days_notes = structured(place, settings)
    fields.update(days)
    return Draft(place.row, base, fields, notes + misplaced_notes(found) + days_notes)

