"""Researcher views at entity level: one row per real thing, best value per field with its
source, never a private person's value."""

import duckdb
import pytest

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("views")
    run_all(load_registry(ROOT / "sources.toml"), source_ids=["herne", "hamm", "nakos-rot"],
            replay=ROOT / "snapshots", data_dir=tmp, public_dir=tmp / "public")
    with duckdb.connect(str(tmp / "atlas.duckdb"), read_only=True) as connection:
        yield connection


def test_one_row_per_real_centre_with_sources(con):
    rows = con.execute("""SELECT name, name_source, sources, address.city, phones
                          FROM contact_centres WHERE 'herne' = ANY(sources)""").fetchall()
    assert rows == [("buez – Selbsthilfe-Netzwerk", "herne", ["herne", "nakos-rot"], "Herne",
                     ["+492323163636"])]
    total = con.execute("SELECT count(*) FROM contact_centres").fetchone()[0]
    listed = con.execute("""SELECT count(*) FROM listings
                            WHERE kind = 'contact_centre' AND active""").fetchone()[0]
    assert total == listed - 2  # Herne and Hamm each listed twice


def test_groups_hold_no_private_values(con):
    groups = con.execute("SELECT count(*) FROM groups").fetchone()[0]
    assert groups == con.execute("""SELECT count(*) FROM listings
                                    WHERE kind = 'group' AND active""").fetchone()[0]
    mobiles = con.execute("""SELECT count(*) FROM groups, unnest(phones) AS u(p)
                             WHERE p LIKE '+4915%' OR p LIKE '+4916%' OR p LIKE '+4917%'
                          """).fetchone()[0]
    assert mobiles == 0
    columns = {c for (c,) in con.execute("SELECT column_name FROM duckdb_columns() "
                                         "WHERE table_name = 'groups'").fetchall()}
    assert "contact_person" not in columns


def test_search_text_and_topics(con):
    found = con.execute("""SELECT count(*) FROM groups
                           WHERE search_text ILIKE '%angehorige%'""").fetchone()[0]
    assert found >= 1
    top = con.execute("SELECT code, groups FROM topics ORDER BY groups DESC, code LIMIT 1"
                      ).fetchone()
    assert top[1] >= 2 and "." in top[0]
