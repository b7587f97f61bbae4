"""Personal data: which values belong to a private person, so publishing can withhold them.

Group contacts are usually private persons, and a group's topic reveals their health: a name
as contact, a mobile number or a private mailbox of a group must never reach a public file.
Free text carries them too ("über das BüZ, Frau Petra Beispiel, Mobil 0171 …"), so every text
that can be published goes through one scan (`findings`) and loses what it names of a person
(`redact`), the rest of the sentence kept readable. What is removed is recorded in
`personal_fields` as "<field>:<kind>" ("description:mobile"), for `withheld.json`; the raw page
stays in the WARC archive.

Per kind of listing:
- groups and rare conditions: every finding is removed (a name with a salutation, a mobile
  number, a private mailbox: free-mail or named, a person's home address: "c/o Frau X",
  "bei Familie Y");
- contact centres and organisations answer on their own landlines and mailboxes: a staff
  member's name or named mailbox (vorname.nachname@) is withheld unless the source's registry
  entry says `staff_contacts = "publish"`; a person's home address is always withheld.
"""

import re

from schema.listing import EmailAddress, Phone
from schema.normalise.personal.kinds import PRIVATE_KINDS, StaffContacts
from schema.normalise.personal.mailboxes import NO_CONTEXT, Context, mailbox_holder
from schema.normalise.personal.redaction import Redactor, withheld
from schema.normalise.text import one_line

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
    phone_list: list[Phone], email_list: list[EmailAddress], kind: str = "group",
    staff_contacts: StaffContacts = "withhold", context: Context = NO_CONTEXT,
) -> tuple[list[Phone], list[EmailAddress]]:
    """A group's mobile number or private mailbox is a volunteer's own, and publishing it would
    tie a named person to a health topic; a named mailbox of an institution's staff member is
    withheld too, unless the source publishes those (institutions answer on their own lines)."""
    private = kind in PRIVATE_KINDS
    phones_out = [p.model_copy(update={"personal": True})
                  if private and p.type == "mobile" else p for p in phone_list]
    emails_out = []
    for e in email_list:
        holder = mailbox_holder(e.address, context)
        if holder and withheld(holder, kind, staff_contacts):
            e = e.model_copy(update={"personal": True})
        emails_out.append(e)
    return phones_out, emails_out


def mark_personal(contact_text: str | None, phone_list: list[Phone],
                  email_list: list[EmailAddress], redactor: Redactor,
                  ) -> tuple[str | None, str | None, list[Phone], list[EmailAddress], list[str]]:
    """(contact route, contact person, phones, e-mails, personal field paths) of one record:
    the values of a private person marked, a route through an institution kept public without
    the person it may name (its findings go to the record's `redactor`). A rare-condition
    entry (NAKOS BLAU) is never stored per person: its contacts are people with that
    condition, so they are dropped here, before anything is written."""
    if redactor.kind == "rare_condition":
        return None, None, [], [], []
    phone_list, email_list = mark_private_contacts(phone_list, email_list, redactor.kind,
                                                   redactor.staff_contacts, redactor.context)
    route, person = contact(contact_text)
    route = redactor.text("contact_route", route)
    fields = ["contact_person"] if person else []
    fields += [f"phones[{i}]" for i, p in enumerate(phone_list) if p.personal]
    fields += [f"emails[{i}]" for i, e in enumerate(email_list) if e.personal]
    return route, person, phone_list, email_list, fields


#: The name of a listing whose whole name was a person's.
ANONYMOUS = {"group": "Selbsthilfegruppe", "rare_condition": "Seltene Erkrankung",
             "contact_centre": "Selbsthilfekontaktstelle", "organisation": "Organisation"}

