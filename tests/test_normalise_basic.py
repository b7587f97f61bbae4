"""The normalisation contract the pipeline relies on (issue #4 deepens each step)."""

from schema.ids import listing_id
from schema.normalise import address, phones, to_listings
from schema.normalise.emails import emails
from schema.normalise.urls import urls
from tests.factories import record


def test_ids_are_deterministic_and_source_scoped():
    assert listing_id("herne", "1017") == listing_id("herne", "1017")
    assert listing_id("herne", "1017") != listing_id("hamm", "1017")
    # published ids must never change: pinned
    assert str(listing_id("herne", "1017")) == "de94a773-b774-5b33-a8eb-99f8b021b020"


def test_herne_phone_styles_are_one_number():
    for text in ("0 23 23 / 16 - 36 36", "02323 16-3636", "(02323) 16 36 36"):
        (phone,) = phones(text)
        assert phone.e164 == "+492323163636" and phone.valid and phone.original == text


def test_phone_types_and_invalid_kept_raw():
    fax, mobile = phones("Fax: 02323 16-3637; Mobil 0171 2345678")
    assert (fax.type, mobile.type) == ("fax", "mobile")
    (bad,) = phones("Tel. 123 45")
    assert not bad.valid and bad.e164 is None and bad.original == "123 45"


def test_emails_deobfuscated_and_invalid_kept():
    (e,) = emails("info(at)buez-herne(punkt)de")
    assert e.address == "info@buez-herne.de" and e.valid
    (bad,) = emails("bitte im Büro erfragen")
    assert not bad.valid and bad.original == "bitte im Büro erfragen"


def test_urls_only_http():
    (w,) = urls("www.selbsthilfe-herne.de")
    assert w.url == "https://www.selbsthilfe-herne.de" and w.valid
    (bad,) = urls("javascript:alert(1)")
    assert not bad.valid and bad.url is None


def test_address_parts_and_extras_apart():
    a = address("Erkrather Straße 385, Geb. E, 40231 Düsseldorf")
    assert (a.street, a.house_number, a.extra, a.postcode, a.city) == (
        "Erkrather Straße", "385", "Geb. E", "40231", "Düsseldorf")
    assert address("Chemnitzer Str. 41\n59067 Hamm").house_number == "41"
    room = address("Gruppenraum 2, BüZ, Rathausstraße 6, 44649 Herne")
    assert (room.street, room.house_number, room.extra) == (
        "Rathausstraße", "6", "Gruppenraum 2, BüZ")


def test_group_private_contacts_are_flagged_not_dropped():
    (listing,), rejected = to_listings([record(
        "1", contact_person="Erika M.", phones_text=["0171 2345678", "02323 16-3636"],
        emails_text=["erika@gmx.de", "gruppe@selbsthilfe-herne.de"])], "CC0-1.0")
    assert not rejected
    assert [p.personal for p in listing.phones] == [True, False]
    assert [e.personal for e in listing.emails] == [True, False]
    assert listing.personal_fields == ["contact_person", "phones[0]", "emails[0]"]
    assert listing.contact_person == "Erika M."


def test_bad_record_is_rejected_with_field_others_pass():
    good, bad = record("1"), record("2", name="   ")
    result, rejected = to_listings([good, bad], "CC0-1.0")
    assert [x.source_key for x in result] == ["1"]
    assert [(r.record.source_key, r.field) for r in rejected] == [("2", "name")]


def test_meeting_on_request_recognised():
    (listing,), _ = to_listings([record("1", meeting_text="Termine und Treffpunkte im BüZ "
                                                          "erfragen")], "CC0-1.0")
    assert listing.meeting.on_request and listing.meeting.original.startswith("Termine")


def test_contact_route_is_public_a_person_is_not():
    route, person = to_listings([record("1", contact_person="über das BüZ"),
                                 record("2", contact_person="Renate")], "CC0-1.0")[0]
    assert (route.contact_route, route.contact_person, route.personal_fields) == (
        "über das BüZ", None, [])
    assert (person.contact_route, person.contact_person) == (None, "Renate")
    assert person.personal_fields == ["contact_person"]
