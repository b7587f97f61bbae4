"""German office-hour text -> OpenStreetMap `opening_hours`, only when confident.

"Mo, Di + Fr: 9 - 12 Uhr, Mi: 14 - 18 Uhr" becomes "Mo,Tu,Fr 09:00-12:00; We 14:00-18:00".
The text is read as a sequence of tokens (days, day ranges, "jeden 1. Montag im Monat", time
ranges, separators, "nach Vereinbarung", "geschlossen", a lunch break); ordinary words around
them ("Die Sprechzeiten sind … geöffnet.") are skipped, so prose is read like a table. Words
that change what the times mean ("Ferien", "außer", "14-tägig", "täglich", "nicht", a month
range, "9-17/19 Uhr", …, the `DOUBT` table) decline the text (None), as do a day left without
times, times without a day, a group's slots ("Eltern-Kind-Gruppe: Mo 10-12 Uhr") and hours of
several addresses or of several headed sites: a guessed schedule is worse than the original
text, which is always kept beside it.

Phone and chat times ("telefonisch erreichbar", "Telefonzeiten", "Hotline": `PHONE_RE`; see
`_split`) are read into `phone_hours`, never into `opening_hours`. Temporary hours
("in den nächsten Wochen", "vorübergehend", "bis zum 30.6.") are doubtful too.

A day "nach Vereinbarung" is not open (the text is still `by_appointment`); times that are
themselves by appointment ("donnerstags 14-17 Uhr nach Vereinbarung", "Termine nach
Vereinbarung: Mo-Fr 9-12") are not opening hours either.

Day groups add up: "Mo–Fr 10–13 Uhr, Mi 15–18 Uhr" opens Wednesday twice, which OSM would
lose if written as two rules (a later rule replaces an earlier one for the same day), so the
result is built per day and written out canonically (`write_week`); every result is parsed by
opening-hours-py before it is returned. A file's per-day entries (`structured_hours`) are
written out as such text and read the same way.
"""

import functools
import re
from dataclasses import dataclass

import opening_hours as _oh

from schema.normalise.hours import words
from schema.normalise.hours.read import Week, read_week
from schema.normalise.text import MEMO
from schema.records import HoursDay

# --- public functions ----------------------------------------------------------------------

@functools.lru_cache(maxsize=MEMO)
def by_appointment(text: str | None) -> bool:
    """True when the text offers appointments ("nach Vereinbarung", "Terminvereinbarung
    erbeten", "nach vorheriger telefonischer Anmeldung"), with or without fixed hours."""
    if not text:
        return False
    t = words.NOT_APPOINTMENT_RE.sub(" ", lowered(text[:words.MAX_LENGTH * 2]))
    return bool(words.APPOINTMENT_RE.search(t))


@functools.lru_cache(maxsize=MEMO)
def opening_hours(text: str | None) -> str | None:
    """The OSM `opening_hours` value of German office-hour text, or None when not confident
    (doubtful words, a day without times, appointment-only or phone-only text, nothing)."""
    return osm(office_and_phone(text)[0])


@functools.lru_cache(maxsize=MEMO)
def phone_hours(text: str | None) -> str | None:
    """The OSM `opening_hours` value of the phone times in the text ("Telefonzeiten: Mo-Fr
    9-12 Uhr"), or None; these are never office hours."""
    return osm(office_and_phone(text)[1])


# --- lines: office or phone --------------------------------------------------------------

def lowered(text: str) -> str:
    """Lower case, one dash and one space; a weekday with a typing slip spelt right."""
    return words.WORD.sub(_unslipped, text.translate(words.DASHES).lower())


def _unslipped(m: re.Match) -> str:
    return words.DAY_SLIPS.get(m.group(), m.group())


@functools.lru_cache(maxsize=MEMO)
def office_and_phone(text: str | None, limit: int = words.MAX_LENGTH) -> tuple[str, str]:
    """(office text, phone text), lower case, lines joined by "\\n", paragraphs by "¶"."""
    office, phone = _split(text, limit)
    return _join([lowered(x) for x in office]), _join([lowered(x) for x in phone])


def _split(text: str | None, limit: int = words.MAX_LENGTH) -> tuple[list[str], list[str]]:
    """The lines of office and of phone times, as written ("¶" for a blank line). A line with
    a phone cue is phone; a phone heading without times (a line ending in ":" or a sentence
    before the times) makes the following lines phone up to the next heading; after a blank
    line only a line that opens with its days or times continues it."""
    if not text or len(text) > limit:
        return [], []
    office: list[str] = []
    phone: list[str] = []
    in_phone = blank = False
    for line in re.split(r"\r\n|\r|\n", text.replace("¶", " ")):
        line = line.strip()
        if not line:
            blank = True
            office.append("¶")
            phone.append("¶")
            continue
        lower = lowered(line)
        schedule = bool(words.SCHEDULE.search(lower))
        opens = not blank or bool(words.SCHEDULE.match(lower))
        blank = False
        if words.PHONE_RE.search(lower):
            in_phone = not schedule
            own = _own_times(line)
            office += own
            phone.append(" ".join(c for c in words.CLAUSE.split(line) if c not in own))
        elif in_phone and schedule and opens:
            phone.append(line)
        else:
            in_phone = False
            office.append(line)
    return office, phone


def _own_times(line: str) -> list[str]:
    """The clauses of a line with phone times that name another service with its own times
    ("… die telefonische Sprechstunde von 14 bis 16 Uhr sowie die persönliche Sprechstunde am
    Montag 10-12 Uhr"): those times are the office's."""
    clauses = words.CLAUSE.split(line)
    if len(clauses) < 2:
        return []
    return [c for c in clauses if words.SERVICE_RE.search(lowered(c))
            and not words.PHONE_RE.search(lowered(c)) and words.SCHEDULE.search(lowered(c))]


def office_text(text: str | None) -> str | None:
    """`text` without its lines of phone times, as written; None when it has no other lines.
    A text too long to read stays whole."""
    if not text or len(text) > words.MAX_LENGTH:
        return text or None
    office, phone = _split(text)
    if not phone:
        return text
    return "\n".join(x for x in office if x != "¶") or None


def phone_text(text: str | None) -> str | None:
    """The lines of `text` that give phone times, as written; None when there are none."""
    lines = _split(text)[1]
    return "\n".join(x for x in lines if x != "¶") or None


def _join(lines: list[str]) -> str:
    return re.sub(r"(?:\s*¶\s*)+", " ¶ ", " \n ".join(lines)).strip(" ¶\n")


def osm(text: str) -> str | None:
    if not text:
        return None
    if words.ALWAYS.match(text):
        return validated("24/7")
    week = read_week(text)
    return validated(write_week(week)) if week else None


# --- writing a week: canonical OSM, checked by opening-hours-py -------------------------

def write_week(week: Week) -> str:
    """Canonical OSM: one rule per distinct set of times, in week order; "PH off" last."""
    by_times: dict[tuple[tuple[int, int], ...], list[tuple[int, tuple[int, ...]]]] = {}
    for day in sorted(week, key=lambda d: (d[0], bool(d[1]), [(n < 0, n) for n in d[1]])):
        if week[day]:
            by_times.setdefault(tuple(week[day]), []).append(day)
    rules = []
    for times, days in by_times.items():
        weekly = [d for d, nth in days if not nth]
        monthly = [f"{words.OSM_DAYS[d]}[{','.join(map(str, nth))}]" for d, nth in days if nth]
        selector = ",".join([*_day_ranges(weekly), *monthly])
        rules.append(f"{selector} {','.join(f'{_hhmm(a)}-{_hhmm(b)}' for a, b in times)}")
    if week.get((words.HOLIDAY, ())) == []:
        rules.append("PH off")
    return "; ".join(rules)


def _day_ranges(days: list[int]) -> list[str]:
    """[0, 1, 2, 3, 4, 6] -> ["Mo-Fr", "Su"]; two neighbours stay a list ("Mo,Tu"); a public
    holiday never joins a range."""
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1 and d < words.HOLIDAY:
            runs[-1].append(d)
        else:
            runs.append([d])
    out: list[str] = []
    for run in runs:
        if len(run) >= 3:
            out.append(f"{words.OSM_DAYS[run[0]]}-{words.OSM_DAYS[run[-1]]}")
        else:
            out += [words.OSM_DAYS[d] for d in run]
    return out


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def validated(value: str) -> str | None:
    """The value when opening-hours-py parses it, else None (never raises)."""
    try:
        _oh.OpeningHours(value)
    except Exception:  # the library's ParserError and anything else it may raise
        return None
    return value


# --- structured hours: a file's per-day entries, read like office-hour text ---------------

@dataclass(frozen=True)
class DayHours:
    """Structured hours read: office and phone OSM, whether appointments are offered, and the
    entries written out as text ("Dienstag 09:00-12:00")."""

    osm: str | None
    phone_osm: str | None
    by_appointment: bool
    text: str | None


def days_text(entries: list[HoursDay]) -> str | None:
    """Entries (day, from, to, note) as the text the reader understands, one line each: the
    day in German, "from-to", the note; "appointment" is "nach Vereinbarung"."""
    lines = []
    for entry in entries[:words.MAX_ENTRIES]:
        key = lowered(entry.day).strip().rstrip(".")
        name = (words.DAY_NAMES[words.STRUCTURED_DAYS[key]] if key in words.STRUCTURED_DAYS
                else entry.day.strip())
        span = "-".join(_clock(t) for t in (entry.opens, entry.closes) if t and t.strip())
        note = entry.note or ""
        said = words.STRUCTURED_WORDS.get(lowered(note).strip(), note.strip())
        said = words.STRUCTURED_WORDS.get(lowered(span), said if not span else f"{span} {said}")
        if name and said.strip():
            lines.append(f"{name} {said.strip()}")
    return "\n".join(lines) or None


def _clock(value: str) -> str:
    """"09:00:00" -> "09:00"; other values as given (dashes unified)."""
    value = value.strip().translate(words.DASHES)
    return re.sub(r"\b(\d{1,2}:\d{2}):\d{2}\b", r"\1", value)


@functools.lru_cache(maxsize=MEMO)
def structured_hours(text: str | None) -> DayHours:
    """Structured hours (`days_text`) read like office-hour text, without its length cap: a
    day "nach Vereinbarung" is not open, an entry whose note says "telefonisch" is phone."""
    if not text:
        return DayHours(None, None, False, None)
    office, phone = office_and_phone(text, words.STRUCTURED_LENGTH)
    return DayHours(osm(office), osm(phone), by_appointment(text), text)


def disagreement(a: str | None, b: str | None, limit: int = words.STRUCTURED_LENGTH) -> str:
    """The OSM days whose hours differ between two readable texts ("Tu,Th"); "rules" when
    only monthly or holiday rules differ."""
    weeks = [read_week(office_and_phone(t, limit)[0]) or {} for t in (a, b)]
    days = sorted({d for w in weeks for d in w if weeks[0].get(d) != weeks[1].get(d)})
    return ",".join(dict.fromkeys(words.OSM_DAYS[d] for d, _ in days)) or "rules"
