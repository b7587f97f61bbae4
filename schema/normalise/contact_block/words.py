"""The words and shapes of a contact block: labels, organisation words, the patterns
that tell a piece's kind."""

import re
from typing import Literal

Kind = Literal["phone", "fax", "phone_fax", "email", "web", "hours", "address", "person",
               "contact"]

# --- tables ------------------------------------------------------------------------------

#: Labels: (kind, pattern, what must follow the label when it has no colon). The order matters
#: only where one label starts another ("Tel./Fax" before "Tel.").
LABELS: tuple[tuple[Kind, str, str], ...] = (
    ("phone_fax", r"tel(?:efon)?\.?\s*(?:/|\+|&|und|u\.)\s*(?:tele)?fax", r"[+(\d]"),
    ("fax", r"(?:tele)?fax(?:-?nr\.?|nummer)?", r"[+(\d]"),
    ("phone", r"tel(?:efon)?(?:\.?-?nr\.?|nummer)?\.?|fon|phone|rufnummer|mobil(?:telefon)?|"
              r"handy|festnetz|hotline|(?:kontakt|service|info|beratungs)telefon",
     r"[+(\d]|[^\W\d_][\w-]*\s?:\s?[+(\d]"),  # "Tel. Ost-Havelland: 03321 …"
    ("email", r"e-?mail(?:-?adresse)?|mail", r"\S+(?:@|\s?[(\[]\s?(?:at|ät)\s?[)\]])"),
    ("web", r"internet(?:seite|adresse)?|web(?:seite|site)?|homepage|home-page|url",
            r"(?:https?://|www\.)"),
    ("hours", r"(?:(?:telefonische|persönliche|offene)\s+)?(?:sprechzeiten|sprechzeit|"
              r"öffnungszeiten|bürozeiten|sprechstunden?|beratungszeiten|servicezeiten|"
              r"telefonzeiten|erreichbarkeit|kontaktzeiten)",
     r"(?:mo|di|mi|do|fr|sa|so|montags?|dienstags?|mittwochs?|donnerstags?|freitags?|"
     r"täglich|werktags|nach)\b"),
    ("address", r"anschrift|adresse|postanschrift|besucheranschrift|hausanschrift", r"(?!)"),
    ("person", r"ansprechpartner(?:in|/in|\*in|:in|innen)?|ansprechperson|kontaktperson|"
               r"gruppenleitung|leitung", r"(?!)"),
    ("contact", r"kontakt(?:adresse|daten|stelle)?|erreichbar unter|auskunft|auskünfte|"
                r"(?:weitere\s+)?info(?:s|rmation(?:en)?)?(?:\s+(?:und|&)\s+anmeldung)?|"
                r"anmeldung(?:en)?", r"(?!)"),
)
#: Words that mark a name as an organisation's (or an acronym such as "BüZ", "KISS").
ORGANISATION = (r"selbsthilfe|gruppe|stelle|büro|verein|e\.\s?v\.|verband|zentrum|netzwerk|haus|"
                r"kiss|initiative|treff|bund|stiftung|forum|hilfe|beratung|klinik|praxis|amt|"
                r"stadt|kreis|gemeinde|caritas|diakonie|awo|drk|paritätische|gmbh|ggmbh|dienst|"
                r"arbeitskreis|kontakt|agentur|kirche|telefon|universität|hochschule|ambulanz|"
                r"sanatorium|seelsorge|betreuung|abteilung")
#: An acronym ("BüZ", "KoSKon", "NAKOS"): also a name, not a person.
ACRONYM = r"\b[A-ZÄÖÜ]\w*[A-ZÄÖÜ]"
#: Small words inside an organisation's name ("Kontaktstelle für Selbsthilfe"); more than one
#: other lower-case word makes a piece a sentence ("bitte telefonisch erfragen").
CONNECTORS = frozenset({"für", "im", "in", "der", "die", "das", "des", "dem", "den", "und",
                        "von", "vom", "zur", "zum", "am", "an", "auf", "bei", "mit", "nach",
                        "e.v.", "ev.", "e.", "v.", "ggmbh", "gmbh", "st.", "u.", "&"})
#: Pronouns of a sentence ("Informationen erhalten Sie bei …"); no name holds them.
PRONOUNS = frozenset({"Sie", "Ihnen", "Ihr", "man", "uns", "wir", "euch", "es"})
#: A private person named in a block: never an organisation line.
PERSON = (r"^(?:frau|herr|hr\.|fr\.|dr\.\s|prof\.|familie|fam\.|(?:gruppen)?sprecher(?:in)?|"
          r"gruppenleiter(?:in)?|leiter(?:in)?|vorsitzender?|ansprechpartner(?:in)?|"
          r"kontaktperson|moderator(?:in)?)\b")
#: Lower-case words that open the second line of a name broken over two lines ("Kontaktstelle
#: / für Selbsthilfegruppen").
NAME_CONTINUATIONS = ("für", "zur", "zum", "des", "der")

# --- patterns ----------------------------------------------------------------------------

LABEL = re.compile(
    "|".join(rf"(?P<{kind}>(?<![\w-])(?:{pattern})(?![\w])(?:\s*:\s*|\s*(?={follow})))"
             for kind, pattern, follow in LABELS), re.IGNORECASE)
PIECE = re.compile(r"\s*(?:[,;\n|·•]|(?<=\d)\s+[–—-]\s+(?=\D)|\s+[–—/-]\s+(?=(?:DE?-)?\d{5}\b))"
                    r"\s*")
EMAILISH = re.compile(r"@|[(\[{]\s?(?:at|ät)\s?[)\]}]", re.IGNORECASE)
URLISH = re.compile(r"^(?:https?://|www\.)\S+$|^[\w.-]+\.(?:de|com|org|net|info|eu)(?:/\S*)?$",
                     re.IGNORECASE)
NUMBERISH = re.compile(r"^(?:\+|\(?0)[\d\s/().\-–]{4,}\d(?:\s*\([^()]*\))?$")
#: A date ("01.02.2024", "Stand: 1.2.24"): digits that are no phone number.
DATE = re.compile(r"(?:0?[1-9]|[12]\d|3[01])\.\s?(?:0?[1-9]|1[0-2])\.\s?(?:\d{4}|\d{2})")
#: A phone number standing in a sentence ("unter Telefon 09561/891576 oder …").
#: A web address standing in a sentence ("Infos unter www.beispiel.de oder …").
URL_INSIDE = re.compile(r"(?<![@\w.])(?:https?://|www\.)[^\s,;()<>\"]+[^\s,;()<>\".:!?]")
NUMBER_INSIDE = re.compile(r"(?<![\w.,])(?:\+\s?|\(?0\s?)[1-9][\d\s/().\-–]{4,}\d")
#: Words a name never ends in: a line ending in one runs on as a sentence ("… gibt es unter").
RUN_ON = frozenset({"unter", "an", "bei", "über", "per", "ist", "sind", "und", "oder", "sowie",
                    "zu", "von", "mit", "der", "die", "das", "den", "dem", "des", "ein", "eine",
                    "einen", "einem", "einer", "es", "sie", "er", "wir", "ihr", "uns"})
PERSON_LINE = re.compile(PERSON, re.IGNORECASE)
ORGANISATION_WORD = re.compile(ORGANISATION, re.IGNORECASE)
JOINERS = re.compile(r"(?<![^\W\d_])(?:oder|und|u\.|bzw\.?|sowie|app\.?|apparat|durchwahl|dw|"
                      r"nst|nebenstelle|zentrale|tel\.?|telefon|fax|mobil)(?![^\W\d_])",
                      re.IGNORECASE)
#: A number at the end of a text piece ("Kontakt über das BüZ: 02323 / 16-3636").
TRAILING_NUMBER = re.compile(r"(?<=\s)(?:\+|\(?0)[\d\s/().\-–]{5,}\d$")
ACRONYM_WORD = re.compile(ACRONYM)
#: One to three capitalised words of up to ten letters: the shape of a person's name.
PERSON_SHAPE = re.compile(r"[A-ZÄÖÜ][a-zäöüß]{1,9}(?:-[A-ZÄÖÜ][a-zäöüß]{1,9})?"
                           r"(?: [A-ZÄÖÜ][a-zäöüß]{1,9}(?:-[A-ZÄÖÜ][a-zäöüß]{1,9})?){0,2}")
#: A person's name as an addressee writes it: a title or initial, then one or two surnames.
ADDRESSEE = re.compile(r"(?:(?i:frau|herr|hr\.|fr\.|dr\.|prof\.)\s+)*(?:[A-ZÄÖÜ]\.\s?)*"
                        r"[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
                        r"(?:\s[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?)?")
#: A piece that points to someone else, not a name: "Kontakt über …", "über das BüZ".
POINTER = re.compile(r"(?:kontakt|über|via)(?![\w-])|(?:infos?|informationen|auskunft|"
                      r"auskünfte)\s+(?:zu|zum|zur|über|für|bei)(?![\w-])", re.IGNORECASE)
LINE_LABEL = re.compile(r"^[^\W\d_][^:\d]{0,30}:\s*")
CARE_OF = re.compile(r"(?<=\S)\s+c/o\s", re.IGNORECASE)
#: A name ending in a list it opens ("für Kinder"), and the list's rest ("Jugendliche und
#: Eltern"): one name though a comma stands in it.
LIST_OPENER = re.compile(r"\b(?:für|von|mit)\s+[^\W\d_][\w-]*$")
ENUMERATION = re.compile(r"^[^\W\d_][\w-]*(?:,\s*[^\W\d_][\w-]*)*\s+(?:und|u\.|oder|sowie|&)\s")
HEADING = re.compile(r"^(?:kontakt(?:daten|adresse)?|anschrift|adresse|so erreichen sie uns)$",
                      re.IGNORECASE)
_WEEKDAY = (r"mo|di|mi|do|fr|sa|so|montags?|dienstags?|mittwochs?|donnerstags?|freitags?|"
            r"samstags?|sonntags?")
HOURS_LINE = re.compile(rf"^(?:{_WEEKDAY})\b\.?.*?\b\d{{1,2}}(?:[:.]\d{{2}}\b|\s*uhr\b)",
                        re.IGNORECASE)
TIME_WORD = re.compile(rf"\d|\b(?:{_WEEKDAY}|uhr|täglich|vereinbarung|absprache|geschlossen|"
                       r"ferien)\b", re.IGNORECASE)
