"""German phone strings -> E.164 with type, the original always kept.

A contact string holds one or more numbers in the layouts German offices use ("0 23 23 / 16 - 36
36", "(0 23 81) 1 20 28", "0211. 89 - 9 22 44", "+49 (0)2323 …"), labels ("Tel.", "Fax:"),
qualifiers ("(Zentrale)", "(ab 18 Uhr)"), extensions ("App. 12") and numbers sharing a prefix
("02104/99-2320 oder -2321"). Digits are read in runs; a run is split at "/" and each piece is
either the area code of the next piece, a new number (it starts with 0 or +) or the tail of the
previous number. Numbers are validated with `phonenumbers` (region DE); what it rejects is kept
raw with `valid=False`, never repaired by guessing.

The scanner works on a same-length copy of the input (dashes, odd spaces and blanked words
replaced one character by one), so every number's `original` is an exact slice of the input.
"""

import functools
import re
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import PhoneNumberType, shortnumberinfo

from schema.listing import Phone, PhoneType
from schema.normalise.text import MEMO

# ------------------------------------------------------------------------------------- tables

#: Stands in for a word taken out of the scan copy: it ends a run of digits, unlike a space.
_BLANK = "\x1f"
#: Characters replaced one by one before scanning (length is kept, so spans stay valid).
_SAME_LENGTH = str.maketrans({
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-"),
    **dict.fromkeys("\t\u00a0\u2007\u2009\u202f\u2002\u2003\u2004\u2005\u2006\u2008\u200a"
                    "\u3000\u00ad\u200b\u200c\u200d\u2060\ufeff\x1f", " "),
    **dict.fromkeys("\r\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85", "\n"),
    **dict.fromkeys("\u2044\u2215\uff0f", "/"),
    "\uff08": "(", "\uff09": ")", "\uff0b": "+",
})

#: Labels before a number: (kind, pattern). "voice" only ends a fax label's reach.
_LABELS = (
    ("fax", r"\b(?:tele)?fax(?:-?n(?:umme)?r)?\b\.?|\bfernkopierer\b|\bf\b(?=[ ]?:)"),
    ("switchboard", r"\b(?:telefon)?(?:zentrale|vermittlung|zentralruf)\b"),
    ("voice", r"\b(?:tel(?:efon)?(?:-?n(?:umme)?r)?|fon|phone|ruf(?:nummer)?|festnetz|"
              r"mobil(?:telefon|funk|nummer)?|mobiltel|handy(?:nummer)?|hotline|telefonisch|"
              r"(?:kontakt|service|info|beratungs|sorgen|not)telefon|[tm](?=[ ]?:))\b\.?"),
)
_LABEL = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _LABELS),
                    re.IGNORECASE)
#: What may stand between two labels of one group ("Tel./Fax", "Telefon und Fax").
_LABEL_JOIN = re.compile(r"[\s\x1f/+&,:.\-]*(?:(?:und|u\.|oder|bzw\.?)[\s\x1f/+&,:.\-]*)?",
                         re.IGNORECASE)
#: Between two numbers of one list ("… oder -2321", "…, …"): a label read before keeps applying.
_LIST_GAP = re.compile(r"[\s\x1f,;/|&+:\-]*(?:(?:oder|od\.|o\.|und|u\.|bzw\.?|sowie)"
                       r"[\s\x1f,;/|&+:\-]*)?", re.IGNORECASE)
#: A word between two numbers ("oder", "od."): the second may be a new subscriber number in
#: the first one's area ("04651/ 294 55 od. 83 43 38").
_WORDED = re.compile(r"[^\W\d_]")
#: A new number inside a run of digits: a space, then an area code and its slash
#: ("0921/ 283-301 0921/ 283-395").
_NEW_NUMBER = re.compile(r"(?<=[0-9]) (?=0[1-9][0-9]{1,4} ?/)")
#: A piece between two "/", without the spaces around it.
_PIECE = re.compile(r"[^/ ](?:[^/]*[^/ ])?")

#: Words in brackets: a qualifier for the number before ("(Zentrale)", "(Fax)") or a note
#: ("(AB)", "(ab 18 Uhr)") whose digits are no phone number.
_BRACKET = re.compile(r"[(\[][^()\[\]\n]{1,200}[)\]]")
#: Internal extension after a number; the digits must not start another number.
_EXTENSION = re.compile(
    r"\b(?:app(?:arat)?|durchwahl|durchw|dw|nebenstelle|nst|hausapparat|hausruf|ext(?:ension)?)"
    r"\b\.?[ ]?:?[ ]?-?[ ]?([1-9][0-9]{0,5})(?![0-9]|[ ]?[0-9/(]|[ ]?-[ ]?[0-9])", re.IGNORECASE)
#: Times and dates in a contact string ("Mo-Fr 9-12 Uhr", "ab 18.30 Uhr", "bis 31.12.2024").
_NOT_NUMBERS = re.compile(
    r"(?<![0-9])[0-9]{1,2}(?:[.:][0-5][0-9])?\s*(?:-|bis)\s*[0-9]{1,2}(?:[.:][0-5][0-9])?\s*"
    r"(?:uhr|h)\b|(?<![0-9.])(?:[01]?[0-9]|2[0-3])[.:][0-5][0-9](?![0-9])(?:\s*uhr\b)?|"
    r"(?<![0-9])[0-9]{1,2}\s*uhr\b|(?<![0-9.])[0-3]?[0-9]\.[01]?[0-9]\.(?:[0-9]{4}|[0-9]{2})?"
    r"(?![0-9])", re.IGNORECASE)

#: A run of digits with the separators German numbers are written with; "-" first: a tail.
_RUN = re.compile(r"(?:-[ ]?)?(?:\+[ ]?)?(?:\([ ]?)?[0-9][0-9 /().\-]*")
_NUMBER_INSIDE = re.compile(r"(?<![0-9])(?:\+|0)[1-9][0-9 /\-]{5,}[0-9]")
_SWITCHBOARD_SUFFIX = re.compile(r"-\s*0\s*$")
#: Short service numbers valid without an area code (Behördennummer, EU 116 xxx).
_SHORT = re.compile(r"115|116[0-9]{3}")

_TYPES: dict[int, PhoneType] = {
    PhoneNumberType.FIXED_LINE: "landline",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "landline",
    PhoneNumberType.MOBILE: "mobile",
}

# ------------------------------------------------------------------------------------- drafts


@dataclass
class _Mark:
    start: int
    end: int
    kinds: set[str]
    after: bool = False  # a bracketed qualifier: belongs to the number right before it


@dataclass
class _Draft:
    start: int
    end: int
    digits: str | None  # national "0…" for German numbers, "+…" for others, None: unreadable
    root: int  # where the number whose prefix it shares begins (== start unless a tail)
    dash_base: str | None = None  # digits before the last "-": what a "-12" tail replaces
    switchboard: bool = False
    short: bool = False
    kinds: set[str] = field(default_factory=set)
    extension: str | None = None


def phones(text: str | None) -> list[Phone]:
    """Every number in `text`, in order; nothing readable but digits present -> one raw entry."""
    return list(_phones(text))


@functools.lru_cache(maxsize=MEMO)
def _phones(text: str | None) -> tuple[Phone, ...]:
    if not text or not text.strip():
        return ()
    scan, marks, extensions = _prepare(text)
    drafts = _assemble(scan)
    _apply_labels(scan, drafts, marks)
    _apply_extensions(scan, drafts, extensions)
    found: list[Phone] = []
    seen: set[tuple] = set()
    for draft in drafts:
        for phone in _build(text, draft):
            key = (phone.e164, phone.extension, phone.type)
            if not phone.e164 or key not in seen:
                found.append(phone)
                seen.add(key)
    if not found and re.search(r"[0-9]", text):
        return (Phone(original=text.strip()),)
    return tuple(found)


def _prepare(text: str) -> tuple[str, list[_Mark], list[tuple[int, str]]]:
    """The scan copy, with label marks and extensions (start, digits) found and blanked."""
    scan = text.translate(_SAME_LENGTH)
    marks: list[_Mark] = []
    extensions: list[tuple[int, str]] = []

    def blank(m: re.Match) -> str:
        return _BLANK * len(m.group(0))

    def bracket(m: re.Match) -> str:
        if not re.search(r"[^\W\d_]", m.group(0)):
            return m.group(0)  # "(0211)", "(0)": part of the number
        if _NUMBER_INSIDE.search(m.group(0)):  # "(Büro: 07021-75002)": a number of its own
            return " " + m.group(0)[1:-1] + " "
        kinds = {label.lastgroup or "voice" for label in _LABEL.finditer(m.group(0))}
        if kinds & {"fax", "switchboard"}:
            marks.append(_Mark(m.start(), m.end(), kinds, after=True))
        return blank(m)

    def extension(m: re.Match) -> str:
        extensions.append((m.start(), m.group(1)))
        return blank(m)

    scan = _BRACKET.sub(bracket, scan)
    scan = _EXTENSION.sub(extension, scan)
    scan = _NOT_NUMBERS.sub(blank, scan)
    marks += [_Mark(m.start(), m.end(), {m.lastgroup or "voice"}) for m in _LABEL.finditer(scan)]
    scan = _LABEL.sub(blank, scan)
    return scan, sorted(marks, key=lambda mark: mark.start), extensions


def _digits(raw: str) -> str:
    """Digits of one piece; "+49 (0)211" and "0049 211" become the national "0211"."""
    raw = raw.strip().lstrip("-").strip()
    if raw.startswith("+") or raw.startswith("00"):
        raw = re.sub(r"\(\s*0\s*\)", "", raw)
    digits = re.sub(r"[^0-9+]", "", raw)
    digits = digits[:1] + digits[1:].replace("+", "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if digits.startswith("+49"):
        digits = "0" + digits[3:]
    return digits


def _area_only(digits: str) -> bool:
    """"0211", "0 23 23", "02104": an area (or mobile) code waiting for its subscriber part."""
    return digits.startswith("0") and not digits.startswith("00") and len(digits) <= 6


def _pieces(scan: str, run: re.Match) -> list[tuple[int, int]]:
    """The run trimmed and cut at "/" into (start, end) spans."""
    start, end = run.start(), run.end()
    while end > start and (scan[end - 1] in " /.-(" or (
            scan[end - 1] == ")" and scan.count("(", start, end) < scan.count(")", start, end))):
        end -= 1
    spans = []
    for m in _PIECE.finditer(_NEW_NUMBER.sub("/", scan[start:end])):
        a, b = start + m.start(), start + m.end()
        if re.search(r"[0-9]", scan[a:b]):
            spans.append((a, b))
    return spans


def _assemble(scan: str) -> list[_Draft]:
    """The numbers of the scanned text, run by run; a lone area code is dropped."""
    drafts: list[_Draft] = []
    for run in _RUN.finditer(scan):
        _assemble_run(scan, run, drafts)
    return [d for d in drafts if d.root != d.start or d.short or len(d.digits or "") >= 5
            or d.digits is None]


def _assemble_run(scan: str, run: re.Match, drafts: list[_Draft]) -> None:
    """Append the numbers of one run: pieces after an area code join it, a piece that opens
    no number of its own may be a tail of the number before ("-2321", "/45")."""
    current: list[tuple[int, int]] = []
    for i, (a, b) in enumerate(_pieces(scan, run)):
        digits = _digits(scan[a:b])
        if scan[a] == "-" and len(digits) >= 5 and digits.startswith(("0", "+")):
            a += len(scan[a:b]) - len(scan[a:b].lstrip("- "))  # "Tel.-0211": no tail
        dashed = scan[a:b].startswith("-")
        fresh = digits.startswith(("0", "+")) and not dashed
        if current and not fresh and not dashed and _area_only(_joined(scan, current)):
            current.append((a, b))
            continue
        if current:
            drafts.extend(_finish(scan, current))
            current = []
        prev = drafts[-1] if drafts else None
        if prev and not fresh and (tail := _as_tail(scan, prev, i == 0, (a, b), digits)):
            drafts.append(tail)
            continue
        current = [(a, b)]
    if current:
        drafts.extend(_finish(scan, current))


def _as_tail(scan: str, prev: _Draft, first: bool, span: tuple[int, int],
             digits: str) -> _Draft | None:
    """The piece at `span` read as a tail of `prev` ("-2321", "/45", "od. 83 43 38"); None
    when it is no tail: the first piece of a run must follow a list gap, and without "-" it
    must give a valid number and not be a short service number."""
    a, b = span
    raw = scan[a:b]
    dashed = raw.startswith("-")
    gap = scan[prev.end:a]
    if first and (not _LIST_GAP.fullmatch(gap) or (not dashed and _SHORT.fullmatch(digits))):
        return None
    tail = _tail(prev, digits, dashed, same_length=first and not dashed,
                 worded=bool(_WORDED.search(gap)))
    if tail is None and first and not dashed:
        return None
    return _Draft(a, b, tail, prev.root, prev.dash_base, bool(_SWITCHBOARD_SUFFIX.search(raw)))


def _joined(scan: str, spans: list[tuple[int, int]]) -> str:
    return "".join(_digits(scan[a:b]) if i == 0 else re.sub(r"[^0-9]", "", scan[a:b])
                   for i, (a, b) in enumerate(spans))


def _finish(scan: str, spans: list[tuple[int, int]]) -> list[_Draft]:
    """One number from its joined pieces, or two when two numbers were glued by a space."""
    start, end = spans[0][0], spans[-1][1]
    digits = _joined(scan, spans)
    if _SHORT.fullmatch(digits) and len(spans) == 1:
        return [_Draft(start, end, digits, start, short=True)]
    if len(spans) == 1 and 10 <= len(digits) <= 30 and _parse(digits) is None:
        for m in re.finditer(r" (?=[0+])", scan[start:end]):
            cut = start + m.start()
            left, right = _digits(scan[start:cut]), _digits(scan[cut + 1:end])
            if _parse(left) is not None and _parse(right) is not None:
                return _finish(scan, [(start, cut)]) + _finish(scan, [(cut + 1, end)])
    raw = scan[start:end]
    dash = start + raw.rfind("-")
    dash_base = _joined(scan, [(a, min(b, dash)) for a, b in spans if a < dash])
    return [_Draft(start, end, digits, start, dash_base if dash > start else None,
                   bool(_SWITCHBOARD_SUFFIX.search(raw)))]


def _tail(prev: _Draft, suffix: str, dashed: bool, same_length: bool,
          worded: bool = False) -> str | None:
    """The number a tail ("-2321", "/45", "oder 16-3637") stands for, sharing prev's prefix.

    A "-" tail replaces prev's group after its last "-" (the Durchwahl) when that group follows
    more than the area code; otherwise the tail replaces as many trailing digits as it has. A
    tail after a comma without "-" or "/" must be as long as the subscriber number; after a
    word ("oder", "od.") it is a subscriber number of its own in prev's area."""
    number = _parse(prev.digits) if prev.digits and prev.digits.startswith("0") else None
    if number is None or not suffix.isdigit():
        return None
    ndc = phonenumbers.length_of_national_destination_code(number)
    subscriber = len(phonenumbers.national_significant_number(number)) - ndc
    if dashed and prev.dash_base and len(prev.dash_base) - 1 > ndc:
        return prev.dash_base + suffix
    if same_length and worded and len(suffix) >= 3:
        return prev.digits[: ndc + 1] + suffix
    if same_length and len(suffix) != subscriber:
        return None
    if not 0 < len(suffix) <= subscriber:
        return None
    return prev.digits[: -len(suffix)] + suffix


def _parse(digits: str | None, extension: str | None = None) -> phonenumbers.PhoneNumber | None:
    """A valid number or None; `phonenumbers` reads the extension from its own "ext." marker."""
    if not digits or len(digits) > 20 or not digits.startswith(("0", "+")):
        return None  # without its 0 a German number has no known area code: no guess
    try:
        number = phonenumbers.parse(digits + (f" ext. {extension}" if extension else ""), "DE")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


# ------------------------------------------------------------------------ labels and building


def _apply_labels(scan: str, drafts: list[_Draft], marks: list[_Mark]) -> None:
    """A label applies to the numbers after it while only list separators stand between them;
    a bracketed qualifier right after a number applies to that number alone."""
    groups: list[_Mark] = []
    for mark in marks:
        if mark.after:
            owner = next((d for d in reversed(drafts) if d.end <= mark.start), None)
            if owner and not scan[owner.end:mark.start].strip(" -:," + _BLANK):
                owner.kinds |= mark.kinds
                continue
        if groups and _LABEL_JOIN.fullmatch(scan[groups[-1].end:mark.start]):
            groups[-1] = _Mark(groups[-1].start, mark.end, groups[-1].kinds | mark.kinds)
        else:
            groups.append(mark)
    active: set[str] = set()
    last_end = 0
    for draft in drafts:
        before = [g for g in groups if last_end <= g.start and g.end <= draft.start]
        if before:
            active = before[-1].kinds
        elif not _LIST_GAP.fullmatch(scan[last_end:draft.start]):
            active = set()
        draft.kinds |= active
        last_end = draft.end


def _apply_extensions(scan: str, drafts: list[_Draft], extensions: list[tuple[int, str]]) -> None:
    for start, digits in extensions:
        owner = next((d for d in reversed(drafts) if d.end <= start), None)
        if owner and _LIST_GAP.fullmatch(scan[owner.end:start]) and owner.extension is None:
            owner.extension = digits


def _build(text: str, draft: _Draft) -> list[Phone]:
    original = text[draft.root:draft.end].strip()
    if draft.short:
        number = phonenumbers.parse(draft.digits or "", "DE")
        valid = shortnumberinfo.is_valid_short_number_for_region(number, "DE")
        return [Phone(original=original, type="unknown", valid=valid)]
    number = _parse(draft.digits, draft.extension)
    if number is None:
        return [Phone(original=original)]
    kind: PhoneType = _TYPES.get(phonenumbers.number_type(number), "unknown")
    if kind != "mobile" and (draft.switchboard or "switchboard" in draft.kinds):
        kind = "switchboard"
    kinds: list[PhoneType] = [kind]
    if "fax" in draft.kinds:
        kinds = [kind, "fax"] if "voice" in draft.kinds else ["fax"]
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return [Phone(e164=e164, extension=number.extension, type=k, original=original, valid=True)
            for k in kinds]
