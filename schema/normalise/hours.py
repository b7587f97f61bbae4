"""German office-hour text -> OpenStreetMap `opening_hours`, only when confident.

"Mo, Di + Fr: 9 - 12 Uhr, Mi: 14 - 18 Uhr" becomes "Mo,Tu,Fr 09:00-12:00; We 14:00-18:00".
The text is read as a sequence of known tokens (days, day ranges, "jeden 1. Montag im Monat",
time ranges, separators, a few filler words); a single unknown word — "Ferien", "außer",
"14-tägig", "werktags", a bracketed remark — and the text is declined (None), because a
guessed schedule is worse than the original text, which is always kept beside it.

Day groups add up: "Mo–Fr 10–13 Uhr, Mi 15–18 Uhr" opens Wednesday twice, which OSM would
lose if written as two rules (a later rule replaces an earlier one for the same day), so the
result is built per day and written out canonically: rules in week order, days with the same
times grouped, "Mo-Fr" for three or more consecutive days, 24-hour "HH:MM", rules joined by
"; ". Every result is parsed by `opening_hours` (opening-hours-py) before it is returned.
"""

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

import opening_hours as _oh

from schema.normalise.text import MEMO

# --- tables ------------------------------------------------------------------------------

#: OSM day codes in week order; the index is the weekday.
OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")

#: German spellings of each weekday (lower case): full name, adverb, abbreviations. "Die",
#: "Mit", "Son" are left out: they are also ordinary German words.
DAY_SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("montags", "montag", "mon", "mo"),
    ("dienstags", "dienstag", "di"),
    ("mittwochs", "mittwoch", "mi"),
    ("donnerstags", "donnerstag", "do"),
    ("freitags", "freitag", "fr"),
    ("samstags", "samstag", "sonnabends", "sonnabend", "sa"),
    ("sonntags", "sonntag", "so"),
)

#: "jeden 1. / ersten / letzten Montag im Monat" -> OSM's nth weekday of the month.
ORDINALS = {"1.": 1, "2.": 2, "3.": 3, "4.": 4, "5.": 5, "erste": 1, "zweite": 2,
            "dritte": 3, "vierte": 4, "fünfte": 5, "letzte": -1}

#: Labels that open a text and say nothing about the times ("Sprechzeiten: …").
LABELS = (r"(?:(?:telefonische|persönliche|offene|allgemeine)\s+)?(?:sprechzeiten|sprechzeit|"
          r"öffnungszeiten|bürozeiten|sprechstunden?|beratungszeiten|servicezeiten|"
          r"telefonzeiten|erreichbarkeit|kontaktzeiten|telefonsprechstunden?)|"
          r"telefonisch(?:\s+erreichbar)?")

#: "nach Vereinbarung" and its variants: appointments outside (or instead of) fixed hours.
APPOINTMENT = (r"(?:nach|auf)\s+(?:(?:vorheriger|telefonischer|tel\.|persönlicher)\s*)?"
               r"(?:vereinbarung|absprache|terminvereinbarung|terminabsprache|anmeldung|anfrage)"
               r"|termine?\s+(?:nach|auf)\s+(?:vereinbarung|absprache|anfrage)"
               r"|nach\s+telefonischer\s+terminvereinbarung")

#: Filler words that carry no time information.
FILLERS = (r"von|in der zeit von|jeweils|jeden|jede|immer|geöffnet|erreichbar|besetzt|"
           r"zusätzlich|außerdem")

#: Qualifiers allowed only in front of a time range that fits them: (earliest start,
#: latest end) in minutes. "nachmittags 2-5" is a shorthand we do not expand, so it fails.
QUALIFIERS = {"vormittags": (0, 13 * 60), "morgens": (0, 13 * 60),
              "nachmittags": (12 * 60, 24 * 60), "abends": (16 * 60, 24 * 60)}

#: Earliest plausible start: "Di 2-4" means afternoon, which we do not guess.
EARLIEST = 6 * 60
MAX_LENGTH = 400

# --- patterns ----------------------------------------------------------------------------

_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
_DAY = "|".join(sorted({s for group in DAY_SPELLINGS for s in group}, key=len, reverse=True))
_DAY_WORD = rf"(?:{_DAY})(?:\.(?![0-9]))?(?![a-zäöüß])"
_ORD = r"[1-5]\.|(?:erste|zweite|dritte|vierte|fünfte|letzte)[nmrs]?"
_ORDS = rf"(?:{_ORD})(?:\s*(?:,|und|u\.|&|\+|/)\s*(?:{_ORD}))*"
_TIME = r"(?:[01]?[0-9]|2[0-4])(?:[.:][0-5][0-9])?"
#: Words that may open an appointment clause ("Termine außerhalb dieser Zeiten nach …").
_LEAD_IN = (r"außerdem|auch|zusätzlich|sonst|gerne|außerhalb\s+dieser\s+zeiten|darüber\s+hinaus|"
            r"vormittags|nachmittags|abends|termine|beratung|beratungstermine|gespräche|"
            r"beratungsgespräche|weitere\s+termine")
_CONNECT = r"\s*(?:(?:[,&+/;|.]|\bund\b|\bu\.)\s*)+"  # unambiguous: no nested \s*

_TOKEN = re.compile(
    rf"(?P<monthly>(?:jeden|jede[nm]?|an\s+jedem|am)\s+(?P<ords>{_ORDS})\s+(?P<mday>{_DAY_WORD})"
    rf"(?:\s+(?:im|des|eines)\s+monats?)?)"
    rf"|(?P<daily>täglich)(?![a-zäöüß])"
    rf"|(?P<span>(?P<first>{_DAY_WORD})\s*(?:-|bis)\s*(?P<last>{_DAY_WORD}))"
    rf"|(?P<day>{_DAY_WORD})"
    rf"|(?<![0-9.:])(?P<start>{_TIME})\s*(?:-|bis)\s*(?P<end>{_TIME})(?![0-9:]|\.[0-9])"
    rf"|(?P<closed>geschlossen)(?![a-zäöüß])"
    rf"|(?P<qualifier>{'|'.join(QUALIFIERS)})(?![a-zäöüß])"
    rf"|(?P<sep>[,;|/+&:.]|(?:und|sowie)(?![a-zäöüß])|u\.)"
    rf"|(?:{FILLERS})(?![a-zäöüß])"
    rf"|(?P<space>\s+)"
)
_LABEL = re.compile(rf"^\s*(?:{LABELS})(?![a-zäöüß])\s*:?")
_PLACE = re.compile(r"\s+(?:im|in der)\s+(?:büz|kontaktstelle|büro|geschäftsstelle|"
                    r"selbsthilfebüro)\s*\.?\s*$")
_APPOINTMENT = re.compile(APPOINTMENT, re.IGNORECASE)
#: A removable appointment clause: a whole clause of its own, after the hours, joined by
#: "und"/"sowie"/a separator. "donnerstags 14-17 Uhr nach Vereinbarung" and "Termine nach
#: Vereinbarung: Mo-Fr 9-12" (hours that are themselves by appointment) are not one.
_APPOINTMENT_CLAUSE = re.compile(
    rf"(?:{_CONNECT}|\s+(?:sowie|oder)\s+)\s*(?:(?:{_LEAD_IN})\s+){{0,3}}"
    rf"(?:{APPOINTMENT})\s*(?=$|[,;|.])")
_ALWAYS = re.compile(r"^(?:täglich\s+)?(?:rund um die uhr|24 stunden(?: täglich)?)"
                     r"(?:\s+erreichbar)?\.?$")


# --- public functions ----------------------------------------------------------------------

@functools.lru_cache(maxsize=MEMO)
def by_appointment(text: str | None) -> bool:
    """True when the text offers appointments ("nach Vereinbarung", "nach telefonischer
    Absprache"), with or without fixed hours beside them."""
    return bool(text) and bool(_APPOINTMENT.search(text[:MAX_LENGTH * 2]))


@functools.lru_cache(maxsize=MEMO)
def opening_hours(text: str | None) -> str | None:
    """The OSM `opening_hours` value of German office-hour text, or None when not confident
    (unknown words, holidays, shorthand like "2-4", appointment-only text, nothing at all)."""
    if not text or len(text) > MAX_LENGTH:
        return None
    prepared = _prepare(text)
    if prepared is None:
        return None
    if _ALWAYS.match(prepared):
        return _validated("24/7")
    week = _read(prepared)
    return _validated(_format(week)) if week else None


def weekly_spans(text: str | None) -> dict[int, frozenset[tuple[int, int]]]:
    """Weekday (0 = Monday) -> (start, end) in minutes, for the weekly rules of `text`; empty
    when the text is not understood. For comparing two spellings of the same hours."""
    if not text or len(text) > MAX_LENGTH or (prepared := _prepare(text)) is None:
        return {}
    week = _read(prepared) or {}
    return {day: frozenset(spans) for (day, nth), spans in week.items() if not nth}


# --- reading -------------------------------------------------------------------------------

def _prepare(text: str) -> str | None:
    """Lower case, one dash, newlines as separators; labels, "Uhr", a trailing place and
    additive appointment clauses removed. None when an appointment clause cannot be removed
    (then the hours themselves are by appointment)."""
    t = text.translate(_DASHES).replace("\u00a0", " ").lower()
    t = re.sub(r"\s*[\r\n]+\s*", " ; ", t.strip())
    t = _LABEL.sub("", t)
    t = _PLACE.sub("", t)
    t = _APPOINTMENT_CLAUSE.sub(" ", t)
    if _APPOINTMENT.search(t):
        return None
    if _ALWAYS.match(t.strip()):
        return t.strip()
    t = re.sub(r"(?<=[0-9])\s*uhr(?![a-zäöüß])|(?<![a-zäöüß])uhr(?![a-zäöüß])", " ", t)
    t = re.sub(r"(?<=[0-9])\s*h(?![a-zäöüß])", "", t)
    return t.strip(" ;,.") or None


@dataclass
class _Group:
    """Days read so far and the times (or "geschlossen") that followed them."""

    days: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    times: list[tuple[int, int]] = field(default_factory=list)
    closed: bool = False

    @property
    def complete(self) -> bool:
        return bool(self.times) or self.closed


Week = dict[tuple[int, tuple[int, ...]], list[tuple[int, int]]]


def _read(text: str) -> Week | None:
    """(weekday, nth-of-month) -> sorted time ranges; None on anything not understood."""
    groups: list[_Group] = [_Group()]
    qualifier: str | None = None
    for kind, value in _tokens(text):
        group = groups[-1]
        if kind == "days":
            if group.complete:
                groups.append(group := _Group())
            if qualifier:
                return None
            group.days += value
        elif kind == "time":
            if not group.days or group.closed or not _fits(value, qualifier):
                return None
            group.times.append(value)
            qualifier = None
        elif kind == "closed":
            if not group.days or group.times:
                return None
            group.closed = True
        elif kind == "qualifier":
            qualifier = value
        elif kind == "error":
            return None
    if qualifier or not all(g.complete for g in groups):
        return None
    return _combine(groups)


def _tokens(text: str) -> Iterator[tuple[str, object]]:
    """("days", [(weekday, nth), …]) / ("time", (start, end)) / ("closed", None) /
    ("qualifier", word) / ("error", None); separators and fillers are dropped."""
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            yield "error", None
            return
        pos = m.end()
        if m["monthly"]:
            nth = tuple(sorted({ORDINALS[o if o[0].isdigit() else o.rstrip("nmrs")]
                                for o in re.findall(_ORD, m["ords"])}, key=lambda n: (n < 0, n)))
            yield "days", [(_weekday(m["mday"]), nth)]
        elif m["daily"]:
            yield "days", [(d, ()) for d in range(7)]
        elif m["span"]:
            first, last = _weekday(m["first"]), _weekday(m["last"])
            yield ("days", [(d, ()) for d in range(first, last + 1)]) if first < last \
                else ("error", None)
        elif m["day"]:
            yield "days", [(_weekday(m["day"]), ())]
        elif m["start"]:
            start, end = _minutes(m["start"]), _minutes(m["end"])
            ok = start is not None and end is not None and EARLIEST <= start < end
            yield ("time", (start, end)) if ok else ("error", None)
        elif m["closed"]:
            yield "closed", None
        elif m["qualifier"]:
            yield "qualifier", m["qualifier"]


def _weekday(word: str) -> int:
    word = word.rstrip(".")
    return next(i for i, group in enumerate(DAY_SPELLINGS) if word in group)


def _minutes(time: str) -> int | None:
    hour, _, minute = time.replace(":", ".").partition(".")
    value = int(hour) * 60 + int(minute or 0)
    return value if value <= 24 * 60 else None


def _fits(span: tuple[int, int], qualifier: str | None) -> bool:
    if qualifier is None:
        return True
    low, high = QUALIFIERS[qualifier]
    return low <= span[0] and span[1] <= high


def _combine(groups: list[_Group]) -> Week | None:
    """Times added up per day; closed days dropped. A weekday both weekly and nth-of-month
    (or "1. und 3." beside "1."), whose later OSM rule would replace the earlier, and
    overlapping ranges on one day are not something we write out with confidence."""
    week: Week = {}
    closed = {d for g in groups if g.closed for d in g.days}
    for g in groups:
        for day in g.days:
            week.setdefault(day, []).extend(g.times)
    week = {d: sorted(set(t)) for d, t in week.items() if d not in closed and t}
    for weekday in range(7):
        nths = [_weeks(nth) for d, nth in week if d == weekday]
        if len(nths) > 1 and any(a & b for i, a in enumerate(nths) for b in nths[i + 1:]):
            return None
    for spans in week.values():
        if any(a[1] > b[0] for a, b in pairwise(spans)):
            return None
    return week or None


def _weeks(nth: tuple[int, ...]) -> set[int]:
    """The weeks of the month a selector can fall in: the last weekday is the 4th or 5th."""
    if not nth:
        return {1, 2, 3, 4, 5}
    return {w for n in nth for w in ((n,) if n > 0 else (4, 5))}


# --- writing -------------------------------------------------------------------------------

def _format(week: Week) -> str:
    """Canonical OSM: one rule per distinct set of times, in week order."""
    by_times: dict[tuple[tuple[int, int], ...], list[tuple[int, tuple[int, ...]]]] = {}
    for day in sorted(week, key=lambda d: (d[0], bool(d[1]), [(n < 0, n) for n in d[1]])):
        by_times.setdefault(tuple(week[day]), []).append(day)
    rules = []
    for times, days in by_times.items():
        weekly = [d for d, nth in days if not nth]
        monthly = [f"{OSM_DAYS[d]}[{','.join(map(str, nth))}]" for d, nth in days if nth]
        selector = ",".join([*_day_ranges(weekly), *monthly])
        rules.append(f"{selector} {','.join(f'{_hhmm(a)}-{_hhmm(b)}' for a, b in times)}")
    return "; ".join(rules)


def _day_ranges(days: list[int]) -> list[str]:
    """[0, 1, 2, 3, 4, 6] -> ["Mo-Fr", "Su"]; two neighbours stay a list ("Mo,Tu")."""
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    out: list[str] = []
    for run in runs:
        if len(run) >= 3:
            out.append(f"{OSM_DAYS[run[0]]}-{OSM_DAYS[run[-1]]}")
        else:
            out += [OSM_DAYS[d] for d in run]
    return out


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _validated(value: str) -> str | None:
    """The value when opening-hours-py parses it, else None (never raises)."""
    try:
        _oh.OpeningHours(value)
    except Exception:  # the library's ParserError and anything else it may raise
        return None
    return value
