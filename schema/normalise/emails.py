"""E-mail strings -> validated addresses (syntax only, never DNS), obfuscations undone."""

import re

from email_validator import EmailNotValidError, validate_email

from schema.listing import EmailAddress

_AT = re.compile(r"\s*(?:\(at\)|\[at\]|\{at\}|\s+at\s+|\(ät\)|@)\s*", re.IGNORECASE)
_DOT = re.compile(r"\s*(?:\(punkt\)|\[punkt\]|\(dot\)|\[dot\])\s*", re.IGNORECASE)
_CANDIDATE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.UNICODE)


def deobfuscate(text: str) -> str:
    text = re.sub(r"^mailto:", "", text.strip(), flags=re.IGNORECASE)
    text = text.replace("remove-this.", "").replace("REMOVE-THIS.", "")
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
