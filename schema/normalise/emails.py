"""E-mail addresses: every de-obfuscation in one place — Cloudflare `data-cfemail`, TYPO3's
`linkTo_UnCryptMailto` shift and `remove-this.` insert, "(at)" / "[at]" / "(punkt)" spellings —
and validation of the result (syntax only, never DNS).

`scrapers.bases.html` finds the obfuscated payloads in markup and calls the decoders here; the
normaliser repairs the spellings left in text.
"""

import functools
import re

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from schema.listing import EmailAddress

#: "@" and "." and the bracketed spellings that stand for them ("(at)", "[ät]", "(punkt)"):
#: how `scrapers.bases.html` finds addresses in page text.
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


def decode_typo3_uncrypt(encoded: str, offset: int) -> str:
    """Undo TYPO3's `config.spamProtectEmailAddresses = <offset>` (what the page's
    linkTo_UnCryptMailto JS decrypts with -offset): each character of "mailto:..." was
    shifted by `offset` inside its range, wrapping at the range end. TYPO3 wraps once; for its
    allowed offsets (-10..10) that equals the modular wrap used here."""
    out = []
    for ch in encoded:
        n = ord(ch)
        for start, end in _TYPO3_RANGES:
            if start <= n <= end:
                ch = chr(start + (n - start - offset) % (end - start + 1))
                break
        out.append(ch)
    return "".join(out)


def uncrypt_typo3_mailto(encoded: str) -> str | None:
    """The address behind a TYPO3 token whose offset lives in page JS we do not run: the
    plaintext always starts with "mailto:", which pins the offset down."""
    for offset in (*range(1, 11), *range(-1, -11, -1)):
        plain = decode_typo3_uncrypt(encoded, offset)
        if plain[:7].lower() == "mailto:":
            return plain[7:]
    return None


# ---------------------------------------------------------------------------- normalisation

# The spellings read in text. Bare " at " / " punkt " count only between parts of an address.
_AT_TEXT = r"(?:\s?@\s?|%40|\s*[(\[{<]\s*(?:at|ät|@)\s*[)\]}>]\s*|\s+at\s+)"
_DOT_BRACKET = r"\s*[(\[{<]\s*(?:dot|punkt|\.)\s*[)\]}>]\s*"
_DOT_LOCAL = rf"(?:\.|{_DOT_BRACKET})"
_DOT_DOMAIN = rf"(?:\.|{_DOT_BRACKET}|\s+(?:dot|punkt)\s+)"
# Bounded repeats (RFC 5321: 64 characters local part, 63 a label) keep a scan linear.
_LOCAL = r"[\w+\-!#$&'*=^~]{1,64}"
_LABEL = r"[^\W_](?:[\w\-]{0,61}[^\W_])?"
_ADDRESS = re.compile(
    rf"(?<![\w.+\-!#$&'*=^~])(?P<local>{_LOCAL}(?:{_DOT_LOCAL}{_LOCAL}){{0,8}}){_AT_TEXT}"
    rf"(?P<domain>{_LABEL}(?:{_DOT_DOMAIN}{_LABEL}){{1,8}})(?![\w\-])", re.IGNORECASE)
_DOTS = re.compile(rf"{_DOT_BRACKET}|\s+(?:dot|punkt)\s+", re.IGNORECASE)
_TYPO3 = re.compile(re.escape(TYPO3_INSERT), re.IGNORECASE)


def _assemble(match: re.Match) -> str:
    """The address a match spells: "(punkt)" -> ".", TYPO3's insert dropped."""
    local, domain = (_DOTS.sub(".", match.group(part)) for part in ("local", "domain"))
    return f"{local}@{_TYPO3.sub('', domain)}"


#: The plainest addresses (ASCII letters, digits, "_+-" and dots; a host name of letters,
#: digits and single hyphens under an alphabetic TLD), which email_validator accepts as they
#: are, the domain lower-cased: read here without its slow character-by-character parse
#: (docs/performance.md); `tests/normalise/test_emails_urls.py` holds the two alike.
_PLAIN = re.compile(r"(?P<local>[A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*)@"
                    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
                    r"[A-Za-z]{2,63})", re.ASCII)
_SPECIAL_USE = tuple(SPECIAL_USE_DOMAIN_NAMES)
_MAILBOX_NAMES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


def _plain(candidate: str) -> str | None:
    """`candidate` as email_validator would return it, when it is that plain; else None
    (not: it may still be valid, email_validator decides)."""
    if not (match := _PLAIN.fullmatch(candidate)) or len(candidate) > 254:
        return None
    local, domain = match.group("local"), match.group("domain").lower()
    if (len(local) > 64 or len(domain) > 253 or "--" in domain
            or local.lower() in _MAILBOX_NAMES
            or any(domain == d or domain.endswith("." + d) for d in _SPECIAL_USE)):
        return None
    return f"{local}@{domain}"


@functools.lru_cache(maxsize=4096)
def _validated(candidate: str) -> str | None:
    """The normalised address, or None. Cached: a centre's address stands on every page."""
    if (plain := _plain(candidate)) is not None:
        return plain
    try:
        info = validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return None
    return f"{info.local_part}@{info.domain.lower()}"


def find_addresses(text: str) -> list[tuple[int, int, str | None]]:
    """(start, end, validated address or None) of every address spelled in `text`, so that
    a text can be searched for mailboxes with the same reading as the e-mail field."""
    return [(m.start(), m.end(), _validated(_assemble(m))) for m in _ADDRESS.finditer(text)]


def emails(text: str | None) -> list[EmailAddress]:
    """Every address in `text`, each with its own slice of the text as `original`.
    Syntax only (`check_deliverability=False`: no DNS in a pure function); the domain comes back
    lower-cased and in Unicode form. A string with no address in it is kept raw, invalid."""
    if not text or not text.strip():
        return []
    found: list[EmailAddress] = []
    seen: set[str] = set()
    for start, end, address in find_addresses(text):
        original = text[start:end].strip()
        if address is None:
            found.append(EmailAddress(original=original))
            continue
        if address.lower() not in seen:
            seen.add(address.lower())
            found.append(EmailAddress(address=address, original=original, valid=True))
    if found:
        return found
    return [EmailAddress(original=_at_word(text) or text.strip())]


def _at_word(text: str) -> str | None:
    """The word holding the first "@", without the punctuation around it: a mailbox has no
    spaces, so the sentence around an unreadable one is not part of it."""
    at = text.find("@")
    if at < 0:
        return None
    start = max(text.rfind(c, 0, at) for c in " \t\n") + 1
    ends = [i for i in (text.find(c, at) for c in " \t\n") if i >= 0]
    word = text[start:min(ends, default=len(text))].strip("()[]<>\"'„“”.,;:!?")
    return word if "@" in word else None
