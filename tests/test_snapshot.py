"""The bundled offline snapshot: current with the fixture sites, and replayable without Prefect."""

import asyncio
from urllib.parse import urlsplit

import httpx
import pytest

from flows.capture import fixture_path
from flows.collect import RunContext, collect_source
from schema.registry import load_registry
from scrapers.warc import WarcReplayTransport
from tests.conftest import FIXTURES, ROOT

SNAPSHOTS = ROOT / "snapshots"
HTML = [s for s in load_registry(ROOT / "sources.toml").sources if s.kind == "html"]


@pytest.mark.parametrize("source", HTML, ids=lambda s: s.id)
def test_snapshot_matches_the_fixture_files(source):
    """A fixture edited without `make snapshot` would make `make run` publish stale data."""
    replay = WarcReplayTransport(SNAPSHOTS / f"{source.id}.warc.gz")

    async def bodies() -> dict[str, bytes]:
        async with httpx.AsyncClient(transport=replay) as client:
            return {url: (await client.get(url)).content for url in replay.urls()}

    site = FIXTURES / source.id
    for url, body in asyncio.run(bodies()).items():
        assert urlsplit(url).netloc, url
        assert body == fixture_path(site, url).read_bytes(), \
            f"snapshot stale for {url}: run `make snapshot`"


@pytest.mark.parametrize("source", HTML, ids=lambda s: s.id)
def test_replay_collects_offline(source, tmp_path):
    run = collect_source(source, RunContext(run_id="t", data_dir=tmp_path, replay=SNAPSHOTS))
    assert run.status == "ok", run.reason
    assert len(run.listings) >= source.min_records
    # fetched_at is the archive's date, so replaying twice yields identical provenance
    again = collect_source(source, RunContext(run_id="u", data_dir=tmp_path, replay=SNAPSHOTS))
    assert [x.provenance for x in again.listings] == [x.provenance for x in run.listings]
