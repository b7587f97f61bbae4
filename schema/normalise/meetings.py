"""Group meeting rhythms: German free text -> an RRULE-like `Schedule`, only when confident.

"jeden 2. Mittwoch im Monat, 18 Uhr" becomes MONTHLY, BYDAY 2WE, opens 18:00;
"14-tägig dienstags 19-21 Uhr" becomes WEEKLY, INTERVAL 2, BYDAY TU, 19:00-21:00. The fields
map one to one onto an HSDS 3.0 `schedule` row (freq, interval, byday comma-joined, opens_at,
closes_at); HSDS wants a `dtstart` for an interval > 1, which no source states, so an
exporter has to leave "which fortnight" open - the original text stays beside the value.

Publishers write rhythms inside sentences ("Die Gruppe trifft sich jeden ersten Donnerstag im
Monat im Gemeindehaus und sucht neue Mitglieder."), so the text is read for its rhythm tokens
(weekdays with ordinals, rhythm words, times) and the words around them are passed over. What
is removed first: one-off dates with their weekday and time ("am Dienstag, 16. April, 15 Uhr"),
addresses (house numbers and postcodes are no times), history ("seit 2008"). Declined (None):
a doubt word ("außer", "Ferien", "in der Regel", "voraussichtlich", a month named as a
season), alternatives between rhythm tokens ("dienstags oder mittwochs"), time or dates given
only on request in the rhythm's own clause, day mentions in several sentences or lines
(several meetings), several groups named beside several days, a list of three or more
calendar dates (the meetings are those dates), or parts that disagree. A hedge
("bitte", "in der Regel") counts only in a sentence that names the rhythm; an exception or a
season counts anywhere. A wrong schedule is worse than none.

Decisions on ambiguous German:
- "jeden zweiten Montag" (ordinal as a word, no month named) is every other week - the
  ordinary reading of "jeder zweite"; "jeden 2. Montag" (digits, no month named) and
  "jeden dritten/vierten Montag" could be either every n-th week or the n-th Monday of the
  month and are declined. With "im Monat", "am", several ordinals, "1." or "letzten", the
  reading is the n-th weekday of the month.
- A day without an ordinal in a monthly context ("monatlich, dienstags", "einmal im Monat")
  is declined: which of the four Tuesdays is unknown; so is "an einem Freitag" without a week
  rhythm.
- A weekday with a time in a group's meeting field ("Montag, 10:00 Uhr bis 11:00 Uhr") names
  its weekly day; a weekday beside a calendar date is that date's and is removed with it, and
  a bare weekday beside a word of one occasion ("Gründungstreffen am Montag", "das nächste
  Treffen") is declined unless a word of recurrence ("jeden", "immer", "montags") is there.
- YEARLY is never produced: no text seen names a month and a weekday reliably.
"""

import bisect
import functools
import re
from dataclasses import dataclass, field
from itertools import pairwise

from schema.listing import Schedule
from schema.normalise.text import MEMO, clean, typing_slips

# --- tables ------------------------------------------------------------------------------

#: RRULE weekday codes in week order; the index is the weekday.
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

#: Full German day names (lower case) -> RRULE code.
DAY_NAMES = {"montag": "MO", "dienstag": "TU", "mittwoch": "WE", "donnerstag": "TH",
             "freitag": "FR", "samstag": "SA", "sonnabend": "SA", "sonntag": "SU"}

#: A full day name with one typing slip ("Mitwoch", "Donerstags") -> the name.
DAY_SLIPS = {slip: name + s for name in DAY_NAMES for s in ("", "s")
             for slip in typing_slips(name + s) if slip.rstrip("s") not in DAY_NAMES}
#: Abbreviations, matched case-sensitively: "so", "do", "di" are also ordinary words.
DAY_ABBREVIATIONS = {"Mo": "MO", "Di": "TU", "Mi": "WE", "Do": "TH", "Fr": "FR", "Sa": "SA",
                     "So": "SU"}

#: Ordinal words (stem) -> RRULE ordinal.
ORDINAL_WORDS = {"erste": 1, "zweite": 2, "dritte": 3, "vierte": 4, "fünfte": 5,
                 "letzte": -1, "vorletzte": -2}

#: Small numbers as words, for "alle zwei Wochen", "zweimal im Monat".
NUMBER_WORDS = {"ein": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4, "sechs": 6,
                "zweite": 2, "dritte": 3, "vierte": 4}

#: Month names, for dates ("16. April") and seasons ("im Dezember").
MONTHS = ("januar", "februar", "märz", "maerz", "april", "mai", "juni", "juli", "august",
          "september", "oktober", "november", "dezember")

#: Earliest plausible start: "Di 2-4" means afternoon, which is not guessed.
EARLIEST = 6 * 60
MAX_LENGTH = 400

_MONTH = rf"(?:{'|'.join(MONTHS)})"

#: Doubt within one sentence: a rhythm that is not fixed or is hedged; in another sentence
#: ("Bitte melden Sie sich an.", "Es kommen meist zehn Leute.") it says nothing of the rhythm.
LOCAL_DOUBT = (
    # not fixed
    r"unregelm(?:ä|ae|a)(?:ß|ss)ig", r"bedarf", r"variier", r"ständig", r"gelegentlich",
    r"manchmal", r"teilweise", r"\bwechsel\b", r"abwechselnd",
    r"(?:verschiedenen|unterschiedlichen)\s+(?:zeiten|tagen|terminen|wochentagen)",
    # hedges
    r"(?<![\w-])regel\b", r"\bmeist", r"normalerweise", r"voraussichtlich", r"sofern", r"soweit",
    r"\bevtl", r"eventuell", r"\bggf", r"\bbitte\b", r"im\s+anschluss",
)
#: A month that doubts the rhythm only in its own clause ("im Juli jeden Montag"); in another
#: clause it dates something else ("gründete im April eine Gruppe, die sich … trifft").
CLAUSE_DOUBT = (rf"\bim\s+{_MONTH}\b",)

#: Doubt anywhere in the text: the rhythm has exceptions, seasons, changes or an end.
DOUBT = (
    # exceptions, seasons, cancellations
    r"\bau(?:ß|ss)er(?:halb)?\b", r"ausgenommen", r"ausnahme", r"\bkein",
    r"\bnicht\s+(?:an|am|in|im|während|mehr|jeden|jede|immer)\b", r"\bnicht\s*(?:[.,;)]|$)",
    r"ferien", r"pause", r"feiertag", r"\bsommer", r"\bwinter", r"frühjahr", r"herbst",
    rf"\b(?:von|bis)\s+{_MONTH}\b",
    r"entf(?:ä|a)ll", r"\bfällt\s+(?:\S+\s+){0,3}aus\b", r"ausfall", r"abgesagt", r"geschlossen",
    r"vorübergehend", r"\bruht", r"pausiert", r"ausgesetzt", r"eingestellt",
    # changes and reservations
    r"nichts\s+anderes", r"vorbehaltlich",
    r"unter\s+vorbehalt", r"verschoben", r"geändert", r"änderung", r"anstelle", r"anstatt",
    r"stattdessen", r"\bbisher", r"früher", r"\bweiteres\b",
    # yearly counts, end dates, a year (after dates and history are removed)
    r"\b(?:im|pro|je)\s+jahr\b", r"\bjährlich", r"halbjährlich", r"\bbis\s+(?:zum|ende)\b",
    r"\b(?:19|20)[0-9]{2}\b",
)

#: Time or place given only on request; in the rhythm's own clause it voids the rhythm.
ON_REQUEST = (r"erfrag|nach\s+(?:(?:vorheriger|telefonischer|persönlicher|individueller)\s+)?"
              r"(?:vereinbarung|absprache|rücksprache|terminvereinbarung)|in\s+absprache|"
              r"auf\s+(?:anfrage|nachfrage)|\b(?:an|nach)fragen\b|termin-?anfrage|mitgeteilt|"
              r"bekannt\s*gegeben|\b(?:sind|ist)\s[^.,;]*\bzu\s+erfahren\b|"
              r"(?:individuell|telefonisch)\s+vereinbar|werden\s+vereinbart|wird\s+vereinbart")

#: Pointers to where to ask ("Infos unter Tel."): on request only when no rhythm is stated.
ASK_THERE = (r"\bauskunft\s+(?:erteilt|gibt|über|bei|im)|\bauskünfte\b|\berhältlich\b|"
             r"\b(?:informationen|infos?)\s+(?:zu\s+\w+\s+)?(?:über|bei|unter)\b|"
             r"\bkontakt\s+(?:\S+\s+){0,3}aufgenommen|"
             r"\b(?:termine?|treffzeiten?|zeiten?|ort|treffpunkt)\s+(?:bitte\s+)?(?:über|bei)\s+"
             r"(?:die|das|der|dem|den)\b")

# --- patterns ----------------------------------------------------------------------------

_I = re.IGNORECASE
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
_PARTS = r"abend|nachmittag|vormittag|morgen|mittag"
#: A weekday joined by a hyphen to a word that is no day ("Sonntags-Café") is part of a name.
_COMPOUND = rf"(?!-(?!(?:{'|'.join(DAY_NAMES)}|{'|'.join(DAY_ABBREVIATIONS)})\b)[^\W\d_])"
_FULL = rf"(?:{'|'.join(DAY_NAMES)})(?:-?(?:{_PARTS}))?s?(?![\wäöüß]){_COMPOUND}"
#: "So" is also the sentence word "so" ("So treffen wir uns …"): not before a lower-case word.
_SO_WORD = r"(?-i:(?!(?<=So)\s+(?!und\b|bis\b|sowie\b|ab\b|um\b|von\b)[a-zäöüß]))"
_ABBR = (r"(?<![\w])(?-i:" + "|".join([*DAY_ABBREVIATIONS, *map(str.upper, DAY_ABBREVIATIONS)])
         + rf")(?![\w]){_SO_WORD}\.?")
_DAY = rf"(?:{_FULL}|{_ABBR})"
_DAYS = rf"{_DAY}(?:\s*(?:-|bis)\s*{_DAY})?"
_ORD = (r"(?:(?<![0-9.])[1-5]\s*(?:\.|-?te[nrs]?)(?![0-9])|"
        r"(?:vorletzte|letzte|erste|zweite|dritte|vierte|fünfte)[nmrs]?(?![\wäöüß]))")
_ORDS = rf"{_ORD}(?:\s*(?:,|/|\+|&|und\b|u\.)\s*{_ORD})*"
_N = r"(?:[2-4]|zwei|drei|vier)"
_NTH = r"(?:[2-4]\.|zweite|dritte|vierte)"
_APPROX = r"(?:(?:ca\.?|circa|etwa|gegen)\s*)"
_T = r"(?<![0-9.:])[0-9]{1,2}(?:[.:][0-9]{2})?(?![0-9])"
_TM = r"(?<![0-9.:])[0-9]{1,2}[.:][0-9]{2}(?![0-9])"
_UHR = r"\s*(?:uhr|h)(?![\w])"
_ANY = rf"{_APPROX}?{_T}(?:{_UHR})?"
_AT = rf"{_APPROX}?(?:{_T}{_UHR}|{_TM}(?:{_UHR})?|(?<![0-9])[0-2][0-9][0-5][0-9]{_UHR})"
_TIME = (rf"(?:(?:von|zwischen|ab|um)\s+)?{_ANY}\s*(?:-|bis|und)\s*{_ANY}"
         rf"|(?:um|ab)\s+{_ANY}|bis\s+{_AT}|{_AT}")

_TOKENS = [
    ("week", rf"(?:14|vierzehn)\s*-?\s*täg(?:ig|lich)(?:e[mnrs]?)?|alle\s+(?:14|vierzehn)\s+tage"
             rf"|alle\s+{_N}\s+wochen|{_N}\s*-?\s*wöch(?:entlich|ig)(?:e[mnrs]?)?"
             rf"|jede\s+{_NTH}\s+woche|in\s+(?:den\s+)?(?:un)?geraden\s+(?:kalender)?wochen"
             r"|(?:all)?wöchentlich(?:e[mnrs]?)?|wöchentl\.|jede\s+woche|pro\s+woche"),
    ("count", r"(?:ein|zwei|drei|vier|[1-4])\s*-?\s*(?:mal|x)\s+(?:(?:im|pro|je|in\s+der|die|den)"
              r"\s+)?(?:woche|monat|wöchentlich|monatlich)"),
    ("month", rf"alle\s+(?:[236]|zwei|drei|sechs)\s+monate|jeden\s+{_NTH}n?\s+monat"
              r"|(?:2|zwei|3|drei)\s*-?\s*monatlich|vierteljährlich|quartalsweise"
              r"|(?:im|in\s+den|eines|jedes)\s+(?:un)?geraden\s+monat(?:s|en)?"
              r"|(?:im|pro|je|des|eines|jeden|jedes)\s+(?:kalender)?monats?|monatlich"
              r"|/\s*monat|mtl\.|monatl\."),  # a weekly plan's "3. Fr./Monat", "mtl."
    ("day", rf"(?:{_ORDS}\s*)?{_DAYS}"),
    ("time", _TIME),
    ("every", r"an\s+jedem|jede[nrs]?|immer|regelmäßig"),
    ("one", r"an\s+einem"),
    ("am", r"am|an"),
    ("alt", r"oder|bzw\.?|beziehungsweise"),
    ("part", r"abends|nachmittags|vormittags|morgens|mittags"),
    ("num", r"[0-9]+\.?"),
    ("sep", r"[,;()\[\]]"),
    ("ws", r"\s+"),
    ("word", r"[\wäöüß'.-]+|\S"),
]
_BOUNDED = {"week", "count", "month", "time", "every", "one", "am", "alt", "part", "num"}
_END = r"(?![\w])"
_SCANNER = re.compile("|".join(f"(?P<{kind}>(?:{pattern}){_END if kind in _BOUNDED else ''})"
                               for kind, pattern in _TOKENS), _I)
_DAY_ONE = re.compile(rf"(?P<full>{'|'.join(DAY_NAMES)})(?:-?(?P<part>{_PARTS}))?(?P<s>s)?"
                      rf"|(?P<abbr>{_ABBR})", _I)
_ORD_ONE = re.compile(r"([1-5])\s*(?:\.|-?te)|(vorletzte|letzte|erste|zweite|dritte|vierte|"
                      r"fünfte)", _I)
_TIME_ONE = re.compile(r"(ca\.?|circa|etwa|gegen)?\s*([0-9]{1,2})(?:[.:]?([0-9]{2}))?", _I)
_NUMBER = re.compile(r"14|vierzehn|[1-6]|zweite|dritte|vierte|zwei|drei|vier|sechs|eine?", _I)
#: A time without "Uhr" or minutes before a noun counts things ("8 bis 15 Teilnehmer").
_CLOCK = re.compile(r"[.:][0-9]{2}|uhr|[0-9]h\b", _I)
_NOUN_NEXT = re.compile(r"\s*[A-ZÄÖÜ]")

#: Rhythm tokens on both sides of "oder": alternatives ("dienstags oder mittwochs").
_ALTERNATIVE = re.compile(r"[DTWMC],?A,?[DTWMCN]|[DTWMCN],?A,?[DTWMC]")
_KIND_LETTER = {"day": "D", "time": "T", "week": "W", "month": "M", "count": "C", "num": "N",
                "alt": "A", "sep": ","}
_ORDER = re.compile(r"D+T?|TD+|(?:D+T)+|(?:TD+)+")

_DOUBT = re.compile("|".join(DOUBT), _I)
_LOCAL_DOUBT = re.compile("|".join(LOCAL_DOUBT), _I)
_CLAUSE_DOUBT = re.compile("|".join(CLAUSE_DOUBT), _I)
#: "im Montag" is never a day (a day takes "am"): a slip for "im Monat".
_IM_DAY = re.compile(r"\b(im)\s+montag\b", _I)
_SLIP_WORD = re.compile(r"(?<![\wäöüß])[A-Za-zäöüß]{5,11}(?![\wäöüß])")
#: What makes a sentence one about the rhythm: a weekday or a rhythm word.
_RHYTHM = re.compile(rf"{_DAY}|(?:{dict(_TOKENS)['week']})|(?:{dict(_TOKENS)['month']})|"
                     rf"(?:{dict(_TOKENS)['count']})", _I)
#: Words of a single occasion: with a bare weekday, it is that occasion's day.
_ONE_OFF = re.compile(r"gründung|auftakt|\berste[sn]?\s+treffen|\bnächste[sn]?\b|erstmal|"
                      r"diesmal|\bheute\b|\bmorgen\b|\bam\s+kommenden\b", _I)
_ON_REQUEST = re.compile(ON_REQUEST, _I)
#: Several groups named ("zwei Selbsthilfegruppen", "beide Gruppen"): with more than one day
#: each day may be another group's, so no single rhythm is read.
_SEVERAL_GROUPS = re.compile(r"\b(?:zwei|drei|vier|beiden?|mehrere|[2-9])\s+(?:[\wäöüß-]+\s+)?"
                             r"[\wäöüß-]*gruppen\b", _I)
_ASK_THERE = re.compile(ASK_THERE, _I)
#: Sentences and lines: a meeting list puts one meeting per line.
_BLOCKS = re.compile(r"\n|(?:(?<=[^\W\d_]{3})|(?<=[)\"“”]))[.!?]\s+(?=[A-ZÄÖÜ\"„])")
#: The ends of the clause around an on-request phrase.
_BOUNDARY = re.compile(r"[,;()\n!?]|\.(?=\s|$)")
_TIME_ANY = re.compile(_TIME, _I)
_DATED = re.compile(r"termin|zeit|datum|daten|\btag", _I)

_DATE = (r"(?<![0-9.])(?:0?[1-9]|[12][0-9]|3[01])\.\s*"
         rf"(?:{_MONTH}\.?(?:\s*(?:19|20)[0-9]{{2}})?"
         r"|(?:0?[1-9]|1[0-2])\.(?:(?:19|20)?[0-9]{2})?)(?![0-9])")
#: A list of this many calendar dates names the meetings themselves: no rhythm is read.
DATE_LIST = 3
_DATES = re.compile(_DATE, _I)
#: Removed before reading: what only looks like part of a rhythm.
_REMOVE = re.compile("|".join([
    # an aside inside a list: "am ersten, dritten und, wenn es einen gibt, fünften Mittwoch"
    r"(?<=\bund),\s*(?:wenn|falls)\s[^,.;]*,",
    # one date with its weekday and time: "am Dienstag, den 16. April, von 15 bis 17 Uhr"
    rf"(?:{_DAY}\s*,?\s*(?:den\s+)?)?{_DATE}(?:\s*,?\s*(?:{_TIME})(?:{_END}))?",
    # an address: house numbers and postcodes are no times
    r"[\w.-]*(?:stra(?:ß|ss)e|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee)\s*"
    r"[0-9]+\s*(?:[-/]\s*[0-9]+)?(?:\s*[a-z](?![\w]))?",
    r"\b[0-9]{5}\b",
    # a start left as a placeholder is unknown: "von ?? Uhr bis 16 Uhr", "ab xx Uhr"
    r"\b(?:von|ab|um)\s+(?:\?{2,}|xx(?:[.:]xx)?)(?:\s*uhr)?(?!\w)",
    # an approximate end is no closing time: "Ende ca. 21 Uhr", "Ende zwischen 21 und 22 Uhr"
    rf"\bende\s+(?:ist\s+)?(?:{_APPROX}(?:zwischen\s+{_ANY}\s*(?:-|bis|und)\s*)?{_ANY}"
    rf"|zwischen\s+{_ANY}\s*(?:-|bis|und)\s*{_ANY})",
    # history and confirmations: "seit dem Jahr 2008", "auch an Feiertagen"
    rf"\bseit\s+(?:dem\s+jahre?\s+|{_MONTH}\s+)?(?:19|20)[0-9]{{2}}\b",
    r"\bauch\s+(?:an|in\s+den|während\s+der)\s+(?:feiertagen|(?:schul)?ferien)\b",
]), _I)

# --- reading -----------------------------------------------------------------------------


@dataclass
class _Mention:
    """One weekday phrase: "1. und 3. Dienstag", "montags", "Mo-Fr"."""

    days: list[str]
    ords: list[tuple[int, bool]]  # (ordinal, written as a word)
    parts: list[str]
    intro: str | None
    block: int = 0
    adverb: bool = False  # "montags": every Monday


@dataclass
class _Reading:
    mentions: list[_Mention] = field(default_factory=list)
    times: list[tuple[str | None, str | None]] = field(default_factory=list)
    order: str = ""  # "D" per day phrase, "T" per time, in text order
    weeks: set[int] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    counts: list[tuple[int, str]] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    one_off: bool = False  # "Gründungstreffen", "das nächste Treffen"
    every: bool = False  # "jeden", "immer", "regelmäßig", or a day as an adverb ("montags")
    repeated: bool = False  # the last day phrase repeated the one before


@functools.lru_cache(maxsize=MEMO)
def on_request(text: str | None) -> bool:
    """True when the text says time or place are given on request ("Termine im BüZ erfragen",
    "Ort wird bei Anmeldung mitgeteilt", "nach Vereinbarung"); a pointer to where to ask
    ("Infos unter Tel. …") only when no rhythm is stated beside it."""
    if not text:
        return False
    if _ON_REQUEST.search(text):
        return True
    return bool(_ASK_THERE.search(text)) and meetings(text) is None


@functools.lru_cache(maxsize=MEMO)
def meetings(text: str | None) -> Schedule | None:
    """A meeting rhythm as a `Schedule`, or None when the text is not understood with
    confidence (the caller keeps the original text either way)."""
    text = clean(text)
    if not text or len(text) > MAX_LENGTH:
        return None
    text = _IM_DAY.sub(r"\1 Monat", _SLIP_WORD.sub(_unslipped, text.translate(_DASHES)))
    if len(_DATES.findall(text)) >= DATE_LIST:
        return None
    text = _REMOVE.sub(" ", text)
    if _doubtful(text) or _request_in_rhythm(text):
        return None
    reading = _read(text)
    if reading:
        reading.one_off = bool(_ONE_OFF.search(text))
    schedule = reading and _schedule(reading)
    if schedule and len(schedule.byday or []) > 1 and _SEVERAL_GROUPS.search(text):
        return None
    return schedule


def _unslipped(m: re.Match) -> str:
    """A mistyped day name spelt right, its capital kept."""
    word = m.group()
    name = DAY_SLIPS.get(word.lower())
    return word if name is None else (name.capitalize() if word[0].isupper() else name)


def _doubtful(text: str) -> bool:
    """An exception, season or change anywhere; a hedge only in a sentence or line that names
    a day or a rhythm ("Bitte melden Sie sich vorher an." leaves the rhythm standing); "im
    April" only in a clause that names one."""
    if _DOUBT.search(text):
        return True
    if _CLAUSE_DOUBT.search(text):
        cuts = [0, *(b.end() for b in _BOUNDARY.finditer(text)), len(text)]
        if any(_CLAUSE_DOUBT.search(clause) and _RHYTHM.search(clause)
               for clause in (text[a:b] for a, b in pairwise(cuts))):
            return True
    if not _LOCAL_DOUBT.search(text):
        return False
    cuts = [0, *(b.end() for b in _BLOCKS.finditer(text)), len(text)]
    return any(_LOCAL_DOUBT.search(block) and _RHYTHM.search(block)
               for block in (text[a:b] for a, b in pairwise(cuts)))


def _request_in_rhythm(text: str) -> bool:
    """"dienstags 14-17 Uhr nach Vereinbarung", "Termine bitte erfragen": the time itself is
    by arrangement. "(Ort nach Absprache)", "+ nach Absprache" in a clause of their own leave
    the stated rhythm standing."""
    for m in _ON_REQUEST.finditer(text):
        left = max((b.end() for b in _BOUNDARY.finditer(text, 0, m.start())), default=0)
        right = next((b.start() for b in _BOUNDARY.finditer(text, m.end())), len(text))
        clause = text[left:right]
        if _DATED.search(clause) or _DAY_ONE.search(clause) or _TIME_ANY.search(clause):
            return True
    return False


def _read(text: str) -> _Reading | None:
    """Tokens -> a reading; None at a token that contradicts itself (an impossible time, a
    stray "Uhr" whose number is missing, alternatives between rhythm tokens)."""
    reading = _Reading()
    breaks = [b.start() for b in _BLOCKS.finditer(text)]
    previous: str | None = None
    letters = ""
    for m in _SCANNER.finditer(text):
        kind, value = m.lastgroup or "word", m.group()
        if kind == "time" and not _CLOCK.search(value) and _NOUN_NEXT.match(text, m.end()):
            kind = "num"  # "von 8 bis 15 Teilnehmern"
        if kind == "ws":
            continue
        if kind == "word" and value.lower() == "uhr":
            return None  # "sowie Uhr": a time is missing
        letters += _KIND_LETTER.get(kind, "w")
        if not _take(reading, kind, value, previous, bisect.bisect(breaks, m.start())):
            return None
        if kind != "sep":
            previous = kind
    return None if _ALTERNATIVE.search(letters) else reading


def _take(reading: _Reading, kind: str, value: str, previous: str | None, block: int) -> bool:
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
        return _take_day(reading, _mention(value, previous, block))
    elif kind == "time":
        return _take_time(reading, _time(value))
    return True


def _take_day(reading: _Reading, mention: _Mention | None) -> bool:
    """A day phrase that repeats the one before ("Dienstag: 20 Uhr (Di. 2)") adds nothing."""
    if mention is None:
        return False
    last = reading.mentions[-1] if reading.mentions else None
    reading.repeated = bool(last and (last.days, last.ords) == (mention.days, mention.ords))
    reading.every = reading.every or mention.adverb
    if not reading.repeated:
        reading.mentions.append(mention)
        reading.parts += mention.parts
        reading.order += "D"
    return True


def _take_time(reading: _Reading, span: tuple[str | None, str | None] | None) -> bool:
    """Back-to-back sessions ("19:00-20:30 & 20:30-21:15") are one meeting."""
    if span is None:
        return False
    last = reading.times[-1] if reading.times else None
    if last and reading.repeated and span == last:
        return True
    if last and reading.order.endswith("T") and last[1] and last[1] == span[0]:
        reading.times[-1] = (last[0], span[1])
        return True
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


def _mention(value: str, intro: str | None, block: int) -> _Mention | None:
    """"1. und 3. Dienstag" -> days ["TU"], ords [(1, False), (3, False)]; "Mo-Fr" expanded."""
    first = _DAY_ONE.search(value)
    if first is None:
        return None
    days: list[str] = []
    parts: list[str] = []
    adverb = False
    for m in _DAY_ONE.finditer(value, first.start()):
        if m.group("abbr"):
            days.append(DAY_ABBREVIATIONS[m.group("abbr").rstrip(".").title()])
            continue
        days.append(DAY_NAMES[m.group("full").lower()])
        adverb = adverb or bool(m.group("s"))
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
    return _Mention(days, ords, parts, intro, block, adverb)


def _time(value: str) -> tuple[str | None, str | None] | None:
    """"19.30 - 21 Uhr" -> ("19:30", "21:00"); "bis 21 Uhr" -> (None, "21:00"); an
    approximate time ("bis ca. 21") is None; None when a time is impossible or implausible."""
    ends: list[str | None] = []
    minutes: list[int] = []
    for m in _TIME_ONE.finditer(value):
        hour, minute = int(m.group(2)), int(m.group(3) or 0)
        if hour > 23 or minute > 59:
            return None
        minutes.append(hour * 60 + minute)
        ends.append(None if m.group(1) else f"{hour:02d}:{minute:02d}")
    if value.lower().startswith("bis"):
        return (None, ends[0]) if minutes[0] >= EARLIEST else None
    if not minutes or minutes[0] < EARLIEST or (len(minutes) == 2 and minutes[1] <= minutes[0]):
        return None
    if "zwischen" not in value.lower() and re.search(r"\bund\b", value, _I):
        return None
    return (ends[0], ends[1] if len(ends) == 2 else None)


# --- putting a reading together ----------------------------------------------------------


def _schedule(r: _Reading) -> Schedule | None:
    """Put a reading together; None when its parts disagree."""
    if not _coherent(r):
        return None
    rhythm = _monthly(r) if any(m.ords for m in r.mentions) else _weekly(r)
    if rhythm is None:
        return None
    freq, interval, byday = rhythm
    for n, unit in r.counts:  # "zweimal im Monat" must agree with the days found
        if n != len(byday) or (unit == "month") != (freq == "MONTHLY") or interval != 1:
            return None
    opens, closes = r.times[0] if r.times else (None, None)
    return Schedule(freq=freq, interval=interval, byday=byday, opens_at=opens, closes_at=closes)


def _coherent(r: _Reading) -> bool:
    """One rhythm: days in one sentence or line, one time, one week and one month rhythm,
    times in a fitting order, day parts that agree with the clock; "Gründungstreffen am
    Montag" needs a word of recurrence to be more than one date."""
    regular = r.every or bool(r.weeks or r.months or r.counts)
    return (bool(r.mentions) and bool(_ORDER.fullmatch(r.order)) and (regular or not r.one_off)
            and len({m.block for m in r.mentions}) == 1 and len(set(r.times)) <= 1
            and len(r.weeks) <= 1 and len(r.months) <= 1 and _parts_fit(r))


def _monthly(r: _Reading) -> tuple[str, int, list[str]] | None:
    """Ordinal days: the n-th weekday of the month, or "jeden zweiten Montag" (every other)."""
    if not all(m.ords for m in r.mentions):
        return None  # "jeden 1. Montag und Donnerstag": does the ordinal carry over?
    ordinals = [n for m in r.mentions for n, _ in m.ords]
    if r.weeks and not (r.weeks == {2} and _fortnightly(ordinals)):
        return None  # "jeden 2. Montag 14-tägig"
    monthly = bool(r.months) or any(unit == "month" for _, unit in r.counts)
    first = r.mentions[0]
    if not (monthly or len(ordinals) > 1 or first.intro == "am" or ordinals[0] in (1, 5, -1, -2)):
        if first.ords == [(2, True)] and first.intro == "every":
            return "WEEKLY", 2, first.days
        return None  # "jeden 2. Montag", "jeden dritten Montag": week or month?
    byday = {f"{n}{d}" for m in r.mentions for n, _ in m.ords for d in m.days}
    return "MONTHLY", max(r.months, default=1), sorted(byday, key=_day_order)


def _weekly(r: _Reading) -> tuple[str, int, list[str]] | None:
    """Days without ordinals: weekly, or every n weeks; not in a monthly frame."""
    if r.months or any(unit == "month" for _, unit in r.counts):
        return None  # "monatlich, dienstags": which Tuesday?
    if any(m.intro == "one" for m in r.mentions) and not r.weeks:
        return None  # "immer an einem Freitag": which one?
    days = sorted({d for m in r.mentions for d in m.days}, key=_day_order)
    return "WEEKLY", max(r.weeks, default=1), days


def _fortnightly(ordinals: list[int]) -> bool:
    """"vierzehntäglich: am 2. und 4. Donnerstag" - two ordinals two weeks apart."""
    return len(ordinals) == 2 and ordinals[1] - ordinals[0] == 2 and ordinals[0] > 0


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
