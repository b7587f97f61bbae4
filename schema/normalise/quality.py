"""Per-field quality counters of one source run: how many values were present, missing,
invalid (kept raw, not normalised) or repaired. Stored in `source_run_stats`, printed by
`shg quality`, so a source whose phones suddenly stop parsing shows up the next morning."""

from collections.abc import Callable
from dataclasses import dataclass

from schema.listing import Listing


@dataclass(frozen=True)
class FieldQuality:
    field: str
    records: int
    present: int = 0
    missing: int = 0
    invalid: int = 0
    repaired: int = 0


def _count(items: list, bad: Callable[[object], bool]) -> int:
    return sum(1 for item in items if bad(item))


def _address_invalid(item: Listing) -> bool:
    return item.address is not None and item.address.postcode is None


def _per_value(item: Listing, name: str) -> tuple[int, int]:
    values = getattr(item, name)
    return len(values), sum(1 for v in values if not v.valid)


#: field -> (present?, invalid count, repaired count) for one listing
_RULES: dict[str, Callable[[Listing], tuple[bool, int, int]]] = {
    "name": lambda i: (True, 0, 0),
    "description": lambda i: (i.description is not None, 0, 0),
    "address": lambda i: (i.address is not None, int(_address_invalid(i)),
                          int(bool(i.address and i.address.notes))),
    "state": lambda i: (bool(i.address and i.address.state), 0, 0),
    "phones": lambda i: (bool(i.phones), _per_value(i, "phones")[1], 0),
    "emails": lambda i: (bool(i.emails), _per_value(i, "emails")[1],
                         sum(1 for f in i.flags if f.startswith("moved e-mail"))),
    "websites": lambda i: (bool(i.websites), _per_value(i, "websites")[1],
                           sum(1 for f in i.flags if f.startswith("moved web"))),
    "opening_hours": lambda i: (i.opening_hours is not None, int(bool(
        i.opening_hours and i.opening_hours.osm is None
        and not i.opening_hours.by_appointment)), 0),
    "meeting": lambda i: (i.meeting is not None, int(bool(
        i.meeting and not i.meeting.on_request and i.meeting.schedule is None)), 0),
    "topics": lambda i: (bool(i.topics), sum(1 for t in i.topics if t.code is None), 0),
}


def field_quality(listings: list[Listing]) -> list[FieldQuality]:
    """Counters per field over a source run's valid listings. `invalid` counts values kept raw
    (an unparsed phone, office hours not expressible in OSM syntax, an unmapped topic label)."""
    out = []
    for name, rule in _RULES.items():
        present = missing = invalid = repaired = 0
        for item in listings:
            has, bad, fixed = rule(item)
            present += has
            missing += not has
            invalid += bad
            repaired += fixed
        out.append(FieldQuality(name, len(listings), present, missing, invalid, repaired))
    return out


def add_quality(a: list[FieldQuality], b: list[FieldQuality]) -> list[FieldQuality]:
    """The counters of two parts of one run (batches of a large file) as one."""
    return [FieldQuality(x.field, x.records + y.records, x.present + y.present,
                         x.missing + y.missing, x.invalid + y.invalid, x.repaired + y.repaired)
            for x, y in zip(a, b, strict=True)]
