"""Group meeting rhythms: German free text -> an RRULE-like `Schedule`, only when confident.

"jeden 2. Mittwoch im Monat, 18 Uhr" becomes MONTHLY, BYDAY 2WE, opens 18:00;
"14-tägig dienstags 19-21 Uhr" becomes WEEKLY, INTERVAL 2, BYDAY TU, 19:00-21:00. The fields
map one to one onto an HSDS 3.0 `schedule` row (freq, interval, byday comma-joined, opens_at,
closes_at); HSDS wants a `dtstart` for an interval > 1, which no source states, so an
exporter has to leave "which fortnight" open - the original text stays beside the value.

The text is read as a sequence of known tokens (weekdays with ordinals, rhythm words, times,
fillers, a place phrase with a place noun such as "im BüZ"); one unknown word, a doubt word
("außer", "Ferien", "oder", "unregelmäßig", "nach Absprache"), a date, or several rhythms at
different times, and the text is declined (None). A wrong schedule is worse than none.

Decisions on ambiguous German:
- "jeden zweiten Montag" (ordinal as a word, no month named) is every other week - the
  ordinary reading of "jeder zweite"; "jeden 2. Montag" (digits, no month named) and
  "jeden dritten/vierten Montag" could be either every n-th week or the n-th Monday of the
  month and are declined. With "im Monat", "am", several ordinals, "1." or "letzten", the
  reading is the n-th weekday of the month.
- A day without an ordinal in a monthly context ("monatlich, dienstags", "einmal im Monat")
  is declined: which of the four Tuesdays is unknown.
- A singular day name needs "jeden"/"immer" or a rhythm word: "Montag, 19 Uhr" may be one
  date's weekday. Adverbs ("montags") and abbreviations ("Mo") read as weekly.
- YEARLY is never produced: no text seen names a month and a weekday reliably.
"""

import functools
import re
from dataclasses import dataclass, field

from schema.listing import Schedule
from schema.normalise.text import MEMO, clean

# --- tables ------------------------------------------------------------------------------

#: RRULE weekday codes in week order; the index is the weekday.
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

#: Full German day names (lower case) -> RRULE code.
DAY_NAMES = {"montag": "MO", "dienstag": "TU", "mittwoch": "WE", "donnerstag": "TH",
             "freitag": "FR", "samstag": "SA", "sonnabend": "SA", "sonntag": "SU"}

#: Abbreviations, matched case-sensitively: "so", "do", "di" are also ordinary words.
DAY_ABBREVIATIONS = {"Mo": "MO", "Di": "TU", "Mi": "WE", "Do": "TH", "Fr": "FR", "Sa": "SA",
                     "So": "SU"}

#: Ordinal words (stem) -> RRULE ordinal.
ORDINAL_WORDS = {"erste": 1, "zweite": 2, "dritte": 3, "vierte": 4, "fünfte": 5,
                 "letzte": -1, "vorletzte": -2}

#: Small numbers as words, for "alle zwei Wochen", "zweimal im Monat".
NUMBER_WORDS = {"ein": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4, "sechs": 6,
                "zweite": 2, "dritte": 3, "vierte": 4}

#: Words that carry no rhythm information and may stand anywhere.
FILLERS = frozenset({
    "uhr", "uhrzeit", "treffen", "treffzeit", "treffzeiten", "termin", "termine", "zeit",
    "zeiten", "wann", "trifft", "sich", "wir", "uns", "die", "der", "den", "dem", "des", "gruppe",
    "selbsthilfegruppe", "gruppentreffen", "gruppenabend", "gesprächskreis", "findet", "finden",
    "statt", "ist", "sind", "um", "ab", "von", "und", "sowie", "rhythmus", "jeweils", "online",
    "digital", "virtuell", "per", "zoom", "video", "videokonferenz", "videotreffen", "präsenz",
    "beginn",
})

#: Word stems that make a prepositional phrase a place ("im BüZ", "in der Kontaktstelle").
PLACE_STEMS = ("büz", "buez", "kontaktstelle", "selbsthilfe", "haus", "zentrum", "raum", "räum",
               "büro", "saal", "treff", "kirche", "gemeinde", "klinik", "krankenhaus", "café",
               "cafe", "stätte", "heim", "praxis", "schule", "bibliothek", "center", "laden",
               "stube", "rathaus", "präsenz", "hospiz", "awo", "caritas", "diakonie", "drk")

#: Earliest plausible start: "Di 2-4" means afternoon, which is not guessed.
EARLIEST = 6 * 60
MAX_LENGTH = 400

#: Doubt: the rhythm has exceptions, alternatives, approximations or is not fixed at all.
DOUBT = (r"unregelm(?:ä|ae|a)(?:ß|ss)ig|bedarf|\boder\b|\bbzw\b|beziehungsweise|\bau(?:ß|ss)er\b|"
         r"ausgenommen|\bnicht\b|\bkein|ferien|pause|feiertag|\bsommer|\bwinter|frühjahr|herbst|"
         r"\b(?:januar|februar|märz|april|mai|juni|juli|august|september|oktober|november|"
         r"dezember)\b|wechsel|variier|verschieden|unterschiedlich|derzeit|zurzeit|\bz\.\s?zt|"
         r"aktuell|momentan|vorübergehend|\bruht|pausiert|ausgesetzt|eingestellt|\bregel\b|"
         r"\bmeist|manchmal|teilweise|\bevtl|eventuell|\bggf|gelegentlich|weiteres|anschluss|"
         r"ausnahme|\bjahr|\bjährlich|halbjährlich|verschoben|geändert|änderung|vorbehalt|"
         r"\bneu|\bbitte\b|\?|\bseit\b|\bbis\s+(?:zum|ende)\b|\b(?:19|20)[0-9]{2}\b")

#: "Ort auf Anfrage": the time, place or both are given only on request.
ON_REQUEST = (r"erfrag|nach\s+(?:(?:vorheriger|telefonischer|persönlicher|individueller)\s+)?"
              r"(?:vereinbarung|absprache|rücksprache|terminvereinbarung)|in\s+absprache|"
              r"auf\s+(?:anfrage|nachfrage)|\b(?:an|nach)fragen\b|mitgeteilt|"
              r"(?:individuell|telefonisch)\s+vereinbar|werden\s+vereinbart|wird\s+vereinbart|"
              r"\bauskunft\s+(?:erteilt|gibt|über|bei|im)|\bauskünfte\b|"
              r"\b(?:informationen|infos?)\s+(?:zu\s+\w+\s+)?(?:über|bei|unter)\b|"
              r"\b(?:termine?|treffzeiten?|zeiten?|ort|treffpunkt)\s+(?:bitte\s+)?(?:über|bei)\s+"
              r"(?:die|das|der|dem|den)\b")

# --- patterns ----------------------------------------------------------------------------

_I = re.IGNORECASE
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
_PARTS = r"abend|nachmittag|vormittag|morgen|mittag"
_FULL = rf"(?:{'|'.join(DAY_NAMES)})(?:-?(?:{_PARTS}))?s?(?![\wäöüß])"
#: "So" is also the sentence word "so" ("So treffen wir uns …"): not before a lower-case word.
_SO_WORD = r"(?-i:(?!(?<=So)\s+(?!und\b|bis\b|sowie\b|ab\b|um\b|von\b)[a-zäöüß]))"
_ABBR = (r"(?<![\w])(?-i:" + "|".join([*DAY_ABBREVIATIONS, *map(str.upper, DAY_ABBREVIATIONS)])
         + rf")(?![\w]){_SO_WORD}\.?")
_DAY = rf"(?:{_FULL}|{_ABBR})"
_DAYS = rf"{_DAY}(?:\s*(?:-|bis)\s*{_DAY})?"
_ORD = (r"(?:(?<![0-9.])[1-5]\s*\.(?![0-9])|"
        r"(?:vorletzte|letzte|erste|zweite|dritte|vierte|fünfte)[nmrs]?(?![\wäöüß]))")
_ORDS = rf"{_ORD}(?:\s*(?:,|/|\+|&|und\b|u\.)\s*{_ORD})*"
_N = r"(?:[2-4]|zwei|drei|vier)"
_NTH = r"(?:[2-4]\.|zweite|dritte|vierte)"
_APPROX = r"(?:(?:ca\.?|circa|etwa|gegen)\s*)"
_T = r"(?<![0-9.:])[0-9]{1,2}(?:[.:][0-9]{2})?(?![0-9])"
_TM = r"(?<![0-9.:])[0-9]{1,2}[.:][0-9]{2}(?![0-9])"
_UHR = r"\s*(?:uhr|h)(?![\w])"
_ANY = rf"{_APPROX}?{_T}(?:{_UHR})?"
_AT = rf"{_APPROX}?(?:{_T}{_UHR}|{_TM}(?:{_UHR})?)"

_TOKENS = [
    ("week", rf"(?:14|vierzehn)\s*-?\s*täg(?:ig|lich)(?:e[mnrs]?)?|alle\s+(?:14|vierzehn)\s+tage"
             rf"|alle\s+{_N}\s+wochen|{_N}\s*-?\s*wöch(?:entlich|ig)(?:e[mnrs]?)?"
             rf"|jede\s+{_NTH}\s+woche|in\s+(?:den\s+)?(?:un)?geraden\s+(?:kalender)?wochen"
             r"|wöchentlich(?:e[mnrs]?)?|jede\s+woche|pro\s+woche"),
    ("count", r"(?:ein|zwei|drei|vier|[1-4])\s*-?\s*(?:mal|x)\s+(?:(?:im|pro|je|in\s+der|die|den)"
              r"\s+)?(?:woche|monat|wöchentlich|monatlich)"),
    ("month", rf"alle\s+(?:[236]|zwei|drei|sechs)\s+monate|jeden\s+{_NTH}n?\s+monat"
              r"|(?:2|zwei|3|drei)\s*-?\s*monatlich|vierteljährlich|quartalsweise"
              r"|(?:im|pro|je|des|eines|jeden|jedes)\s+(?:kalender)?monats?|monatlich"),
    ("day", rf"(?:{_ORDS}\s*)?{_DAYS}"),
    ("time", rf"(?:von|zwischen)\s+{_ANY}\s*(?:-|bis|und)\s*{_ANY}"
             rf"|{_ANY}\s*(?:-|bis)\s*{_ANY}|(?:um|ab)\s+{_ANY}|{_AT}"),
    ("every", r"an\s+jedem|jede[nrs]?|immer|regelmäßig"),
    ("am", r"am|an"),
    ("prep", r"im|in\s+(?:der|den|dem|einem|einer)|in|bei\s+(?:der|dem|den)|beim|bei"
             r"|auf\s+(?:dem|der)"),
    ("part", r"abends|nachmittags|vormittags|morgens|mittags"),
    ("sep", r"[,;\n()\[\]]"),
    ("ws", r"\s+"),
    ("word", r"[\wäöüß'.-]+|\S"),
]
_BOUNDED = {"week", "count", "month", "time", "every", "am", "prep", "part"}
_END = r"(?![\w])"
_SCANNER = re.compile("|".join(f"(?P<{kind}>(?:{pattern}){_END if kind in _BOUNDED else ''})"
                               for kind, pattern in _TOKENS), _I)
_DAY_ONE = re.compile(rf"(?P<full>{'|'.join(DAY_NAMES)})(?:-?(?P<part>{_PARTS}))?(?P<s>s)?"
                      rf"|(?P<abbr>{_ABBR})", _I)
_ORD_ONE = re.compile(r"([1-5])\s*\.|(vorletzte|letzte|erste|zweite|dritte|vierte|fünfte)", _I)
_TIME_ONE = re.compile(r"(ca\.?|circa|etwa|gegen)?\s*([0-9]{1,2})(?:[.:]([0-9]{2}))?", _I)
_NUMBER = re.compile(r"14|vierzehn|[1-6]|zweite|dritte|vierte|zwei|drei|vier|sechs|eine?", _I)

_DOUBT = re.compile(DOUBT, _I)
_ON_REQUEST = re.compile(ON_REQUEST, _I)
_DATE = re.compile(r"(?<![0-9.])(?:0?[1-9]|[12][0-9]|3[01])\.(?:0?[1-9]|1[0-2])\.")
#: A segment that is only about the place: "Ort auf Anfrage", "Treffpunkt: …", an address.
_PLACE_SEGMENT = re.compile(
    r"^\s*(?:(?:der|die)\s+)?(?:ort|treffpunkt|treffort|veranstaltungsort|raum|räume|adresse|"
    r"wechselnde\s+(?:orte|treffpunkte))\b|\b[0-9]{5}\b|"
    r"(?:stra(?:ß|ss)e|str\.|weg|platz|allee|gasse|ring|damm|ufer)\s*[0-9]+\s*[a-z]?\s*$", _I)
#: Registration notes that leave the rhythm untouched.
_REGISTRATION = re.compile(
    r"(?:nur\s+)?(?:nach|mit)\s+(?:vorheriger\s+)?(?:telefonischer\s+)?anmeldung|"
    r"ohne\s+anmeldung|(?:eine\s+)?(?:vorherige\s+)?anmeldung\s+(?:ist\s+)?(?:nicht\s+)?"
    r"(?:erforderlich|notwendig|nötig|erwünscht|erbeten)", _I)

# --- reading -----------------------------------------------------------------------------


@dataclass
class _Mention:
    """One weekday phrase: "1. und 3. Dienstag", "montags", "Mo-Fr"."""

    days: list[str]
    ords: list[tuple[int, bool]]  # (ordinal, written as a word)
    singular: bool
    parts: list[str]
    intro: str | None


@dataclass
class _Reading:
    mentions: list[_Mention] = field(default_factory=list)
    times: list[tuple[str | None, str | None]] = field(default_factory=list)
    order: str = ""  # "D" per day phrase, "T" per time, in text order
    weeks: set[int] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    counts: list[tuple[int, str]] = field(default_factory=list)
    every: bool = False
    parts: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=MEMO)
def on_request(text: str | None) -> bool:
    """True when the text says time or place are given on request ("Termine im BüZ erfragen",
    "Ort wird bei Anmeldung mitgeteilt", "nach Vereinbarung")."""
    return bool(text) and bool(_ON_REQUEST.search(text))


@functools.lru_cache(maxsize=MEMO)
def meetings(text: str | None) -> Schedule | None:
    """A meeting rhythm as a `Schedule`, or None when the text is not understood with
    confidence (the caller keeps the original text either way)."""
    text = clean(text)
    if not text or len(text) > MAX_LENGTH:
        return None
    text = _REGISTRATION.sub(" ", _drop_place_segments(text.translate(_DASHES)))
    if _DOUBT.search(text) or _DATE.search(text) or on_request(text):
        return None
    reading = _read(text)
    return reading and _schedule(reading)


def _drop_place_segments(text: str) -> str:
    """Remove comma/line segments that only say where ("Ort auf Anfrage", an address)."""
    pieces = re.split(r"([,;\n])", text)
    kept: list[str] = []
    for i in range(0, len(pieces), 2):
        if _PLACE_SEGMENT.search(pieces[i]):
            continue
        kept += [pieces[i - 1] if i else "", pieces[i]]
    return "".join(kept)


def _read(text: str) -> _Reading | None:
    """Tokens -> a reading; None at the first word that is not understood."""
    reading = _Reading()
    previous: str | None = None
    place: list[str] | None = None  # words of an open "im …" phrase
    for m in _SCANNER.finditer(text):
        kind, value = m.lastgroup or "word", m.group()
        if kind == "ws":
            continue
        if place is not None and kind in ("word", "am", "prep"):
            place.append(value.lower())
            continue
        if place is not None:  # the phrase ends: it must have named a place
            if place and not any(stem in w for w in place for stem in PLACE_STEMS):
                return None
            place = None
        if kind == "prep":
            place = []
        elif kind == "word":
            core = re.sub(r"\W", "", value).lower()
            if core and core not in FILLERS:
                return None
        elif not _take(reading, kind, value, previous):
            return None
        if kind not in ("word", "sep"):
            previous = kind
    if place and not any(stem in w for w in place for stem in PLACE_STEMS):
        return None
    return reading


def _take(reading: _Reading, kind: str, value: str, previous: str | None) -> bool:
    """Record one token; False when it cannot be understood."""
    if kind == "week":
        reading.weeks.add(_number(value))
    elif kind == "month":
        reading.months.add(_number(value))
    elif kind == "count":
        unit = "month" if "mon" in value.lower() else "week"
        reading.counts.append((_number(value), unit))
    elif kind == "every":
        reading.every = True
    elif kind == "part":
        reading.parts.append(value.lower())
    elif kind == "day":
        mention = _mention(value, previous)
        if mention is None:
            return False
        reading.mentions.append(mention)
        reading.parts += mention.parts
        reading.order += "D"
    elif kind == "time":
        span = _time(value)
        if span is None:
            return False
        reading.times.append(span)
        reading.order += "T"
    return True


def _number(value: str) -> int:
    """The n in "alle n Wochen", "n-mal im Monat"; 14 days is 2 weeks."""
    lower = value.lower()
    if "viertel" in lower or "quartal" in lower:
        return 3
    if "gerade" in lower:
        return 2
    m = _NUMBER.search(value)
    if m is None:
        return 1
    word = m.group().lower()
    if word in ("14", "vierzehn"):
        return 2
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _mention(value: str, intro: str | None) -> _Mention | None:
    """"1. und 3. Dienstag" -> days ["TU"], ords [(1, False), (3, False)]; "Mo-Fr" expanded."""
    first = _DAY_ONE.search(value)
    if first is None:
        return None
    days: list[str] = []
    parts: list[str] = []
    singular = False
    for m in _DAY_ONE.finditer(value, first.start()):
        if m.group("abbr"):
            days.append(DAY_ABBREVIATIONS[m.group("abbr").rstrip(".").title()])
            continue
        days.append(DAY_NAMES[m.group("full").lower()])
        singular = singular or not m.group("s")
        if m.group("part"):
            parts.append(m.group("part").lower())
    if len(days) == 2:  # a range: "Mo-Fr", "montags bis donnerstags"
        start, end = WEEKDAYS.index(days[0]), WEEKDAYS.index(days[1])
        if start >= end:
            return None
        days = list(WEEKDAYS[start:end + 1])
    ords = [(int(m.group(1)), False) if m.group(1) else (ORDINAL_WORDS[m.group(2).lower()], True)
            for m in _ORD_ONE.finditer(value[: first.start()])]
    if ords and len(days) > 1:
        return None  # "1. Mo-Fr" has no sensible reading
    return _Mention(days, ords, singular, parts, intro)


def _time(value: str) -> tuple[str | None, str | None] | None:
    """"19.30 - 21 Uhr" -> ("19:30", "21:00"); an approximate end ("bis ca. 21") is None;
    None when a time is impossible or implausible."""
    ends: list[str | None] = []
    minutes: list[int] = []
    for m in _TIME_ONE.finditer(value):
        hour, minute = int(m.group(2)), int(m.group(3) or 0)
        if hour > 23 or minute > 59:
            return None
        minutes.append(hour * 60 + minute)
        ends.append(None if m.group(1) else f"{hour:02d}:{minute:02d}")
    if not minutes or minutes[0] < EARLIEST or (len(minutes) == 2 and minutes[1] <= minutes[0]):
        return None
    if "zwischen" not in value.lower() and re.search(r"\bund\b", value, _I):
        return None
    return (ends[0], ends[1] if len(ends) == 2 else None)


def _schedule(r: _Reading) -> Schedule | None:
    """Put a reading together; None when its parts disagree."""
    if not r.mentions or not re.fullmatch(r"D+T?|TD+|(?:D+T)+|(?:TD+)+", r.order):
        return None
    if len(set(r.times)) > 1 or len(r.weeks) > 1 or len(r.months) > 1 or not _parts_fit(r):
        return None
    opens, closes = r.times[0] if r.times else (None, None)
    monthly = bool(r.months) or any(unit == "month" for _, unit in r.counts)
    ordinals = [o for mention in r.mentions for o in mention.ords]
    if ordinals and not all(mention.ords for mention in r.mentions):
        return None  # "jeden 1. Montag und Donnerstag": does the ordinal carry over?
    if ordinals:
        if r.weeks:
            return None
        nth_of_month = (monthly or len(ordinals) > 1 or r.mentions[0].intro == "am"
                        or ordinals[0][0] in (1, 5, -1, -2))
        if not nth_of_month:
            if ordinals == [(2, True)] and r.mentions[0].intro == "every":
                return _checked(r, "WEEKLY", 2, r.mentions[0].days, opens, closes)
            return None  # "jeden 2. Montag", "jeden dritten Montag": week or month?
        byday = sorted({f"{n}{d}" for m in r.mentions for n, _ in m.ords for d in m.days},
                       key=_day_order)
        return _checked(r, "MONTHLY", max(r.months, default=1), byday, opens, closes)
    if monthly:
        return None  # "monatlich, dienstags": which Tuesday?
    if any(m.singular for m in r.mentions) and not (r.every or r.weeks):
        return None  # "Montag, 19 Uhr" may be one date's weekday
    days = sorted({d for m in r.mentions for d in m.days}, key=_day_order)
    return _checked(r, "WEEKLY", max(r.weeks, default=1), days, opens, closes)


def _checked(r: _Reading, freq: str, interval: int, byday: list[str],
             opens: str | None, closes: str | None) -> Schedule | None:
    """A count ("zweimal im Monat") must agree with the days found."""
    for n, unit in r.counts:
        if n != len(byday) or (unit == "month") != (freq == "MONTHLY") or interval != 1:
            return None
    return Schedule(freq=freq, interval=interval, byday=byday, opens_at=opens, closes_at=closes)


def _parts_fit(r: _Reading) -> bool:
    """"abends" with "7 Uhr" would need a guess (19:00?); decline instead."""
    starts = [int(t[:2]) for span in r.times for t in span if t]
    late = {"abend", "abends", "nachmittag", "nachmittags"}
    early = {"vormittag", "vormittags", "morgen", "morgens"}
    if any(p in late for p in r.parts) and any(h < 12 for h in starts):
        return False
    return not (any(p in early for p in r.parts) and any(h >= 13 for h in starts))


def _day_order(code: str) -> tuple[int, int]:
    """Week order, then ordinals in month order: 1MO, 3MO, -2MO, -1MO."""
    n = int(code[:-2]) if code[:-2] else 0
    return WEEKDAYS.index(code[-2:]), n if n >= 0 else 100 + n
