"""The release's JSON text, streamed: the bytes of `json.dumps(x, ensure_ascii=False, indent=1)`
without the json module's indenting encoder, and without a table's rows as Python dicts.

With `indent` the json module falls back to its pure-Python encoder (a generator per level):
for a release of 100,000 listings that was most of the time of writing its JSON files. Here
strings go through the C string encoder json.dumps itself uses, numbers through the same
`repr`s, and a table is encoded column by column, one record batch at a time, into a
`%`-template per row. Any value these fast paths do not know is handed to `json.dumps`, so the
result (text, or the TypeError of a value JSON cannot hold) is always json.dumps's own.
"""

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

_STRING = json.encoder.encode_basestring  # the C encoder json.dumps uses (ensure_ascii=False)

#: Rows encoded at a time: a batch's Python values are all a table ever is in Python.
BATCH = 5000


class _Unusual(Exception):
    """A value `_indented` leaves to the json module."""


def _indented(value: Any, pad: str, out: list[str]) -> None:
    """Append `json.dumps(value, ensure_ascii=False, indent=1)` at the indentation `pad`
    (newline + spaces), for the plain types of JSON."""
    if isinstance(value, str):
        out.append(_STRING(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif type(value) is int:
        out.append(int.__repr__(value))
    elif type(value) is float and math.isfinite(value):
        out.append(float.__repr__(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = pad + " "
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if type(key) is not str:
                raise _Unusual(key)
            head = ("," if i else "") + inner + _STRING(key) + ": "
            kind = type(item)  # text, null and int inline: most values, no call each
            if kind is str:
                out.append(head + _STRING(item))
            elif item is None:
                out.append(head + "null")
            elif kind is int:
                out.append(head + int.__repr__(item))
            else:
                out.append(head)
                _indented(item, inner, out)
        out.append(pad + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = pad + " "
        out.append("[")
        for i, item in enumerate(value):
            head = ("," if i else "") + inner
            if type(item) is str:
                out.append(head + _STRING(item))
            else:
                out.append(head)
                _indented(item, inner, out)
        out.append(pad + "]")
    else:
        raise _Unusual(value)


def json_indent_1(value: Any, pad: str = "\n") -> str:
    """`json.dumps(value, ensure_ascii=False, indent=1)` as it reads nested at indentation
    `pad` (a newline and the spaces of the line the value starts on)."""
    out: list[str] = []
    try:
        _indented(value, pad, out)
    except _Unusual:
        return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", pad)
    return "".join(out)


def _column_texts(column: pa.Array, pad: str) -> list[str]:
    """Each value of `column` as JSON text at indentation `pad`; text columns (nearly all of a
    release) without a call per value beyond the C string encoder."""
    values = column.to_pylist()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return ["null" if v is None else _STRING(v) for v in values]
    return [json_indent_1(v, pad) for v in values]


def _row_template(names: list[str], pad: str) -> str:
    """`%`-template of one row object at `pad`: one `%s` per column value."""
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate column names: {names}")
    if not names:
        return "{}"
    inner = pad + " "
    fields = ",".join(inner + _STRING(n).replace("%", "%%") + ": %s" for n in names)
    return "{" + fields + pad.replace("%", "%%") + "}"


def table_rows_json(table: pa.Table, pad: str, batch_rows: int = BATCH) -> Iterator[str]:
    """The rows of `table` (`table.to_pylist()`) as the items of a JSON array at indentation
    `pad`: one string per record batch, each item preceded by `,` (not the first) and `pad`."""
    template = _row_template(table.column_names, pad)
    inner = pad + " "
    first = True
    for batch in table.to_batches(max_chunksize=batch_rows):
        if not batch.num_rows:
            continue
        columns = [_column_texts(c, inner) for c in batch.columns]
        rows = (template % values for values in zip(*columns, strict=True)) if columns \
            else (template for _ in range(batch.num_rows))
        text = ("," + pad).join(rows)
        yield (pad if first else "," + pad) + text
        first = False


def table_document_chunks(meta: dict, stem: str, table: pa.Table,
                          batch_rows: int = BATCH) -> Iterator[str]:
    """`json.dumps({"meta": meta, stem: table.to_pylist()}, ensure_ascii=False, indent=1)`
    in pieces, one record batch of rows at a time."""
    if stem == "meta":
        raise ValueError("a table cannot be named 'meta' (the key of the meta block)")
    yield "{\n " + _STRING("meta") + ": " + json_indent_1(meta, "\n ") + ",\n " \
        + _STRING(stem) + ": ["
    empty = True
    for chunk in table_rows_json(table, "\n  ", batch_rows):
        empty = False
        yield chunk
    yield ("]" if empty else "\n ]") + "\n}"


def write_table_document(path: Path, meta: dict, stem: str, table: pa.Table) -> Path:
    """Write `path` as the JSON document {"meta": meta, stem: rows} (see module doc)."""
    with Path(path).open("w", encoding="utf-8") as f:
        for chunk in table_document_chunks(meta, stem, table):
            f.write(chunk)
    return Path(path)
