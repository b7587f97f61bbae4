"""Linkage: decisions on hand-labelled pairs, and stable entity ids in a real warehouse."""

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from schema.normalise import to_listings
from schema.records import ScrapedRecord
from tests.factories import FETCHED, listings, record, source
from warehouse.linkage import features
from warehouse.linkage.entities import link_entities, resolve
from warehouse.linkage.rules import same_entity, score_pair
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

PAIRS = tomllib.loads((Path(__file__).with_name("pairs.toml")).read_text("utf-8"))["pair"]


def _listing(desc: dict, key: str):
    raw = ScrapedRecord(
        source_id=desc["source"], source_key=key, kind=desc.get("kind", "group"),
        source_url=f"https://{desc['source']}.example.org/eintrag/{key}", fetched_at=FETCHED,
        name=desc["name"], address_text=desc.get("address"), phones_text=desc.get("phones", []),
        emails_text=desc.get("emails", []), web_text=desc.get("web", []))
    [item], rejected = to_listings([raw], "CC-BY-4.0")
    assert not rejected
    return item


def test_pairs_precision_and_recall():
    tp = fp = fn = tn = 0
    wrong = []
    for n, pair in enumerate(PAIRS):
        a, b = _listing(pair["a"], f"{n}a"), _listing(pair["b"], f"{n}b")
        got = same_entity(a, b)
        assert got == same_entity(b, a), pair["note"]  # symmetric
        tp += got and pair["same"]
        fp += got and not pair["same"]
        fn += not got and pair["same"]
        tn += not got and not pair["same"]
        if got != pair["same"]:
            wrong.append((pair["note"], pair["same"], score_pair(a, b)))
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"\npairs: {len(PAIRS)} (same {tp + fn}, not same {fp + tn}); "
          f"precision {precision:.3f}, recall {recall:.3f}")
    for item in wrong:
        print("  wrong:", item)
    assert len(PAIRS) >= 150
    assert precision >= 0.97
    assert recall >= 0.90


def test_listings_of_one_source_are_never_the_same():
    a = _listing({"source": "herne", "name": "Selbsthilfegruppe Depression"}, "1")
    b = _listing({"source": "herne", "name": "Selbsthilfegruppe Depression"}, "2")
    assert not same_entity(a, b)


def test_evidence_names_what_agreed():
    pair = PAIRS[0]
    score, ev = score_pair(_listing(pair["a"], "a"), _listing(pair["b"], "b"))
    assert ev["same_address"] and ev["shared_phones"] == ["+492323163636"]
    assert ev["rule"] and 0 < score <= 1


# -- the warehouse step ----------------------------------------------------------------------


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [source("herne"), source("nakos-rot"), source("file-buez")])
    yield con
    con.close()


def commit(con, run_id, now, batches):
    begin_run(con, run_id, "live", now)
    for source_id, items in batches.items():
        commit_source_run(con, run_id, SourceRun(source_id, now, now, listings=items))


def herne(**changes):
    base = {"buez": {"kind": "contact_centre", "name": "BüZ – Bürger-Selbsthilfe-Zentrum Herne",
                     "phones_text": ["(0 23 23) 16 36 36"], "emails_text": ["buez@herne.de"],
                     "address_text": "Rathausstr. 6, 44649 Herne"},
            "dep": {"name": "SHG Depressionen"},
            "angst": {"name": "Selbsthilfegruppe Angst und Panik"}}
    return listings(*(record(k, "herne", **(v | changes.get(k, {}))) for k, v in base.items()))


def rot(**changes):
    base = {"r1": {"kind": "contact_centre", "name": "Selbsthilfe-Kontaktstelle Herne",
                   "phones_text": ["02323 16-3636"], "emails_text": ["buez@herne.de"],
                   "address_text": "Rathausstraße 6, 44649 Herne"},
            "r2": {"name": "Selbsthilfegruppe Depression Herne"},
            "r3": {"name": "Kreuzbund Gruppe Herne",
                   "address_text": "Hauptstraße 221, 44649 Herne"}}
    return listings(*(record(k, "nakos-rot", **(v | changes.get(k, {}))) for k, v in base.items()))


def entity_of(con) -> dict[str, str]:
    return dict(con.execute("""SELECT l.source_id || ':' || l.source_key, m.entity_id::VARCHAR
                               FROM entity_members m JOIN listings l ON l.id = m.listing_id
                            """).fetchall())


def test_link_entities_keeps_ids_through_renames_and_redirects_merges(con, now):
    commit(con, "r1", now, {"herne": herne(), "nakos-rot": rot()})
    counts = link_entities(con, "r1", now)
    ids = entity_of(con)
    assert counts.listings == 6 and counts.entities == 4 and counts.linked == 2
    assert ids["herne:buez"] == ids["nakos-rot:r1"]
    assert ids["herne:dep"] == ids["nakos-rot:r2"]
    assert ids["herne:angst"] != ids["herne:dep"]  # same BüZ address and phone, other name
    assert len({ids["herne:angst"], ids["nakos-rot:r3"], ids["herne:dep"]}) == 3
    evidence = con.execute("""SELECT score, evidence FROM entity_members m
                              JOIN listings l ON l.id = m.listing_id
                              WHERE l.source_key = 'buez'""").fetchone()
    assert evidence[0] > 0 and evidence[1][0]["same_address"] and evidence[1][0]["rule"]

    # (c) unchanged re-run: nothing new, nothing rewritten
    entities = con.execute("SELECT * FROM entities ORDER BY entity_id").fetchall()
    members = con.execute("SELECT * FROM entity_members ORDER BY listing_id").fetchall()
    later = now + timedelta(days=1)
    commit(con, "r2", later, {"herne": herne(), "nakos-rot": rot()})
    counts = link_entities(con, "r2", later)
    assert (counts.created, counts.retired, counts.members_changed) == (0, 0, 0)
    assert con.execute("SELECT * FROM entities ORDER BY entity_id").fetchall() == entities
    assert con.execute("SELECT * FROM entity_members ORDER BY listing_id").fetchall() == members

    # a rename and a new phone number keep the entity id
    later2 = later + timedelta(days=1)
    renamed = herne(buez={"name": "BüZ Herne – Selbsthilfe-Zentrum",
                          "phones_text": ["02323 16-4000"]})
    commit(con, "r3", later2, {"herne": renamed, "nakos-rot": rot()})
    link_entities(con, "r3", later2)
    after = entity_of(con)
    assert after["herne:buez"] == ids["herne:buez"] == after["nakos-rot:r1"]
    assert con.execute("SELECT count(*) FROM entities").fetchone()[0] == 4

    # a merge: NAKOS entry r3 is corrected so that it describes the herne "angst" group; the
    # two entities become one, the younger id redirects to the survivor.
    later3 = later2 + timedelta(days=1)
    moved = rot(r3={"name": "Selbsthilfegruppe Angst und Panik",
                    "address_text": "Rathausstraße 6, 44649 Herne"})
    commit(con, "r4", later3, {"herne": renamed, "nakos-rot": moved})
    counts = link_entities(con, "r4", later3)
    merged = entity_of(con)
    assert counts.retired == 1
    survivor = merged["herne:angst"]
    assert merged["nakos-rot:r3"] == survivor
    gone = ({ids["herne:angst"], ids["nakos-rot:r3"]} - {survivor}).pop()
    assert resolve(con, gone) == survivor
    row = con.execute("SELECT retired_into::VARCHAR, members FROM entities WHERE entity_id = ?",
                      [gone]).fetchone()
    assert row == (survivor, 0)
    # and once more unchanged: stable
    counts = link_entities(con, "r5", later3)
    assert (counts.created, counts.retired, counts.members_changed) == (0, 0, 0)
    assert entity_of(con) == merged


def test_a_linkage_run_leaves_no_memo_behind(con, now):
    """Names, towns and streets are memoised within one run, never across runs: the night's
    publishing after linkage must not carry them."""
    commit(con, "r1", now, {"herne": herne(), "nakos-rot": rot()})
    features._town("Herne")  # a memo filled outside a run stays until one ends
    assert any(memo.cache_info().currsize for memo in features._RUN_CACHES)
    assert link_entities(con, "r1", now).linked == 2
    assert len(features._RUN_CACHES) >= 9
    assert not any(memo.cache_info().currsize for memo in features._RUN_CACHES)


def test_a_local_number_and_a_visitors_address_link_in_the_warehouse_as_in_pairs(con, now):
    """A number printed without its area code stays raw in the listing, and a second
    (visitors') address sits in `extra`; linkage still reads both, whether it reads listings
    or the warehouse's rows."""
    old = {"kind": "contact_centre", "name": "Selbsthilfe-Kontaktstelle",
           "address_text": "Friedensplatz 8", "phones_text": ["52 90 97"]}
    new = {"kind": "contact_centre", "name": "Selbsthilfe-Kontaktstelle Dortmund",
           "address_text": "Ostenhellweg 42, 44135 Dortmund",
           "phones_text": ["02 31 / 52 90 97"]}
    post = {"kind": "contact_centre", "name": "Kontaktstelle Selbsthilfe Erzgebirge",
            "address_text": "Postplatz 3 / Besucheradresse: Postplatz 2, Aue-Bad Schlema"}
    visit = {"kind": "contact_centre", "name": "Kontaktstelle Selbsthilfe im Erzgebirge",
             "address_text": "Postplatz 2, 08280 Aue-Bad-Schlema"}
    a, b = listings(record("old", "herne", **old), record("post", "herne", **post)), \
        listings(record("new", "nakos-rot", **new), record("visit", "nakos-rot", **visit))
    assert a[0].phones[0].e164 is None and "Postplatz 2" in a[1].address.extra
    assert same_entity(a[0], b[0]) and same_entity(a[1], b[1])
    commit(con, "r1", now, {"herne": a, "nakos-rot": b})
    link_entities(con, "r1", now)
    ids = entity_of(con)
    assert ids["herne:old"] == ids["nakos-rot:new"]
    assert ids["herne:post"] == ids["nakos-rot:visit"]
    assert ids["herne:old"] != ids["herne:post"]
