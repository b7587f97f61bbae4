"""Every kind of leak, tried at once, against every file of every release.

The licence gate (a `withhold` source), the privacy gate (a private contact name, a mobile
number, a free-mail address, a BLAU person, and a person planted in every free-text field of a
group: name with salutation, mobile number in several notations, free-mail address, c/o home
address) and the plain-text rule (markup and scripts of source pages) are each given a value
that must not reach `public/`; the files are read in their own formats
(tests/release_scan.py), so nothing hides in a compressed column.
"""

import asyncio
import gzip
import json
import re
import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from schema.normalise import to_listings
from scrapers.sources.herne import HerneScraper
from tests.conftest import FIXTURES
from tests.factories import listings, record, source
from tests.release_scan import find, folder_texts
from tools.site_server import crawl_fixture_site
from warehouse.linkage.entities import link_entities
from warehouse.release.publish import publish
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

PRIVATE_NAME = "Erika Mustermann"
MOBILE = ("0171 2345678", "+491712345678", "2345678")
FREEMAIL = "erika.mustermann@gmx.de"
WITHHELD = "Kontaktstelle Geheimhaltung"
BLAU_PERSON = ("Max Blaumann", "0152 9876543", "+491529876543", "max.blaumann@web.de",
               "Blaumannweg 3")
MARKUP = {
    "name": 'Gruppe <b onclick="steal()">Mut</b><script>steal()</script>',
    "description": '<p>Wir treffen uns <a href="javascript:steal()">hier</a>.</p>'
                   '<img src="x" onerror="steal()"><iframe src="https://evil.example/">',
    "carrier": "<em>Träger</em> e. V.",
    "topics": ["<span>Sucht</span>", "Depression<br/>"],
    "meeting_text": "jeden <strong>Montag</strong>, 19 Uhr<!-- intern -->",
    "hours_text": "Mo <u>10-12</u> Uhr",
    "accessibility_text": '<div style="x">barrierefrei</div>',
    "web_text": ["javascript:steal()", "https://shg.example/"],
    "org_type": "<i>Verein</i>",
}
#: A person planted in one free-text field of a group: (field, surname, mobile as written,
#: its E.164 form, free-mail address, street of the person's home). Every field has its own,
#: so a leak names the field it came through.
PLANTED = [
    ("name", "Ahlqvist", "0171 2345601", "+491712345601", "petra.ahlqvist@gmx.de",
     "Quittenstieg"),
    ("description", "Brummelkamp", "+49 171 2345602", "+491712345602",
     "petra.brummelkamp@web.de", "Zypressenweg"),
    ("carrier", "Czerwinskaja", "0049 (0)171-234 56 03", "+491712345603",
     "p.czerwinskaja@t-online.de", "Holunderpfad"),
    ("address_text", "Dornbusch-Eck", "(0171) 234 56 04", "+491712345604",
     "petra.dornbusch@gmail.com", "Wacholderring"),
    ("district", "Efeuhain", "0171/2345605", "+491712345605", "petra.efeuhain@gmx.net",
     "Mispelgasse"),
    ("hours_text", "Faltermeyer", "+49-172-2345606", "+491722345606",
     "petra.faltermeyer@freenet.de", "Schlehenallee"),
    ("meeting_text", "Grunewaldt", "0 176 23 45 60 7", "+491762345607",
     "petra.grunewaldt@web.de", "Sanddornweg"),
    ("topics", "Hagebuttler", "0151.23456708", "+4915123456708", "petra.hagebuttler@gmx.de",
     "Berberitzenstraße"),
    ("contact_person", "Ilexmann", "+49 (0) 160 2345609", "+491602345609",
     "petra.ilexmann@gmx.de", "Liguster\u00adweg"),
    ("accessibility_text", "Jasminska", "01522 3456710", "+4915223456710",
     "petra.jasminska@web.de", "Ginsterkamp"),
    ("org_type", "Kornelkirsch", "0171 – 2345611", "+491712345611",
     "petra.kornelkirsch@gmail.com", "Tamariskenplatz"),
    ("phone_hours_text", "Lindenblatt", "0171 2345612", "+491712345612",
     "petra.lindenblatt@web.de", "Weidenkamp"),
]


def planted_record(field: str, surname: str, mobile: str, _e164: str, mail: str,
                   street: str, revision: str = ""):
    """A group record whose `field` names a person in every way the scan knows, inside
    otherwise public text; the other fields are the factory's."""
    person = (f"Frau Petra {surname}, Mobil {mobile}, {mail}, c/o Familie {surname}, "
              f"{street} 7")
    texts = {
        "name": f"Gruppe Zuversicht {person}",
        "description": f"Wir treffen uns wöchentlich{revision}. Kontakt: {person}.",
        "carrier": f"Freundeskreis e. V., {person}",
        "address_text": f"c/o Familie {surname}, {street} 7, 44623 Herne, Frau Petra "
                        f"{surname}, Mobil {mobile}, {mail}",
        "district": f"Wanne, {person}",
        "hours_text": f"Mo 10-12 Uhr, {person}",
        "meeting_text": f"jeden 2. Mittwoch im Monat, 18 Uhr, {person}",
        "topics": ["Sucht", f"Angehörige {person}"],
        "contact_person": f"über das BüZ, {person}",
        "accessibility_text": f"barrierefrei, {person}",
        "org_type": f"Selbsthilfegruppe, {person}",
        "phone_hours_text": f"Di 9-11 Uhr, {person}",
    }
    return record(f"planted-{field}", **{field: texts[field]})


def planted_needles() -> dict[str, list[str]]:
    """field -> what of its planted person may appear in no file."""
    return {field: [surname, mobile, e164, e164[-7:], mail, mail.split("@")[0],
                    street.replace("\u00ad", "")]
            for field, surname, mobile, e164, mail, street in PLANTED}


#: What a tag, an event handler or a script URL looks like in any text of any file.
MARKUP_PATTERN = re.compile(r"<\s*/?\s*(script|b|p|a|img|iframe|em|span|br|strong|u|div|i)\b"
                            r"|onerror\s*=|onclick\s*=|javascript:|steal\(", re.IGNORECASE)


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    """Two releases (so `changes.json` and a previous release exist) from a warehouse holding
    every kind of value that must not be published."""
    base = tmp_path_factory.mktemp("leaks")
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    con = connect(base / "atlas.duckdb")
    upsert_sources(con, [source("herne"), source("nakos-rot", policy="withhold"),
                         source("nakos-blau", policy="withhold")])
    herne = [record("p1", contact_person=PRIVATE_NAME,
                    phones_text=["0 23 23 / 16 - 36 36", f"Mobil: {MOBILE[0]}"],
                    emails_text=["selbsthilfe@herne.de", FREEMAIL]),
             record("m1", **MARKUP)]
    loads = {
        "herne": listings(*herne, *(planted_record(*p) for p in PLANTED)),
        "nakos-rot": listings(record("k@1", source_id="nakos-rot", name=WITHHELD,
                                     kind="contact_centre")),
        "nakos-blau": listings(record(
            "b1", source_id="nakos-blau", kind="rare_condition", name="Alport-Syndrom",
            contact_person=BLAU_PERSON[0], phones_text=[BLAU_PERSON[1]],
            emails_text=[BLAU_PERSON[3]], address_text=f"{BLAU_PERSON[4]}, 10115 Berlin",
            contact_count_text="3 Kontakte")),
    }
    for run_id, when in (("r1", now), ("r2", now + timedelta(days=1))):
        if run_id == "r2":  # a changed text: changes.json has something to say
            loads["herne"] = listings(*herne, *(planted_record(*p, revision=" (neu)")
                                                for p in PLANTED))
        begin_run(con, run_id, "live", when)
        for sid, items in loads.items():
            commit_source_run(con, run_id, SourceRun(sid, when, when, listings=items))
        link_entities(con, run_id, when)
        publish(con, base / "public", run_id, when)
    warehouse = str(con.execute("SELECT * FROM listings").fetchall())
    found = dict(con.execute("SELECT source_key, personal_fields FROM listings "
                             "WHERE source_key LIKE 'planted-%'").fetchall())
    con.close()
    return base / "public", warehouse, found


def test_the_warehouse_holds_what_the_release_must_not_show(public):
    """The control: the values were there to leak (BLAU persons excepted, never stored), and
    every planted person was found, each kind of it, in the field it was planted in."""
    _, warehouse, found = public
    for value in (PRIVATE_NAME, "+491712345678", FREEMAIL, WITHHELD, "steal()"):
        assert value in warehouse
    assert not [p for p in BLAU_PERSON if p in warehouse]
    field_of = {"address_text": "address", "district": "address", "hours_text": "opening_hours",
                "meeting_text": "meeting", "contact_person": "contact_route",
                "accessibility_text": "accessibility", "phone_hours_text": "phone_hours"}
    for field, *_ in PLANTED:
        name = field_of.get(field, field)
        kinds = {f.split(":")[1] for f in found[f"planted-{field}"] if f.startswith(f"{name}:")}
        assert kinds == {"salutation", "mobile", "mailbox", "private_address"}, field


@pytest.mark.parametrize("kind, needles", [
    ("private contact name", [PRIVATE_NAME, "Mustermann"]),
    ("mobile number", list(MOBILE)),
    ("private mailbox", [FREEMAIL, "erika.mustermann"]),
    ("withheld source", [WITHHELD, "Geheimhaltung"]),
    ("BLAU person", [*BLAU_PERSON, "Alport"]),
])
def test_nothing_reaches_any_file(public, kind, needles):
    folder, *_ = public
    leaks = [(f, n) for f, n in find(folder, needles)
             if not (kind == "withheld source" and f.endswith("withheld.json"))]
    assert not leaks, f"{kind} leaked: {leaks}"


@pytest.mark.parametrize("field", [p[0] for p in PLANTED])
def test_no_planted_person_reaches_any_file(public, field):
    """A person named in any free-text field of a group: not one piece of them in any file
    of any format (CSV, Excel CSV, JSON, Parquet, DuckDB, HSDS, landing page, changes.json,
    withheld.json) of either release."""
    folder, *_ = public
    leaks = find(folder, planted_needles()[field])
    assert not leaks, f"a person planted in {field} leaked: {leaks}"


def test_the_rest_of_a_planted_text_stays_readable(public):
    folder, *_ = public
    texts = folder_texts(folder / "releases" / "r2")
    rows = {r["source_key"]: r for r in json.loads(texts["listings.json"])["listings"]}
    assert rows["planted-contact_person"]["contact_route"] == "über das BüZ"
    assert rows["planted-description"]["description"] == "Wir treffen uns wöchentlich (neu)."
    assert rows["planted-name"]["name"] == "Gruppe Zuversicht"
    assert rows["planted-meeting_text"]["meeting_text"] == "jeden 2. Mittwoch im Monat, 18 Uhr"
    assert rows["planted-meeting_text"]["meeting_rrule"] == "FREQ=MONTHLY;BYDAY=2WE"
    assert rows["planted-topics"]["topics"] == ["Sucht", "Angehörige"]  # JSON: lists as arrays
    assert rows["planted-carrier"]["carrier"] == "Freundeskreis e. V."
    home = rows["planted-address_text"]
    assert (home["street"], home["house_number"], home["address_extra"], home["postcode"],
            home["city"]) == (None, None, None, "44623", "Herne")
    assert rows["planted-district"]["district"] == "Wanne"
    assert rows["planted-accessibility_text"]["accessibility"] == "barrierefrei"
    assert rows["planted-org_type"]["org_type"] == "Selbsthilfegruppe"
    assert rows["planted-hours_text"]["opening_hours_text"] == "Mo 10-12 Uhr"
    phone = rows["planted-phone_hours_text"]  # phone hours: their own columns
    assert (phone["phone_hours_text"], phone["phone_hours"]) == ("Di 9-11 Uhr", "Tu 09:00-11:00")
    assert phone["opening_hours"] is None and phone["opening_hours_text"] is None
    changes = json.loads(texts["changes.json"])  # r2 changed a text: something to compare
    assert changes["changed"] == [{"id": rows["planted-description"]["id"],
                                   "fields": ["description"]}]


def test_every_format_of_both_releases_was_scanned(public):
    folder, *_ = public
    names = folder_texts(folder)
    for release in ("r1", "r2"):
        for stem in ("listings", "groups", "contact_centres", "organisations"):
            for ext in (".csv", ".json", ".parquet", "-excel.csv"):
                assert f"releases/{release}/{stem}{ext}" in names
        for name in ("atlas.duckdb", "index.html", "hsds/services.json", "hsds/services.csv",
                     "hsds/organizations.csv", "hsds/schedules.csv", "hsds/locations.csv",
                     "hsds/addresses.csv", "hsds/taxonomy_terms.csv", "dcat.jsonld",
                     "README.md", "changes.json", "withheld.json", "SHA256SUMS"):
            assert f"releases/{release}/{name}" in names
    # the public values are there: the scan reads what it claims to read
    assert "+492323163636" in names["releases/r2/groups.parquet"]
    assert "selbsthilfe@herne.de" in names["releases/r2/atlas.duckdb"]


def test_withheld_json_counts_what_was_withheld(public):
    folder, *_ = public
    withheld = json.loads((folder / "latest" / "withheld.json").read_text("utf-8"))
    assert withheld["nakos-rot"]["records_withheld"] == 1
    assert withheld["nakos-blau"]["records_withheld"] == 1
    fields = withheld["herne"]["fields_withheld"]
    assert [fields[f]["count"] for f in ("contact_person", "phones", "emails")] == [1, 1, 1]
    every_kind = {"salutation": 1, "mobile": 1, "mailbox": 1, "private_address": 1}
    for field in ("name", "description", "carrier", "topics", "contact_route", "meeting",
                  "opening_hours", "accessibility", "org_type"):
        assert fields[field]["findings"] == every_kind, field
        assert fields[field]["count"] == 4
    # address_text and district both count under "address"
    assert fields["address"]["findings"] == {k: 2 for k in every_kind}


def test_text_fields_hold_plain_text_only(public):
    folder, *_ = public
    texts = folder_texts(folder / "releases" / "r2")
    pages = {n: t for n, t in texts.items() if n.endswith(".html")}  # markup themselves
    data = {n: t for n, t in texts.items() if n not in pages}
    hits = {n: [m.group(0) for m in MARKUP_PATTERN.finditer(t)] for n, t in data.items()}
    assert not {n: h for n, h in hits.items() if h}
    groups = {r["name"]: r for r in json.loads(texts["groups.json"])["groups"]}
    marked = groups["Gruppe Mut"]
    assert marked["description"] == "Wir treffen uns hier."
    assert marked["topics"] == ["Depression", "Sucht"]  # JSON: lists as arrays
    assert marked["websites"] == ["https://shg.example/"]
    # in the page, source text is data inside a JSON script element, never markup
    assert "Gruppe Mut" in texts["index.html"]
    for page in pages.values():  # index.html, and laender/*.html of a large release
        assert "onclick" not in page and "steal" not in page


def test_page_scripts_and_styles_are_dropped_before_normalising(tmp_path):
    site = tmp_path / "herne"
    shutil.copytree(FIXTURES / "herne", site)
    page = site / "Gesundheit/Selbsthilfe/Selbsthilfegruppen/gruppe-1031.html"
    html = page.read_text("utf-8").replace(
        '<div class="beschreibung">',
        '<div class="beschreibung"><script>document.write("steal")</script>'
        '<style>.x { color: red }</style><noscript>Bitte Skripte erlauben</noscript>'
        '<template><b>vorlage</b></template>')
    page.write_text(html, "utf-8")
    result = asyncio.run(crawl_fixture_site(HerneScraper(
        ["https://www.herne.de/Gesundheit/Selbsthilfe/Selbsthilfegruppen/"]), site))
    found, _ = to_listings(result.records, "CC-BY-4.0")
    [item] = [x for x in found if x.name == "Selbsthilfegruppe Aneurysma"]
    assert item.description.startswith("Die Gruppe ist offen")
    for junk in ("steal", "color", "Skripte", "vorlage"):
        assert junk not in item.model_dump_json()


def test_the_scanner_reads_inside_every_format(tmp_path):
    """A canary hidden in each binary format is found: the leak tests can fail."""
    canary = "Kanarienvogel-4711"
    pq.write_table(pa.table({"x": [canary] * 1000}), tmp_path / "a.parquet",
                   compression="zstd")
    with duckdb.connect(str(tmp_path / "b.duckdb")) as con:
        con.execute(f"CREATE TABLE t AS SELECT '{canary}' || i AS x FROM range(5000) r(i)")
    (tmp_path / "c.json.gz").write_bytes(gzip.compress(canary.encode()))
    assert sorted(f for f, _ in find(tmp_path, [canary])) == [
        "a.parquet", "b.duckdb", "c.json.gz"]
    (tmp_path / "d.xlsx").write_bytes(b"PK")
    with pytest.raises(AssertionError, match="teach"):
        find(tmp_path, [canary])
