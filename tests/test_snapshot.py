"""The bundled offline snapshot: current with the fixture sites, and replayable without Prefect."""

from urllib.parse import urlsplit

from flows.pipeline import RunContext, collect_source
from schema.registry import load_registry
from scrapers.warc import WarcReplayTransport
from tests.conftest import FIXTURES, ROOT

SNAPSHOTS = ROOT / "snapshots"


def test_snapshot_matches_the_fixture_files():
    """A fixture edited without `make snapshot` would make `make run` publish stale data."""
    import asyncio

    import httpx

    replay = WarcReplayTransport(SNAPSHOTS / "herne.warc.gz")

    async def body(url: str) -> bytes:
        async with httpx.AsyncClient(transport=replay) as client:
            return (await client.get(url)).content

    for url in replay.urls():
        path = urlsplit(url).path
        file = FIXTURES / "herne" / path.lstrip("/")
        file = file / "index.html" if path.endswith("/") else file
        assert asyncio.run(body(url)) == file.read_bytes(), f"snapshot stale for {url}: run " \
                                                            "`make snapshot`"
    pages = {p for p in (FIXTURES / "herne").rglob("*.html")}
    assert len(replay.urls()) >= len(pages)  # every page (plus robots.txt) is in it


def test_replay_collects_herne_offline(tmp_path):
    source = load_registry(ROOT / "sources.toml").get("herne")
    ctx = RunContext(run_id="t", data_dir=tmp_path, replay=SNAPSHOTS)
    run = collect_source(source, ctx)
    assert run.status == "ok", run.reason
    assert len(run.listings) == len(list((FIXTURES / "herne").rglob("gruppe-*.html"))) + 1
    assert not run.quarantine
    # fetched_at is the archive's date, so replaying twice yields identical provenance
    again = collect_source(source, RunContext(run_id="u", data_dir=tmp_path, replay=SNAPSHOTS))
    assert [x.provenance for x in again.listings] == [x.provenance for x in run.listings]
