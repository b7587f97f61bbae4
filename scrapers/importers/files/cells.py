"""The cells of a row or JSON record as a person reads them: values at dotted paths
(with "^" to the enclosing objects of a nested record), texts of scalars, every string of a
nested value; and the places a row holds (the row, or one branch of it: suffixed columns or
the objects of a JSON list), with the row as fallback for what a branch leaves out."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

from schema.registry import FileSettings

MISSING = object()  # a column or path the row does not have (unlike an empty cell)


class Nested(dict):
    """A JSON record found below other objects (`select_records`): `up` holds the objects that
    enclose it, nearest first, and `keys` the keys its path's wildcards matched, nearest first,
    so a column can name "^region" (a field of the enclosing object) or "^*" (the key)."""

    __slots__ = ("keys", "up")

    def __init__(self, record: dict, up: tuple[dict, ...], keys: tuple[str, ...]) -> None:
        super().__init__(record)
        self.up, self.keys = up, keys


def select_records(document: object, path: str) -> Iterator[object]:
    """The items of each list a `records` path reaches ("regionen.*.stellen": `*` is every
    key or item), dicts as `Nested`, knowing what encloses them."""
    def walk(node: object, parts: list[str], up: tuple[dict, ...], keys: tuple[str, ...]
             ) -> Iterator[object]:
        if not parts:
            if isinstance(node, list):
                yield from (Nested(item, up, keys) if isinstance(item, dict) else item
                            for item in node)
            return
        head, rest = parts[0], parts[1:]
        inner = (node, *up) if isinstance(node, dict) else up
        if head == "*":
            children = (node.items() if isinstance(node, dict) else
                        enumerate(node) if isinstance(node, list) else ())
            for key, child in children:
                yield from walk(child, rest, inner, (str(key), *keys))
        elif (child := at(node, head)) is not MISSING:
            yield from walk(child, rest, inner, keys)

    if "*" not in path.split(".") and isinstance(document, dict) and path in document:
        return walk(document[path], [], (document,), ())  # a key holding dots, found whole
    return walk(document, path.split("."), (), ())


def at(obj: object, path: str) -> object:
    """The value at a dotted path ("standorte.0.ort"; a dotted key found whole first), or
    MISSING. "^name" reads the object enclosing a `Nested` record, "^*" its wildcard's key."""
    if path.startswith("^"):
        depth = len(path) - len(path.lstrip("^"))
        rest = path[depth:]
        if not isinstance(obj, Nested):
            return MISSING
        if rest == "*":
            return obj.keys[depth - 1] if depth <= len(obj.keys) else MISSING
        return at(obj.up[depth - 1], rest) if depth <= len(obj.up) else MISSING
    if isinstance(obj, dict) and path in obj:
        return obj[path]
    for part in path.split("."):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return MISSING
    return obj


def cell_text(value: object) -> str:
    """Spreadsheet and JSON scalars as the text a person sees: 12345.0 is "12345", a time
    cell is "09:00", true is "true"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def strings(value: object) -> list[str]:
    """Every non-empty string in a cell or JSON value (lists and objects flattened, in order).
    A loop, not recursion: JSON nested a few hundred levels deep parses fine and must not
    overflow the stack here."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if item is MISSING or item is None:
            continue
        if isinstance(item, list | dict):
            stack.extend(reversed(item if isinstance(item, list) else list(item.values())))
        elif text := cell_text(item):
            found.append(text)
    return found


def first_text(value: object) -> str | None:
    found = strings(value)
    return found[0] if found else None


@dataclass(frozen=True)
class Place:
    """A row, or a branch of it: `cell` falls back to the row for what a branch leaves out, so
    a branch giving only its address keeps the centre's name; `own` is the branch alone."""

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

