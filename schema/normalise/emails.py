"""E-mail addresses: every de-obfuscation in one place — Cloudflare `data-cfemail`, TYPO3's
`linkTo_UnCryptMailto` shift and `remove-this.` insert, "(at)" / "[at]" / "(punkt)" spellings —
and validation of the result (syntax only, never DNS).

`scrapers.html` finds the obfuscated payloads in markup and calls the decoders here; the
normaliser repairs the spellings left in text.
"""

import re

from email_validator import EmailNotValidError, validate_email

from schema.listing import EmailAddress

#: "@" and "." and the bracketed spellings that stand for them ("(at)", "[ät]", "(punkt)"):
#: how `scrapers.html` finds addresses in page text.
AT = r"(?:@|\s?[(\[{]\s?(?:at|ät|@)\s?[)\]}]\s?)"
DOT = r"(?:\.|\s?[(\[{]\s?(?:dot|punkt)\s?[)\]}]\s?)"
#: What TYPO3 inserts into the shown text of a protected address.
TYPO3_INSERT = "remove-this."
# TYPO3 shifts three character ranges separately: "+,-./0-9:", "@A-Z" and "a-z".
_TYPO3_RANGES = ((0x2B, 0x3A), (0x40, 0x5A), (0x61, 0x7A))


def decode_cfemail(hex_string: str) -> str:
    """Cloudflare's e-mail protection: hex bytes, the first the XOR key for the rest (UTF-8)."""
    data = bytes.fromhex(hex_string.strip())
    if len(data) < 2:
        raise ValueError(f"cfemail too short: {hex_string!r}")
    key = data[0]
    return bytes(b ^ key for b in data[1:]).decode("utf-8")


def _typo3_shift(text: str, shift: int) -> str:
    out = []
    for ch in text:
        n = ord(ch)
        for start, end in _TYPO3_RANGES:
            if start <= n <= end:
                ch = chr(start + (n - start + shift) % (end - start + 1))
                break
        out.append(ch)
    return "".join(out)


def decode_typo3_uncrypt(encoded: str, offset: int) -> str:
    """Undo TYPO3's `config.spamProtectEmailAddresses = <offset>` (what the page's
    linkTo_UnCryptMailto JS decrypts with -offset): each character of "mailto:..." was
    shifted by `offset` inside its range, wrapping at the range end. TYPO3 wraps once; for its
    allowed offsets (-10..10) that equals the modular wrap used here."""
    return _typo3_shift(encoded, -offset)


def uncrypt_typo3_mailto(encoded: str) -> str | None:
    """The address behind a TYPO3 token whose offset lives in page JS we do not run: the
    plaintext always starts with "mailto:", which pins the offset down."""
    for offset in (*range(1, 11), *range(-1, -11, -1)):
        plain = decode_typo3_uncrypt(encoded, offset)
        if plain[:7].lower() == "mailto:":
            return plain[7:]
    return None


# Repairs of the spellings, including a bare " at " which only follows a candidate address.
_AT = re.compile(r"\s*(?:\(at\)|\[at\]|\{at\}|\s+at\s+|\(ät\)|@)\s*", re.IGNORECASE)
_DOT = re.compile(r"\s*(?:\(punkt\)|\[punkt\]|\(dot\)|\[dot\])\s*", re.IGNORECASE)
_CANDIDATE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)


def deobfuscate(text: str) -> str:
    text = re.sub(r"^mailto:", "", text.strip(), flags=re.IGNORECASE)
    text = text.replace(TYPO3_INSERT, "").replace(TYPO3_INSERT.upper(), "")
    return _DOT.sub(".", _AT.sub("@", text))


def emails(text: str | None) -> list[EmailAddress]:
    """Every address in `text`; an unreadable string is kept raw with `valid=False`."""
    if not text or not text.strip():
        return []
    found = _CANDIDATE.findall(deobfuscate(text))
    if not found:
        return [EmailAddress(original=text.strip())]
    result = []
    for candidate in found:
        try:
            info = validate_email(candidate, check_deliverability=False)
        except EmailNotValidError:
            result.append(EmailAddress(original=text.strip()))
            continue
        result.append(EmailAddress(address=info.normalized.lower(), original=text.strip(),
                                   valid=True))
    return result
