"""An unchanged night skips the linkage (`link_state`), and any change to its input does not."""

from datetime import timedelta

import pytest

from tests.factories import listings, record, source
from warehouse.linkage import entities
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [source("herne"), source("nakos-rot")])
    yield con
    con.close()


def night(con, run_id, when, dep_name="SHG Depressionen"):
    begin_run(con, run_id, "live", when)
    for source_id, items in {
        "herne": listings(record("dep", "herne", name=dep_name),
                          record("angst", "herne", name="Selbsthilfegruppe Angst und Panik")),
        "nakos-rot": listings(record("r2", "nakos-rot",
                                     name="Selbsthilfegruppe Depression Herne")),
    }.items():
        commit_source_run(con, run_id, SourceRun(source_id, when, when, listings=items))
    return entities.link_entities(con, run_id, when)


def snapshot(con):
    return (con.execute("SELECT * FROM entities ORDER BY entity_id").fetchall(),
            con.execute("SELECT * FROM entity_members ORDER BY listing_id").fetchall())


def test_unchanged_night_is_skipped_and_any_change_is_not(con, now, monkeypatch):
    first = night(con, "r1", now)
    assert not first.reused and first.pairs_scored >= 1 and first.links == 1
    assert con.execute("SELECT run_id, listings, entities, linked FROM link_state"
                       ).fetchall() == [("r1", 3, 2, 1)]
    before = snapshot(con)

    again = night(con, "r2", now + timedelta(days=1))
    assert again.reused and again.pairs_scored == 0
    assert (again.listings, again.entities, again.linked) == (3, 2, 1)
    assert snapshot(con) == before
    assert con.execute("SELECT run_id FROM link_state").fetchall() == [("r1",)]

    # a listing changed: computed again (the rename keeps the link and the entity id)
    renamed = night(con, "r3", now + timedelta(days=2), dep_name="SHG Depression")
    assert not renamed.reused and renamed.pairs_scored >= 1
    assert con.execute("SELECT run_id FROM link_state").fetchall() == [("r3",)]

    # the entity tables were edited behind the linkage's back: computed again, restored
    con.execute("DELETE FROM entity_members")
    restored = entities.link_entities(con, "r4", now + timedelta(days=3))
    assert not restored.reused and restored.members_changed == 3
    assert con.execute("SELECT count(*) FROM entity_members").fetchone() == (3,)

    # new linkage code (or rapidfuzz): computed again, and with the same result nothing written
    monkeypatch.setattr(entities, "_CODE", "another version")
    recoded = entities.link_entities(con, "r5", now + timedelta(days=4))
    assert not recoded.reused and recoded.members_changed == 0 and recoded.created == 0
    assert entities.link_entities(con, "r6", now + timedelta(days=5)).reused
