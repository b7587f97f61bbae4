"""`changes.json`: what changed in the public tables since the previous release.

Compares this release's `listings.json` with the previous release's (`ctx.previous`, the
folder `public/latest` pointed at before this run), and likewise `groups.json`,
`contact_centres.json` and `organisations.json` under `entities`. Rows are matched by `id`.
A removed entity that linkage merged into another carries the surviving id in
`retired_into`, so a portal can follow the redirect instead of deleting.

Bookkeeping columns that move without a change to the listing's content are not compared
(`IGNORED`): `fetched_at` (every fetch), `verified_at` (every accepted run of the source),
`changed_at` (moves only together with a content change, which is reported by that field)
and `upstream_release` (federated listings: the upstream release URL changes with every
upstream release even when the listing does not). A column present on one side only (a
format change) counts as changed when its values differ (a missing value is null).

Output is deterministic: ids sorted, field names in the published column order.
"""

import itertools
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

IGNORED = frozenset({"fetched_at", "verified_at", "changed_at", "upstream_release"})

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
#: Rows turned into columns at a time: a file's rows are never all Python dicts at once.
BATCH = 5000
#: Rows of both sides lined up and compared at a time.
COMPARE_ROWS = 20000


class _Reader:
    """A JSON file's text read a piece at a time: only the part not yet decoded (and one
    piece ahead) is in memory, not the whole text (300 MB as a str for 100,000 listings)."""

    PIECE = 1 << 22  # characters

    def __init__(self, path: Path) -> None:
        self.file = path.open(encoding="utf-8")
        self.text, self.at, self.eof = "", 0, False

    def close(self) -> None:
        self.file.close()

    def _more(self) -> bool:
        if self.eof:
            return False
        piece = self.file.read(self.PIECE)
        if not piece:
            self.eof = True
            return False
        self.text = self.text[self.at:] + piece
        self.at = 0
        return True

    def peek(self) -> str:
        """The next character that is not white space ('' at the end)."""
        while True:
            self.at = _SPACE.match(self.text, self.at).end()
            if self.at < len(self.text) or not self._more():
                return self.text[self.at:self.at + 1]

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise json.JSONDecodeError(f"Expecting {char!r}", self.text, self.at)
        self.at += 1

    def decode(self) -> Any:
        """The next JSON value. A value cut at the end of the text read so far (an error, or
        a number or word that may go on) is decoded again with the next piece."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.at)
            except json.JSONDecodeError:
                if self._more():
                    continue
                raise
            if end == len(self.text) and self._more():
                continue
            self.at = end
            return value


def _items(reader: _Reader) -> Iterator[Any]:
    """The items of the JSON array at the reader, decoded one at a time (`json.loads` would
    build every row at once); when exhausted, the reader is just after the array."""
    reader.expect("[")
    if reader.peek() == "]":
        reader.at += 1
        return
    while True:
        yield reader.decode()
        if reader.peek() == "]":
            reader.at += 1
            return
        reader.expect(",")


def _members(reader: _Reader, key: str) -> Iterator[Any]:
    """The value of each member `key` of the JSON object read (json.loads keeps the last
    one), an array as an iterator of its items; the other members are decoded and dropped on
    the way, and the text must be one JSON object, as for json.loads."""
    reader.expect("{")
    if reader.peek() == "}":
        reader.at += 1
    else:
        while True:
            if reader.peek() != '"':
                raise json.JSONDecodeError("Expecting property name", reader.text, reader.at)
            name = reader.decode()
            reader.expect(":")
            if reader.peek() == "[":
                items = _items(reader)
                if name == key:
                    yield items
                for _ in items:  # what the caller left unread
                    pass
            else:
                value = reader.decode()
                if name == key:
                    yield value
            if reader.peek() == "}":
                reader.at += 1
                break
            reader.expect(",")
    if reader.peek() != "":
        raise json.JSONDecodeError("Extra data", reader.text, reader.at)


_NAN = itertools.count()


def _canonical(value: Any) -> str | None:
    """A text equal for two JSON values exactly when Python's `==` says they are equal (None
    stays None): 1, 1.0 and true are one number, NaN equals nothing, objects ignore key order.
    Strings are themselves (a string starting with NUL is marked so it cannot meet a mark)."""
    if value is None:
        return None
    if type(value) is str:
        return value if not value.startswith("\0") else "\0s" + value
    if type(value) in (bool, int):
        return "\0n" + str(int(value))
    if type(value) is float:
        if value != value:
            return f"\0nan{next(_NAN)}"
        return "\0n" + (str(int(value)) if value.is_integer() else repr(value))
    return "\0j" + json.dumps(value, ensure_ascii=False, sort_keys=True)


def _rows(path: Path, stem: str = "listings") -> tuple[dict[Any, int], pa.Table, list[str]]:
    """The rows of `document[stem]`: id -> row number (the last row of an id wins, as in a
    dict), the rows as a table of hashed `_canonical` values (one int64 column per field,
    a missing field is null), and the field names in first-seen order. Decoded row by row
    and turned into Arrow columns a batch at a time: a release's rows are never all dicts."""
    index: dict[Any, int] = {}
    columns: list[str] = []
    chunks: list[dict[str, pa.Array]] = []
    reader = _Reader(path)
    try:
        for value in _members(reader, stem):
            index, columns, chunks, count = {}, [], [], 0
            rows = iter(value)
            while batch := list(itertools.islice(rows, BATCH)):
                for row in batch:
                    index[row["id"]] = count
                    count += 1
                chunks.append(_columns(batch, columns))
    finally:
        reader.close()
    return index, _table(chunks, columns), columns


def _columns(batch: list[dict], columns: list[str]) -> dict[str, pa.Array]:
    """The batch's rows as hashed `_canonical` columns (new field names appended to
    `columns`)."""
    known = set(columns)
    for row in batch:
        if not known.issuperset(row):
            for name in row:
                if name not in known:
                    known.add(name)
                    columns.append(name)
    cells = zip(*[list(map(row.get, columns)) for row in batch], strict=True)
    return {name: _hashed_column(values) for name, values in zip(columns, cells, strict=True)}


def _hashed_column(values: tuple) -> pa.Array:
    """Each cell as the 64-bit hash of its `_canonical` text (null: missing). Only equality is
    ever asked of a cell, and in one process equal texts hash alike; two different texts
    share a hash with odds of 2**-64. Kept as text, the rows of two releases of 100,000
    listings held 370 MB at once."""
    return pa.array([hash(v) if type(v) is str and v[:1] != "\0"
                     else None if v is None else hash(_canonical(v)) for v in values],
                    pa.int64())


def _table(chunks: list[dict[str, pa.Array]], columns: list[str]) -> pa.Table:
    return pa.table({name: pa.chunked_array(
        [c.get(name, pa.nulls(len(next(iter(c.values()))), pa.int64())) for c in chunks],
        pa.int64()) for name in columns})


def _differs(old: pa.ChunkedArray, new: pa.ChunkedArray) -> pa.ChunkedArray:
    """Row by row: do the cells differ (a missing value equals only a missing one)?"""
    return pc.or_(pc.fill_null(pc.not_equal(old, new), False),
                  pc.xor(pc.is_null(old), pc.is_null(new)))


def diff_rows(new: tuple[dict[Any, int], pa.Table, list[str]],
              old: tuple[dict[Any, int], pa.Table, list[str]]) -> dict[str, Any]:
    """`added`, `changed` (id and changed fields, in column order) and `removed` between two
    `_rows` results; fields in `IGNORED` are not compared."""
    (new_index, new_table, new_columns), (old_index, old_table, old_columns) = new, old
    columns = new_columns + [c for c in old_columns if c not in new_columns]
    common = sorted(new_index.keys() & old_index.keys())
    compared = [c for c in columns if c not in IGNORED]
    changed = []
    for start in range(0, len(common) if compared else 0, COMPARE_ROWS):
        ids = common[start:start + COMPARE_ROWS]
        a = old_table.take(pa.array([old_index[i] for i in ids], pa.int64()))
        b = new_table.take(pa.array([new_index[i] for i in ids], pa.int64()))
        absent = pa.chunked_array([pa.nulls(len(ids), pa.int64())])
        masks = [_differs(a.column(c) if c in old_columns else absent,
                          b.column(c) if c in new_columns else absent) for c in compared]
        hit = pc.indices_nonzero(_any(masks)).to_pylist()
        flags = [m.take(pa.array(hit, pa.int64())).to_pylist() for m in masks]
        for n, row in enumerate(hit):
            changed.append({"id": ids[row],
                            "fields": [c for c, f in zip(compared, flags, strict=True)
                                       if f[n]]})
    return {"added": sorted(new_index.keys() - old_index.keys()), "changed": changed,
            "removed": sorted(old_index.keys() - new_index.keys())}


def _any(masks: list[pa.ChunkedArray]) -> pa.ChunkedArray:
    result = masks[0]
    for mask in masks[1:]:
        result = pc.or_(result, mask)
    return result


def _diff_files(folder: Path, previous: Path | None, stem: str) -> dict[str, Any]:
    new = _rows(folder / f"{stem}.json", stem)
    old: tuple[dict[Any, int], pa.Table, list[str]] = ({}, pa.table({}), [])
    if previous is not None and (previous / f"{stem}.json").is_file():
        old = _rows(previous / f"{stem}.json", stem)
    return diff_rows(new, old)


def _redirects(con, removed: list[str]) -> dict[str, str]:
    """Removed entity id -> the entity it was merged into (followed to the end)."""
    if not removed or con is None:
        return {}
    target = dict(con.execute("SELECT entity_id::VARCHAR, retired_into::VARCHAR FROM entities "
                              "WHERE retired_into IS NOT NULL").fetchall())
    out = {}
    for eid in removed:
        seen, cur = set(), eid
        while cur in target and cur not in seen:
            seen.add(cur)
            cur = target[cur]
        if cur != eid:
            out[eid] = cur
    return out


def write_changes(con, folder: Path, ctx, entity_files: tuple[str, ...] = ()) -> Path:
    """Write `folder/changes.json` (the release's JSON files are the truth; `con` only
    resolves merge redirects)."""
    previous = getattr(ctx, "previous", None)
    previous = Path(previous) if previous is not None else None
    from_id = None
    if previous is not None and (previous / "listings.json").is_file():
        from_id = Path(os.path.realpath(previous)).name
    entities = {}
    for stem in entity_files:
        diff = _diff_files(folder, previous, stem)
        entities[stem] = diff | {"retired_into": _redirects(con, diff["removed"])}
    document = {"from": from_id, "to": ctx.run_id,
                "generated": ctx.generated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "ignored_fields": sorted(IGNORED)} | _diff_files(folder, previous, "listings")
    if entities:
        document["entities"] = entities
    path = folder / "changes.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), "utf-8")
    return path
