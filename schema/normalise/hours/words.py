"""The words of office-hour text: day spellings, appointment, phone and doubt phrases,
and the token patterns built from them."""

import re

from schema.normalise.text import typing_slips

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
#: Every spelling of a weekday (`DAY_SPELLINGS`, `AMBIGUOUS_DAYS`) -> its index.
WEEKDAY_OF = {s: i for i, group in enumerate(DAY_SPELLINGS) for s in group} | AMBIGUOUS_DAYS

#: "jeden 1. / ersten / letzten Montag im Monat" -> OSM's nth weekday of the month.
ORDINALS = {"1.": 1, "2.": 2, "3.": 3, "4.": 4, "5.": 5, "erste": 1, "zweite": 2,
            "dritte": 3, "vierte": 4, "fünfte": 5, "letzte": -1}

#: Phrases saying appointments are offered (searched after `NOT_APPOINTMENT_RE` is removed).
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
NOT_APPOINTMENT_RE = re.compile(r"ohne\s+(?:vorherige\s+)?(?:termin\w*|voranmeldung|anmeldung)"
                                r"(?![a-zäöüß])(?!\s+geschlossen)")

#: A German phone number as written in prose ("04521-788 360", "02241 - 29792").
PHONE_NUMBER = r"\(?0[1-9][0-9]{1,5}\)?\s*[/-]?\s*[0-9][0-9 /-]{2,}[0-9]"

#: Cues that a line gives times for calling or chatting, not for visiting.
PHONE_RE = re.compile(
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
SERVICE_RE = re.compile(r"(?<![a-zäöüß])(?:sprechstunde|sprechzeit|öffnungszeit|beratung)")

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
GROUP_SLOT_RE = re.compile(r"(?<![a-zäöüß-])(?<!für )[a-zäöüß-]*gruppe(?![a-zäöüß-])[^\n¶]*?"
                           r"[0-9]{1,2}(?:[.:][0-9]{2})?\s*(?:-|bis)")

#: Words naming the office itself in a heading ("Öffnungszeiten Büro:").
OFFICE_RE = re.compile(r"büro|geschäftsstelle|kontaktstelle|sekretariat|verwaltung|beratungsstelle")

#: Earliest plausible start: "Di 2-4" means afternoon, which we do not guess.
EARLIEST = 6 * 60
MAX_LENGTH = 400

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
#: The German names structured entries are written out with (`days_text`).
DAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag",
             "Feiertage")
#: Entries a file may give for one listing; more is not a week's hours.
MAX_ENTRIES = 60
#: Structured hours (a file's day columns) get no length cap of their own: this bounds them.
STRUCTURED_LENGTH = MAX_LENGTH * 8

# --- patterns ----------------------------------------------------------------------------

WORD = re.compile(r"(?<![a-zäöüß])[a-zäöüß]{5,11}(?![a-zäöüß])")
DASHES = str.maketrans({**dict.fromkeys("‐‑‒–—―−", "-"), "\u00a0": " ", "\t": " "})
_DAY = "|".join(sorted({s for group in DAY_SPELLINGS for s in group}, key=len, reverse=True))
_DAY_WORD = (rf"(?:(?:{_DAY})\.?(?![a-zäöüß])"
             rf"|(?:{'|'.join(AMBIGUOUS_DAYS)})(?=\s*(?:[:.-]|bis\b))\.?)")
ORD = r"[1-5]\.|(?:erste|zweite|dritte|vierte|fünfte|letzte)[nmrs]?"
_ORDS = rf"(?:{ORD})(?:\s*(?:,|und|u\.|&|\+|/|oder)\s*(?:jede[nm]?\s+)?(?:{ORD}))*"
_TIME = r"(?:[01]?[0-9]|2[0-4])(?:[.:][0-5][0-9])?"
_DATE = r"(?:(?:den|dem)\s+)?(?:[0-9]{1,2}\.[0-9]{1,2}\.(?:[0-9]{2,4})?|[0-9]{1,2}\.(?![0-9]))"
_END = r"(?![0-9:]|\.[0-9])"

TOKEN = re.compile(
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
APPOINTMENT_RE = re.compile(APPOINTMENT)
DOUBT_RE = re.compile(rf"(?<![a-zäöüß])(?:{DOUBT})(?![a-zäöüß])")
SCHEDULE = re.compile(rf"(?<![a-zäöüß]){_DAY_WORD}"
                       rf"|(?<![0-9:])(?<![0-9]\.){_TIME}\s*(?:-|bis)\s*{_TIME}")
CLAUSE = re.compile(r"\s+sowie\s+")
RANGE = re.compile(rf"(?<![0-9:])(?<![0-9]\.){_TIME}\s*(?:-|bis)\s*{_TIME}")
ALWAYS = re.compile(r"^(?:täglich\s+)?(?:rund um die uhr|24 stunden(?: täglich)?)"
                     r"(?:\s+erreichbar)?\.?$")
UHR = re.compile(r"(?<=[0-9])\s*uhr(?![a-zäöüß])|(?<![a-zäöüß])uhr(?![a-zäöüß])"
                  r"|(?<=[0-9])\s*h(?![a-zäöüß])")
