"""The scan of a text for persons and its redaction, the rest of the sentence kept readable."""

import regex

from schema.normalise.personal.kinds import (
    PRIVATE_KINDS,
    Finding,
    FindingKind,
    Holder,
    StaffContacts,
)
from schema.normalise.personal.mailboxes import NO_CONTEXT, Context, addresses, mailbox_holder
from schema.normalise.personal.people import merged, person_findings


def findings(text: str, context: Context = NO_CONTEXT) -> list[Finding]:
    """Every span of `text` that names a private person (or maybe an institution's staff),
    in text order, overlapping spans of one kind merged; `context` see `Context`."""
    mailboxes = [Finding("mailbox", start, end, holder) for start, end, address in
                 addresses(text) if (holder := mailbox_holder(address, context))]
    return sorted([*person_findings(text), *mailboxes], key=lambda f: (f.start, -f.end))


def withheld(holder: Holder, kind: str, staff_contacts: StaffContacts = "withhold") -> bool:
    """Whether a finding of `holder` in a listing of `kind` is withheld (see module doc)."""
    if kind in PRIVATE_KINDS or holder == "home":
        return True
    return holder == "named" and staff_contacts == "withhold"


#: Marks a removed span while the text around it is tidied.
_CUT = "\x00"
_PREPOSITION = r"(?:bei|beim|an|von|mit|über|unter|per|via|durch|im|in|c/o|z\.\s?Hd\.?)"
_CONJUNCTION = r"(?:und|oder|sowie|bzw\.?|u\.)"
_WORD_END = r"(?![\p{L}])"
#: The label of a removed value, dangling before it: "Mobil <cut>", "E-Mail: <cut>",
#: "Ansprechpartnerin: <cut>".
_LABEL_BEFORE = regex.compile(
    r"(?<![\p{L}\-])(?:tel\.?|telefon(?:nummer)?|fon|mobil(?:nummer|telefon|funk)?|"
    r"handy(?:nummer)?|e-?mail(?:-?adresse)?|mail|kontakt(?:person|daten)?|"
    rf"ansprechpartner(?:in|\*in|/in|innen)?|ansprechperson){_WORD_END}[ \t]*:?[ \t]*\x00",
    regex.IGNORECASE)
#: A preposition that governed a removed person or number ("von <cut> begleitet", "bei <cut>"),
#: or a word that introduced a removed span ending its clause ("Anmeldung unter <cut>.",
#: "erreichbar: <cut>", "Peter und <cut>.").
_WORD_BEFORE = regex.compile(
    rf"(?<![\p{{L}}\-]){_PREPOSITION}{_WORD_END}[ \t]*:?[ \t]*\x00"
    rf"|(?:(?<![\p{{L}}\-])(?:{_CONJUNCTION}|erreichbar|zu erreichen|ist|sind|anmeldung|infos?)"
    rf"{_WORD_END}[ \t]*:?|&)[ \t]*\x00(?=[ \t]*(?:$|\n|[,;.!?)\]]|\x00))", regex.IGNORECASE)
#: A removed alternative: "bei <cut> oder in der Kontaktstelle" -> "in der Kontaktstelle",
#: "über <cut> oder das Büro" -> "über das Büro".
_ALTERNATIVE = regex.compile(
    rf"(?:(?<![\p{{L}}\-]){_PREPOSITION}[ \t]+)?\x00[ \t]*{_CONJUNCTION}[ \t]+"
    rf"(?={_PREPOSITION}{_WORD_END})|\x00[ \t]*{_CONJUNCTION}[ \t]+(?=[\p{{L}}\d])",
    regex.IGNORECASE)
_RIGHT = regex.compile(
    rf"\x00[ \t]*(?:{_CONJUNCTION}|&){_WORD_END}[ \t]*(?=$|[,;.]|\x00)",
    regex.IGNORECASE | regex.MULTILINE)
_RUN = regex.compile(r"\x00(?:[ \t,;:/|&\-–]*(?:(?:und|oder|sowie|bzw\.?|u\.)(?![\p{L}]))?"
                     r"[ \t,;:/|&\-–]*\x00)+", regex.IGNORECASE)
_BRACKETED = regex.compile(r"[(\[][ \t,;:/]*\x00[ \t,;:/]*[)\]]")
_AROUND = regex.compile(r"(?P<left>[ \t,;:/|\-–]*)\x00(?P<right>[ \t,;:/|\-–]*)"
                        r"(?P<stop>[.!?](?=\s|$))?")


def _join(match: regex.Match) -> str:
    """What stands where a span was removed: nothing at a line's start or end, else the
    strongest separator that stood beside it (", " for "X, <cut>, Y"), or a space; a full
    stop after the cut stays unless one ends the sentence before it ("Gut. <cut>.")."""
    line, stop = match.string, match.group("stop") or ""
    at_start = match.start() == 0 or line[match.start() - 1] == "\n"
    if stop:
        return "" if at_start or line[match.start() - 1] in ".!?" else stop
    at_end = match.end() == len(line) or line[match.end()] == "\n"
    if at_start or at_end:
        return ""
    seps = match.group("left") + match.group("right")
    sep = next((s for s in ";,:–-/|" if s in seps), None)
    if sep is None:
        return " "
    return f"{sep} " if sep in ";,:" else f" {sep} "


#: Spaces before punctuation or after an opening bracket, a comma before a full stop, a
#: doubled comma: what a cut leaves.
_LOOSE = regex.compile(r"[ \t]+(?=[,;:.!?)\]])|(?<=[(\[])[ \t]+")
_STRAY_SEPARATOR = regex.compile(r"[,;:](?=[.!?])|(?<=[,;])[ \t]*[,;]")
_SPACES = regex.compile(r"[ \t]{2,}")


def _tidy(text: str) -> str:
    """`text` with its cut marks removed and no dangling word or punctuation beside them."""
    previous = None
    while previous != text:
        previous = text
        text = _BRACKETED.sub(_CUT, _RUN.sub(_CUT, _RIGHT.sub(_CUT, text)))
        text = _ALTERNATIVE.sub("", text)
        text = _WORD_BEFORE.sub(_CUT, _LABEL_BEFORE.sub(_CUT, text))
    text = _AROUND.sub(_join, text)
    text = _STRAY_SEPARATOR.sub("", _LOOSE.sub("", text))
    return "\n".join(_SPACES.sub(" ", line).strip(" \t,;:/|-–") for line in text.split("\n"))


def redact(text: str | None, kind: str, staff_contacts: StaffContacts = "withhold",
           context: Context = NO_CONTEXT) -> tuple[str | None, list[FindingKind]]:
    """(`text` without what it names of a private person, the kinds of findings removed);
    None when nothing readable is left. Repeated until nothing is found, because removing one
    name can join two words into a new one ("Herr Herr Aa ODER Aa" -> "Herr Aa")."""
    kinds: list[FindingKind] = []
    for _ in range(_MAX_PASSES):
        text, found = _redact_once(text, kind, staff_contacts, context)
        if not found:
            break
        kinds += found
    return text, kinds


_MAX_PASSES = 8


def _redact_once(text: str | None, kind: str, staff_contacts: StaffContacts,
                 context: Context) -> tuple[str | None, list[FindingKind]]:
    if not text or not (person_findings(text) or addresses(text)):  # most texts
        return text, []
    cut = merged([f for f in findings(text, context)
                   if withheld(f.holder, kind, staff_contacts)], any_kind=True)
    if not cut:
        return text, []
    pieces, at = [], 0
    for f in cut:
        pieces += [text[at:f.start], _CUT]
        at = f.end
    pieces.append(text[at:])
    lines = [line for line in _tidy("".join(pieces)).split("\n") if line]
    return "\n".join(lines) or None, [f.kind for f in cut]


class Redactor:
    """Redacts the texts of one listing and collects "<field>:<kind>" for each finding."""

    def __init__(self, kind: str, staff_contacts: StaffContacts = "withhold",
                 context: Context = NO_CONTEXT) -> None:
        self.kind, self.staff_contacts, self.context = kind, staff_contacts, context
        self.found: list[str] = []

    def text(self, field: str, value: str | None) -> str | None:
        value, kinds = redact(value, self.kind, self.staff_contacts, self.context)
        self.found += [f"{field}:{k}" for k in kinds]
        return value

