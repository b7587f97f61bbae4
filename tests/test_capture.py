"""`shg capture`: a polite crawl into a WARC that replays and unpacks into a fixture folder."""

from flows.cli import main
from flows.collect import RunContext, collect_source
from flows.fixture_site import serve_directory
from schema.registry import load_registry
from tests.conftest import FIXTURES, ROOT

SITE = FIXTURES / "herne"


def test_capture_replays_and_extracts_to_the_same_pages(tmp_path, capsys):
    out, extracted = tmp_path / "warc", tmp_path / "fixtures"
    with serve_directory(SITE) as (base, seen):
        code = main(["--registry", str(ROOT / "sources.toml"), "capture", "herne",
                     "--out", str(out), "--map", f"https://www.herne.de={base}",
                     "--rate", "100", "--extract", str(extracted)])
    assert code == 0
    assert "13 records, 0 failures" in capsys.readouterr().out
    assert seen[0] == "/robots.txt"
    pages = sorted(p for p in extracted.rglob("*") if p.is_file())
    assert len(pages) == len(seen)  # robots.txt + every page requested
    for page in pages:
        assert page.read_bytes() == (SITE / page.relative_to(extracted)).read_bytes()
    source = load_registry(ROOT / "sources.toml").get("herne")
    run = collect_source(source, RunContext(run_id="t", data_dir=tmp_path / "d", replay=out))
    assert run.status == "ok" and len(run.listings) == 13


def test_failed_capture_keeps_the_previous_warc(tmp_path, capsys):
    out = tmp_path / "warc"
    out.mkdir()
    (out / "herne.warc.gz").write_bytes(b"previous")
    code = main(["--registry", str(ROOT / "sources.toml"), "capture", "herne", "--out",
                 str(out), "--map", "https://www.herne.de=http://127.0.0.1:9"])
    assert code == 1
    assert "capture failed [refused]" in capsys.readouterr().err
    assert (out / "herne.warc.gz").read_bytes() == b"previous"
    assert sorted(p.name for p in out.iterdir()) == ["herne.warc.gz"]
