"""The `[source.file]` mapping applied to a place: columns to raw record fields, the hazards
noticed in them, the presence keys, opening hours per weekday or as structured entries (kept
raw beside the hours text: the normaliser decides between them); and the check that the file
has what the mapping names."""

import json
import re
from collections.abc import Callable

from schema.records import HoursDay
from schema.registry import LIST_FIELDS, PRESENCE_KEYS, WEEKDAYS, FileHours, FileSettings
from scrapers.importers.files.cells import MISSING, Place, at, cell_text, first_text, strings
from scrapers.importers.files.read import FileMappingError, Table

_ADDRESS_PARTS = ("street", "postcode", "city")
_EMAIL = re.compile(r"[^\s@]+(?:@|\s*[(\[]at[)\]]\s*)[^\s@]+\.[a-z]{2,}", re.IGNORECASE)
_URL = re.compile(r"^(?:https?://|www\.)", re.IGNORECASE)
_POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)")
_ONLY_POSTCODE = re.compile(r"^(?:D-?\s?)?\d{5}$")


#: field -> (test, what the field then holds). Checked per value; the value is not repeated
#: in the note, since a contact value may be a private person's.
MISPLACED: dict[str, tuple[Callable[[str], bool], str]] = {
    "web_text": (lambda v: bool(_EMAIL.search(v)) and not _URL.match(v), "an e-mail address"),
    "emails_text": (lambda v: bool(_URL.match(v)) and "@" not in v, "a web address"),
    "phones_text": (lambda v: bool(_EMAIL.search(v)), "an e-mail address"),
    "city": (lambda v: bool(_POSTCODE.search(v)), "a postcode"),
    "postcode": (lambda v: not _ONLY_POSTCODE.match(v), "no five-digit postcode"),
}


def collect(place: Place, settings: FileSettings) -> dict[str, list[tuple[str, str]]]:
    """field -> [(column, raw value)], list fields split by their separator."""
    found: dict[str, list[tuple[str, str]]] = {}
    for name, cols in settings.columns.mapped().items():
        sep = settings.split.get(name)
        found[name] = [(col, part.strip()) for col in cols for value in strings(place.cell(col))
                       for part in (value.split(sep) if sep else [value]) if part.strip()]
    return found


def misplaced_notes(found: dict[str, list[tuple[str, str]]]) -> list[str]:
    notes = []
    for name, (test, what) in MISPLACED.items():
        for col, value in found.get(name, []):
            if test(value):
                notes.append(f"{name} holds {what} (column {col!r}); kept where it was")
    return notes


def record_fields(found: dict[str, list[tuple[str, str]]], join: dict[str, str]
                  ) -> dict[str, object]:
    """Raw strings per ScrapedRecord field, text from several columns joined (`file.join`);
    street, postcode and city as "street, postcode city", the shape the normaliser reads."""
    values = {name: [v for _, v in pairs] for name, pairs in found.items()}
    fields: dict[str, object] = {}
    for name, vals in values.items():
        if name in LIST_FIELDS:
            fields[name] = vals
        elif name not in _ADDRESS_PARTS:
            fields[name] = join.get(name, " ").join(vals) or None
    if any(values.get(p) for p in _ADDRESS_PARTS):
        town = " ".join(values.get("postcode", []) + values.get("city", []))
        fields["address_text"] = ", ".join(filter(None, [" ".join(values.get("street", [])),
                                                         town]))
    return fields


#: Keys whose values belong to one place: a branch has its own or none, never its centre's.
OWN_PLACE = ("lat", "lon", "coordinates", "map_url")


def presence_fields(found: dict[str, list[tuple[str, str]]], place: Place,
                    settings: FileSettings) -> dict[str, object]:
    """The raw fields of the presence keys (`PRESENCE_KEYS`), taken out of `found`: a branch
    has its own point or none, never its centre's. The normaliser reads them."""
    values = {name: [v for _, v in found.pop(name, [])] for name in PRESENCE_KEYS}
    if place.own is not None:  # a branch: its own point, not its centre's
        for name in OWN_PLACE:
            values[name] = [v for col in getattr(settings.columns, name) or []
                            for v in strings(place.own(col))]
    lat, lon, pair = values["lat"], values["lon"], values["coordinates"]
    fields: dict[str, object] = {}
    if pair or (lat and lon):
        fields["coordinates_text"] = ";".join(pair) if pair else f"{lat[0]};{lon[0]}"
    if values["map_url"]:
        fields["map_url"] = values["map_url"][0]
    if values["social_links"]:
        fields["social_text"] = values["social_links"]
    if values["as_of"]:
        fields["as_of_text"] = values["as_of"][0]
    return fields


def mapped_columns(settings: FileSettings) -> list[tuple[str, str]]:
    """(registry key, column or path) for every column the mapping names."""
    wanted = [("file.key", c) for c in settings.key]
    wanted += [(f"file.columns.{f}", c) for f, cols in settings.columns.mapped().items()
               for c in cols]
    if isinstance(settings.hours_by_day, dict):
        wanted += [(f"file.hours_by_day.{d}", c) for d, c in settings.hours_by_day.items()]
    elif isinstance(settings.hours_by_day, str):
        wanted.append(("file.hours_by_day", settings.hours_by_day))
    if settings.hours is not None:
        wanted += [(f"file.hours.{k}", c) for k in ("days", "phone_days")
                   if (c := getattr(settings.hours, k))]
    if settings.branches and settings.branches.path:
        wanted.append(("file.branches.path", settings.branches.path))
    elif settings.branches and settings.branches.key:
        wanted.append(("file.branches.key", settings.branches.key))
    return wanted


def check_mapping(table: Table, settings: FileSettings, label: str, filename: str) -> None:
    """Every column the mapping names must exist: a header for tables; for JSON, a path that
    at least one record has (optional keys are common). Branch-relative paths may be absent."""
    if settings.as_of and table.columns is not None:
        raise FileMappingError(f"{label}: key 'file.as_of': only a JSON file has a top level "
                               "to read it from; map the column as columns.as_of")
    for key, col in mapped_columns(settings):
        if table.columns is not None and col not in table.columns:
            raise FileMappingError(f"{label}: key {key!r}: column {col!r} is not in {filename} "
                                   f"(its columns: {', '.join(c for c in table.columns if c)})")
        if table.columns is None and all(at(r, col) is MISSING for _, r in table.rows
                                         if isinstance(r, dict)):
            raise FileMappingError(f"{label}: key {key!r}: path {col!r} is in no record of "
                                   f"{filename}")


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
    """`hours_days` and `phone_hours_days` of a place, and notes, kept beside the hours text:
    the normaliser decides between them."""
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

