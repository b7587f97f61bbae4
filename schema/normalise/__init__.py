"""Clean: ordered pure steps from `ScrapedRecord` to a `Listing`.

`to_listings` normalises a whole source run and validates it in one `TypeAdapter` call; records
that fail validation come back as `Rejected` with the field and reason, for quarantine.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import TypeAdapter, ValidationError

from schema.ids import listing_id
from schema.listing import (
    Address,
    Coordinates,
    EmailAddress,
    Listing,
    Meeting,
    OpeningHours,
    Phone,
    SocialLink,
    Website,
)
from schema.normalise.address import address
from schema.normalise.contacts import split_contacts
from schema.normalise.flags import flag, flag_of_note, settle
from schema.normalise.hours import (
    by_appointment,
    days_text,
    disagreement,
    office_text,
    opening_hours,
    phone_hours,
    phone_text,
    structured_hours,
)
from schema.normalise.meetings import meetings, on_request
from schema.normalise.organisation import contact_count, online, org_flags
from schema.normalise.personal import ANONYMOUS, mark_personal
from schema.normalise.personal.kinds import PRIVATE_KINDS, StaffContacts
from schema.normalise.personal.mailboxes import Context, mailbox_holder
from schema.normalise.personal.redaction import Redactor
from schema.normalise.phones import phones
from schema.normalise.places import as_of, place_coordinates, profile_name, social_links
from schema.normalise.text import clean, one_line
from schema.normalise.topics import topics
from schema.records import ScrapedRecord

_LISTINGS = TypeAdapter(list[Listing])


@dataclass(frozen=True)
class Rejected:
    record: ScrapedRecord
    field: str
    reason: str


def normalise(record: ScrapedRecord, licence: str,
              staff_contacts: StaffContacts = "withhold") -> dict:
    """One raw record -> the dict form of a `Listing` (validated later, in bulk). Every text
    that may be published loses what it names of a private person here (`Redactor`), so no
    writer can publish it; the raw page stays archived."""
    phone_list = [p for text in record.phones_text for p in phones(text)]
    email_list, web_list, flags = split_contacts(record.emails_text, record.web_text,
                                                 record.source_url)
    name, address_text, district = (one_line(record.name), clean(record.address_text),
                                    one_line(record.district))
    labels = [one_line(raw) for raw in record.topics]
    context = Context(name, one_line(record.carrier), *labels, address_text, district,
                            *(w.url for w in web_list))
    redactor = Redactor(record.kind, staff_contacts, context)
    route, person, phone_list, email_list, private = mark_personal(
        record.contact_person, phone_list, email_list, redactor)
    text = redactor.text
    flags += invalid_flags(phone_list, email_list, web_list)
    flags_found, flags_unknown = org_flags(record.flags_text)
    flags += [flag("org_flag_unknown", label) for label in flags_unknown]
    flags += [flag_of_note(note) for note in record.notes]
    topic_list = topics([redacted for label in labels  # read once: unknown labels too
                         if (redacted := text("topics", label))])
    flags += [flag("topic_unknown", label)
              for label in dict.fromkeys(t.label for t in topic_list if t.code is None)]
    meeting = record_meeting(text("meeting", clean(record.meeting_text)))
    hours_text = text("opening_hours", clean(record.hours_text))
    hours, phone_times, hours_flags = record_hours(record, hours_text, text)
    flags += hours_flags
    place, home = record_address(record.kind, address_text, district, redactor)
    coords, coords_flags = place_coordinates(record.coordinates_text, record.map_url)
    coords, withheld = publishable_coordinates(coords, place, home, record.kind)
    flags += coords_flags + withheld
    social, social_flags = private_social_links(record, context, staff_contacts)
    as_of_date, as_of_flags = as_of(record.as_of_text)
    flags += social_flags + as_of_flags
    flags += [flag_of_note(note) for note in (place.notes if place else [])]
    flags += understood_flags(hours, meeting)
    return {
        # a federated record too: its id is in the importing source's namespace, the upstream
        # id stays provenance, so no release can reuse (and replace) another source's listing
        "id": listing_id(record.source_id, record.source_key),
        "source_id": record.source_id,
        "source_key": record.source_key,
        "kind": record.kind,
        "name": (name and (text("name", name) or ANONYMOUS[record.kind])) or "",
        "description": text("description", clean(record.description)),
        "topics": topic_list,
        "carrier": text("carrier", one_line(record.carrier)),
        "address": place,
        "phones": phone_list,
        "emails": email_list,
        "websites": web_list,
        "social_links": social,
        "coordinates": coords,
        "opening_hours": hours,
        "phone_hours": phone_times,
        "meeting": meeting,
        "accessibility": text("accessibility", clean(record.accessibility_text)),
        "online": online(record.online_text),
        "org_type": text("org_type", one_line(record.org_type)),
        "parent_id": record.parent_key and listing_id(record.source_id, record.parent_key),
        "org_flags": flags_found,
        "contact_count": contact_count(record.contact_count_text),
        "contact_route": route,
        "contact_person": person,
        # and what the texts named of a person, found while they were read above
        "personal_fields": private + redactor.found + [
            f"social_links[{i}]" for i, link in enumerate(social) if link.personal],
        "flags": settle(flags),
        **provenance(record, licence, as_of_date),
    }


def invalid_flags(phone_list: list[Phone], email_list: list[EmailAddress],
                  web_list: list[Website]) -> list[str]:
    """A flag for every contact kept raw because it was not understood."""
    return ([flag("phone_invalid", p.original) for p in phone_list if not p.valid]
            + [flag("email_invalid", e.original) for e in email_list if not e.valid]
            + [flag("url_invalid", w.original) for w in web_list if not w.valid])


def record_address(kind: str, address_text: str | None, district: str | None,
                   redactor: Redactor) -> tuple[Address | None, bool]:
    """(address, whether it is a person's home): a home keeps no street, a rare condition's
    address (a person's) is not read at all."""
    if kind == "rare_condition":
        return None, False
    before = len(redactor.found)
    place = address(redactor.text("address", address_text), redactor.text("address", district))
    home = len(redactor.found) > before
    if place is not None and home:
        place = place.model_copy(update={"street": None, "house_number": None})
    return place, home


def record_meeting(meeting_text: str | None) -> Meeting | None:
    return meeting_text and Meeting(original=meeting_text, on_request=on_request(meeting_text),
                                    schedule=meetings(meeting_text))


def provenance(record: ScrapedRecord, licence: str, as_of_date: object) -> dict:
    """Where the listing comes from and under which licence (a federated record: its own)."""
    upstream = record.upstream
    return {
        "provenance": {"source_url": record.source_url, "fetched_at": record.fetched_at,
                       "content_hash": record.content_hash, "as_of": as_of_date,
                       "upstream": upstream and upstream.model_dump(exclude={"licence"})},
        "licence": (upstream and upstream.licence) or licence,
    }


def record_hours(record: ScrapedRecord, hours_text: str | None, text) -> tuple[
        OpeningHours | None, OpeningHours | None, list[str]]:
    """(office hours, phone hours, flags). A file's structured hours win over the text: they
    were entered field by field, the text is the fallback when they are missing or not
    understood; both understood and different is flagged `hours_disagree:<days>`. Phone
    times (their own column or list, or lines of the hours text saying so) never become
    office hours. `text` is the record's redactor."""
    days = structured_hours(text("opening_hours", clean(days_text(record.hours_days))))
    from_text = opening_hours(hours_text)
    flags = []
    if days.osm and from_text and days.osm != from_text:
        flags.append(f"hours_disagree:{disagreement(days.text, hours_text)}")
    original = office_text(hours_text) or days.text
    office = original and OpeningHours(
        osm=days.osm or from_text, original=original,
        by_appointment=days.by_appointment or by_appointment(hours_text))
    phone_days = structured_hours(text("phone_hours", clean(days_text(record.phone_hours_days))))
    phone_column = text("phone_hours", clean(record.phone_hours_text))
    for original, osm in (
            (phone_days.text, phone_days.osm or phone_days.phone_osm),
            (phone_column, phone_column and (phone_hours(phone_column)
                                             or opening_hours(phone_column))),
            (days.text if days.phone_osm else None, days.phone_osm),
            (phone_text(hours_text), phone_hours(hours_text))):
        if original:
            return office or None, OpeningHours(osm=osm, original=original), flags
    return office or None, None, flags


def publishable_coordinates(coords: Coordinates | None, place: Address | None, home: bool,
                            kind: str) -> tuple[Coordinates | None, list[str]]:
    """Coordinates travel with the street: a group's point may be a private home, so where the
    street is not published (a person's home, a rare condition, no street given) neither are
    they. A home's and a rare condition's are not kept at all, like the street."""
    if coords is None:
        return None, []
    if kind == "rare_condition" or home:
        return None, [flag("coordinates_withheld")]
    if place is None or place.street is None:
        return coords, [flag("coordinates_withheld")]  # kept; warehouse.release.public drops it
    return coords, []


def private_social_links(record: ScrapedRecord, context: Context,
                         staff_contacts: StaffContacts) -> tuple[list[SocialLink], list[str]]:
    """(links, flags): a profile named like a person ("facebook.com/petra.beispiel") is marked
    personal, as a named mailbox is (`personal.mailbox_holder`); a rare condition keeps none."""
    if record.kind == "rare_condition":
        return [], []
    links, flags = social_links(record.social_text)
    if record.kind not in PRIVATE_KINDS and staff_contacts == "publish":
        return links, flags
    marked = []
    for link in links:
        name = profile_name(link)
        host = urlsplit(link.url or "").hostname or "x.invalid"
        if name and mailbox_holder(f"{name}@{host}", context) == "named":
            link = link.model_copy(update={"personal": True})
        marked.append(link)
    return marked, flags


def understood_flags(hours: OpeningHours | None, meeting: Meeting | None) -> list[str]:
    """Hours and meetings published as text only: what `shg quality` counts as invalid."""
    out = []
    if hours and hours.osm is None and not hours.by_appointment:
        out.append(flag("hours_not_understood"))
    if meeting and not meeting.on_request and meeting.schedule is None:
        out.append(flag("meeting_not_understood"))
    return out


def to_listings(
    records: Iterable[ScrapedRecord], licence: str, staff_contacts: StaffContacts = "withhold"
) -> tuple[list[Listing], list[Rejected]]:
    """Listings of one source run; `staff_contacts` is the source's registry setting."""
    records = list(records)
    rejected: list[Rejected] = []
    rows: list[tuple[ScrapedRecord, dict]] = []
    for rec in records:
        try:
            rows.append((rec, normalise(rec, licence, staff_contacts)))
        except Exception as exc:  # a normaliser bug must quarantine one record, not the run
            rejected.append(Rejected(rec, "(normalise)", f"{type(exc).__name__}: {exc}"))
    try:
        return _LISTINGS.validate_python([d for _, d in rows]), rejected
    except ValidationError as exc:
        bad: dict[int, str] = {}
        for err in exc.errors():
            index, *path = err["loc"]
            bad.setdefault(int(index), ".".join(map(str, path)) + f": {err['msg']}")
    good = [d for i, (_, d) in enumerate(rows) if i not in bad]
    for i, reason in bad.items():
        field, _, msg = reason.partition(": ")
        rejected.append(Rejected(rows[i][0], field or "(record)", msg))
    return _LISTINGS.validate_python(good), rejected
