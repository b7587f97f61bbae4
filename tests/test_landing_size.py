"""The landing pages stay light at the Germany target of 100,000 groups.

Synthetic groups (a small deterministic generator, Länder in their population proportions)
go through `write_landing_page`, as a release's do; the test measures bytes, never time,
and decodes every state page to check that each group is on its state's page, complete.
"""

import json
import random
import re
from collections import Counter
from datetime import UTC, datetime
from itertools import accumulate
from pathlib import Path

import pyarrow as pa
import pytest

from schema.normalise import states as st
from tests.factories import source
from warehouse.release.entities import ENTITY_COLUMNS
from warehouse.release.integrity import read_sha256sums, write_sha256sums
from warehouse.release.landing import EMBED_LIMIT, write_landing_page
from warehouse.release.metadata import dcat_document
from warehouse.release.public import PUBLIC_COLUMNS
from warehouse.release.publish import DEFAULT_BASE_URL, ReleaseContext
from warehouse.storage.db import connect
from warehouse.storage.runs import upsert_sources

N_GROUPS = 100_000
#: Share of the population in per cent (Destatis 2023); groups follow people.
SHARES = {st.STATES[code]: share for code, share in {
    "NW": 21.6, "BY": 15.9, "BW": 13.5, "NI": 9.7, "HE": 7.6, "RP": 4.9, "SN": 4.9, "BE": 4.5,
    "SH": 3.5, "BB": 3.1, "ST": 2.6, "TH": 2.5, "HH": 2.2, "MV": 1.9, "SL": 1.2, "HB": 0.8}.items()}
UNKNOWN_SHARE = 1.0  # no postcode, or one shared by two states
TOPICS = (
    "Sucht", "Alkohol", "Angehörige", "Depression", "Angst und Panik", "Trauer", "Krebs",
    "Brustkrebs", "Prostatakrebs", "Diabetes", "Multiple Sklerose", "Parkinson", "Demenz",
    "Schlaganfall", "Rheuma", "Fibromyalgie", "Tinnitus", "Adipositas", "Essstörungen",
    "Autismus", "ADHS", "Borderline", "Psychische Erkrankung", "Chronische Schmerzen",
    "Morbus Crohn / Colitis ulcerosa", "Allergie", "Asthma", "COPD", "Herzerkrankungen",
    "Nierenerkrankungen", "Epilepsie", "Glücksspielsucht", "Medikamentenabhängigkeit",
    "Pflegende Angehörige", "Alleinerziehende", "Eltern behinderter Kinder", "Long Covid",
    "Schilddrüse", "Osteoporose", "Stottern", "Hörschädigung", "Sehbehinderung",
    "Kehlkopflose", "Stoma", "Lipödem", "Endometriose", "Migräne", "Zwangserkrankung",
    "Suizid Hinterbliebene", "Verwaiste Eltern", "Häusliche Gewalt", "Mobbing")
PREFIXES = ("", "", "", "Bad ", "Neu", "Alt", "Ober", "Nieder", "Groß", "Klein", "Sankt ")
STEMS = ("Berg", "Bach", "Brück", "Feld", "Wald", "Müh", "Lin", "Hohen", "Rot", "Kirch",
         "Eich", "Hasel", "Sonn", "Wester", "Oster", "Stein", "Buch", "Reichen", "Lauter")
ENDS = ("hausen", "heim", "dorf", "stadt", "ingen", "burg", "au", "rode", "feld", "büttel",
        "kirchen", "hagen", "beck", "furt", "stedt")
DISTRICTS = ("Innenstadt", "Nord", "Süd", "Ost", "West", "Mitte", "Altstadt", "Weststadt",
             "Neustadt", "Bahnhofsviertel")
DAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
NTH = ("1.", "2.", "3.", "4.", "letzten", "1. und 3.", "2. und 4.")
TIMES = ("10", "15", "16", "17", "18", "18.30", "19", "19.30", "20")
PLACES = ("im Gemeindehaus", "in der Kontaktstelle", "im Rathaus", "im Familienzentrum",
          "im Bürgerhaus", "im Krankenhaus, Raum 3", "in der Volkshochschule")
ROUTES = ("über die Selbsthilfe-Kontaktstelle", "über das Gesundheitsamt",
          "über die Beratungsstelle", "Kontakt über die Kontaktstelle", "über den Träger")
HOSTILE = ('</script><script>alert("x")</script>', '<img src=x onerror=alert(1)>',
           "Mut <3 & Zuversicht", "{{attribution}} <!-- Kommentar")
SOURCES = ("herne", "hamm", "nakos-gruen", "kreis-mettmann")


def _cities(rng: random.Random, n: int) -> list[str]:
    names: set[str] = set()
    while len(names) < n:
        names.add(f"{rng.choice(PREFIXES)}{rng.choice(STEMS)}{rng.choice(ENDS)}")
    return sorted(names)


def _meeting(rng: random.Random, city: str) -> str | None:
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.25:
        return rng.choice(("Termine auf Anfrage",
                           "Termine und Treffpunkt in der Kontaktstelle erfragen"))
    day = rng.choice(DAYS)
    text = (f"jeden {rng.choice(NTH)} {day} im Monat, {rng.choice(TIMES)} Uhr"
            if rng.random() < 0.6 else f"{day.lower()}s, {rng.choice(TIMES)} Uhr")
    if rng.random() < 0.25:
        text += f", {rng.choice(PLACES)}" + (f" {city}" if rng.random() < 0.4 else "")
    return text


def _name(rng: random.Random, topics: list[str], city: str) -> str:
    topic = topics[0]
    return rng.choice((
        f"Selbsthilfegruppe {topic} {city}", f"SHG {topic}", f"Gesprächskreis {topic}",
        f"Kreuzbund {city}", f"Anonyme Alkoholiker {city}", f"{topic} – Treffpunkt {city}",
        f"Selbsthilfegruppe {topic}", f"Gruppe für {topic} und Angehörige",
    )) + rng.choice(("", "", "", "", " II", " (Abendgruppe)"))


def synthetic_groups(n: int, seed: int = 7) -> list[dict]:
    """`n` groups over the 16 Länder in population proportion, 1 % without a state."""
    rng = random.Random(seed)
    total = sum(SHARES.values()) + UNKNOWN_SHARE
    counts = {state: round(n * share / total) for state, share in SHARES.items()}
    counts[None] = n - sum(counts.values())
    topic_weights = list(accumulate(1 / (k + 1) for k in range(len(TOPICS))))
    rows = []
    for state, count in counts.items():
        cities = _cities(rng, max(1, count // 20))
        city_weights = list(accumulate(1 / (k + 1) for k in range(len(cities))))
        postcodes = {c: [f"{rng.randrange(1000, 99999):05d}" for _ in range(rng.randint(1, 4))]
                     for c in cities}
        for _ in range(count):
            city = rng.choices(cities, cum_weights=city_weights)[0]
            topics = sorted(set(rng.choices(TOPICS, cum_weights=topic_weights,
                                            k=rng.choice((1, 1, 2, 3)))))
            name = _name(rng, topics, city)
            rows.append({
                "name": name, "topics": " | ".join(topics),
                "postcode": rng.choice(postcodes[city]) if state else None,
                "city": city, "state": state,
                "district": rng.choice(DISTRICTS) if rng.random() < 0.3 else None,
                "meeting_text": _meeting(rng, city),
                "contact_route": rng.choice(ROUTES) if rng.random() < 0.5 else None,
                "websites": (f"https://www.{re.sub('[^a-z]+', '-', name.lower())[:24]}"
                             f"{rng.randrange(100)}.de" if rng.random() < 0.25 else None),
                "sources": " | ".join(sorted(set(rng.choices(SOURCES, k=rng.choice((1, 2)))))),
            })
    for i, text in enumerate(HOSTILE):  # source text that must stay text
        rows[i * len(rows) // len(HOSTILE)]["name"] = text
    rows[5]["websites"] = "javascript:alert(1) | https://echt.example/"
    return rows


_TYPES = {"string": pa.string(), "datetime": pa.string(), "boolean": pa.bool_(),
          "integer": pa.int64(), "number": pa.float64(), "date": pa.string()}


def _table(columns: list[tuple[str, str, str, str]], n: int, filled: dict) -> pa.Table:
    """A table with the published columns; the ones not in `filled` are null."""
    return pa.table({name: filled.get(name, pa.nulls(n, _TYPES[kind]))
                     for name, kind, _, _ in columns})


def synthetic_tables(rows: list[dict]) -> dict[str, pa.Table]:
    n = len(rows)
    groups = {name: pa.array([r.get(name) for r in rows], _TYPES[kind])
              for name, kind, _, _ in ENTITY_COLUMNS if name in rows[0]}
    groups["id"] = pa.array([f"00000000-0000-5000-8000-{i:012d}" for i in range(n)])
    groups["kind"] = pa.array(["group"] * n)
    states = [s for s in SHARES for _ in range(25)]
    others = {"state": pa.array(states), "kind": pa.array(["contact_centre"] * len(states))}
    return {
        "groups": _table(ENTITY_COLUMNS, n, groups),
        "contact_centres": _table(ENTITY_COLUMNS, len(states), others),
        "organisations": _table(ENTITY_COLUMNS, 0, {}),
        "listings": _table(PUBLIC_COLUMNS, n + len(states), {"source_id": pa.array(
            [SOURCES[i % len(SOURCES)] for i in range(n + len(states))])}),
    }


def build(base: Path, tables: dict[str, pa.Table]) -> tuple[Path, object, ReleaseContext]:
    con = connect(base / "atlas.duckdb")
    upsert_sources(con, [source(s) for s in SOURCES])
    folder = base / "release"
    folder.mkdir()
    (folder / "groups.csv").write_text("id,name\n", "utf-8")
    ctx = ReleaseContext(run_id="synth", generated=datetime(2026, 11, 23, 3, tzinfo=UTC),
                         previous=None, base_url=DEFAULT_BASE_URL)
    write_landing_page(con, folder, ctx, tables, "Stadt Herne (CC-BY-4.0)", {})
    return folder, con, ctx


DATA = re.compile(r'<script type="application/json" id="group-data">(.*?)</script>', re.S)
FIELDS = ("name", "topics", "postcode", "city", "district", "meeting_text", "contact_route",
          "website")


def page_groups(page: str) -> list[tuple]:
    """The groups a page embeds, decoded as its script decodes them."""
    [text] = DATA.findall(page)
    data = json.loads(text)
    columns = {k: c if isinstance(c, list) else [c["v"][i] for i in c["i"]]
               for k, c in data["columns"].items()}
    assert all(len(c) == data["n"] for c in columns.values())
    return list(zip(*(columns[f] for f in FIELDS), strict=True))


def expected(row: dict) -> tuple:
    webs = [w for w in (row["websites"] or "").split(" | ") if re.match(r"https?://", w)]
    return (*(row[f] for f in FIELDS[:-1]), webs[0] if webs else None)


@pytest.fixture(scope="module")
def germany(tmp_path_factory):
    """The landing pages of 100,000 synthetic groups, and the groups."""
    rows = synthetic_groups(N_GROUPS)
    folder, con, _ = build(tmp_path_factory.mktemp("germany"), synthetic_tables(rows))
    con.close()
    return folder, rows


def state_pages(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in sorted((folder / "laender").glob("*.html"))}


def test_index_and_every_state_page_stay_within_budget(germany):
    folder, _ = germany
    sizes = {p.name: p.stat().st_size for p in (folder / "laender").glob("*.html")}
    assert len(sizes) == 17  # 16 Länder and the groups without a known state
    assert (folder / "index.html").stat().st_size <= 1_000_000
    assert max(sizes.values()) <= 3_000_000
    assert sum(sizes.values()) / N_GROUPS <= 120


def test_every_group_is_on_its_state_page_and_nowhere_else(germany):
    folder, rows = germany
    pages = {name: Counter(page_groups(text)) for name, text in state_pages(folder).items()}
    assert pages["nordrhein-westfalen.html"] == Counter(
        expected(r) for r in rows if r["state"] == st.STATES["NW"])
    assert pages["unbekannt.html"] == Counter(expected(r) for r in rows if r["state"] is None)
    assert sum(pages.values(), Counter()) == Counter(map(expected, rows))


def test_index_links_to_every_state_page_and_embeds_no_groups(germany):
    folder, _ = germany
    index = (folder / "index.html").read_text("utf-8")
    links = set(re.findall(r'href="(laender/[^"]+)"', index))
    assert links == {f"laender/{name}" for name in state_pages(folder)}
    assert {"laender/baden-wuerttemberg.html", "laender/thueringen.html",
            "laender/nordrhein-westfalen.html", "laender/unbekannt.html"} <= links
    assert 'id="group-data"' not in index
    downloads = re.findall(r'<tr><td><a href="([^"]+)" download', index)
    assert downloads == ["groups.csv"]  # data files only; the pages are linked above


def test_source_text_stays_text_in_the_state_pages(germany):
    folder, _ = germany
    decoded = set()
    for text in state_pages(folder).values():
        assert not [h for h in HOSTILE if h in text]
        assert text.count("</script>") == 2 and "<img" not in text
        decoded |= {g[0] for g in page_groups(text)}
    assert set(HOSTILE) <= decoded


@pytest.mark.parametrize("n, split", [(EMBED_LIMIT, False), (EMBED_LIMIT + 1, True)])
def test_a_small_release_keeps_one_page(tmp_path, n, split):
    rows = synthetic_groups(n, seed=n)
    folder, con, _ = build(tmp_path, synthetic_tables(rows))
    con.close()
    assert (folder / "laender").exists() is split
    index = (folder / "index.html").read_text("utf-8")
    assert ('id="group-data"' in index) is not split
    if not split:
        assert Counter(page_groups(index)) == Counter(map(expected, rows))


def test_checksums_and_dcat_cover_the_state_pages(tmp_path):
    folder, con, ctx = build(tmp_path, synthetic_tables(synthetic_groups(EMBED_LIMIT + 1)))
    write_sha256sums(folder)
    pages = {f"laender/{name}" for name in state_pages(folder)}
    assert pages and set(read_sha256sums(folder)) == pages | {"index.html", "groups.csv"}
    dataset = dcat_document(con, folder, ctx)["@graph"][0]
    con.close()
    assert pages <= {d["dct:title"] for d in dataset["dcat:distribution"]}
