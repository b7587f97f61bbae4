"""Personal data: which values belong to a private person, so publishing can withhold them.

Group contacts are usually private persons, and a group's topic reveals their health: a name
as contact, a mobile number or a private mailbox of a group must never reach a public file.
"""

import re

from schema.listing import EmailAddress, Listing, Phone
from schema.normalise.text import one_line

#: Mailbox providers for private persons; an address there is never an organisation's own.
FREEMAIL_DOMAINS = frozenset({
    "gmx.de", "gmx.net", "gmx.at", "web.de", "t-online.de", "gmail.com", "googlemail.com",
    "yahoo.de", "yahoo.com", "outlook.de", "outlook.com", "hotmail.de", "hotmail.com",
    "live.de", "freenet.de", "aol.com", "aol.de", "icloud.com", "posteo.de", "mail.de",
    "arcor.de", "online.de", "email.de", "vodafone.de", "kabelmail.de", "mailbox.org",
})


_ROUTE = re.compile(
    r"^(?:über|via|durch|bei|beim|im|in der)\b|kontaktstelle|selbsthilfebüro|service-büro|"
    r"\bbüz\b|\bbuez\b|geschäftsstelle|gesundheitsamt|netzwerk", re.IGNORECASE)


def contact(text: str | None) -> tuple[str | None, str | None]:
    """(route, person): "über das BüZ" is a public route through an institution; anything
    else in a contact field ("Renate", "Herr Brandt") is taken for a private person."""
    text = one_line(text)
    if text and _ROUTE.search(text):
        return text, None
    return None, text


def mark_private_contacts(
    phone_list: list[Phone], email_list: list[EmailAddress]
) -> tuple[list[Phone], list[EmailAddress]]:
    """A group's mobile number or free-mail address belongs to a private person.

    Contact centres and associations answer on landlines and their own domains; a group member
    who volunteers as contact uses their own phone or mailbox, and publishing it would tie a
    named person to a health topic.
    """
    phones_out = [p.model_copy(update={"personal": True}) if p.type == "mobile" else p
                  for p in phone_list]
    emails_out = [
        e.model_copy(update={"personal": True})
        if e.address and e.address.rsplit("@", 1)[-1] in FREEMAIL_DOMAINS else e
        for e in email_list
    ]
    return phones_out, emails_out


def mark_personal(kind: str, contact_text: str | None, phone_list: list[Phone],
                  email_list: list[EmailAddress]) -> tuple[str | None, str | None, list[Phone],
                                                           list[EmailAddress], list[str]]:
    """(contact route, contact person, phones, e-mails, personal field paths) of one record:
    the values of a private person marked, a route through an institution kept public.
    A rare-condition entry (NAKOS BLAU) is never stored per person: its contacts are people
    with that condition, so they are dropped here, before anything is written."""
    if kind == "rare_condition":
        return None, None, [], [], []
    if kind == "group":
        phone_list, email_list = mark_private_contacts(phone_list, email_list)
    route, person = contact(contact_text)
    fields = ["contact_person"] if person else []
    fields += [f"phones[{i}]" for i, p in enumerate(phone_list) if p.personal]
    fields += [f"emails[{i}]" for i, e in enumerate(email_list) if e.personal]
    return route, person, phone_list, email_list, fields


def personal(listing: Listing) -> Listing:
    """`listing` with every value of a private person marked (and listed in
    `personal_fields`), so that publishing withholds them; idempotent."""
    contact_text = listing.contact_person or listing.contact_route
    route, person, phone_list, email_list, fields = mark_personal(
        listing.kind, contact_text, listing.phones, listing.emails)
    return listing.model_copy(update={
        "contact_route": route, "contact_person": person, "phones": phone_list,
        "emails": email_list, "personal_fields": fields})
