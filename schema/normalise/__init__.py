"""Clean: ordered pure steps from `ScrapedRecord` to a `Listing`.

`to_listings` normalises a whole source run and validates it in one `TypeAdapter` call; records
that fail validation come back as `Rejected` with the field and reason, for quarantine.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

from schema.ids import listing_id
from schema.listing import Listing, Meeting, OpeningHours
from schema.normalise.address import address
from schema.normalise.contact_block import ContactBlock, contact_block
from schema.normalise.contacts import split_contacts
from schema.normalise.emails import emails
from schema.normalise.hours import by_appointment, opening_hours
from schema.normalise.meetings import meetings, on_request
from schema.normalise.organisation import contact_count, online, org_flags
from schema.normalise.personal import mark_personal, personal
from schema.normalise.phones import phones
from schema.normalise.text import clean, one_line
from schema.normalise.topics import topics
from schema.normalise.urls import urls
from schema.records import ScrapedRecord

__all__ = [
    "ContactBlock", "Rejected", "address", "contact_block", "emails", "meetings", "normalise",
    "opening_hours", "personal", "phones", "split_contacts", "to_listings", "topics", "urls",
]

_LISTINGS = TypeAdapter(list[Listing])


@dataclass(frozen=True)
class Rejected:
    record: ScrapedRecord
    field: str
    reason: str


def normalise(record: ScrapedRecord, licence: str) -> dict:
    """One raw record -> the dict form of a `Listing` (validated later, in bulk)."""
    phone_list = [p for text in record.phones_text for p in phones(text)]
    email_list, web_list, flags = split_contacts(record.emails_text, record.web_text,
                                                 record.source_url)
    route, person, phone_list, email_list, private = mark_personal(
        record.kind, record.contact_person, phone_list, email_list)
    flags += [f"phone_invalid:{p.original}" for p in phone_list if not p.valid]
    flags += [f"email_invalid:{e.original}" for e in email_list if not e.valid]
    flags += [f"url_invalid:{w.original}" for w in web_list if not w.valid]
    flags_found, flags_unknown = org_flags(record.flags_text)
    flags += [f"org_flag_unknown:{label}" for label in flags_unknown]
    flags += record.notes
    topic_list = topics(record.topics)  # read once: the unknown labels come from it too
    flags += [f"topic_unknown:{label}"
              for label in dict.fromkeys(t.label for t in topic_list if t.code is None)]
    meeting_text = clean(record.meeting_text)
    hours_text = clean(record.hours_text)
    upstream = record.upstream
    return {
        # a federated record too: its id is in the importing source's namespace, the upstream
        # id stays provenance, so no release can reuse (and replace) another source's listing
        "id": listing_id(record.source_id, record.source_key),
        "source_id": record.source_id,
        "source_key": record.source_key,
        "kind": record.kind,
        "name": one_line(record.name) or "",
        "description": clean(record.description),
        "topics": topic_list,
        "carrier": one_line(record.carrier),
        "address": (None if record.kind == "rare_condition"  # a person's address
                    else address(clean(record.address_text), one_line(record.district))),
        "phones": phone_list,
        "emails": email_list,
        "websites": web_list,
        "opening_hours": hours_text and OpeningHours(osm=opening_hours(hours_text),
                                                     original=hours_text,
                                                     by_appointment=by_appointment(hours_text)),
        "meeting": meeting_text and Meeting(original=meeting_text,
                                            on_request=on_request(meeting_text),
                                            schedule=meetings(meeting_text)),
        "accessibility": clean(record.accessibility_text),
        "online": online(record.online_text),
        "org_type": one_line(record.org_type),
        "parent_id": record.parent_key and listing_id(record.source_id, record.parent_key),
        "org_flags": flags_found,
        "contact_count": contact_count(record.contact_count_text),
        "contact_route": route,
        "contact_person": person,
        "personal_fields": private,
        "flags": flags,
        "provenance": {"source_url": record.source_url, "fetched_at": record.fetched_at,
                       "content_hash": record.content_hash,
                       "upstream": upstream and upstream.model_dump(exclude={"licence"})},
        "licence": (upstream and upstream.licence) or licence,
    }


def to_listings(
    records: Iterable[ScrapedRecord], licence: str
) -> tuple[list[Listing], list[Rejected]]:
    records = list(records)
    rejected: list[Rejected] = []
    rows: list[tuple[ScrapedRecord, dict]] = []
    for rec in records:
        try:
            rows.append((rec, normalise(rec, licence)))
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
