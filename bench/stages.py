"""The project's own code path, one timed stage at a time.

Each function calls exactly what a replay run calls (`PoliteClient` over `WarcReplayTransport`,
`HerneScraper.scrape`, `to_listings`, `commit_source_run`, `publish`) and nothing else inside
the timer, so a stage's time is the pipeline's time, not the benchmark's.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from bench.corpus import SourceSpec
from schema.listing import Listing
from schema.normalise import Rejected, to_listings
from schema.registry import Source
from scrapers.bases.base import ScrapeResult
from scrapers.fetch.http import ClientSettings, PoliteClient
from scrapers.fetch.warc import WarcReplayTransport
from scrapers.sources.herne import HerneScraper
from warehouse.release.publish import Release, publish
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, finish_run

LICENCE = "CC-BY-4.0"


@dataclass
class Timing:
    stage: str
    listings: int
    seconds: float
    detail: dict[str, object] = field(default_factory=dict)


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """Seconds elapsed inside the block; a collection first, so one stage's garbage is not
    billed to the next."""
    gc.collect()
    start = time.perf_counter()
    end: float | None = None

    def elapsed() -> float:
        return (end or time.perf_counter()) - start

    try:
        yield elapsed
    finally:
        end = time.perf_counter()


@functools.cache
def scraper_for(source_id: str) -> type[HerneScraper]:
    """HerneScraper under a bench source id: the id ends up in every record and listing id,
    and `load_source_run` refuses listings of another source."""
    name = "BenchScraper_" + source_id.replace("-", "_")
    return type(name, (HerneScraper,), {"source_id": source_id, "__module__": __name__})


def registry_sources(specs: list[SourceSpec]) -> list[Source]:
    """Registry entries for the bench sources, all `open` so that the release holds them."""
    return [Source(id=s.source_id, name=f"Selbsthilfegruppen {s.city} (Bench)",
                   publisher=f"Stadt {s.city}", kind="html", start_urls=[s.start_url],
                   licence=LICENCE, policy="open", min_records=1) for s in specs]


async def _scrape(spec: SourceSpec, transport: WarcReplayTransport) -> ScrapeResult:
    async with PoliteClient(ClientSettings(rate_per_host=None), transport=transport) as client:
        return await scraper_for(spec.source_id)([spec.start_url]).scrape(client)


def fetch_and_parse(corpus: Path, specs: list[SourceSpec]) -> tuple[dict[str, ScrapeResult],
                                                                      Timing]:
    """Replay every source through the polite client and the Herne parser, one event loop per
    source as `flows.collect.collect_source` does. That includes a CPython 3.11 cost: on the
    main thread `asyncio.run` reprs the finished task, result included, twice (the SIGINT
    handler's partial passes through `signal._int_to_enum`), so returning a ScrapeResult full
    of pages is billed here as it is in the pipeline."""
    results: dict[str, ScrapeResult] = {}
    with stopwatch() as elapsed:
        transport = WarcReplayTransport(corpus)
        index_s = elapsed()
        for spec in specs:
            results[spec.source_id] = asyncio.run(_scrape(spec, transport))
    records = sum(len(r.records) for r in results.values())
    return results, Timing("fetch+parse", records, elapsed(), {
        "replay_index_s": round(index_s, 3),
        "pages": sum(len(r.pages) for r in results.values()),
        "failures": sum(len(r.failures) for r in results.values()),
    })


def normalise_and_validate(results: dict[str, ScrapeResult]) -> tuple[dict[str, list[Listing]],
                                                                      list[Rejected], Timing]:
    listings: dict[str, list[Listing]] = {}
    rejected: list[Rejected] = []
    with stopwatch() as elapsed:
        for source_id, result in results.items():
            good, bad = to_listings(result.records, LICENCE)
            listings[source_id] = good
            rejected += bad
    count = sum(map(len, listings.values()))
    return listings, rejected, Timing("normalise+validate", count, elapsed(),
                                      {"rejected": len(rejected)})


def load(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, stage: str,
         listings: dict[str, list[Listing]], pages: dict[str, list[dict]],
         parsed: dict[str, int]) -> Timing:
    """One `begin_run`, then one `commit_source_run` transaction per source (listings merge,
    history, raw_pages, source_runs), as the nightly flow commits."""
    runs = [SourceRun(source_id=sid, started_at=now, finished_at=now, fetched=len(pages[sid]),
                      parsed=parsed[sid], listings=items, pages=pages[sid])
            for sid, items in listings.items()]
    with stopwatch() as elapsed:
        begin_run(con, run_id, "replay", now)
        for run in runs:
            commit_source_run(con, run_id, run)
    finish_run(con, run_id, "ok", None, now)
    total = {name: sum(getattr(r.counts, name) for r in runs)
             for name in ("inserted", "updated", "unchanged", "vanished")}
    count = total["inserted"] + total["updated"] + total["unchanged"]
    return Timing(stage, count, elapsed(), total)


def publish_release(con: duckdb.DuckDBPyConnection, public: Path, run_id: str,
                    now: datetime) -> tuple[Release, Timing]:
    with stopwatch() as elapsed:
        release = publish(con, public, run_id, now)
    size = sum(p.stat().st_size for p in release.path.iterdir())
    return release, Timing("publish", release.rows, elapsed(),
                           {"release_bytes": size, "files": len(list(release.path.iterdir()))})
