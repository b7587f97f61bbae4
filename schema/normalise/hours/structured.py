"""Structured hours: a file's per-day entries written out as text the reader understands,
and read like office-hour text."""

import functools
import re
from dataclasses import dataclass

from schema.normalise.hours import by_appointment, lowered, office_and_phone, osm
from schema.normalise.hours.read import read_week
from schema.normalise.hours.words import DASHES, MAX_LENGTH, OSM_DAYS
from schema.normalise.text import MEMO

#: Day names of structured files (German, OSM and English codes) -> weekday; others are read
#: as text.
STRUCTURED_DAYS = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6,
                   "di": 1, "mi": 2, "do": 3, "so": 6,
                   "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
                   "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
                   "saturday": 5, "sunday": 6, "ph": 7}
#: Words of structured files that stand for a note the reader knows.
STRUCTURED_WORDS = {"appointment": "nach Vereinbarung", "by appointment": "nach Vereinbarung",
                    "on request": "nach Vereinbarung", "closed": "geschlossen",
                    "phone": "telefonisch:", "telephone": "telefonisch:",
                    "telefonisch": "telefonisch:", "nur telefonisch": "telefonisch:"}
DAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag",
             "Feiertage")
#: Entries a file may give for one listing; more is not a week's hours.
MAX_ENTRIES = 60


@dataclass(frozen=True)
class DayHours:
    """Structured hours read: office and phone OSM, whether appointments are offered, and the
    entries written out as text ("Dienstag 09:00-12:00")."""

    osm: str | None
    phone_osm: str | None
    by_appointment: bool
    text: str | None


def days_text(entries: list[tuple[str, str | None, str | None, str | None]]) -> str | None:
    """Entries (day, from, to, note) as the text the reader understands, one line each: the
    day in German, "from-to", the note; "appointment" is "nach Vereinbarung"."""
    lines = []
    for day, opens, closes, note in entries[:MAX_ENTRIES]:
        key = lowered(day or "").strip().rstrip(".")
        name = DAY_NAMES[STRUCTURED_DAYS[key]] if key in STRUCTURED_DAYS else (day or "").strip()
        span = "-".join(_clock(t) for t in (opens, closes) if t and t.strip())
        words = STRUCTURED_WORDS.get(lowered(note or "").strip(), (note or "").strip())
        words = STRUCTURED_WORDS.get(lowered(span), words if not span else f"{span} {words}")
        if name and words.strip():
            lines.append(f"{name} {words.strip()}")
    return "\n".join(lines) or None


def _clock(value: str) -> str:
    """"09:00:00" -> "09:00"; other values as given (dashes unified)."""
    value = value.strip().translate(DASHES)
    return re.sub(r"\b(\d{1,2}:\d{2}):\d{2}\b", r"\1", value)


@functools.lru_cache(maxsize=MEMO)
def structured_hours(text: str | None) -> DayHours:
    """Structured hours (`days_text`) read like office-hour text, without its length cap: a
    day "nach Vereinbarung" is not open, an entry whose note says "telefonisch" is phone."""
    if not text:
        return DayHours(None, None, False, None)
    limit = MAX_LENGTH * 8
    office, phone = office_and_phone(text, limit)
    return DayHours(osm(office), osm(phone), by_appointment(text), text)


def disagreement(a: str | None, b: str | None, limit: int = MAX_LENGTH * 8) -> str:
    """The OSM days whose hours differ between two readable texts ("Tu,Th"); "rules" when
    only monthly or holiday rules differ."""
    weeks = [read_week(office_and_phone(t, limit)[0]) or {} for t in (a, b)]
    days = sorted({d for w in weeks for d in w if weeks[0].get(d) != weeks[1].get(d)},
                  key=lambda d: (d[0], d[1]))
    return ",".join(dict.fromkeys(OSM_DAYS[d] for d, _ in days)) or "rules"
