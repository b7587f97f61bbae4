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

Phone and chat times are kept apart: a line saying the times are for calling or chatting
("telefonisch erreichbar", "unter <Nummer> erreichbar", "Telefonzeiten", "Hotline", "im Chat",
the `PHONE` table), and the lines under such a heading up to the next heading (after a blank
line, only lines that open with days or times), are read into `phone_hours`, never into
`opening_hours`; in a sentence naming two services ("die telefonische Sprechstunde … sowie die
persönliche Sprechstunde …"), the other service's clause stays office hours. Temporary hours
("in den nächsten Wochen", "vorübergehend", "bis zum 30.6.") are doubtful too.

A day "nach Vereinbarung" is not open (the text is still `by_appointment`); times that are
themselves by appointment ("donnerstags 14-17 Uhr nach Vereinbarung", "Termine nach
Vereinbarung: Mo-Fr 9-12") are not opening hours either.

Day groups add up: "Mo–Fr 10–13 Uhr, Mi 15–18 Uhr" opens Wednesday twice, which OSM would
lose if written as two rules (a later rule replaces an earlier one for the same day), so the
result is built per day and written out canonically: rules in week order, days with the same
times grouped, "Mo-Fr" for three or more consecutive days, 24-hour "HH:MM", rules joined by
"; ", public holidays last. Every result is parsed by `opening_hours` (opening-hours-py)
before it is returned.
"""

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise

import opening_hours as _oh

from schema.normalise.text import MEMO, typing_slips

# --- tables ------------------------------------------------------------------------------

#: OSM day codes in week order; the index is the weekday; 7 is a public holiday.
OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su", "PH")
HOLIDAY = 7

#: German spellings of each weekday (lower case): full name, adverb, abbreviations.
DAY_SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("montags", "montag", "mon", "mo"),
    ("dienstags", "dienstag", "di"),
    ("mittwochs", "mittwoch", "mi"),
    ("donnerstags", "donnerstag", "do"),
    ("freitags", "freitag", "fr"),
    ("samstags", "samstag", "sonnabends", "sonnabend", "sa"),
    ("sonntags", "sonntag", "so"),
    ("feiertagen", "feiertage", "feiertag"),
)



#: A weekday's full name with one typing slip ("Donerstags", "Monatg") -> the name.
DAY_SLIPS = {slip: name for group in DAY_SPELLINGS[:7] for name in group if len(name) >= 6
             for slip in typing_slips(name)
             if slip not in {s for g in DAY_SPELLINGS for s in g}}

#: Abbreviations that are also ordinary German words ("die", "mit"): a day only when a colon,
#: a dot, a dash or "bis" follows ("Die-Do", "Die: 8-18 Uhr").
AMBIGUOUS_DAYS = {"die": 1, "mit": 2}

#: "jeden 1. / ersten / letzten Montag im Monat" -> OSM's nth weekday of the month.
ORDINALS = {"1.": 1, "2.": 2, "3.": 3, "4.": 4, "5.": 5, "erste": 1, "zweite": 2,
            "dritte": 3, "vierte": 4, "fünfte": 5, "letzte": -1}

#: Phrases saying appointments are offered (searched after `NOT_APPOINTMENT` is removed).
APPOINTMENT = (
    r"(?:nach|auf|mit|nur\s+mit)\s+(?:(?:vorheriger|telefonischer|tel\.|persönlicher|"
    r"individueller|erfolgter)\s*){0,2}(?:vereinbarung|absprache|rücksprache|"
    r"terminvereinbarung|terminabsprache|anmeldung|voranmeldung|anfrage|nachfrage|wunsch|"
    r"terminvergabe|termin)(?![a-zäöüß])"
    r"|n\.\s*vereinb\.?"
    r"|(?:vorab-?|telefonische\s+)?termin(?:vereinbarung|absprache|anmeldung|vergabe)(?:en)?"
    r"(?![a-zäöüß])"
    r"|termine?\s+(?:nach|auf)\s+(?:vereinbarung|absprache|anfrage)"
    r"|termingebunden\w*|vereinbarung\s+eines\s+termins|für\s+einen\s+termin"
    r"|\w*termin[en]?\b[^.;:\n]{0,90}?\bvereinbar(?:t|en)\b"
    r"|termine\s+vergeben|melden\s+sie\s+sich\b[^.;\n]{0,60}?\ban\b"
    r"|ohne\s+(?:vorherige\s+)?(?:termin\w*|voranmeldung|anmeldung)\s+geschlossen"
    r"|(?:bitte\s+)?vorher(?:ig)?\s+(?:kontaktieren|anrufen|anmelden|melden|absprechen)"
    r"|(?:individuell|persönlich|gesondert|separat|einzeln)\s+(?:zu\s+)?vereinbar(?:t|en)\b"
    r"|vereinbaren\s+sie\s+(?:bitte\s+)?(?:einen|ihren)\s+termin"
    r"|(?:vor)?anmeldung\s+(?:[^\s.;]+\s+){0,4}?(?:erforderlich|erbeten|notwendig|nötig|"
    r"erwünscht|gebeten)|bitten?\s+(?:wir\s+)?(?:sie\s+)?um\s+(?:[^\s.;]+\s+){0,2}?"
    r"(?:voranmeldung|anmeldung|terminvereinbarung)")

#: "ohne Termin", "ohne vorherige Anmeldung": the opposite of an appointment (but "ohne
#: Termin geschlossen" means: only with one).
NOT_APPOINTMENT = (r"ohne\s+(?:vorherige\s+)?(?:termin\w*|voranmeldung|anmeldung)"
                   r"(?![a-zäöüß])(?!\s+geschlossen)")

#: A German phone number as written in prose ("04521-788 360", "02241 - 29792").
PHONE_NUMBER = r"\(?0[1-9][0-9]{1,5}\)?\s*[/-]?\s*[0-9][0-9 /-]{2,}[0-9]"

#: Cues that a line gives times for calling or chatting, not for visiting.
PHONE = (
    r"telefon(?:zeit|sprech|service|seelsorge|dienst|beratung)\w*"
    r"|telefon\s*-?\s*sprechzeit\w*"
    r"|telefonische\s+(?:sprech|kontakt|beratungs|service)(?:zeit|stunde)\w*"
    r"|telefonische\s+termin\w*"
    r"|telefonisch\s*:|\(\s*telefonisch\s*\)|^\s*telefonisch(?![a-zäöüß])"
    r"|telefonisch\w*\s+unter(?![a-zäöüß])"
    r"|telefonisch\w*\s+(?:[^\s;]+\s+){0,5}?(?:zu\s+erreichen|erreichbar)(?![a-zäöüß])"
    r"|(?:erreichbar|zu\s+erreichen)\s+(?:[^\s;]+\s+){0,4}?unter\s+(?:der\s+\w*nummer\s+)?"
    r"[0-9(+]"
    r"|\w*nummer\b[^;\n]{0,160}?(?:erreichbar|zu\s+erreichen)(?![a-zäöüß])"
    r"|erreichen\s+(?:sie\s+)?\w+\s+(?:[^\s;]+\s+){0,3}?unter\s+(?:der\s+\w*nummer\s+)?"
    r"[0-9(+]"
    rf"|unter\s+{PHONE_NUMBER}[^;\n]{{0,60}}?(?:erreichbar|zu\s+erreichen)(?![a-zäöüß])"
    rf"|erreichbarkeit(?![a-zäöüß])[^\n]*?{PHONE_NUMBER}"
    r"|telefonisch\w*\s*,?\s+(?:[^\s;.]+\s+){0,4}?(?:erfolg\w*|statt)(?![a-zäöüß])"
    r"|(?<![a-zäöüß])chat|-chat(?![a-zäöüß])"
    r"|hotline|rufnummer|servicenummer|mobilfunknummer|[a-zäöüß]-?telefon(?![a-zäöüß])"
    r"|\bdas\s+telefon(?![a-zäöüß])|\banrufen(?![a-zäöüß])|nur\s+telefonisch")

#: Words naming a service that has its own times ("die persönliche Sprechstunde am Montag").
SERVICE = r"sprechstunde|sprechzeit|öffnungszeit|beratung"

#: Month names: two joined by a dash or "bis" give a season ("April - Oktober").
MONTHS = (r"januar|februar|märz|april|mai|juni|juli|august|september|oktober|november"
          r"|dezember|jan\.|feb\.|mär\.|apr\.|aug\.|sept?\.|okt\.|nov\.|dez\.")

#: Words that make the times uncertain: holidays and seasons (a month range), exceptions,
#: other rhythms, vague day sets, negations, alternative end times ("9-17/19 Uhr"). Any of
#: them in the office text declines it.
DOUBT = (r"\w*ferien|\w*tägig|täglich|außer|ausgenommen|(?:un)?gerade[nr]?\s+woche"
         r"|werktags|werkstags|wochentags|wochenende\w*|brückentag\w*|winter\w*|sommer\w*"
         r"|saison\w*|eingeschränkt|nicht|kein|keine[nmrs]?|fehlanzeige|entf[aä]ll\w*|bzw"
         r"|\w*fällen|dringend\w*"
         r"|reduziert\w*|vorübergehend\w*|übergangsweise|vorläufig\w*|bis\s+auf\s+weiteres"
         r"|bis\s+(?:zum|einschließlich)\s+[0-9]"
         r"|(?:in\s+den\s+)?(?:nächsten|kommenden)\s+(?:tage|wochen|monate)n?"
         r"|während(?!\s+der\s+(?:öffnungs|sprech|büro)zeiten)"
         rf"|(?:{MONTHS})\s*(?:-|bis)\s*(?:{MONTHS})"
         r"|-\s*[0-9]{1,2}(?:[.:][0-9]{2})?/[0-9]{1,2}(?:[.:][0-9]{2})?(?![0-9]|\s*-)")

#: Rewritten before reading: a start date ("nach den Osterferien") says when, not how; an
#: explicit "außer an Feiertagen" is a closed holiday; a bracket of former hours is dropped.
REWRITES = (
    (r"(?:nach|ab|seit)\s+den\s+[a-zäöüß]*ferien", " "),
    (r"außer\s+(?:an\s+)?(?:den\s+)?(?:gesetzlichen\s+)?feiertag(?:en|e)?", " ; feiertage "
     "geschlossen ; "),
    (r"\(\s*(?:bisher|früher|vorher|zuvor)[^()]*\)", " "),
    (r"(?<=[0-9][.:])oo(?![a-zäöüß])", "00"),
)

#: Filler words that carry no time information but stay inside a clause.
FILLERS = (r"von|in der zeit von|jeweils|jeden|jede|jedem|immer|nur|noch|geöffnet|erreichbar"
           r"|besetzt|zusätzlich|außerdem|an|am|zwischen|durchgehend")

#: Qualifiers allowed only in front of a time range that fits them: (earliest start,
#: latest end) in minutes. "nachmittags 2-5" is a shorthand we do not expand, so it fails.
QUALIFIERS = {"vormittags": (0, 13 * 60), "morgens": (0, 13 * 60),
              "nachmittags": (12 * 60, 24 * 60), "abends": (16 * 60, 24 * 60)}

#: Words that announce a break cut out of every day's hours ("Mittagspause 12.30-13.15").
BREAKS = r"mittagspause|pause"

#: A street address; a second place named after the first hours means several offices.
STREET = (r"[a-zäöüß-]*(?:str\.|straße|strasse|weg|allee|damm|platz|gasse|markt)\s*[0-9]+"
          r"[a-z]?(?![0-9])")

#: A group named before the times of its line ("Eltern-Kind-Gruppe: Mo 10-12 Uhr"): the
#: times are the group's meetings, not the office's hours ("für Selbsthilfegruppen" and
#: "Selbsthilfegruppen-Büro" name the office).
GROUP_SLOT = (r"(?<![a-zäöüß-])(?<!für )[a-zäöüß-]*gruppe(?![a-zäöüß-])[^\n¶]*?"
              r"[0-9]{1,2}(?:[.:][0-9]{2})?\s*(?:-|bis)")

#: Words naming the office itself in a heading ("Öffnungszeiten Büro:").
OFFICE = r"büro|geschäftsstelle|kontaktstelle|sekretariat|verwaltung|beratungsstelle"

#: Earliest plausible start: "Di 2-4" means afternoon, which we do not guess.
EARLIEST = 6 * 60
MAX_LENGTH = 400

# --- patterns ----------------------------------------------------------------------------

_WORD = re.compile(r"(?<![a-zäöüß])[a-zäöüß]{5,11}(?![a-zäöüß])")
_DASHES = str.maketrans({**dict.fromkeys("‐‑‒–—―−", "-"), "\u00a0": " ", "\t": " "})
_DAY = "|".join(sorted({s for group in DAY_SPELLINGS for s in group}, key=len, reverse=True))
_DAY_WORD = (rf"(?:(?:{_DAY})\.?(?![a-zäöüß])"
             rf"|(?:{'|'.join(AMBIGUOUS_DAYS)})(?=\s*(?:[:.-]|bis\b))\.?)")
_ORD = r"[1-5]\.|(?:erste|zweite|dritte|vierte|fünfte|letzte)[nmrs]?"
_ORDS = rf"(?:{_ORD})(?:\s*(?:,|und|u\.|&|\+|/|oder)\s*(?:jede[nm]?\s+)?(?:{_ORD}))*"
_TIME = r"(?:[01]?[0-9]|2[0-4])(?:[.:][0-5][0-9])?"
_DATE = r"(?:(?:den|dem)\s+)?(?:[0-9]{1,2}\.[0-9]{1,2}\.(?:[0-9]{2,4})?|[0-9]{1,2}\.(?![0-9]))"
_END = r"(?![0-9:]|\.[0-9])"

_TOKEN = re.compile(
    rf"(?P<monthly>(?:jeden|jede[nm]?|an\s+jedem|am)\s+(?P<ords>{_ORDS})\s+(?P<mday>{_DAY_WORD})"
    rf"(?:\s+(?:im|des|eines)\s+monats?)?)"
    rf"|(?P<date>{_DAY_WORD}\s*,?\s*{_DATE})"
    rf"|(?P<span>(?P<first>{_DAY_WORD})\s*(?:-|bis)\s*(?P<last>{_DAY_WORD}))"
    rf"|(?P<day>{_DAY_WORD})"
    rf"|(?P<range>(?<![0-9:])(?<![0-9]\.)(?P<start>{_TIME})\s*(?:-|bis)\s*(?P<end>{_TIME}){_END})"
    rf"|(?P<between>zwischen\s+(?P<zstart>{_TIME})\s+und\s+(?P<zend>{_TIME}){_END})"
    rf"|(?P<closed>geschlossen(?![a-zäöüß]))"
    rf"|(?P<brk>(?:{BREAKS})(?![a-zäöüß]))"
    rf"|(?P<qualifier>(?:{'|'.join(QUALIFIERS)})(?![a-zäöüß]))"
    rf"|(?P<appt>(?:{APPOINTMENT})(?P<colon>(?:\s+[a-zäöüß]+){{0,2}}\s*:)?)"
    rf"|(?P<place>{STREET})"
    rf"|(?P<para>¶)|(?P<line>\n)|(?P<stop>[;.!?])"
    rf"|(?P<sep>[,|/+&:()\"„“”-]|(?:und|sowie|oder)(?![a-zäöüß])|u\.)"
    rf"|(?P<filler>(?:{FILLERS})(?![a-zäöüß]))"
    rf"|(?P<number>[0-9]+(?:[./:,-][0-9]+)*\.?[a-z]?(?![a-zäöüß]))"
    rf"|(?P<word>[^\s;.!?,|/+&:()\"„“”¶-]+)"
    rf"|(?P<space>[ ]+)"
)
_APPOINTMENT = re.compile(APPOINTMENT)
_NOT_APPOINTMENT = re.compile(NOT_APPOINTMENT)
_PHONE = re.compile(PHONE)
_DOUBT = re.compile(rf"(?<![a-zäöüß])(?:{DOUBT})(?![a-zäöüß])")
_SCHEDULE = re.compile(rf"(?<![a-zäöüß]){_DAY_WORD}"
                       rf"|(?<![0-9:])(?<![0-9]\.){_TIME}\s*(?:-|bis)\s*{_TIME}")
_GROUP_SLOT = re.compile(GROUP_SLOT)
_SERVICE = re.compile(rf"(?<![a-zäöüß])(?:{SERVICE})")
_CLAUSE = re.compile(r"\s+sowie\s+")
_OFFICE = re.compile(OFFICE)
_RANGE = re.compile(rf"(?<![0-9:])(?<![0-9]\.){_TIME}\s*(?:-|bis)\s*{_TIME}")
_ALWAYS = re.compile(r"^(?:täglich\s+)?(?:rund um die uhr|24 stunden(?: täglich)?)"
                     r"(?:\s+erreichbar)?\.?$")
_UHR = re.compile(r"(?<=[0-9])\s*uhr(?![a-zäöüß])|(?<![a-zäöüß])uhr(?![a-zäöüß])"
                  r"|(?<=[0-9])\s*h(?![a-zäöüß])")


# --- public functions ----------------------------------------------------------------------

@functools.lru_cache(maxsize=MEMO)
def by_appointment(text: str | None) -> bool:
    """True when the text offers appointments ("nach Vereinbarung", "Terminvereinbarung
    erbeten", "nach vorheriger telefonischer Anmeldung"), with or without fixed hours."""
    if not text:
        return False
    t = _NOT_APPOINTMENT.sub(" ", _lower(text[:MAX_LENGTH * 2]))
    return bool(_APPOINTMENT.search(t))


@functools.lru_cache(maxsize=MEMO)
def opening_hours(text: str | None) -> str | None:
    """The OSM `opening_hours` value of German office-hour text, or None when not confident
    (doubtful words, a day without times, appointment-only or phone-only text, nothing)."""
    return _osm(_parts(text)[0])


@functools.lru_cache(maxsize=MEMO)
def phone_hours(text: str | None) -> str | None:
    """The OSM `opening_hours` value of the phone times in the text ("Telefonzeiten: Mo-Fr
    9-12 Uhr"), or None; these are never office hours."""
    return _osm(_parts(text)[1])


def weekly_spans(text: str | None) -> dict[int, frozenset[tuple[int, int]]]:
    """Weekday (0 = Monday) -> (start, end) in minutes, for the weekly rules of `text`'s
    office hours; empty when the text is not understood. For comparing two spellings."""
    office = _parts(text)[0]
    week = _read(office) if office and not _ALWAYS.match(office) else None
    return {day: frozenset(spans) for (day, nth), spans in (week or {}).items()
            if not nth and day < HOLIDAY}


# --- lines: office or phone --------------------------------------------------------------

def _lower(text: str) -> str:
    """Lower case, one dash and one space; a weekday with a typing slip spelt right."""
    return _WORD.sub(_unslipped, text.translate(_DASHES).lower())


def _unslipped(m: re.Match) -> str:
    return DAY_SLIPS.get(m.group(), m.group())


@functools.lru_cache(maxsize=MEMO)
def _parts(text: str | None, limit: int = MAX_LENGTH) -> tuple[str, str]:
    """(office text, phone text), lower case, lines joined by "\\n", paragraphs by "¶"."""
    office, phone = _split(text, limit)
    return _join([_lower(x) for x in office]), _join([_lower(x) for x in phone])


def _split(text: str | None, limit: int = MAX_LENGTH) -> tuple[list[str], list[str]]:
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
        lower = _lower(line)
        schedule = bool(_SCHEDULE.search(lower))
        opens = not blank or bool(_SCHEDULE.match(lower))
        blank = False
        if _PHONE.search(lower):
            in_phone = not schedule
            own = _own_times(line)
            office += own
            phone.append(" ".join(c for c in _CLAUSE.split(line) if c not in own))
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
    clauses = _CLAUSE.split(line)
    if len(clauses) < 2:
        return []
    return [c for c in clauses if _SERVICE.search(_lower(c)) and not _PHONE.search(_lower(c))
            and _SCHEDULE.search(_lower(c))]


def office_text(text: str | None) -> str | None:
    """`text` without its lines of phone times, as written; None when it has no other lines.
    A text too long to read stays whole."""
    if not text or len(text) > MAX_LENGTH:
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


def _osm(text: str) -> str | None:
    if not text:
        return None
    if _ALWAYS.match(text):
        return _validated("24/7")
    week = _read(text)
    return _validated(_format(week)) if week else None


# --- structured hours (a file's per-day entries) ------------------------------------------

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
        key = _lower(day or "").strip().rstrip(".")
        name = DAY_NAMES[STRUCTURED_DAYS[key]] if key in STRUCTURED_DAYS else (day or "").strip()
        span = "-".join(_clock(t) for t in (opens, closes) if t and t.strip())
        words = STRUCTURED_WORDS.get(_lower(note or "").strip(), (note or "").strip())
        words = STRUCTURED_WORDS.get(_lower(span), words if not span else f"{span} {words}")
        if name and words.strip():
            lines.append(f"{name} {words.strip()}")
    return "\n".join(lines) or None


def _clock(value: str) -> str:
    """"09:00:00" -> "09:00"; other values as given (dashes unified)."""
    value = value.strip().translate(_DASHES)
    return re.sub(r"\b(\d{1,2}:\d{2}):\d{2}\b", r"\1", value)


@functools.lru_cache(maxsize=MEMO)
def structured_hours(text: str | None) -> DayHours:
    """Structured hours (`days_text`) read like office-hour text, without its length cap: a
    day "nach Vereinbarung" is not open, an entry whose note says "telefonisch" is phone."""
    if not text:
        return DayHours(None, None, False, None)
    limit = MAX_LENGTH * 8
    office, phone = _parts(text, limit)
    return DayHours(_osm(office), _osm(phone), by_appointment(text), text)


def disagreement(a: str | None, b: str | None, limit: int = MAX_LENGTH * 8) -> str:
    """The OSM days whose hours differ between two readable texts ("Tu,Th"); "rules" when
    only monthly or holiday rules differ."""
    weeks = [_read(_parts(t, limit)[0]) or {} for t in (a, b)]
    days = sorted({d for w in weeks for d in w if weeks[0].get(d) != weeks[1].get(d)},
                  key=lambda d: (d[0], d[1]))
    return ",".join(dict.fromkeys(OSM_DAYS[d] for d, _ in days)) or "rules"


# --- reading -------------------------------------------------------------------------------

def _prepare(text: str) -> str | None:
    """Rewrites applied, "ohne Termin" and "Uhr" removed; None on a doubtful word."""
    t = text
    for pattern, replacement in REWRITES:
        t = re.sub(pattern, replacement, t)
    if _DOUBT.search(t):
        return None
    t = _NOT_APPOINTMENT.sub(" ", t)
    return _UHR.sub(" ", t)


@dataclass
class _Group:
    """Days read so far and the times (or "geschlossen", or "nach Vereinbarung") after them."""

    days: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    times: list[tuple[int, int]] = field(default_factory=list)
    closed: bool = False
    appointment: bool = False
    ended: bool = False  # "nach Vereinbarung" followed its days: no more days join it

    @property
    def complete(self) -> bool:
        return bool(self.times) or self.closed

    @property
    def settled(self) -> bool:
        """No more days belong to it."""
        return self.complete or self.ended


Week = dict[tuple[int, tuple[int, ...]], list[tuple[int, int]]]


@dataclass
class _State:
    """The reader's memory between tokens."""

    groups: list[_Group] = field(default_factory=lambda: [_Group()])
    qualifier: str | None = None
    last: str = ""  # the kind of the last token that was not a space or filler
    appointment_next: bool = False  # "Termine nach Vereinbarung" before the days it governs
    appointment_label: bool = False  # "mit Terminvereinbarung:" governs all days after it
    break_next: bool = False
    breaks: list[tuple[int, int]] = field(default_factory=list)
    timed: bool = False
    place_after_times: bool = False
    prose: bool = False  # a word read since the current group's last day
    previous: str = ""  # the kind of the last token that was not a separator


def _read(text: str) -> Week | None:
    """(weekday, nth-of-month) -> sorted time ranges; None on anything not understood."""
    prepared = _prepare(text)
    if prepared is not None and len(sections := _headed_sections(prepared)) > 1:
        office = [x for x in sections if _OFFICE.search(x.split("\n")[0])]
        prepared = office[0] if len(office) == 1 else None
    if prepared is None or _GROUP_SLOT.search(prepared):
        return None
    s = _State()
    for kind, value in _tokens(prepared):
        if not _step(s, kind, value):
            return None
    if s.qualifier or s.break_next or not all(g.settled or g.appointment or not g.days
                                              for g in s.groups):
        return None
    return _combine([g for g in s.groups if not g.appointment], s.breaks)


def _headed_sections(text: str) -> list[str]:
    """The paragraphs under a heading line of their own (a line without times, times below).
    Several of them are hours of several sites or services ("Standort 1 …", "Öffnungszeiten
    Kleiderkammer:"); only one headed by the office ("Öffnungszeiten Büro:") is the office's."""
    sections = []
    for paragraph in text.split("¶"):
        lines = [x for x in paragraph.split("\n") if x.strip()]
        if len(lines) > 1 and not _SCHEDULE.search(lines[0]) \
                and any(_RANGE.search(x) for x in lines[1:]):
            sections.append(paragraph)
    return sections


def _step(s: _State, kind: str, value: object) -> bool:
    """One token read into the state (see `_STEPS`); False when the text cannot be
    understood."""
    if not _STEPS[kind](s, s.groups[-1], value):
        return False
    s.last = kind
    if kind not in ("sep", "line"):
        s.previous = kind
    return True


def _on_days(s: _State, group: _Group, days: object) -> bool:
    if s.qualifier or s.place_after_times:
        return False  # "nachmittags Mo" / a second address before more days
    if group.settled or (group.days and s.prose):
        s.groups.append(group := _Group())
    group.days += days
    s.prose = False
    if s.appointment_next or s.appointment_label:
        group.appointment, s.appointment_next = True, False
    return True


def _on_time(s: _State, group: _Group, span: object) -> bool:
    if s.break_next:
        s.breaks.append(span)
        s.break_next = False
    elif not group.days or group.closed or not _fits(span, s.qualifier):
        return False
    else:
        group.times.append(span)
    s.qualifier, s.timed = None, True
    return True


def _on_closed(s: _State, group: _Group, _: object) -> bool:
    group.closed = True
    return bool(group.days) and not group.times


def _on_appointment(s: _State, group: _Group, label: object) -> bool:
    """Right after days (or their times): those days are by appointment. Before days: the
    next day group is (with a colon, "mit Terminvereinbarung:", every following one)."""
    s.qualifier = None
    if group.days and (not group.complete or s.last == "time"):
        group.appointment = group.ended = True
    elif label:
        s.appointment_label = True
    else:
        s.appointment_next = True
    return True


def _on_qualifier(s: _State, group: _Group, word: object) -> bool:
    s.qualifier = str(word)
    return True


def _on_break(s: _State, group: _Group, _: object) -> bool:
    s.break_next = True
    return True


def _on_place(s: _State, group: _Group, _: object) -> bool:
    s.place_after_times = s.timed
    return True


def _on_number(s: _State, group: _Group, _: object) -> bool:
    """A number that is no time: fine in prose ("Raum 119"), not after days ("Di 2")."""
    return s.previous != "days" and not s.break_next


def _on_word(s: _State, group: _Group, _: object) -> bool:
    """A word ends the reach of an appointment phrase before days: "neben Terminen auch
    offene Sprechstunden mittwochs …" opens a new clause."""
    s.prose = True
    s.appointment_next = False
    return True


def _on_end(s: _State, group: _Group, kind: object) -> bool:
    """A sentence or paragraph ends: days left without times are not understood."""
    s.appointment_next = False
    s.appointment_label = s.appointment_label and kind == "stop"
    return not group.days or group.settled or group.appointment


def _on_sep(s: _State, group: _Group, sep: object) -> bool:
    if sep == ",":
        s.appointment_next = False
    return True


#: token kind -> how it changes the reader's state.
_STEPS: dict[str, Callable[[_State, _Group, object], bool]] = {
    "days": _on_days, "time": _on_time, "closed": _on_closed,
    "appointment": _on_appointment, "qualifier": _on_qualifier, "break": _on_break,
    "place": _on_place, "number": _on_number, "word": _on_word, "stop": _on_end,
    "para": _on_end, "sep": _on_sep, "line": lambda s, g, v: True,
    "error": lambda s, g, v: False,
}


def _monthly(m: re.Match) -> tuple[str, object]:
    nth = tuple(sorted({ORDINALS[o if o[0].isdigit() else o.rstrip("nmrs")]
                        for o in re.findall(_ORD, m["ords"])}, key=lambda n: (n < 0, n)))
    return "days", [(_weekday(m["mday"]), nth)]


def _span(m: re.Match) -> tuple[str, object]:
    first, last = _weekday(m["first"]), _weekday(m["last"])
    if not first < last < HOLIDAY:
        return "error", None  # "Fr-Mo" across the weekend
    return "days", [(d, ()) for d in range(first, last + 1)]


def _time(start: str, end: str) -> tuple[str, object]:
    a, b = _minutes(start), _minutes(end)
    ok = a is not None and b is not None and EARLIEST <= a < b
    return ("time", (a, b)) if ok else ("error", None)


#: regex group -> the token it makes; spaces and fillers make none.
_TOKENS: dict[str, Callable[[re.Match], tuple[str, object] | None]] = {
    "monthly": _monthly,
    "date": lambda m: ("word", None),  # "Montag, 3. März" names a date, not a weekday
    "span": _span,
    "day": lambda m: ("days", [(_weekday(m["day"]), ())]),
    "range": lambda m: _time(m["start"], m["end"]),
    "between": lambda m: _time(m["zstart"], m["zend"]),
    "closed": lambda m: ("closed", None),
    "brk": lambda m: ("break", None),
    "qualifier": lambda m: ("qualifier", m["qualifier"]),
    "appt": lambda m: ("appointment", bool(m["colon"])),
    "sep": lambda m: ("sep", m["sep"]),
    **{k: (lambda m, k=k: (k, None))
       for k in ("place", "line", "number", "word")},
    "para": lambda m: ("para", "para"),
    "stop": lambda m: ("stop", "stop"),
    "filler": lambda m: None,
    "space": lambda m: None,
}


def _tokens(text: str) -> Iterator[tuple[str, object]]:
    """(kind, value) of each token of `text` (see `_TOKENS`); ("error", None) where no
    token fits."""
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            yield "error", None
            return
        pos = m.end()
        token = _TOKENS[m.lastgroup](m)
        if token is not None:
            yield token


def _weekday(word: str) -> int:
    word = word.rstrip(".")
    if word in AMBIGUOUS_DAYS:
        return AMBIGUOUS_DAYS[word]
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


def _combine(groups: list[_Group], breaks: list[tuple[int, int]]) -> Week | None:
    """Times added up per day, a range inside another merged into it, breaks cut out; closed
    days dropped, a closed public holiday kept as such (no times). A weekday both weekly and
    nth-of-month (or "1. und 3." beside "1."), whose later OSM rule would replace the
    earlier, and partly overlapping ranges on one day are not written out with confidence."""
    week: Week = {}
    closed = {d for g in groups if g.closed for d in g.days}
    for g in groups:
        for day in g.days:
            week.setdefault(day, []).extend(g.times)
    week = {d: _cut(_merge(sorted(set(t))), breaks) for d, t in week.items()
            if d not in closed and t}
    if any(v is None for v in week.values()):
        return None
    for weekday in range(HOLIDAY + 1):
        nths = [_weeks(nth) for d, nth in week if d == weekday]
        if len(nths) > 1 and any(a & b for i, a in enumerate(nths) for b in nths[i + 1:]):
            return None
    for spans in week.values():
        if any(a[1] > b[0] for a, b in pairwise(spans)):
            return None
    if not week:
        return None
    if (HOLIDAY, ()) in closed:
        week[(HOLIDAY, ())] = []
    return week


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A range extended by a longer one from the same start is dropped ("Mo-Fr 9-12, Do
    durchgehend 9-16"); other overlaps stay (and are declined as contradictory)."""
    return [a for a in spans if not any(b[0] == a[0] and a[1] < b[1] for b in spans)]


def _cut(spans: list[tuple[int, int]], breaks: list[tuple[int, int]]
         ) -> list[tuple[int, int]] | None:
    """The spans with each break cut out (a break must lie inside a span to cut it)."""
    for low, high in breaks:
        out = []
        for a, b in spans:
            if a < low and high < b:
                out += [(a, low), (high, b)]
            elif a < high and low < b and not (a < low and high < b) and (a, b) != (low, high):
                if low <= a and b <= high:
                    return None
                out.append((a, low) if a < low else (high, b))
            else:
                out.append((a, b))
        spans = out
    return spans


def _weeks(nth: tuple[int, ...]) -> set[int]:
    """The weeks of the month a selector can fall in: the last weekday is the 4th or 5th."""
    if not nth:
        return {1, 2, 3, 4, 5}
    return {w for n in nth for w in ((n,) if n > 0 else (4, 5))}


# --- writing -------------------------------------------------------------------------------

def _format(week: Week) -> str:
    """Canonical OSM: one rule per distinct set of times, in week order; "PH off" last."""
    by_times: dict[tuple[tuple[int, int], ...], list[tuple[int, tuple[int, ...]]]] = {}
    for day in sorted(week, key=lambda d: (d[0], bool(d[1]), [(n < 0, n) for n in d[1]])):
        if week[day]:
            by_times.setdefault(tuple(week[day]), []).append(day)
    rules = []
    for times, days in by_times.items():
        weekly = [d for d, nth in days if not nth]
        monthly = [f"{OSM_DAYS[d]}[{','.join(map(str, nth))}]" for d, nth in days if nth]
        selector = ",".join([*_day_ranges(weekly), *monthly])
        rules.append(f"{selector} {','.join(f'{_hhmm(a)}-{_hhmm(b)}' for a, b in times)}")
    if week.get((HOLIDAY, ())) == []:
        rules.append("PH off")
    return "; ".join(rules)


def _day_ranges(days: list[int]) -> list[str]:
    """[0, 1, 2, 3, 4, 6] -> ["Mo-Fr", "Su"]; two neighbours stay a list ("Mo,Tu"); a public
    holiday never joins a range."""
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1 and d < HOLIDAY:
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
