"""The whole normalisation chain under arbitrary input: a record is either a listing or a
rejection with a field and a reason, never an exception; what it publishes names no person."""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from schema.normalise import to_listings
from schema.normalise.personal import mark_private_contacts
from schema.normalise.personal.mailboxes import Context
from schema.normalise.personal.redaction import redact
from schema.records import ScrapedRecord

text = st.one_of(st.none(), st.text(max_size=200))
texts = st.lists(st.text(max_size=80), max_size=4)


@st.composite
def records(draw) -> ScrapedRecord:
    return ScrapedRecord(
        source_id="fuzz", source_key=draw(st.text(min_size=1, max_size=20)),
        source_url="https://fuzz.example.org/x", fetched_at=datetime(2026, 1, 1, tzinfo=UTC),
        kind=draw(st.sampled_from(["group", "contact_centre", "organisation"])),
        name=draw(text), description=draw(text), carrier=draw(text), address_text=draw(text),
        district=draw(text), phones_text=draw(texts), emails_text=draw(texts),
        web_text=draw(texts), hours_text=draw(text), meeting_text=draw(text),
        topics=draw(texts), contact_person=draw(text), online_text=draw(text),
        org_type=draw(text), flags_text=draw(texts), contact_count_text=draw(text),
    )


@settings(max_examples=300, deadline=None)
@given(records())
def test_chain_never_raises(record):
    listings, rejected = to_listings([record], "CC0-1.0")
    assert len(listings) + len(rejected) == 1
    for r in rejected:
        assert r.field and r.reason
    for listing in listings:
        assert listing.name.strip()
        assert_nothing_left_to_mark(listing)
        assert all(p.personal for p in listing.phones if p.type == "mobile"
                   and listing.kind == "group")


def assert_nothing_left_to_mark(listing) -> None:
    """The chain already marked everything personal: a second pass over its output finds no
    person in a published text and no unmarked private phone or mailbox."""
    place = listing.address
    context = Context(listing.name, listing.carrier, *(t.label for t in listing.topics),
                      place and place.original, place and place.district,
                      *(w.url for w in listing.websites))
    address = [getattr(place, part) for part in ("extra", "street", "house_number", "city",
                                                 "district", "original")] if place else []
    texts = [listing.name, listing.description, listing.carrier, listing.org_type,
             listing.accessibility, listing.contact_route, *(t.label for t in listing.topics),
             *address,
             *(h and h.original for h in (listing.meeting, listing.opening_hours,
                                           listing.phone_hours))]
    for value in texts:
        assert redact(value, listing.kind, context=context) == (value, [])
    assert mark_private_contacts(listing.phones, listing.emails, listing.kind,
                                 context=context) == (listing.phones, listing.emails)
