"""E-mail and web fields read together: sources put a web address in the e-mail field and an
e-mail address (often a "mailto:" link) in the web field. Each such value moves to the field it
belongs to, and every move is reported as a flag (`email_moved_from_web_field`,
`web_moved_from_email_field`) so a researcher can see it was made."""

import re

from schema.listing import EmailAddress, Website
from schema.normalise.emails import emails
from schema.normalise.flags import flag
from schema.normalise.urls import find_urls, urls

#: Web addresses inside a web field whose query may hold an e-mail ("?mail=a@x.de"): masked
#: before e-mails are looked for, so only addresses standing on their own move.
_WEB_TOKEN = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)


def split_contacts(
    emails_texts: list[str], web_texts: list[str], base: str | None
) -> tuple[list[EmailAddress], list[Website], list[str]]:
    """(e-mails, web sites, flags) of a record's e-mail and web fields, each value in its field.
    In an e-mail field only absolute web forms move ("www.x.de", "https://…", "x.de"): a
    relative path there would be a guess. A string that was only the moved value leaves no
    invalid entry behind in the field it came from."""
    mail_list: list[EmailAddress] = []
    web_list: list[Website] = []
    moved_mail: list[EmailAddress] = []
    moved_web: list[Website] = []
    for text in emails_texts:
        found, sites = _email_field(text or "", base)
        mail_list += found
        moved_web += sites
    for text in web_texts:
        found, addresses = _web_field(text or "", base)
        web_list += found
        moved_mail += addresses
    flags = _add_moved(mail_list, moved_mail, "address", "email_moved_from_web_field")
    flags += _add_moved(web_list, moved_web, "url", "web_moved_from_email_field")
    return mail_list, web_list, flags


def _email_field(text: str, base: str | None) -> tuple[list[EmailAddress], list[Website]]:
    """(its e-mails, the web sites standing in it on their own)."""
    found = emails(text)
    rest = text
    for e in found:  # "info (at) x.de": the domain of an address is no web site
        if e.valid or e.original != rest.strip():
            rest = rest.replace(e.original, " ")
    sites = [w for w in find_urls(rest, base, relative=False) if w.valid]
    if sites:
        found = [e for e in found if e.valid or e.original != text.strip()]
    return found, sites


def _web_field(text: str, base: str | None) -> tuple[list[Website], list[EmailAddress]]:
    """(its web sites, the e-mail addresses standing in it on their own)."""
    found = urls(text, base)
    addresses = [e for e in emails(_WEB_TOKEN.sub(" ", text)) if e.valid]
    if addresses:
        found = [w for w in found
                 if w.valid or ("@" not in w.original and w.original != text.strip())]
    return found, addresses


def _add_moved(into: list, moved: list, key: str, flag_name: str) -> list[str]:
    """Append each moved value not yet in `into` (by its `key` attribute); a flag for each."""
    known = {getattr(v, key) for v in into if getattr(v, key)}
    flags = []
    for value in moved:
        if getattr(value, key) not in known:
            known.add(getattr(value, key))
            into.append(value)
            flags.append(flag(flag_name, getattr(value, key)))
    return flags
