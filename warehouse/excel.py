"""`listings-excel.csv`: the public table for spreadsheet users.

Semicolon-delimited (German Excel's list separator), UTF-8 with a byte-order mark (so Excel
detects the encoding), CRLF line ends, header always written. Every text cell that begins
with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with a single quote `'` so a
spreadsheet does not run it as a formula (OWASP "CSV Injection"). Phone numbers in E.164
(`+49…`) therefore appear as `'+49…` here; `listings.csv` stays exact for machines.
"""

import csv
from pathlib import Path

import pyarrow as pa

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """One cell as text: None -> '', booleans as true/false, risky text prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(TRIGGERS) else value
    return str(value)  # numbers: a negative number is a number, not a formula


#: Rows converted to Python at a time: a release's table is never held as Python objects.
BATCH = 5000


def write_excel_csv(table: pa.Table, path: Path) -> Path:
    """Column by column within each batch of rows: a column is one `to_pylist` and one list
    comprehension, instead of a dict per row (the same cells, a fraction of the time)."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(table.column_names)
        for batch in table.to_batches(max_chunksize=BATCH):
            columns = [[neutralise(v) for v in column.to_pylist()] for column in batch.columns]
            writer.writerows(zip(*columns, strict=True))
    return path
