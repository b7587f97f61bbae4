"""Every example query of docs/researchers.md runs against a fresh offline run: queries on the
release snapshot there, queries marked *warehouse* on the writer's file."""

import re

import duckdb
import pytest

from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT

GUIDE = (ROOT / "docs" / "researchers.md").read_text("utf-8")
EXAMPLES = re.findall(r"^\d+\. (.+?):\n\n```sql\n(.+?)```", GUIDE, re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("docs")
    report = run_all(load_registry(ROOT / "sources.toml"), replay=ROOT / "snapshots",
                     data_dir=tmp / "data", public_dir=tmp / "public")
    assert report["status"] == "ok"
    return tmp


def test_the_guide_has_at_least_ten_examples():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize(("title", "sql"), EXAMPLES, ids=[t for t, _ in EXAMPLES])
def test_example_query_runs_and_returns_rows(fresh, title, sql):
    target = (fresh / "data" / "atlas.duckdb" if "*warehouse*" in title
              else fresh / "public" / "latest" / "atlas.duckdb")
    with duckdb.connect(str(target), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    assert rows, title
