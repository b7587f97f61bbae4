"""Quality flags: the one table of codes a listing's `flags` may carry.

A flag is "code" or "code:detail". The code is public (every release format carries a listing's
codes); the detail (the invalid phone as written, the moved address, the disagreeing hours) is
not, because it may name a private person: it stays in the warehouse. Each code has a kind:

- repaired: a value was changed or moved to read right (postcode taken out of the city);
- doubtful: the value is published as the source gave it, or only partly understood;
- withheld: a value the source gave is not in the release (invalid or not an address).

Normalisers and scrapers write notes for people ("postcode after city"); `flag_of_note` maps
each onto its code with the table below, so the words can change without the codes changing.
A note the table does not know becomes `note_unclassified` (a test keeps that from happening).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

FlagKind = Literal["repaired", "doubtful", "withheld"]


@dataclass(frozen=True)
class FlagCode:
    code: str
    kind: FlagKind
    field: str  # the listing field it is about: quality counters and withheld.json traces
    description: str
    #: a code this one settles: the importer's doubt once the normaliser repaired the value
    supersedes: str | None = None


#: Every code a listing may carry. Renaming a code is a format change (releases publish it).
FLAG_CODES: tuple[FlagCode, ...] = (
    # contacts
    FlagCode("phone_invalid", "withheld", "phones", "a phone number that could not be read "
             "as a German or international number; not published"),
    FlagCode("email_invalid", "withheld", "emails", "an e-mail address that is not valid; "
             "not published"),
    FlagCode("url_invalid", "withheld", "websites", "a web address that is not an absolute "
             "http(s) URL; not published"),
    FlagCode("email_moved_from_web_field", "repaired", "emails",
             "an e-mail address found in the web field, published as an e-mail address",
             supersedes="email_in_web_field"),
    FlagCode("web_moved_from_email_field", "repaired", "websites",
             "a web address found in the e-mail field, published as a web site",
             supersedes="web_in_email_field"),
    FlagCode("email_in_web_field", "doubtful", "websites",
             "the file's web column holds an e-mail address"),
    FlagCode("web_in_email_field", "doubtful", "emails",
             "the file's e-mail column holds a web address"),
    FlagCode("email_in_phone_field", "doubtful", "phones",
             "the file's phone column holds an e-mail address"),
    FlagCode("contact_copied", "doubtful", "record",
             "a phone number or e-mail address identical to another row's of the file"),
    # address
    FlagCode("postcode_in_city_repaired", "repaired", "address",
             "the postcode was repeated in the city; taken out of the city",
             supersedes="postcode_in_city"),
    FlagCode("postcode_in_city", "doubtful", "address",
             "the file's city column holds a postcode"),
    FlagCode("postcode_field_invalid", "doubtful", "address",
             "the file's postcode column holds no five-digit postcode"),
    FlagCode("postcode_after_city_repaired", "repaired", "address",
             "the postcode stood after the city"),
    FlagCode("comma_before_postcode_repaired", "repaired", "address",
             "street and postcode were not separated"),
    FlagCode("city_from_separate_part_repaired", "repaired", "address",
             "the city was taken from a part apart from the postcode"),
    FlagCode("street_after_city_repaired", "repaired", "address",
             "the street stood after the city"),
    FlagCode("house_number_space_repaired", "repaired", "address",
             "a space was put between street and house number"),
    FlagCode("street_dot_repaired", "repaired", "address",
             "a stray dot after a street name written in full was removed"),
    FlagCode("state_name_disagrees", "doubtful", "address",
             "the state written after the town is not the postcode's; the postcode's is used"),
    FlagCode("postcode_missing", "doubtful", "address", "the address has no postcode"),
    FlagCode("city_missing", "doubtful", "address", "the address has no city"),
    FlagCode("house_number_missing", "doubtful", "address", "the street has no house number"),
    FlagCode("state_unknown", "doubtful", "address",
             "no Bundesland is known for the postcode"),
    FlagCode("phone_in_address", "doubtful", "address", "the address text holds a phone number"),
    FlagCode("address_multiple", "doubtful", "address",
             "the text holds more than one address; the first is published"),
    FlagCode("address_mentions_online", "doubtful", "address",
             "an address that also says the meetings are online"),
    FlagCode("address_mentions_changing_places", "doubtful", "address",
             "an address that also says the place changes"),
    FlagCode("address_mentions_on_request", "doubtful", "address",
             "an address that also says the place is given on request"),
    FlagCode("postcode_old_withheld", "withheld", "address",
             "a four-digit postcode from before 1993; not published"),
    FlagCode("address_not_understood", "withheld", "address",
             "no street or postcode found in the address text; the text is not published"),
    FlagCode("address_too_long", "withheld", "address",
             "the address field holds a long text; not published as an address"),
    FlagCode("address_online", "withheld", "address",
             "the address field says the meetings are online; no address published"),
    FlagCode("address_changing_places", "withheld", "address",
             "the address field says the place changes; no address published"),
    FlagCode("address_on_request", "withheld", "address",
             "the address field says the place is given on request; no address published"),
    # hours and meetings
    FlagCode("hours_not_understood", "doubtful", "opening_hours",
             "office hours published as text only: not understood with confidence"),
    FlagCode("hours_disagree", "doubtful", "opening_hours",
             "the office-hour text and the structured hours of the source disagree"),
    FlagCode("hours_structured_unread", "doubtful", "opening_hours",
             "the file's per-day hours could not be read; the hours text was used"),
    FlagCode("meeting_not_understood", "doubtful", "meeting",
             "meeting rhythm published as text only: not understood with confidence"),
    # place, presence and date (the file importer's fields)
    FlagCode("coordinates_invalid", "withheld", "coordinates",
             "coordinates that are not a latitude/longitude pair; not published"),
    FlagCode("coordinates_swapped_repaired", "repaired", "coordinates",
             "coordinates given as longitude, latitude; turned round"),
    FlagCode("coordinates_outside_germany", "doubtful", "coordinates",
             "coordinates outside Germany"),
    FlagCode("coordinates_disagree", "doubtful", "coordinates",
             "the record's coordinates and its map link's are more than about 200 m apart"),
    FlagCode("map_link_unread", "withheld", "coordinates",
             "a map link without coordinates in it (a short link is not followed); the link "
             "is not published"),
    FlagCode("coordinates_withheld", "withheld", "coordinates",
             "coordinates of a place whose street is not published (a private home, or no "
             "street given): not published, like the address"),
    FlagCode("social_link_invalid", "withheld", "social_links",
             "a social-media link that is not an absolute http(s) URL; not published"),
    FlagCode("as_of_invalid", "doubtful", "record",
             "the source's as-of date (Stand) names no day"),
    # topics and organisation
    FlagCode("topic_unknown", "doubtful", "topics",
             "a topic label that maps to no taxonomy code (the label is published)"),
    FlagCode("org_flag_unknown", "withheld", "org_flags",
             "an organisation flag label that maps to no flag; not published"),
    # the record as a whole
    FlagCode("source_key_repeated", "doubtful", "record",
             "the file repeats the record's key; a key was derived from name and address"),
    FlagCode("differs_on_other_page", "doubtful", "record",
             "another page of the source says something else; the first page's value is used"),
    FlagCode("note_unclassified", "doubtful", "record",
             "a note of the importer that has no code yet"),
)

FLAGS: dict[str, FlagCode] = {f.code: f for f in FLAG_CODES}

#: Notes written for people -> code. A pattern's `detail` group is kept after the colon
#: (in the warehouse only). Address notes are `schema.normalise.address`'s, the rest the
#: scrapers' (`scrapers.importers.files`, `scrapers.bases.topiclist`).
NOTE_CODES: tuple[tuple[str, str], ...] = (
    (r"too long for an address; kept raw", "address_too_long"),
    (r"no street or postcode found; kept raw", "address_not_understood"),
    (r"not an address: online", "address_online"),
    (r"not an address: changing places", "address_changing_places"),
    (r"not an address: place on request", "address_on_request"),
    (r"doubt: online", "address_mentions_online"),
    (r"doubt: changing places", "address_mentions_changing_places"),
    (r"doubt: place on request", "address_mentions_on_request"),
    (r"no postcode", "postcode_missing"),
    (r"no city", "city_missing"),
    (r"no house number", "house_number_missing"),
    (r"phone number in address text", "phone_in_address"),
    (r"more than one address; the first is used", "address_multiple"),
    (r"state unknown for postcode (?P<detail>.*)", "state_unknown"),
    (r"comma missing before postcode", "comma_before_postcode_repaired"),
    (r"postcode after city", "postcode_after_city_repaired"),
    (r"four-digit postcode from before 1993 ignored", "postcode_old_withheld"),
    (r"city taken from a separate part", "city_from_separate_part_repaired"),
    (r"street after city", "street_after_city_repaired"),
    (r"space inserted between street and house number", "house_number_space_repaired"),
    (r"stray dot after the street name removed", "street_dot_repaired"),
    (r"state name (?P<detail>.*) disagrees with the postcode; postcode used",
     "state_name_disagrees"),
    (r"postcode repeated in the town; kept once", "postcode_in_city_repaired"),
    (r"web_text holds an e-mail address (?P<detail>.*)", "email_in_web_field"),
    (r"emails_text holds a web address (?P<detail>.*)", "web_in_email_field"),
    (r"phones_text holds an e-mail address (?P<detail>.*)", "email_in_phone_field"),
    (r"city holds a postcode (?P<detail>.*)", "postcode_in_city"),
    (r"postcode holds no five-digit postcode (?P<detail>.*)", "postcode_field_invalid"),
    (r"contact data identical to (?P<detail>.*)", "contact_copied"),
    (r"source key (?P<detail>.* repeated from row .*)", "source_key_repeated"),
    (r"file\.hours\.(?P<detail>\w+): no (?:entry with a day found|list or object of days).*",
     "hours_structured_unread"),
    (r"(?P<detail>\w+ differs on .*)", "differs_on_other_page"),
)
_NOTES = tuple((re.compile(pattern, re.DOTALL), code) for pattern, code in NOTE_CODES)


def flag(code: str, detail: str | None = None) -> str:
    """"code:detail" (or the code alone); KeyError for a code not in the table, so a
    normaliser cannot invent one."""
    return FLAGS[code].code + (f":{detail}" if detail else "")


def code_of(text: str) -> str:
    return text.partition(":")[0]


def flag_of_note(note: str) -> str:
    """The flag of a note: a note that is a flag already ("hours_disagree:…") stays; a note
    for people is mapped by `NOTE_CODES`; anything else is `note_unclassified`."""
    if code_of(note) in FLAGS:
        return note
    for pattern, code in _NOTES:
        if m := pattern.fullmatch(note):
            return flag(code, m.groupdict().get("detail"))
    return flag("note_unclassified", note)


def settle(flags: Iterable[str]) -> list[str]:
    """Flags once each, in order, without those a repair made redundant (the importer's
    "city holds a postcode" once the normaliser took the postcode out)."""
    unique = list(dict.fromkeys(flags))
    settled = {FLAGS[c].supersedes for c in map(code_of, unique) if c in FLAGS}
    return [f for f in unique if code_of(f) not in settled]


def codes(flags: Iterable[str]) -> list[str]:
    """The public part of flags: known codes, each once, sorted."""
    return sorted({c for c in map(code_of, flags) if c in FLAGS})
