"""A bad archive fails only its source: a replay folder holding a truncated or damaged
`*.warc.gz` fails the source whose archive it is (naming the file), the other sources replay,
and a stray file beside the archives is skipped with a warning."""

import logging
import shutil

import duckdb
import pytest

from flows.collect import RunContext, collect_source
from flows.pipeline import run_all
from schema.registry import load_registry
from scrapers.fetch.warc import WarcReplayTransport
from tests.conftest import ROOT

REGISTRY = load_registry(ROOT / "sources.toml")
HTML = [s.id for s in REGISTRY.sources if s.kind == "html"]


@pytest.fixture
def snapshots(tmp_path):
    """A copy of snapshots/ with Herne's archive cut in half and two stray files added."""
    folder = tmp_path / "snapshots"
    shutil.copytree(ROOT / "snapshots", folder)
    herne = folder / "herne.warc.gz"
    data = herne.read_bytes()
    herne.write_bytes(data[:len(data) // 2])
    (folder / "NOTES.txt").write_text("captured by hand, see the wiki\n", "utf-8")
    (folder / "download.warc.gz").write_bytes(b"<html>\n<body>a saved error page, not a WARC"
                                              b"</body>\n</html>\n")
    return folder


def _active(data, source_id: str) -> int:
    with duckdb.connect(str(data / "atlas.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM listings WHERE source_id = ? AND active",
                           [source_id]).fetchone()[0]


def test_a_truncated_archive_fails_only_its_source(snapshots, tmp_path, caplog):
    data, public = tmp_path / "data", tmp_path / "public"
    first = run_all(REGISTRY, source_ids=["herne"], replay=ROOT / "snapshots", data_dir=data,
                    public_dir=public)
    assert first["sources"]["herne"]["status"] == "ok"
    before = _active(data, "herne")
    assert before == 13

    with caplog.at_level(logging.WARNING, logger="selbsthilfe_atlas.replay"):
        report = run_all(REGISTRY, source_ids=HTML, replay=snapshots, data_dir=data,
                         public_dir=public)

    others = {sid: report["sources"][sid]["status"] for sid in HTML if sid != "herne"}
    assert set(others.values()) == {"ok"}, {sid: report["sources"][sid]["reason"]
                                            for sid in others}
    herne = report["sources"]["herne"]
    assert herne["status"] == "failed" and herne["failure_class"] == "parse_error"
    assert herne["reason"].startswith(f"herne: replay archive {snapshots / 'herne.warc.gz'} "
                                      "is truncated"), herne["reason"]
    assert report["status"] == "partial" and report["release"] is not None
    assert _active(data, "herne") == before  # its previous records stay current
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"replay: skipping {snapshots / 'NOTES.txt'}: not a WARC file" in "\n".join(
        warnings), warnings
    # each source replays only its own archives: a file named for none is not read
    assert f"replay: skipping {snapshots / 'download.warc.gz'}: named for no source" in \
        "\n".join(warnings), warnings


def test_a_damaged_record_fails_its_source_when_read(tmp_path):
    """Damage inside a page's body is found only when the page is read: the source still
    fails whole, naming the file, instead of losing that page quietly."""
    folder = tmp_path / "snapshots"
    folder.mkdir()
    data = bytearray((ROOT / "snapshots" / "herne.warc.gz").read_bytes())
    transport = WarcReplayTransport(ROOT / "snapshots" / "herne.warc.gz")
    entry = transport.index["https://www.herne.de/Gesundheit/Selbsthilfe/Selbsthilfegruppen/"
                            "gruppe-1017.html"]
    middle = entry.offset + entry.length // 2
    data[middle:middle + 8] = bytes(b ^ 0xFF for b in data[middle:middle + 8])
    (folder / "herne.warc.gz").write_bytes(bytes(data))
    shutil.copy(ROOT / "snapshots" / "hamm.warc.gz", folder)

    herne, hamm = (collect_source(REGISTRY.get(sid), RunContext(
        run_id="t", data_dir=tmp_path / "data", replay=folder)) for sid in ("herne", "hamm"))
    assert herne.status == "failed" and herne.failure_class == "parse_error"
    assert f"replay archive {folder / 'herne.warc.gz'}" in herne.reason
    assert f"byte {entry.offset}" in herne.reason
    assert hamm.status == "ok", hamm.reason


def test_an_empty_archive_is_no_damage(tmp_path):
    """A run that opened a source's archive and wrote nothing (confirmed unchanged) leaves an
    empty file: replaying its folder must not fail that source."""
    (tmp_path / "herne.warc.gz").write_bytes(b"")
    shutil.copy(ROOT / "snapshots" / "hamm.warc.gz", tmp_path)
    transport = WarcReplayTransport(tmp_path)
    assert transport.broken == {} and transport.problem("herne") is None
    assert transport.urls() and transport.skipped == {}


def test_a_missing_replay_folder_fails_the_sources_not_the_run(tmp_path):
    """The run still reports: each source fails, naming the folder it found no archive in."""
    missing = tmp_path / "no-such-folder"
    report = run_all(REGISTRY, source_ids=["herne"], replay=missing, data_dir=tmp_path / "data",
                     public_dir=tmp_path / "public")
    herne = report["sources"]["herne"]
    assert herne["status"] == "failed" and str(missing) in herne["reason"], herne
    assert (tmp_path / "data" / "run-report.json").is_file()
