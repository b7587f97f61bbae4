"""The bundled offline snapshot: current with the fixture sites, and replayable without Prefect."""

import asyncio
from urllib.parse import urlsplit

import httpx
import pytest

from flows.capture import fixture_path
from flows.collect import RunContext, collect_source
from schema.registry import load_registry
from scrapers.fetch.warc import WarcReplayTransport
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


def test_rebuilding_leaves_unchanged_archives_byte_identical(tmp_path):
    """`make snapshot` rewrote every WARC (new record ids and dates) although no fixture had
    changed, so every rebuild was a diff of every archive. Built twice, the archives stay
    byte for byte; a changed fixture page changes only its own source's archive."""
    import shutil

    from tools.snapshot import build_snapshots

    registry = load_registry(ROOT / "sources.toml")
    ids = ["herne", "nakos-rot"]
    fixtures, out = tmp_path / "fixtures", tmp_path / "snapshots"
    for sid in ids:
        shutil.copytree(FIXTURES / sid, fixtures / sid)

    def build() -> dict[str, bytes]:
        built = asyncio.run(build_snapshots(registry, fixtures, out, ids))
        assert sorted(p.name for p in built) == [f"{sid}.warc.gz" for sid in sorted(ids)]
        return {sid: (out / f"{sid}.warc.gz").read_bytes() for sid in ids}

    first = build()
    second = build()
    assert second == first
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{sid}.warc.gz" for sid in ids)
    page = next(p for p in sorted((fixtures / "herne").rglob("*.html")))
    page.write_bytes(page.read_bytes().replace(b"</body>", b"<p>neu</p></body>"))
    third = build()
    assert third["nakos-rot"] == first["nakos-rot"]
    assert third["herne"] != first["herne"]
    replay = WarcReplayTransport(out / "herne.warc.gz")
    url = next(u for u in replay.urls() if fixture_path(fixtures / "herne", u) == page)
    assert replay.body(url) == page.read_bytes()
