"""`<stem>-excel.csv`: the table for spreadsheet users.

Semicolon-delimited (German Excel's list separator), UTF-8 with a byte-order mark (so Excel
detects the encoding), CRLF line ends, header always written. Every text cell that begins
with `=`, `+`, `-`, `@`, tab or carriage return is prefixed with a single quote `'` so a
spreadsheet does not run it as a formula (OWASP "CSV Injection"). Phone numbers in E.164
(`+49…`) therefore appear as `'+49…` here; `<stem>.csv` stays exact for machines.
"""

from pathlib import Path

import duckdb

from warehouse.release.entities import ReleaseTable
from warehouse.release.formats.base import copy_between
from warehouse.release.public import flat_columns

FILES = "{stem}-excel.csv"
MEDIA_TYPE = "text/csv"
FILE_TYPE = "CSV"
DESCRIPTION = "CSV für Excel (Semikolon, UTF-8 mit BOM, Formeln entschärft)"

#: Frictionless types published as text: the cells a spreadsheet could read as a formula
#: (numbers stay numbers: a negative number is not a formula).
_TEXT_TYPES = ("string", "datetime", "date")
#: A cell starting with one of these is a formula to a spreadsheet.
_TRIGGER = r"^[=+\-@\t\r]"


def neutralised_select(table: ReleaseTable) -> str:
    """SQL: the flat table with every risky text cell prefixed with `'`."""
    cells = []
    for (name, kind, _, _), flat in zip(table.columns, flat_columns(table.columns), strict=True):
        value = flat.removesuffix(f" AS {name}")
        cells.append(f"CASE WHEN regexp_matches({value}, '{_TRIGGER}') THEN '''' || {value} "
                     f"ELSE {value} END AS {name}" if kind in _TEXT_TYPES else flat)
    return f"SELECT {', '.join(cells)} FROM {table.source}"


def write(con: duckdb.DuckDBPyConnection, folder: Path, tables: list[ReleaseTable],
          package: dict) -> list[Path]:
    return [copy_between(con, neutralised_select(table),
                         "FORMAT csv, HEADER true, DELIMITER ';', NEW_LINE '\r\n'",
                         folder / FILES.format(stem=table.stem), head="\ufeff".encode())
            for table in tables]
