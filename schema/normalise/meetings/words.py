"""The words of meeting rhythms: weekdays, ordinals, rhythm and doubt words, and the
patterns built from them."""

import re

from schema.normalise.text import typing_slips

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
CLAUSE_DOUBT_RE = re.compile(rf"\bim\s+{_MONTH}\b", re.I)

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

DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−", "-"))
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
SCANNER = re.compile("|".join(f"(?P<{kind}>(?:{pattern}){_END if kind in _BOUNDED else ''})"
                               for kind, pattern in _TOKENS), re.I)
DAY_ONE = re.compile(rf"(?P<full>{'|'.join(DAY_NAMES)})(?:-?(?P<part>{_PARTS}))?(?P<s>s)?"
                      rf"|(?P<abbr>{_ABBR})", re.I)
ORD_ONE = re.compile(r"([1-5])\s*(?:\.|-?te)|(vorletzte|letzte|erste|zweite|dritte|vierte|"
                      r"fünfte)", re.I)
TIME_ONE = re.compile(r"(ca\.?|circa|etwa|gegen)?\s*([0-9]{1,2})(?:[.:]?([0-9]{2}))?", re.I)
NUMBER = re.compile(r"14|vierzehn|[1-6]|zweite|dritte|vierte|zwei|drei|vier|sechs|eine?", re.I)
#: A time without "Uhr" or minutes before a noun counts things ("8 bis 15 Teilnehmer").
CLOCK = re.compile(r"[.:][0-9]{2}|uhr|[0-9]h\b", re.I)
NOUN_NEXT = re.compile(r"\s*[A-ZÄÖÜ]")

#: Rhythm tokens on both sides of "oder": alternatives ("dienstags oder mittwochs").
ALTERNATIVE = re.compile(r"[DTWMC],?A,?[DTWMCN]|[DTWMCN],?A,?[DTWMC]")
KIND_LETTER = {"day": "D", "time": "T", "week": "W", "month": "M", "count": "C", "num": "N",
                "alt": "A", "sep": ","}
ORDER = re.compile(r"D+T?|TD+|(?:D+T)+|(?:TD+)+")

DOUBT_RE = re.compile("|".join(DOUBT), re.I)
LOCAL_DOUBT_RE = re.compile("|".join(LOCAL_DOUBT), re.I)
#: "im Montag" is never a day (a day takes "am"): a slip for "im Monat".
IM_DAY = re.compile(r"\b(im)\s+montag\b", re.I)
SLIP_WORD = re.compile(r"(?<![\wäöüß])[A-Za-zäöüß]{5,11}(?![\wäöüß])")
#: What makes a sentence one about the rhythm: a weekday or a rhythm word.
RHYTHM = re.compile(rf"{_DAY}|(?:{dict(_TOKENS)['week']})|(?:{dict(_TOKENS)['month']})|"
                     rf"(?:{dict(_TOKENS)['count']})", re.I)
#: Words of a single occasion: with a bare weekday, it is that occasion's day.
ONE_OFF = re.compile(r"gründung|auftakt|\berste[sn]?\s+treffen|\bnächste[sn]?\b|erstmal|"
                      r"diesmal|\bheute\b|\bmorgen\b|\bam\s+kommenden\b", re.I)
ON_REQUEST_RE = re.compile(ON_REQUEST, re.I)
#: Several groups named ("zwei Selbsthilfegruppen", "beide Gruppen"): with more than one day
#: each day may be another group's, so no single rhythm is read.
SEVERAL_GROUPS = re.compile(r"\b(?:zwei|drei|vier|beiden?|mehrere|[2-9])\s+(?:[\wäöüß-]+\s+)?"
                             r"[\wäöüß-]*gruppen\b", re.I)
ASK_THERE_RE = re.compile(ASK_THERE, re.I)
#: Sentences and lines: a meeting list puts one meeting per line.
BLOCKS = re.compile(r"\n|(?:(?<=[^\W\d_]{3})|(?<=[)\"“”]))[.!?]\s+(?=[A-ZÄÖÜ\"„])")
#: The ends of the clause around an on-request phrase.
BOUNDARY = re.compile(r"[,;()\n!?]|\.(?=\s|$)")
TIME_ANY = re.compile(_TIME, re.I)
DATED = re.compile(r"termin|zeit|datum|daten|\btag", re.I)

_DATE = (r"(?<![0-9.])(?:0?[1-9]|[12][0-9]|3[01])\.\s*"
         rf"(?:{_MONTH}\.?(?:\s*(?:19|20)[0-9]{{2}})?"
         r"|(?:0?[1-9]|1[0-2])\.(?:(?:19|20)?[0-9]{2})?)(?![0-9])")
#: A list of this many calendar dates names the meetings themselves: no rhythm is read.
DATE_LIST = 3
DATES = re.compile(_DATE, re.I)
#: Removed before reading: what only looks like part of a rhythm.
REMOVE = re.compile("|".join([
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
]), re.I)
