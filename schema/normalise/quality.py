"""Per-field quality counters of one source run: how many listings had a value, had none, had
one kept raw or withheld (a doubtful or withheld flag) or repaired (a repaired flag). Stored
in `source_run_stats`, printed by `shg quality`, so a source whose phones suddenly stop
parsing shows up the next morning."""

from collections.abc import Callable
from dataclasses import dataclass

from schema.listing import Listing
from schema.normalise.flags import FLAGS, code_of


@dataclass(frozen=True)
class FieldQuality:
    field: str
    records: int
    present: int = 0
    missing: int = 0
    invalid: int = 0
    repaired: int = 0


def _flagged(item: Listing, field: str, kinds: tuple[str, ...]) -> int:
    """1 when the listing carries a flag of one of `kinds` about `field`: the counters are
    read off the published flags, so `shg quality` and a release always agree."""
    return int(any(f.field == field and f.kind in kinds
                   for f in (FLAGS.get(code_of(text)) for text in item.flags) if f))


#: field -> is a value present? (a listing without one counts as missing)
_PRESENT: dict[str, Callable[[Listing], bool]] = {
    "name": lambda i: True,
    "description": lambda i: i.description is not None,
    "address": lambda i: i.address is not None,
    "state": lambda i: bool(i.address and i.address.state),
    "phones": lambda i: bool(i.phones),
    "emails": lambda i: bool(i.emails),
    "websites": lambda i: bool(i.websites),
    "opening_hours": lambda i: i.opening_hours is not None,
    "meeting": lambda i: i.meeting is not None,
    "topics": lambda i: bool(i.topics),
    "org_flags": lambda i: bool(i.org_flags),
    "record": lambda i: True,
}
_INVALID = ("doubtful", "withheld")


def field_quality(listings: list[Listing]) -> list[FieldQuality]:
    """Counters per field over a source run's valid listings. `invalid` counts listings with a
    doubtful or withheld flag about the field (an unparsed phone, office hours not expressible
    in OSM syntax, an unmapped topic label), `repaired` those with a repaired one."""
    out = []
    for name, has_value in _PRESENT.items():
        present = sum(map(has_value, listings))
        invalid = sum(_flagged(item, name, _INVALID) for item in listings)
        repaired = sum(_flagged(item, name, ("repaired",)) for item in listings)
        out.append(FieldQuality(name, len(listings), present, len(listings) - present, invalid,
                                repaired))
    return out


def add_quality(a: list[FieldQuality], b: list[FieldQuality]) -> list[FieldQuality]:
    """The counters of two parts of one run (batches of a large file) as one."""
    return [FieldQuality(x.field, x.records + y.records, x.present + y.present,
                         x.missing + y.missing, x.invalid + y.invalid, x.repaired + y.repaired)
            for x, y in zip(a, b, strict=True)]
