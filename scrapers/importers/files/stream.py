"""The file importer: a file source read into raw records, a batch at a time, with the rows
that cannot be read as failures."""

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from pydantic import ValidationError

from schema.records import ScrapedRecord
from schema.registry import FileSettings, Source
from scrapers.bases.base import PageInfo, ParseFailure, ScrapeResult
from scrapers.errors import EmptyScrape, FieldError, SourceError
from scrapers.importers.files.cells import Place, places
from scrapers.importers.files.keys import Draft, FileState, base_key
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


def import_file(source: Source, base_dir: Path) -> ScrapeResult:
    """All records of `source.path` at once (see `stream_file`)."""
    streamed = stream_file(source, base_dir)
    records = [record for batch in streamed.record_batches() for record in batch]
    return ScrapeResult(records=records, failures=streamed.failures, pages=streamed.pages)


def stream_file(source: Source, base_dir: Path, batch_size: int | None = None) -> ScrapeResult:
    """Read `source.path` (relative to `base_dir`, the registry's folder) into raw records,
    `batch_size` at a time. A row without key or name is a ParseFailure naming the field; a
    file without rows is an EmptyScrape unless the source may be empty; a mapping the file
    does not fit is a FileMappingError naming the source, the registry key and the column.
    Those and an unreadable file are raised here, before any record is made."""
    settings = source.file
    if settings is None or source.path is None:
        raise SourceError(f"source {source.id!r}: not a file source with [source.file]")
    label = f"source {source.id!r}"
    path = (Path(base_dir) / source.path).resolve()
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise SourceError(f"{label}: cannot read {path}: {exc.strerror}") from exc
    try:
        try:
            mtime = datetime.fromtimestamp(os.fstat(handle.fileno()).st_mtime, UTC)
            facts = file_facts(handle)
        except OSError as exc:
            raise SourceError(f"{label}: cannot read {path}: {exc.strerror}") from exc
        # relative to the registry, so provenance does not change with the checkout's location
        uri = "file:" + quote(Path(source.path).as_posix())
        table = read_table(source, handle, facts, label, path.name)
    except BaseException:
        handle.close()
        raise
    page = PageInfo(url=uri, status=200, not_modified=False, sha256=facts.sha256,
                    nbytes=facts.nbytes, encoding=table.encoding, fetched_at=mtime,
                    warc_file=None)
    result = ScrapeResult(pages=[page], batches=iter(()))

    def close() -> None:
        table.close()
        handle.close()
    try:
        if table.empty:
            if source.may_be_empty:
                close()
                return result
            raise EmptyScrape(f"{label}: {path.name} holds no records", url=uri)
        check_mapping(table, settings, label, path.name)
    except BaseException:
        close()
        raise
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

