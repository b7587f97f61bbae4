"""Opening hours given per weekday or as structured entries (`file.hours_by_day`,
`file.hours`), kept raw beside the hours text: the normaliser decides between them."""

import json
from collections.abc import Callable

from schema.records import HoursDay
from schema.registry import WEEKDAYS, FileHours, FileSettings
from scrapers.importers.files.cells import MISSING, at, cell_text, first_text, strings
from scrapers.importers.files.places import Place

_KEY_DAY = {"mo": "mo", "di": "di", "tu": "di", "mi": "mi", "we": "mi", "do": "do", "th": "do",
            "fr": "fr", "sa": "sa", "so": "so", "su": "so"}


def _own_hours(place: Place, settings: FileSettings) -> Callable[[str], object]:
    """Where a place's per-day hours are read: a branch with its own hours text only from
    itself (its centre's hours are not its own), else with the row as fallback."""
    if place.own is not None and any(strings(place.own(c))
                                     for c in settings.columns.hours_text or []):
        return place.own
    return place.cell


def hours_by_day(place: Place, settings: FileSettings) -> dict[str, str]:
    """weekday -> the raw text given for it (empty days left out)."""
    spec = settings.hours_by_day
    cell = _own_hours(place, settings)
    if isinstance(spec, str):
        obj = cell(spec)
        pairs = obj.items() if isinstance(obj, dict) else []
        raw = {_KEY_DAY.get(str(k).strip().lower()[:2]): v for k, v in pairs}
    else:
        raw = {day: cell(col) for day, col in (spec or {}).items()}
    by_day = {d: ", ".join(strings(v)) for d, v in raw.items() if d}
    return {d: by_day[d] for d in WEEKDAYS if by_day.get(d)}


def day_entries(value: object, spec: FileHours, key: str) -> tuple[list[HoursDay], list[str]]:
    """The per-day entries of a `file.hours` value (see `FileHours`), raw, and notes: a cell
    that is not JSON, or entries of no known shape, are noted and left out (the hours text
    is the fallback), never a reason to lose the record."""
    if value is MISSING or value is None or (isinstance(value, str) and not value.strip()):
        return [], []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return [], [f"file.hours.{key}: no list or object of days (nor JSON text of one); "
                        f"not read"]
    found: list[HoursDay] = []

    def add(day: str, item: object) -> None:
        if isinstance(item, dict):
            opens, closes, note = (first_text(at(item, spec.name(f)))
                                   for f in ("from", "to", "note"))
            if opens or closes or note:
                found.append(HoursDay(day=day, opens=opens, closes=closes, note=note))
        elif not isinstance(item, list) and (text := cell_text(item)):
            found.append(HoursDay(day=day, note=text))

    if isinstance(value, dict):
        for day, items in value.items():
            for item in items if isinstance(items, list) else [items]:
                add(str(day), item)
    elif isinstance(value, list):
        for item in value:
            day = first_text(at(item, spec.name("day"))) if isinstance(item, dict) else None
            if day:
                add(day, item)
    unread = not found and bool(strings(value))
    return found, ([f"file.hours.{key}: no entry with a day found; not read"] if unread else [])


def structured(place: Place, settings: FileSettings) -> tuple[dict[str, list], list[str]]:
    """Record fields `hours_days` (from `file.hours.days` and `hours_by_day`) and
    `phone_hours_days` of a place, and notes. The normaliser decides between them and the
    hours text."""
    spec, notes = settings.hours, []
    fields: dict[str, list] = {"hours_days": [HoursDay(day=d, note=v) for d, v in
                                              hours_by_day(place, settings).items()]}
    if spec is None:
        return fields, notes
    cell = _own_hours(place, settings)
    for key, name in (("days", "hours_days"), ("phone_days", "phone_hours_days")):
        if path := getattr(spec, key):
            found, more = day_entries(cell(path), spec, key)
            fields[name] = fields.get(name, []) + found
            notes += more
    return fields, notes

