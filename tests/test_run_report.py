"""`run-report.json` and the markdown artifact: per source status, failure class, counts,
duration, the change against the last accepted run, and field completeness — from real runs
against a copy of the Herne fixture site that loses a group, then goes offline."""

import json
import shutil
import socket

import duckdb
import pytest

from flows.pipeline import run_all
from flows.report import format_report, markdown_report
from schema.registry import load_registry
from tests.conftest import FIXTURES, ROOT
from tools.site_server import serve_directory

HERNE = "https://www.herne.de"
GONE = "Gesundheit/Selbsthilfe/Selbsthilfegruppen/gruppe-1023.html"


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    site = tmp / "site"
    shutil.copytree(FIXTURES / "herne", site)
    registry = load_registry(ROOT / "sources.toml")
    kw = {"source_ids": ["herne"], "data_dir": tmp / "data", "public_dir": tmp / "public",
          "rate_override": 100}
    with serve_directory(site) as (base, _):
        first = run_all(registry, rewrite={HERNE: base}, **kw)
        (site / GONE).unlink()
        second = run_all(registry, rewrite={HERNE: base}, **kw)
    written = json.loads((tmp / "data" / "run-report.json").read_text("utf-8"))
    third = run_all(registry, rewrite={HERNE: closed_port()}, **kw)
    return {"db": tmp / "data" / "atlas.duckdb", "first": first, "second": second,
            "written": written, "third": third}


def test_delta_against_the_last_accepted_run(runs):
    first, second = runs["first"]["sources"]["herne"], runs["second"]["sources"]["herne"]
    assert first["delta"] == {"before": None, "after": 13, "change": None}
    assert second["delta"] == {"before": 13, "after": 12, "change": -1}
    assert (second["vanished"], second["unchanged"]) == (1, 12)
    assert runs["written"] == json.loads(json.dumps(runs["second"], default=str))


def test_a_failed_run_reports_its_class_and_no_new_count(runs):
    herne = runs["third"]["sources"]["herne"]
    assert (herne["status"], herne["failure_class"]) == ("failed", "refused")
    assert herne["delta"] == {"before": 12, "after": None, "change": None}
    assert herne["completeness"] == {}
    assert herne["duration_s"] >= 0 and herne["fetched"] == 0
    assert runs["third"]["summary"] == {"ok": 0, "failed": 1, "skipped": 0}


def test_completeness_is_the_share_of_records_with_a_value(runs):
    """Checked against the listings the run loaded, not against the stats it came from."""
    share = runs["second"]["sources"]["herne"]["completeness"]
    with duckdb.connect(str(runs["db"]), read_only=True) as con:
        total, phones, hours, described = con.execute("""
            SELECT count(*), count(*) FILTER (len(phones) > 0),
                   count(*) FILTER (opening_hours IS NOT NULL),
                   count(*) FILTER (description IS NOT NULL)
            FROM listings WHERE source_id = 'herne' AND active""").fetchone()
    assert total == 12 and share["name"] == 1.0
    assert share["phones"] == round(phones / total, 3)
    assert share["opening_hours"] == round(hours / total, 3) < 1
    assert share["description"] == round(described / total, 3)
    assert set(share) >= {"address", "emails", "meeting", "topics"}


def test_text_and_markdown_show_the_same(runs):
    text = format_report(runs["second"]).splitlines()
    row = next(line for line in text if line.startswith("herne"))
    assert row.split()[1] == "ok" and row.split()[-2] == "-1"
    md = markdown_report(runs["second"])
    assert "| herne | ok |  | " in md and "| 13 | 12 | -1 |" in md
    header = next(line for line in md.splitlines() if line.startswith("| source | address"))
    cells = next(line for line in md.splitlines()[md.splitlines().index(header):]
                 if line.startswith("| herne |"))
    fields = header.strip("| ").split(" | ")[1:]
    assert dict(zip(fields, cells.strip("| ").split(" | ")[1:], strict=True))["name"] == "100%"
    failed = markdown_report(runs["third"])
    assert "| herne | failed | refused |" in failed
    assert "- **herne** (failed): herne: refused: ConnectError" in failed
    assert "| 12 |  |  |" in failed  # before 12, no count now, no delta
