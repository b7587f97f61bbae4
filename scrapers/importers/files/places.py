"""What one record is read from: a row, or one branch of it (suffixed columns or the
objects of a JSON list), with the row as fallback for what a branch leaves out."""

from collections.abc import Callable
from dataclasses import dataclass

from schema.registry import FileSettings
from scrapers.importers.files.cells import MISSING, at, first_text, strings


@dataclass(frozen=True)
class Place:
    """What one record is read from: a row, or a branch of it. `cell` returns the raw value of
    a column or path, falling back to the row for what a branch leaves out or empty, so a branch
    that gives only its own address still carries the centre's name and topics; `own` is the
    branch alone (None for a row)."""

    row: int
    cell: Callable[[str], object]
    own: Callable[[str], object] | None = None
    branch_id: str | None = None


def _row_cell(cells: dict, is_json: bool) -> Callable[[str], object]:
    if is_json:
        return lambda col: at(cells, col)
    return lambda col: cells.get(col, MISSING)


def _fallback(own: Callable[[str], object], parent: Callable[[str], object]):
    def cell(col: str) -> object:
        value = own(col)
        return parent(col) if value is MISSING or not strings(value) else value
    return cell


def _branch_cells(cells: dict, settings: FileSettings) -> list[Callable[[str], object]]:
    """Each branch of a row as its own cells: the suffixed columns ("Straße_2") with the
    suffix cut off, when any of them holds a value; or each object of the JSON list."""
    branches = settings.branches
    found: list[Callable[[str], object]] = []
    if branches is None:
        return found
    mapped = [c for cols in settings.columns.mapped().values() for c in cols]
    for suffix in branches.suffixes:
        if any(strings(cells.get(c + suffix, MISSING)) for c in mapped):
            found.append(_row_cell({k[: -len(suffix)]: v for k, v in cells.items()
                                    if k.endswith(suffix)}, is_json=False))
    items = at(cells, branches.path) if branches.path else []
    found += [_row_cell(item, is_json=True) for item in items if isinstance(item, dict)] \
        if isinstance(items, list) else []
    return found


def places(number: int, cells: dict, settings: FileSettings) -> list[Place]:
    """The row itself, then its branches (see `FileBranches`)."""
    row_cell = _row_cell(cells, settings.format == "json")
    branch_key = settings.branches.key if settings.branches else None

    def own_id(cell: Callable[[str], object]) -> str | None:
        return first_text(cell(branch_key)) if branch_key else None

    in_list = bool(settings.branches and settings.branches.path)
    first = Place(number, row_cell, branch_id=None if in_list else own_id(row_cell))
    return [first] + [Place(number, _fallback(own, row_cell), own, own_id(own))
                      for own in _branch_cells(cells, settings)]

