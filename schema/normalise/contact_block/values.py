"""A contact block's values: phones, faxes, e-mails and web sites, labelled or known by
their shape, parsed by the shared parsers."""

import re
from collections.abc import Callable
from typing import Any

from schema.listing import EmailAddress, Phone, Website
from schema.normalise.contact_block import words
from schema.normalise.contact_block.cut import Piece, other_shape
from schema.normalise.emails import emails
from schema.normalise.phones import phones
from schema.normalise.urls import urls


def labelled(piece: Piece, found: dict[str, list]) -> None:
    """Parse one labelled value into its list; a value that gives nothing is leftover, and so
    is the words beside a number ("(Mo-Fr 9-12 Uhr)")."""
    kind, value = piece.kind, piece.text
    placed: list = []
    if kind in ("phone", "fax", "phone_fax"):
        placed = _add_phones(value, kind, found)  # a raw number is kept without its label
    elif kind == "email":
        placed = _add("emails", value, found)
    elif kind == "web":
        placed = _add("websites", value, found)
    elif kind == "hours":  # "Mo und Mi 10–12 Uhr unter 0341 123456": the number is a phone
        found["hours"].append(value)
        if words.NUMBER_INSIDE.search(value):
            found["phones"] += [n for n in safe(phones, value) or [] if n.e164]
        return
    if not placed:
        text = f"{piece.label} {value}".strip() if kind != "empty" else value
        found["leftover"].append(Piece(piece.at, "leftover", text))
    elif rest := _loose_values(_remainder(value, [x.original for x in placed]), found):
        found["leftover"].append(Piece(piece.at, "leftover", rest))


def _add_phones(text: str, kind: str, found: dict[str, list]) -> list[Phone]:
    numbers = safe(phones, text) or []
    for number in numbers:
        if kind == "fax" or number.type == "fax":
            found["faxes"].append(number.model_copy(update={"type": "fax"}))
        else:
            found["phones"].append(number)
            if kind == "phone_fax":
                found["faxes"].append(number.model_copy(update={"type": "fax"}))
    return numbers


#: list -> (its parser, the shape that keeps a value nothing valid was read from)
_READERS: dict[str, tuple[Callable[[str], list], Callable[[str], object]]] = {
    "emails": (emails, words.EMAILISH.search), "websites": (urls, words.URLISH.match)}


def _add(kind: str, value: str, found: dict[str, list]) -> list[EmailAddress | Website]:
    parse, shape = _READERS[kind]
    result = safe(parse, value) or []
    if any(x.valid for x in result) or (result and shape(value)):
        found[kind].extend(result)
        return result
    return []


def _loose_values(rest: str | None, found: dict[str, list]) -> str | None:
    """`rest` without the web and e-mail addresses standing in it, which are taken ("Fax: 040
    3250 3880 www.hauptkirchen.de"); None when nothing else is left."""
    if rest is None:
        return None
    kept = [w for w in rest.split() if not (
        (words.URLISH.match(w.strip(",;")) and _add("websites", w.strip(",;"), found))
        or (words.EMAILISH.search(w) and _add("emails", w.strip(",;"), found)))]
    left = " ".join(kept).strip(" ,;:")
    return left if re.search(r"[^\W\d_]", left) else None


def _remainder(value: str, originals: list[str]) -> str | None:
    """The words of `value` that no parsed value took, when there are any beyond joiners."""
    for original in sorted(set(originals), key=len, reverse=True):
        value = value.replace(original, " ", 1) if original else value
    rest = " ".join(value.split()).strip(" ,;:/-–")
    unjoined = words.JOINERS.sub(" ", rest)
    return rest if re.search(r"[^\W\d_]", unjoined) else None


def contact_value(value: str, found: dict[str, list]) -> bool:
    """Take an unlabelled e-mail, web address or phone number into `found`; False for other
    text. A number inside a sentence counts only when it is a valid one (times and dates
    there are no numbers)."""
    if words.URLISH.match(value) and _add("websites", value, found):
        return True
    mailed = bool(words.EMAILISH.search(value) and _add("emails", value, found))
    for url in words.URL_INSIDE.finditer(value):
        mailed = bool(_add("websites", url.group(0), found)) or mailed
    numbers = safe(phones, value) if words.NUMBERISH.match(value) \
        and not words.DATE.fullmatch(value) else None
    if numbers is None and words.NUMBER_INSIDE.search(value) \
            and not other_shape(words.EMAILISH.sub(" ", value)):
        numbers = [n for n in safe(phones, value) or [] if n.e164]
    for number in numbers or []:
        found["faxes" if number.type == "fax" else "phones"].append(number)
    return mailed or bool(numbers)


# --- helpers -------------------------------------------------------------------------------

def safe(parse: Callable[[str], Any], text: str) -> Any:
    """Call a shared parser; if it fails on odd text, the text stays in leftover instead."""
    try:
        return parse(text)
    except Exception:  # another step's bug must not lose a whole block
        return None


def unique(numbers: list[Phone]) -> list[Phone]:
    """Each number once ("Tel./Fax" read by both the label and the phone parser)."""
    first: dict[tuple, Phone] = {}
    for number in numbers:
        first.setdefault((number.e164 or number.original, number.extension), number)
    return list(first.values())
