"""German phone strings -> E.164 with type, the original always kept.

Issue #4 extends this (ranges with a shared prefix, extensions); the contract stays:
`phones(text) -> list[Phone]`, invalid numbers kept raw with `valid=False`.
"""

import re

import phonenumbers
from phonenumbers import PhoneNumberType

from schema.listing import Phone

_SPLIT = re.compile(r"\s*(?:[;,\n]|\boder\b|\bund\b|\|)\s*", re.IGNORECASE)
_FAX = re.compile(r"\b(?:fax|telefax)\b", re.IGNORECASE)
_LABEL = re.compile(r"^\s*(?:tel(?:efon)?|fon|phone|mobil|handy|fax|telefax)\s*[.:]?\s*",
                    re.IGNORECASE)
_NUMBER = re.compile(r"\+?[\d(][\d\s/().\-–]{4,}\d")
_MOBILE_TYPES = {PhoneNumberType.MOBILE}
_FIXED_TYPES = {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE,
                PhoneNumberType.VOIP, PhoneNumberType.UAN}


def phones(text: str | None) -> list[Phone]:
    if not text:
        return []
    found: list[Phone] = []
    for part in filter(None, _SPLIT.split(text)):
        is_fax = bool(_FAX.search(part))
        for m in _NUMBER.finditer(_LABEL.sub("", part)):
            found.append(_one(m.group(0).strip(), is_fax))
    return found


def _one(original: str, is_fax: bool) -> Phone:
    digits = re.sub(r"[^\d+]", "", original.replace("(0)", ""))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    try:
        number = phonenumbers.parse(digits, "DE")
    except phonenumbers.NumberParseException:
        return Phone(original=original)
    if not phonenumbers.is_valid_number(number):
        return Phone(original=original)
    kind = phonenumbers.number_type(number)
    if is_fax:
        type_ = "fax"
    elif kind in _MOBILE_TYPES:
        type_ = "mobile"
    elif re.search(r"[-/ ]0$", original.strip()):
        type_ = "switchboard"
    elif kind in _FIXED_TYPES:
        type_ = "landline"
    else:
        type_ = "unknown"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, type=type_, original=original, valid=True)
