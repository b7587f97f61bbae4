"""The linkage rules for contact centres, one general statement each, on invented listings:
how publishers write a centre's name (with or without its carrier or seat, by its kind only,
by its own short name) and what evidence then makes two listings one centre."""

import pytest

from tests.link.test_link import _listing
from warehouse.linkage.rules import same_entity


def centre(source: str, name: str, address: str | None = None, phones=(), emails=(),
           kind: str = "contact_centre") -> dict:
    return {"source": source, "kind": kind, "name": name, "address": address,
            "phones": list(phones), "emails": list(emails)}


def decided(a: dict, b: dict) -> bool:
    x, y = _listing(a, "a"), _listing(b, "b")
    got = same_entity(x, y)
    assert got == same_entity(y, x)  # symmetric
    return got


CASES = [
    # both say only "the contact centre" (a carrier or seat aside) and share a full mailbox:
    # one centre, even with two phone numbers
    (centre("zeitung", "Selbsthilfekontaktstelle des Gesundheitsamtes", phones=["(0611) 31762"],
            emails=["gesundheit@musterstadt.de"]),
     centre("widget", "Selbsthilfekontaktstelle Landeshauptstadt Musterstadt",
            "Konradinerallee 11, Musterstadt", ["06 11 / 31 67 84"],
            ["gesundheit@musterstadt.de"]), True),
    # ... but a body with a name of its own that shares the mailbox is another body
    (centre("zeitung", "Selbsthilfe-Kontaktstelle", phones=["0203 6099041"],
            emails=["selbsthilfe@musterverband.de"]),
     centre("widget", "Landesarbeitskreis Selbsthilfe-Kontaktstellen",
            "Musfeldstraße 16, Musterstadt", ["0203 6099042"],
            ["selbsthilfe@musterverband.de"]), False),
    # a name that says only "the contact centre" and no town, without a place, is not the
    # centre whose name holds its own town
    (centre("zeitung", "Selbsthilfebüro der AWO"),
     centre("widget", "Selbsthilfebüro Neustadt", "Hauptstraße 5, Neustadt", ["09191 700940"],
            ["info@selbsthilfebuero-neustadt.de"]), False),
    # ... while the same name with the town and its carrier in brackets is that centre
    (centre("verband", "Selbsthilfebüro Neustadt (Paritätische Sozialdienste Neustadt gGmbH)"),
     centre("widget", "Selbsthilfebüro Neustadt", "Happelstraße 17a, Neustadt",
            ["07131 6493950"]), True),
    # two listings that both say "the contact centre" in one house are that house's centre
    (centre("stadt", "Ehrenamtszentrale/Kontaktstelle für Selbsthilfegruppen",
            "Kornmarkt 7, Neustadt", emails=["ehrenamt@neustadt.de"]),
     centre("widget", "Stadtverwaltung Neustadt, Kontaktstelle für Selbsthilfegruppen",
            "Kornmarkt 7, Neustadt", ["0365 8381074"], ["kontaktstelle@neustadt.de"]), True),
    # ... and in one town, when one of them gives no contact data to disagree (moved)
    (centre("chronik", "Kontaktstelle für Selbsthilfegruppen", "Seestraße 25a in Neustadt"),
     centre("widget", "Kontakt-, Informations- und Beratungsstelle für Selbsthilfegruppen e.V.",
            "Spieltordamm 9, Neustadt", ["0385 3924333"]), True),
    # ... but a district after a spaced dash is the centre's own name, not part of its seat
    (centre("bezirk", "Selbsthilfe-Kontaktstelle im Nachbarschaftshaus e.V. - Musterbezirk",
            "Königstraße 43, Berlin"),
     centre("widget", "Kontakt- und Informationsstelle für Selbsthilfe",
            "Bismarckstraße 101, Berlin", ["030 89028531"]), False),
    # ... and they are two when they name two different carriers
    (centre("chronik", "Kontaktstelle für Selbsthilfegruppen der Caritas",
            "Seestraße 2, Neustadt"),
     centre("widget", "Kontaktstelle für Selbsthilfegruppen der Diakonie",
            "Bahnhofstraße 9, Neustadt", ["0385 1234567"]), False),
    # a centre's own short name inside the other's long name is as good as the name
    (centre("zeitung", "Kontakt- und Beratungsstelle für Selbsthilfegruppen (Kobes)"),
     centre("widget", "KOBES", "Breiter Weg 251, Neustadt", ["0391 28921062"]), True),
    # ... not a short name many centres share
    (centre("zeitung", "Kontakt- und Informationsstelle für Selbsthilfe im Saarland (KISS)"),
     centre("widget", "KISS", "Futterstraße 27, Neustadt", ["0681 9602130"]), False),
    # ... nor one whose other listing names its own town, which the first does not
    (centre("zeitung", "Regionale Kontakt- und Informationsstelle für Selbsthilfe (REKIS e.V.)"),
     centre("widget", "REKIS Neustadt", "Thiemstraße 55, Neustadt", ["0355 543205"]), False),
    # the town after a full stop is the other's town: the same house of "the contact centre"
    (centre("zeitung", "Neustädter Kontaktstelle für Selbsthilfegruppen",
            "Spieltordamm 9. Neustadt"),
     centre("widget", "Kontakt-, Informations- und Beratungsstelle für Selbsthilfegruppen e.V.",
            "Spieltordamm 9, Neustadt", ["0385 3924333"], ["info@kiss-neustadt.de"]), True),
    # a working group or umbrella of groups is not the centre, even in the centre's town ...
    (centre("verband", "Arbeitsgemeinschaft der Selbsthilfe im Kreis Neustadt",
            kind="organisation"),
     centre("widget", "Selbsthilfe-Kontaktstelle Kreis Neustadt", "Hauptstraße 5, Neustadt",
            ["06341 123456"]), False),
    # ... nor at the centre's own address, with its phone and mailbox
    (centre("zeitung", "Kontakt- und Informationsstelle für Selbsthilfe im Kreis Neustadt",
            "Lindenweg 3 in Neustadt"),
     centre("widget", "Landesarbeitskreis Selbsthilfe-Kontaktstellen c/o KISS e.V.",
            "Lindenweg 3, Neustadt", ["06341 56220"], ["info@kiss-neustadt.de"]), False),
    # "the contact centre" of a seat at the house of a centre in its town is that centre
    (centre("zeitung", "Kontakt- und Informationsstelle für Selbsthilfe im Kreis Neustadt",
            "Lindenweg 3 in Neustadt"),
     centre("widget", "NESI e.V.", "Lindenweg 3, Neustadt", ["06341 56220"],
            ["info@nesi.de"]), True),
    # ... but a street and number without a town may be another town's house
    (centre("zeitung", "Selbsthilfe-Kontaktstelle des Paritätischen", "Lindenweg 3"),
     centre("widget", "NESI", "Lindenweg 3, Neustadt", ["06341 56220"], ["info@nesi.de"]),
     False),
    # "the contact centre" of one carrier of its own, named alike, is one centre ...
    (centre("stadt", "Selbsthilfekontaktstelle im Lebenshilfenetz e.V."),
     centre("widget", "Selbsthilfe-Kontaktstelle im Lebenshilfenetz e.V.",
            "Kirchplatz 7, Neustadt", ["0381 4904925"], ["info@selbsthilfe-neustadt.de"]), True),
    # ... also of one seat of its own, after a move within it
    (centre("zeitung", "Kontaktstelle für Selbsthilfegruppen (Kibis) im Kreis Oberland",
            "Am Anger 4"),
     centre("widget", "KIBIS Kontakt- und Beratungsstelle im Selbsthilfebereich im Oberland",
            "Mühlweg 1, Neustadt", ["04542 9059250"], ["info@kibis-ol.de"]), True),
    # ... but not its branch office, nor the centre of a welfare association that runs many
    (centre("zeitung", "Außenstelle der Kontaktstelle (Kibis) im Kreis Oberland", "Am Anger 4"),
     centre("widget", "KIBIS Kontakt- und Beratungsstelle im Selbsthilfebereich im Oberland",
            "Mühlweg 1, Neustadt", ["04542 9059250"], ["info@kibis-ol.de"]), False),
    (centre("stadt", "Selbsthilfekontaktstelle des Paritätischen"),
     centre("widget", "Selbsthilfe-Kontaktstelle des Paritätischen", "Kirchplatz 7, Neustadt",
            ["0381 4904925"]), False),
    # "the contact centre" whose address is a street alone is the centre on that street ...
    (centre("zeitung", "Selbsthilfekontaktstelle", "Treffpunkt Gesundheit an der Lindenstraße"),
     centre("widget", "Selbsthilfekontaktstelle Neustadt", "Lindenstraße 19, Neustadt",
            ["05841 9747377"]), True),
    (centre("uni", "Selbsthilfebüro der AWO", "Theatergassen"),
     centre("widget", "Kontakt- und Informationsstelle für Selbsthilfegruppen",
            "Theatergassen 7, Neustadt", ["0951 91700940"]), True),
    # ... not a centre on another street
    (centre("zeitung", "Selbsthilfekontaktstelle", "Treffpunkt Gesundheit an der Lindenstraße"),
     centre("widget", "Selbsthilfekontaktstelle Neustadt", "Massener Straße 35, Neustadt",
            ["05841 9747377"]), False),
    # ... nor a building on that street: a building is not the centre in it
    (centre("zeitung", "Begegnungszentrum Wiesenhof", "Lindenstraße", kind="organisation"),
     centre("widget", "Selbsthilfe-Kontaktstelle im Begegnungszentrum Wiesenhof",
            "Lindenstraße 42, Neustadt", ["02151 9619025"]), False),
]


@pytest.mark.parametrize(("a", "b", "same"), CASES, ids=[c[0]["name"][:40] for c in CASES])
def test_contact_centre_rules(a, b, same):
    assert decided(a, b) is same
