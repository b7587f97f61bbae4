"""The whole normalisation chain under arbitrary input: a record is either a listing or a
rejection with a field and a reason, never an exception; `personal` never unmarks."""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from schema.normalise import personal, to_listings
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
        marked = personal(listing)
        assert marked == listing  # the chain already marked everything personal
        assert all(p.personal for p in listing.phones if p.type == "mobile"
                   and listing.kind == "group")
