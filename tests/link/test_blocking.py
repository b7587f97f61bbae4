"""The fast candidate search loses no link: it links exactly what scoring every pair of every
block (postcode, city, exact name, small contact block) links, as the linkage once did.

The reference below is that brute force, written out here so that it cannot drift with the
code under test. Inputs: every listing of the labelled pairs at once (many share a town,
phones and a meeting place), hand-made edge cases of the search (acronyms, 1–2 letter names,
town words in names, numbered groups, shared switchboards), and a synthetic corpus from
bench.link with cross-source duplicates."""

from itertools import combinations

from bench.link import build_world
from schema.normalise import to_listings
from schema.records import ScrapedRecord
from tests.factories import FETCHED
from tests.link.test_link import PAIRS, _listing
from warehouse.linkage.blocking import MAX_CONTACT_BLOCK, blocks_of
from warehouse.linkage.entities import LinkCounts, cluster
from warehouse.linkage.features import compatible, listing_features
from warehouse.linkage.rules import compare


def brute_force(items) -> set[tuple[str, str]]:
    """Every cross-source pair sharing a block, scored; the ids of the pairs a rule links."""
    pairs = set()
    for key, members in blocks_of(items).items():
        if key.split(":")[0] in {"tel", "mail", "web"} and len(members) > MAX_CONTACT_BLOCK:
            continue
        pairs |= {(i, j) for i, j in combinations(members, 2)
                  if items[i].source_id != items[j].source_id
                  and compatible(items[i].kind, items[j].kind)}
    return {tuple(sorted((items[i].id, items[j].id))) for i, j in pairs
            if compare(items[i], items[j])[1]["rule"]}


def fast(items) -> tuple[set[tuple[str, str]], LinkCounts]:
    """The pairs the linkage itself links (every match it found, used or not)."""
    counts = LinkCounts()
    _, links = cluster(items, counts)
    found = {tuple(sorted((items[i].id, e["other_listing"])))
             for i, evidence in links.items() for e in evidence}
    return found, counts


def used_links(items, matches: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """What greedy clustering keeps of `matches`: best score first, one listing per source."""
    by_id = {f.id: f for f in items}
    ranked = sorted(matches, key=lambda p: (-compare(by_id[p[0]], by_id[p[1]])[0], p))
    sources = {f.id: {f.source_id} for f in items}
    root = {f.id: f.id for f in items}

    def find(x):
        while root[x] != x:
            x = root[x]
        return x

    kept = set()
    for a, b in ranked:
        ra, rb = find(a), find(b)
        if ra == rb or sources[ra] & sources[rb]:
            continue
        keep, gone = min(ra, rb), max(ra, rb)
        root[gone] = keep
        sources[keep] |= sources[gone]
        kept.add((a, b))
    return kept


def check(items) -> LinkCounts:
    items.sort(key=lambda f: f.id)  # as the warehouse reads them: ties break by id
    expected = used_links(items, brute_force(items))
    found, counts = fast(items)
    assert found == expected, (sorted(expected - found)[:5], sorted(found - expected)[:5])
    return counts


def raw(source: str, key: str, name: str, address: str | None = None, kind: str = "group",
        phones=(), emails=(), web=()) -> ScrapedRecord:
    return ScrapedRecord(
        source_id=source, source_key=key, kind=kind,
        source_url=f"https://{source}.example.org/{key}",
        fetched_at=FETCHED, name=name, address_text=address, phones_text=list(phones),
        emails_text=list(emails), web_text=list(web))


EDGES = [
    # an acronym spelling the other's initials, same address, no shared contact
    raw("a", "1", "KISS Stuttgart", "Tübinger Straße 15, 70178 Stuttgart", "contact_centre"),
    raw("b", "1", "Kontakt- und Informationsstelle für Selbsthilfe Stuttgart",
        "Tübinger Str. 15, 70178 Stuttgart", "contact_centre", phones=["0711 6406117"]),
    # names of 1–2 letter words
    raw("a", "2", "MS-Gruppe", "Bahnhofstraße 3, 44649 Herne"),
    raw("b", "2", "MS Gruppe Herne", "Bahnhofstraße 3, 44649 Herne"),
    raw("c", "2", "AA", "Bahnhofstraße 3, 44649 Herne"),
    # a town word of the other's address in the name
    raw("a", "3", "Kreuzbund-Gruppe Herne-Wanne", "Hauptstraße 5, 44649 Herne"),
    raw("b", "3", "Kreuzbund Gruppe", "Hauptstraße 5, 44649 Herne-Wanne"),
    raw("c", "3", "Kreuzbund Wanne-Eickel", None),
    raw("d", "3", "Selbsthilfegruppe Wanne", "Am Markt 1, 44649 Herne-Wanne"),
    # ... where the shorter name is the one that loses the town word
    raw("a", "6", "Medikamentenabhängigkeit Herne-Wanne", "Hauptstraße 9, 44649 Herne"),
    raw("b", "6", "Medikamentenabhängigkeit Ost", "Hauptstraße 9, 44649 Herne-Wanne"),
    # ... where the longer name loses it and only then is short enough
    raw("a", "7", "Parkinson", "Markt 1, 44866 Bochum-Wattenscheid", "contact_centre"),
    raw("b", "7", "Parkinson Wattenscheid Ost", "Markt 1, 44866 Bochum", "contact_centre"),
    # numbered groups and audiences: similar names, other groups
    raw("a", "4", "Gesprächskreis Depression Eickel II", "Kirchplatz 2, 44651 Herne"),
    raw("b", "4", "Gesprächskreis Depression Eickel III", "Kirchplatz 2, 44651 Herne"),
    raw("c", "4", "Gesprächskreis Depression Eickel", "Kirchplatz 2, 44651 Herne"),
    raw("d", "4", "Gesprächskreis Depression Eickel für Angehörige",
        "Kirchplatz 2, 44651 Herne"),
    # centres sharing a switchboard with different names; one moved across town
    raw("a", "5", "Selbsthilfebüro Herne", "Rathausstraße 6, 44649 Herne", "contact_centre",
        phones=["02323 163636"], emails=["selbsthilfe@herne.de"]),
    raw("b", "5", "Bürger-Selbsthilfe-Zentrum", "Rathausstr. 6, 44649 Herne", "organisation",
        phones=["02323 16-3636"]),
    raw("c", "5", "Selbsthilfebüro Herne", "Hauptstraße 1, 44623 Herne", "contact_centre",
        phones=["02323 163636"], emails=["selbsthilfe@herne.de"]),
    raw("d", "5", "Selbsthilfebüro Herne", None, "contact_centre", web=["www.herne.de/shg"]),
    raw("e", "5", "Selbsthilfebüro Hernes", "Rathausplatz 1, 45127 Essen", "contact_centre",
        web=["https://www.herne.de/shg/"]),
    # a centre known by its street alone, no town, no name of its own; and its carrier's seat
    raw("a", "8", "Selbsthilfekontaktstelle", "Lindenstraße", "contact_centre"),
    raw("b", "8", "Selbsthilfe-Kontaktstelle Herne", "Lindenstraße 19, 44649 Herne",
        "contact_centre", phones=["02323 974737"]),
    raw("a", "9", "Selbsthilfekontaktstelle im Lebenshilfenetz e.V.", None, "contact_centre"),
    raw("b", "9", "Kontaktstelle für Selbsthilfe im Lebenshilfenetz", "Am Markt 9, 44866 Bochum",
        "contact_centre", phones=["0234 490492"]),
]


def test_labelled_listings_all_at_once():
    items = [listing_features(_listing(p[side], f"{n}{side}"))
             for n, p in enumerate(PAIRS) for side in ("a", "b")]
    counts = check(items)
    assert 0 < counts.pairs_scored < len(items) * (len(items) - 1) // 2


def test_edge_cases_of_the_search():
    listings, rejected = to_listings(EDGES, "CC-BY-4.0")
    assert not rejected
    items = [listing_features(item) for item in listings]
    check(items)
    found, _ = fast(items)
    ids = {(r.source_id, r.source_key): str(item.id) for r, item in zip(EDGES, listings,
                                                                         strict=True)}

    def linked(x, y):
        return tuple(sorted((ids[x], ids[y]))) in found

    assert linked(("a", "1"), ("b", "1"))  # KISS
    assert linked(("a", "2"), ("b", "2"))  # MS
    assert linked(("a", "3"), ("b", "3"))  # "Herne-Wanne" in one name, in the other's town
    assert linked(("a", "6"), ("b", "6"))
    assert linked(("a", "7"), ("b", "7"))
    assert not linked(("a", "4"), ("b", "4"))  # II vs III
    assert linked(("a", "8"), ("b", "8"))  # the street alone
    assert linked(("a", "9"), ("b", "9"))  # one carrier of its own


def test_synthetic_corpus_with_duplicates():
    world = build_world(1200, seed=3)
    items = []
    for source_id, records in sorted(world.records.items()):
        listings, rejected = to_listings(records, "CC-BY-4.0")
        assert not rejected, source_id
        items += [listing_features(item) for item in listings]
    counts = check(items)
    assert counts.links > 50
