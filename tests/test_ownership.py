"""A listing belongs to its source, also in the warehouse load (defence in depth): whatever
ids a source run carries, it never inserts, updates or retires another source's listing; a
row it may not write goes to quarantine, naming source, record and field, and the rest
loads. The rows here bypass the normaliser, as a bug or a hand-made batch would."""

from datetime import timedelta

import duckdb

from schema.ids import listing_id
from schema.listing_rows import listing_row
from tests.factories import listings, record, source
from warehouse.storage.db import connect
from warehouse.storage.load import rows_table
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

OWNERS = ("herne", "nakos-rot")


def rows_of(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list]:
    """Every row the given ids hold, whole: listings and history."""
    return {table: con.execute(f"SELECT * FROM {table} WHERE id IN (SELECT unnest(?::UUID[]))"
                               " ORDER BY ALL", [ids]).fetchall()
            for table in ("listings", "listing_history")}


def intruding_batch() -> list:
    """Rows of source `intruder`: one of its own, one under Herne's listing id, one under an
    id NAKOS will use later (squatting)."""
    own, herne_copy, squat = listings(
        record("i1", source_id="intruder"),
        record("i2", source_id="intruder", name="Übernommen"),
        record("i3", source_id="intruder", name="Vorab besetzt"))
    return [own,
            herne_copy.model_copy(update={"id": listing_id("herne", "1")}),
            squat.model_copy(update={"id": listing_id("nakos-rot", "k2")})]


def test_another_sources_ids_change_none_of_its_rows(tmp_path, now):
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [source("herne"), source("nakos-rot", policy="withhold"),
                         source("intruder")])
    begin_run(con, "r1", "live", now)
    for sid, keys in (("herne", ("1", "2")), ("nakos-rot", ("k1",))):
        commit_source_run(con, "r1", SourceRun(sid, now, now, listings=listings(
            *(record(k, source_id=sid) for k in keys))))
    owned = [str(listing_id(s, k)) for s, k in (("herne", "1"), ("herne", "2"),
                                                 ("nakos-rot", "k1"), ("nakos-rot", "k2"))]
    before = rows_of(con, owned)
    for night in (2, 3):  # two nights: ownership never flips
        when = now + timedelta(days=night - 1)
        begin_run(con, f"r{night}", "live", when)
        run = SourceRun("intruder", when, when, listings=intruding_batch())
        commit_source_run(con, f"r{night}", run)
        assert rows_of(con, owned) == before, f"night {night}"
        assert con.execute("SELECT count(*) FROM listings WHERE source_id = 'intruder'"
                           ).fetchone()[0] == 1
    quarantined = con.execute("""
        SELECT source_id, source_key, field, reason FROM quarantine
        WHERE run_id = 'r3' ORDER BY source_key""").fetchall()
    assert [(s, k, f) for s, k, f, _ in quarantined] == [
        ("intruder", "i2", "id"), ("intruder", "i3", "id")]
    reasons = [r for *_, r in quarantined]
    assert reasons[0].startswith("intruder: record i2: field id: ")
    assert str(listing_id("herne", "1")) in reasons[0]
    assert "is held by source 'herne'" in reasons[0]
    assert reasons[1].startswith("intruder: record i3: field id: ")
    assert str(listing_id("nakos-rot", "k2")) in reasons[1]
    assert "is not this source's id for key 'i3'" in reasons[1]
    assert con.execute("""SELECT status, rejected, inserted FROM source_runs
                          WHERE run_id = 'r2' AND source_id = 'intruder'""").fetchone() == (
        "ok", 2, 1)
    # the rightful owner of the squatted id still inserts it
    later = now + timedelta(days=3)
    begin_run(con, "r4", "live", later)
    commit_source_run(con, "r4", SourceRun("nakos-rot", later, later, listings=listings(
        *(record(k, source_id="nakos-rot") for k in ("k1", "k2")))))
    assert con.execute("SELECT source_id, name FROM listings WHERE id = ?",
                       [owned[3]]).fetchone() == ("nakos-rot", "Selbsthilfegruppe k2")
    con.close()


def test_a_row_held_by_another_source_is_never_touched(tmp_path, now):
    """A warehouse from before ownership was enforced may hold a listing under an id outside
    its source's namespace (a federated copy kept the upstream id): the true owner's row for
    that id is refused with the holder named, and the holder's row stays as it is."""
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [source("herne"), source("region")])
    squatter = listings(record("x", source_id="region", name="Alte Kopie"))[0].model_copy(
        update={"id": listing_id("herne", "1")})
    # written as the old code wrote it, past the screen
    con.register("squatter", rows_table(con, [listing_row(squatter)]))
    con.execute("INSERT INTO listings SELECT *, true, $now, $now, NULL, 'r0' FROM squatter",
                {"now": now})
    before = rows_of(con, [str(squatter.id)])
    begin_run(con, "r1", "live", now)
    commit_source_run(con, "r1", SourceRun("herne", now, now, listings=listings(
        record("1"), record("2"))))
    assert rows_of(con, [str(squatter.id)]) == before
    assert con.execute("SELECT source_key FROM listings WHERE source_id = 'herne'"
                       ).fetchall() == [("2",)]
    (field, reason), = con.execute("SELECT field, reason FROM quarantine").fetchall()
    assert field == "id" and reason.startswith("herne: record 1: field id: ")
    assert "held by source 'region'" in reason
    con.close()


def test_a_row_of_another_source_in_a_batch_is_quarantined_and_the_rest_loads(tmp_path, now):
    """A batch holding a listing that names another source (a scraper bug) loses only that
    row: it goes to quarantine, the source's own rows load, the other source's row stays."""
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [source("herne"), source("intruder")])
    begin_run(con, "r1", "live", now)
    commit_source_run(con, "r1", SourceRun("herne", now, now, listings=listings(record("1"))))
    before = rows_of(con, [str(listing_id("herne", "1"))])
    batch = [*listings(record("i1", source_id="intruder")),
             *listings(record("1", name="Gefälscht"))]
    commit_source_run(con, "r1", SourceRun("intruder", now, now, listings=batch))
    assert rows_of(con, [str(listing_id("herne", "1"))]) == before
    assert con.execute("SELECT source_key FROM listings WHERE source_id = 'intruder'"
                       ).fetchall() == [("i1",)]
    (key, field, reason), = con.execute("SELECT source_key, field, reason FROM quarantine"
                                        ).fetchall()
    assert (key, field) == ("1", "source_id")
    assert reason.startswith("intruder: record 1: field source_id: ")
    assert "belongs to source 'herne'" in reason
    con.close()
