"""`python -m bench.link --listings 100000 --seed 1`: linkage at Germany scale.

The corpus is a synthetic world of real entities. Each city (bench.vocab.CITIES, real postcodes
and area codes) has several directory sources ("link-000"…), each with its own contact centre
and its own groups (names from bench.vocab's topic patterns, made unique per city by a motto,
district, weekday, audience or number, as real directories disambiguate). A few regional sources
per city ("region-00"…) list every centre of their city again and 10–20 % of its groups, with
the variations real second listings show: "SHG" for "Selbsthilfegruppe", "e. V.", reordered
titles, "Str." for "Straße", no venue line, another phone layout, missing address, phone or
mailbox. The generator knows which listings are one entity, so the linkage's precision and
recall on these duplicates are measured, not guessed. With 18 cities, 100k listings put about
5,500 listings in one city block and hundreds in one postcode: the worst case for blocking.

Records go through `schema.normalise.to_listings` and
`warehouse.storage.runs.commit_source_run` (Arrow) as in a real run; that loaded warehouse is
kept in --out and copied for the next run of the same generator and schema code. Then
`link_entities` is timed cold (first run), warm (second run, unchanged data: must write
nothing) and on a changed night (three sources renamed or dropped some groups: existing entity
ids are kept, retired or created).

The floor is the libraries' share of the same work, in the same run on the same data: reading
the columns linkage needs into Arrow, rapidfuzz's three ratios (those `name_similarity` takes
the best of) in a tight loop over the exact candidate pairs the linkage scored (the batch
`process.cpdist` would need numpy, which the project does not install), and one bulk Arrow
insert of the same `entity_members` rows into an empty table. A linkage cannot do less than
read its input, compare the pairs it compares and write its output; everything above that is
the project's own Python (features, blocking, rules, clustering, id assignment).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import re
import shutil
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

import pyarrow as pa
from rapidfuzz import fuzz

from bench import vocab
from schema.ids import listing_id
from schema.listing import Listing
from schema.normalise import to_listings
from schema.records import ScrapedRecord
from schema.registry import Source
from warehouse.linkage.blocking import candidate_pairs
from warehouse.linkage.entities import _active_table, link_entities
from warehouse.linkage.features import features, fold, table_features
from warehouse.storage.db import arrow_schema, connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

LICENCE = "CC-BY-4.0"
FETCHED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
#: Listings per directory source: 100k listings -> 350 sources.
PER_SOURCE = 285
#: Share of a city's groups that a regional source lists a second time.
DUPLICATE_SHARE = (0.10, 0.20)

MOTTOS = ("Lichtblick", "Neuanfang", "Regenbogen", "Sonnenschein", "Zuversicht", "Aufwind",
          "Wegbegleiter", "Leuchtturm", "Brückenschlag", "Kompass", "Anker", "Lebensfreude",
          "Mittendrin", "Miteinander", "Wendepunkt", "Rückenwind", "Horizont", "Morgenrot",
          "Silberstreif", "Atempause", "Kraftquelle", "Oase", "Lotse", "Sonnenblume",
          "Zwischenraum", "Löwenzahn", "Fährmann", "Seepferdchen", "Kleeblatt", "Weitblick")
AUDIENCES = ("für Frauen", "für Männer", "für junge Erwachsene", "für Angehörige",
             "für Eltern", "für Senioren")
WEEKDAY_GROUPS = ("Montagsgruppe", "Dienstagsgruppe", "Mittwochsgruppe", "Donnerstagsgruppe",
                  "Freitagsgruppe", "Samstagsgruppe")
CARRIERS = ("AWO", "Caritas", "Diakonie", "Paritätische", "DRK", "Stadt")
CENTRES = ("Selbsthilfe-Kontaktstelle {place}", "Selbsthilfebüro {place}",
           "KISS {place}", "Selbsthilfe-Netzwerk {place}", "Selbsthilfezentrum {place}")


@dataclass
class World:
    """Records per source and the truth: listing id -> entity key."""

    records: dict[str, list[ScrapedRecord]] = field(default_factory=dict)
    truth: dict[str, str] = field(default_factory=dict)

    def add(self, record: ScrapedRecord, entity: str) -> None:
        self.records.setdefault(record.source_id, []).append(record)
        self.truth[str(listing_id(record.source_id, record.source_key))] = entity


@dataclass
class Entity:
    key: str
    kind: str
    name: str
    street: str
    number: str
    venue: str | None
    postcode: str
    town: str
    area: str
    phone: str | None  # subscriber digits
    email: str | None
    web: str | None
    topic: str
    meeting: str


# ----------------------------------------------------------------------------- formatting


def phone_text(rng: random.Random, area: str, sub: str) -> str:
    """One number in one of the layouts German sites print (the digits never change)."""
    style = rng.randrange(6)
    if style == 0:
        return f"({area}) {sub[:2]} {sub[2:4]} {sub[4:]}"
    if style == 1:
        return f"{area} {sub}"
    if style == 2:
        return f"{area}/{sub}"
    if style == 3:
        return f"+49 {area[1:]} {sub}"
    if style == 4:
        return f"{area} {sub[:2]}-{sub[2:]}"
    return f"0{area[1:]} - {sub[:3]} {sub[3:]}"


def address_text(e: Entity, *, venue: bool, short_street: bool, postcode: bool) -> str:
    street = re.sub(r"straße$", "str.", e.street) if short_street else e.street
    lines = ([e.venue] if venue and e.venue else []) + [f"{street} {e.number}"]
    lines.append(f"{e.postcode} {e.town}" if postcode else e.town)
    return ", ".join(lines)


def record(source: str, key: str, e: Entity, *, name: str, address: str | None,
           phones: list[str], emails: list[str], web: list[str]) -> ScrapedRecord:
    return ScrapedRecord(
        source_id=source, source_key=key, kind=e.kind, fetched_at=FETCHED,
        source_url=f"https://{source}.example.de/eintrag/{key}", name=name,
        address_text=address, phones_text=phones, emails_text=emails, web_text=web,
        meeting_text=e.meeting if e.kind == "group" else None, topics=[e.topic])


# ------------------------------------------------------------------------------ the world


def _unique_name(rng: random.Random, city: vocab.City, taken: set[str]) -> tuple[str, str]:
    """A group name and its topic label; the name's distinctive core is new in the city."""
    for attempt in range(200):
        topic = rng.choice(vocab.TOPICS)
        pattern = rng.choice(topic.names + vocab.GENERIC_NAMES[:2])
        name = pattern.format(city=city.name, district=rng.choice(city.districts),
                              topic=topic.label)
        if attempt or rng.random() < 0.5:
            extra = rng.randrange(5)
            if extra == 0:
                name = f"{rng.choice(MOTTOS)} – {name}"
            elif extra == 1:
                name = f"{name} {rng.choice(AUDIENCES)}"
            elif extra == 2:
                name = f"{name} – {rng.choice(WEEKDAY_GROUPS)}"
            elif extra == 3:
                name = f"{name} {rng.choice(('II', 'III', 'IV', '2', '3'))}"
            else:
                name = f"{rng.choice(MOTTOS)} – {name} ({rng.choice(city.districts)})"
        core = features(id="", source_id="", kind="group", name=name, city=city.name)
        key = " ".join(sorted(core.core(core)[0]))
        if key and key not in taken:
            taken.add(key)
            return name, topic.label
    raise RuntimeError(f"no new group name left in {city.name}")


def _unique(value: str, used: set[str]) -> str:
    """Distinct groups have distinct mailboxes and sites: "-2", "-3" … on a collision."""
    candidate, n = value, 1
    while candidate in used:
        n += 1
        candidate = f"{value}-{n}"
    used.add(candidate)
    return candidate


def _entity(rng: random.Random, key: str, kind: str, name: str, topic: str,
            city: vocab.City, used: set[str]) -> Entity:
    sub = str(rng.randint(2, 9)) + "".join(rng.choice("0123456789") for _ in range(6))
    slug = _unique(re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:40], used)
    web = f"https://www.{slug}.example.org/" if rng.random() < 0.3 else None
    email = None
    if rng.random() < 0.75:
        person = fold(f"{rng.choice(vocab.FIRST_NAMES)}.{rng.choice(vocab.SURNAMES)}")
        domain = rng.choice(vocab.FREEMAIL)
        email = (f"info@{slug}.example.org" if rng.random() < 0.6 else
                 _unique(re.sub(r"[^a-z.]", "", person), used) + f"@{domain}")
    town = city.name if rng.random() < 0.85 else f"{city.name}-{rng.choice(city.districts)}"
    return Entity(
        key=key, kind=kind, name=name, street=rng.choice(vocab.STREETS),
        number=str(rng.randint(1, 180)) + (rng.choice("ab") if rng.random() < 0.2 else ""),
        venue=rng.choice(vocab.VENUES) if rng.random() < 0.6 else None,
        postcode=rng.choice(city.postcodes), town=town, area=city.area_code,
        phone=sub if kind != "group" or rng.random() < 0.7 else None, email=email, web=web,
        topic=topic, meeting=f"jeden {rng.randint(1, 4)}. {rng.choice(vocab.WEEKDAYS)[0]} im "
                             f"Monat, {rng.choice((17, 18, 19, 20))} Uhr")


def original(rng: random.Random, source: str, key: str, e: Entity) -> ScrapedRecord:
    has_address = e.kind != "group" or rng.random() < 0.93
    return record(
        source, key, e, name=e.name,
        address=address_text(e, venue=True, short_street=False, postcode=True)
        if has_address else None,
        phones=[phone_text(rng, e.area, e.phone)] if e.phone else [],
        emails=[e.email] if e.email else [], web=[e.web] if e.web else [])


def variant_name(rng: random.Random, name: str) -> str:
    roll = rng.random()
    if roll < 0.25:
        name = name.replace("Selbsthilfegruppe", "SHG")
    elif roll < 0.4 and " – " in name:
        name = " – ".join(reversed(name.split(" – ")))
    elif roll < 0.5:
        name = name.replace("-", " ", 1)
    if rng.random() < 0.15:
        name += " e. V."
    return name


def second(rng: random.Random, source: str, key: str, e: Entity) -> ScrapedRecord:
    """The same entity as a regional source lists it: abbreviated, reformatted, incomplete."""
    roll = rng.random()
    address = None if roll < 0.15 else address_text(
        e, venue=rng.random() < 0.4, short_street=rng.random() < 0.5, postcode=roll > 0.2)
    phones = [phone_text(rng, e.area, e.phone)] if e.phone and rng.random() < 0.7 else []
    emails = [e.email.upper() if rng.random() < 0.1 else e.email] \
        if e.email and rng.random() < 0.7 else []
    web = [e.web.removeprefix("https://")] if e.web and rng.random() < 0.6 else []
    return record(source, key, e, name=variant_name(rng, e.name), address=address,
                  phones=phones, emails=emails, web=web)


def build_world(listings: int, seed: int, cities: int | None = None) -> World:
    """About `listings` listings: directory sources with their centre and groups, regional
    sources listing centres and 10–20 % of the groups again; in all (or the first `cities`)
    cities of bench.vocab."""
    towns = vocab.CITIES[:cities] if cities else vocab.CITIES
    directories = max(len(towns), round(listings / PER_SOURCE * 6 / 7))
    regionals = max(len(towns), directories // 6)
    share = sum(DUPLICATE_SHARE) / 2
    groups_total = max(directories, round((listings - 2 * directories) / (1 + share)))
    world = World()
    used: set[str] = set()  # mailboxes and site names
    taken: dict[str, set[str]] = defaultdict(set)
    seconds: dict[str, list[Entity]] = defaultdict(list)  # city -> entities listed again
    for d in range(directories):
        rng = random.Random(f"link:{seed}:{d}")
        city = towns[d % len(towns)]
        source = f"link-{d:03d}"
        place = rng.choice((city.name, f"{city.name}-{rng.choice(city.districts)}"))
        centre_name = f"{rng.choice(CARRIERS)} " + rng.choice(CENTRES).format(place=place)
        taken_c = taken[f"centre:{city.name}"]
        while centre_name in taken_c:
            centre_name += f" {rng.choice(city.districts)}"
        taken_c.add(centre_name)
        centre = _entity(rng, f"{source}/centre", "contact_centre", centre_name,
                         "Selbsthilfe", city, used)
        world.add(original(rng, source, "centre", centre), centre.key)
        seconds[city.name].append(centre)
        count = groups_total // directories + (d < groups_total % directories)
        low, high = DUPLICATE_SHARE
        again = low + (high - low) * rng.random()
        for g in range(count):
            name, topic = _unique_name(rng, city, taken[city.name])
            entity = _entity(rng, f"{source}/{g}", "group", name, topic, city, used)
            world.add(original(rng, source, str(1000 + g), entity), entity.key)
            if rng.random() < again:
                seconds[city.name].append(entity)
    for r in range(regionals):
        rng = random.Random(f"link:{seed}:region:{r}")
        source = f"region-{r:02d}"
        city = towns[r % len(towns)]
        # the regionals of one city share its second listings: r, r + len(towns), …
        of_city = len(range(r % len(towns), regionals, len(towns)))
        mine = [e for i, e in enumerate(seconds[city.name])
                if i % of_city == r // len(towns)]
        for n, entity in enumerate(mine):
            world.add(second(rng, source, f"r{n}", entity), entity.key)
    return world


# ------------------------------------------------------------------------------ warehouse


def registry(world: World) -> list[Source]:
    return [Source(id=sid, name=f"Bench {sid}", publisher="Bench", kind="html",
                   start_urls=[f"https://{sid}.example.de/"], licence=LICENCE, policy="open",
                   min_records=1) for sid in sorted(world.records)]


def _normalise(records: list[ScrapedRecord]) -> list[Listing]:
    items, rejected = to_listings(records, LICENCE)
    if rejected:
        raise AssertionError(f"rejected {rejected[:3]}")
    return items


def commit(con, run_id: str, now: datetime, records: dict[str, list[ScrapedRecord]]) -> int:
    """Normalise on every core (spawned workers: the DuckDB connection stays in this
    process), commit one source run per source, in source order, as the nightly flow does."""
    sids = sorted(records)
    total = 0
    with ExitStack() as stack:
        batches = [records[s] for s in sids]
        if sum(map(len, batches)) < 20_000:  # not worth starting workers
            normalised = map(_normalise, batches)
        else:
            pool = stack.enter_context(ProcessPoolExecutor(os.cpu_count(),
                                                           mp_context=get_context("spawn")))
            normalised = pool.map(_normalise, batches, chunksize=4)
        for sid, items in zip(sids, normalised, strict=True):
            commit_source_run(con, run_id, SourceRun(sid, now, now, parsed=len(records[sid]),
                                                     listings=items))
            total += len(items)
    return total


def _digest(params: str) -> str:
    """What the loaded warehouse depends on: the parameters, the generator, the schema code
    and DDL."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(params.encode())
    files = [root / "bench" / "link.py", root / "bench" / "vocab.py",
             *sorted((root / "schema").rglob("*.py")), *sorted((root / "schema").rglob("*.toml")),
             *sorted((root / "warehouse").rglob("*.sql")),
             *sorted((root / "warehouse" / "storage").glob("*.py")),
             root / "warehouse" / "comments.py"]
    for path in files:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def warehouse(out: Path, world: World, params: str, now: datetime
              ) -> tuple[Path, float, bool]:
    """A fresh copy of the loaded (not yet linked) warehouse: built once per generator and
    schema version, then copied, because loading 100k listings takes minutes and is not what
    this bench measures. (path, seconds, reused)"""
    template = out / f"loaded-{_digest(params)}.duckdb"
    db = out / "link.duckdb"
    for path in (db, Path(f"{db}.wal")):
        path.unlink(missing_ok=True)
    start = time.perf_counter()
    reused = template.is_file()
    if not reused:
        for old in out.glob("loaded-*.duckdb*"):
            old.unlink()
        partial = template.with_suffix(".part")
        for path in (partial, Path(f"{partial}.wal")):
            path.unlink(missing_ok=True)
        con = connect(partial)
        try:
            upsert_sources(con, registry(world))
            begin_run(con, "link-1", "replay", now)
            commit(con, "link-1", now, world.records)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        partial.rename(template)
    shutil.copyfile(template, db)
    return db, time.perf_counter() - start, reused


def changed_records(world: World, sources: int = 3) -> dict[str, list[ScrapedRecord]]:
    """A next night: in a few directory sources every 10th group is renamed ("(neu)") and
    every 20th is gone."""
    out = {}
    for sid in sorted(s for s in world.records if s.startswith("link-"))[:sources]:
        out[sid] = [r.model_copy(update={"name": f"{r.name} (neu)"}) if n % 10 == 3 else r
                    for n, r in enumerate(world.records[sid]) if n % 20 != 19]
    return out


# ---------------------------------------------------------------------------------- floor


def floor(con, pairs: list[tuple[int, int]], items: list, members: int) -> dict:
    """Read the linkage columns into Arrow, score the candidate pairs with the three ratios,
    bulk-insert `members` entity_members rows: the libraries' share of the same work."""
    names = [" ".join(sorted(f.core(f)[0])) for f in items]
    left = [names[i] for i, _ in pairs]
    right = [names[j] for _, j in pairs]
    token_sort, ratio = fuzz.token_sort_ratio, fuzz.ratio
    rows = con.sql("SELECT entity_id, listing_id, source_id, score, evidence, linked_run "
                   "FROM entity_members").to_arrow_table()
    schema = arrow_schema(con, "entity_members")
    rows = rows.select(schema.names).cast(schema)[:members]
    gc.collect()
    start = time.perf_counter()
    con.sql("""SELECT id, source_id, kind, name, address.street, address.house_number,
                      address.postcode, address.city, list_transform(phones, p -> p.e164),
                      list_transform(emails, e -> e.address),
                      list_transform(websites, w -> w.url)
               FROM listings WHERE active""").to_arrow_table()
    read_s = time.perf_counter() - start
    for a, b in zip(left, right, strict=True):
        max(token_sort(a, b), ratio(a, b), ratio(a.replace(" ", ""), b.replace(" ", "")))
    score_s = time.perf_counter() - start - read_s
    con.execute("CREATE OR REPLACE TEMP TABLE _floor AS FROM entity_members LIMIT 0")
    con.register("_floor_in", pa.Table.from_batches(rows.to_batches(), schema))
    con.execute("INSERT INTO _floor SELECT * FROM _floor_in")
    seconds = time.perf_counter() - start
    con.unregister("_floor_in")
    con.execute("DROP TABLE _floor")
    return {"seconds": round(seconds, 3), "read_s": round(read_s, 3),
            "score_s": round(score_s, 3), "write_s": round(seconds - read_s - score_s, 3)}


# ------------------------------------------------------------------------------ precision


def quality(con, truth: dict[str, str]) -> dict:
    """Precision and recall of linked pairs against the generator's entities."""
    members = con.execute("SELECT listing_id::VARCHAR, entity_id::VARCHAR FROM entity_members"
                          ).fetchall()
    by_entity: dict[str, list[str]] = defaultdict(list)
    by_truth: dict[str, list[str]] = defaultdict(list)
    for lid, eid in members:
        by_entity[eid].append(lid)
        by_truth[truth[lid]].append(lid)

    def pairs(groups: dict[str, list[str]]) -> set[tuple[str, str]]:
        return {(a, b) for g in groups.values() for a in g for b in g if a < b}

    predicted, true = pairs(by_entity), pairs(by_truth)
    hit = len(predicted & true)
    return {"true_pairs": len(true), "linked_pairs": len(predicted), "correct": hit,
            "precision": round(hit / len(predicted), 4) if predicted else 1.0,
            "recall": round(hit / len(true), 4) if true else 1.0}


# ---------------------------------------------------------------------------------- bench


def _timed(call):
    gc.collect()
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def run_link_bench(listings: int, seed: int, out: Path, cities: int | None = None) -> dict:
    """Build (or copy) the warehouse, link it cold, again unchanged (warm), measure the
    floor on the same data, then link a changed night; the figures as a dict ("seconds" is
    the cold linkage, "ratio" seconds / floor_seconds)."""
    out.mkdir(parents=True, exist_ok=True)
    world, generate_s = _timed(lambda: build_world(listings, seed, cities))
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    db, load_s, reused = warehouse(out, world, f"{listings}:{seed}:{cities}", now)
    con = connect(db)
    try:
        loaded = con.execute("SELECT count(*) FROM listings WHERE active").fetchone()[0]
        cold, cold_s = _timed(lambda: link_entities(con, "link-1", now))
        later = now + timedelta(days=1)
        warm, warm_s = _timed(lambda: link_entities(con, "link-2", later))
        q = quality(con, world.truth)
        items = table_features(_active_table(con))
        fl = floor(con, sorted(candidate_pairs(items)), items, cold.listings)
        del items
        night = later + timedelta(days=1)
        begin_run(con, "link-3", "replay", night)
        commit(con, "link-3", night, changed_records(world))
        changed, changed_s = _timed(lambda: link_entities(con, "link-3", night))
    finally:
        con.close()
    result = {
        "listings": loaded, "sources": len(world.records), "seed": seed,
        "generate_s": round(generate_s, 2), "load_s": round(load_s, 2), "load_reused": reused,
        "blocks": cold.blocks, "pairs_scored": cold.pairs_scored,
        "pairs_compared": cold.pairs_compared, "links": cold.links,
        "entities": cold.entities, "linked_entities": cold.linked,
        "seconds": round(cold_s, 3), "listings_per_s": round(loaded / cold_s, 1),
        "warm_seconds": round(warm_s, 3), "warm_reused": warm.reused,
        "warm_writes": {"created": warm.created, "retired": warm.retired,
                        "members_changed": warm.members_changed},
        "changed_seconds": round(changed_s, 3),
        "changed_writes": {"created": changed.created, "retired": changed.retired,
                           "members_changed": changed.members_changed},
        "floor_seconds": fl["seconds"], "floor": fl,
        "ratio": round(cold_s / fl["seconds"], 2) if fl["seconds"] else None,
        "quality": q,
    }
    (out / "link-result.json").write_text(json.dumps(result, indent=2), "utf-8")
    return result


def format_report(r: dict) -> str:
    q, fl = r["quality"], r["floor"]
    return "\n".join((
        f"linkage bench: {r['listings']:,} listings from {r['sources']} sources, "
        f"seed {r['seed']} (generated in {r['generate_s']:.1f} s, "
        f"{'copied' if r['load_reused'] else 'loaded'} in {r['load_s']:.1f} s)",
        f"blocks {r['blocks']:,}, pairs scored {r['pairs_scored']:,} (compared in full "
        f"{r['pairs_compared']:,}), links {r['links']:,}, "
        f"entities {r['entities']:,} ({r['linked_entities']:,} across sources)",
        f"cold     {r['seconds']:8.2f} s  {r['listings_per_s']:>10,.0f} listings/s",
        f"warm     {r['warm_seconds']:8.2f} s  unchanged input, reused: {r['warm_reused']}, "
        f"writes {r['warm_writes']}",
        f"changed  {r['changed_seconds']:8.2f} s  3 sources renamed/dropped some groups, "
        f"writes {r['changed_writes']}",
        f"floor    {r['floor_seconds']:8.2f} s  (Arrow read {fl['read_s']:.2f} + ratios of the "
        f"scored pairs {fl['score_s']:.2f} + Arrow insert {fl['write_s']:.2f})  "
        f"ratio {r['ratio']}×",
        f"synthetic duplicates: precision {q['precision']:.4f}, recall {q['recall']:.4f} "
        f"({q['correct']:,} of {q['true_pairs']:,} true pairs, {q['linked_pairs']:,} linked)",
    ))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.link", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("build/bench-link"))
    args = parser.parse_args(argv)
    result = run_link_bench(args.listings, args.seed, args.out)
    print(format_report(result))
    ok = not any(result["warm_writes"].values())
    if not ok:
        print("FAIL: the unchanged re-run wrote", result["warm_writes"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
