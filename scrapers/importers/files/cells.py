"""The cells of a row or JSON record as a person reads them: values at dotted paths
(with "^" to the enclosing objects of a nested record), texts of scalars, every string of a
nested value."""

from collections.abc import Iterator
from datetime import date, datetime, time

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
    """The records a `records` path names: each list it reaches gives its items, in order. A
    part `*` stands for every key of an object or item of a list ("regionen.*.stellen",
    "*"); dict records come back as `Nested`, knowing what encloses them."""
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
    """The value at a dotted path ("kontakt.telefon", "standorte.0.ort"), or MISSING. A key
    that itself contains dots is found whole first. "^name" is the field `name` of the object
    enclosing a `Nested` record ("^^name" two levels up), "^*" the key its nearest wildcard
    matched."""
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

