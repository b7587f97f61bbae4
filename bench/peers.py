"""The bench's peers, side by side with our own code on the same work, in one run.

- crawl: our collection (`flows.concurrent.collect_threaded`: fetch, parse, normalise,
  validate every source at once) and Scrapy (`bench.peer_spider`: an equivalent spider and
  item pipeline) crawl the same synthetic Germany on the same loopback server
  (`bench.server`), at the same per-host rate;
- load: the records our collection normalised go into a fresh DuckDB file by our commit
  (`warehouse.storage.runs.commit_source_run`, as the nightly run commits each source) and by dlt's
  duckdb destination (merge on the listing id).

Each side is a phase process of its own (`bench.phases`): Twisted's reactor cannot be
restarted in a process, and each side's CPU and memory are then its own. A ratio is the
peer's figure over ours: above 1 the peer needs more.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import groupby
from operator import attrgetter
from pathlib import Path

from bench import germany

#: The contact centre's source key on each platform (HerneScraper, DuesseldorfScraper).
CENTRE_KEYS = {"az": "buez", "tl": "selbsthilfe-service-buero"}


class Stopwatch:
    """Wall and CPU seconds (CPU: every thread of this process) summed over the `timed()`
    blocks, less the `aside()` blocks inside them: the bench's own reading and writing of the
    records, which is neither side's work."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    @contextmanager
    def timed(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.process_time() - cpu

    @contextmanager
    def aside(self, overlapped: bool = False) -> Iterator[None]:
        """`overlapped`: other threads work meanwhile, so only the CPU is taken out."""
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.take_out(0.0 if overlapped else time.perf_counter() - wall,
                          time.thread_time() - cpu)

    def take_out(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = self.wall - wall, self.cpu - cpu

    def figures(self) -> dict[str, float]:
        return {"wall_s": round(self.wall, 3), "cpu_s": round(self.cpu, 3)}


# ------------------------------------------------------------------------------ crawl


def ours_crawl(p: dict) -> dict:
    """Our collection of every source against the server; the listings go to `p["records"]`
    as JSON lines, for both loads."""
    from bench.server import rewrite_map
    from flows.collect import RunContext
    from flows.concurrent import collect_threaded

    specs = germany.plan(p["seed"], p["sources"], p["listings"])
    ctx = RunContext(run_id="peers", data_dir=Path(p["data_dir"]),
                     rewrite=rewrite_map(specs, p["base"]), rate_override=p["rate"])
    watch, records, requests, failed = Stopwatch(), 0, 0, {}
    with open(p["records"], "w", encoding="utf-8") as fh, watch.timed():
        for run in collect_threaded(germany.registry_sources(specs, p["rate"]), ctx):
            with watch.aside(overlapped=True):  # a source's records, then they go
                fh.writelines(item.model_dump_json() + "\n" for item in run.listings)
            records, requests = records + len(run.listings), requests + run.fetched
            if run.status != "ok":
                failed[run.source_id] = run.reason
    return watch.figures() | {"records": records, "requests": requests, "failed": failed}


def scrapy_crawl(p: dict) -> dict:
    """Scrapy's crawl of the same sites; its items go to `p["items"]` as JSON lines."""
    import scrapy
    import scrapy.downloadermiddlewares.cookies as cookies
    import tldextract
    from scrapy.crawler import CrawlerProcess
    from scrapy.resolver import dnscache

    from bench.peer_spider import GermanySpider
    from scrapers.fetch.http import USER_AGENT

    # the cookie middleware's public-suffix check: the list bundled with tldextract, never
    # one fetched from the network
    cookies._split_domain = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None,
                                                  include_psl_private_domains=True)
    specs = germany.plan(p["seed"], p["sources"], p["listings"])
    port = int(p["base"].rsplit(":", 1)[1])
    for spec in specs:  # every site's host is the loopback server, as DNS would say
        dnscache[spec.host] = "127.0.0.1"
    sites = [{"source_id": s.source_id, "platform": s.platform, "start_url": s.start_url,
              "centre_key": CENTRE_KEYS[s.platform]} for s in specs]
    rate = min(p["rate"], 20)  # the registry's cap (germany.registry_sources)
    process = CrawlerProcess(settings={
        "USER_AGENT": USER_AGENT, "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",  # not a warning line per dropped repeat
        # politeness as ours: one request at a time per host at the allowed rate, every
        # host in flight at once (Scrapy's broad-crawl settings)
        "CONCURRENT_REQUESTS": max(16, len(specs)), "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "DOWNLOAD_DELAY": 1 / rate, "RANDOMIZE_DOWNLOAD_DELAY": False,
        "DOWNLOAD_SLOTS": {s.host: {"delay": 1 / germany.allowed_rate(s, rate),
                                    "concurrency": 1} for s in specs},
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "ITEM_PIPELINES": {"bench.peer_spider.CleanPipeline": 100,
                           "bench.peer_spider.MergePipeline": 200},
        "BENCH_PORT": port, "BENCH_OUT": p["items"],
    })
    crawler, watch = process.create_crawler(GermanySpider), Stopwatch()
    with watch.timed():
        process.crawl(crawler, sites=sites, port=port)
        process.start()
    stats = crawler.stats.get_stats()
    watch.take_out(stats["bench/write_wall_s"], stats["bench/write_cpu_s"])
    with open(p["items"], encoding="utf-8") as fh:
        records = sum(1 for _ in fh)
    return watch.figures() | {
        "name": f"Scrapy {scrapy.__version__}",
        "records": records, "requests": stats.get("downloader/request_count", 0),
        "errors": stats.get("log_count/ERROR", 0),
        "dropped": stats.get("item_dropped_count", 0)}


# ------------------------------------------------------------------------------- load


def ours_load(p: dict) -> dict:
    """Our commit of the listings into a fresh warehouse: one run, one transaction per
    source, as the nightly run commits."""
    from datetime import UTC, datetime

    from schema.listing import Listing
    from schema.source_run import SourceRun
    from warehouse.storage.db import connect
    from warehouse.storage.runs import begin_run, commit_source_run, finish_run, upsert_sources

    specs = germany.plan(p["seed"], p["sources"], p["listings"])
    now, watch, inserted = datetime.now(UTC), Stopwatch(), 0
    con = connect(Path(p["db"]))
    try:
        upsert_sources(con, germany.registry_sources(specs, p["rate"]))
        with watch.timed():
            begin_run(con, "peers", "live", now)
        with open(p["records"], encoding="utf-8") as fh:  # written source by source
            items = map(Listing.model_validate_json, fh)
            for sid, group in groupby(items, key=attrgetter("source_id")):
                batch = list(group)
                run = SourceRun(source_id=sid, started_at=now, finished_at=now,
                                parsed=len(batch), listings=batch)
                with watch.timed():
                    commit_source_run(con, "peers", run)
                inserted += run.counts.inserted
        with watch.timed():
            finish_run(con, "peers", "ok", None, now)
        rows = con.execute("SELECT count(*) FROM listings").fetchone()[0]
    finally:
        con.close()
    return watch.figures() | {"records": rows, "inserted": inserted}


def dlt_load(p: dict) -> dict:
    """dlt's load of the same listings (as JSON objects) into a fresh DuckDB file: merge on
    the listing id, nested lists in child tables as dlt lays them out; telemetry off."""
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["RUNTIME__LOG_LEVEL"] = "ERROR"  # not a warning per column without values
    import dlt
    import duckdb

    watch = Stopwatch()

    def rows() -> Iterator[dict]:
        with open(p["records"], encoding="utf-8") as fh:
            for line in fh:
                with watch.aside():
                    row = json.loads(line)
                yield row

    pipeline = dlt.pipeline(pipeline_name="bench_peer", pipelines_dir=p["dlt_dir"],
                            destination=dlt.destinations.duckdb(p["db"]),
                            dataset_name="atlas", progress=None)
    with watch.timed():
        pipeline.run(rows(), table_name="listings", write_disposition="merge",
                     primary_key="id")
    con = duckdb.connect(p["db"], read_only=True)
    try:
        loaded = con.execute("SELECT count(*) FROM atlas.listings").fetchone()[0]
    finally:
        con.close()
    return watch.figures() | {"name": f"dlt {dlt.__version__}", "records": loaded}


PHASES = {"peer-ours-crawl": ours_crawl, "peer-scrapy": scrapy_crawl,
          "peer-ours-load": ours_load, "peer-dlt": dlt_load}


# ----------------------------------------------------------------------------- report


def _ratio(peer: float, ours: float) -> str:
    return f"{peer / ours:.2f}×" if ours else "n/a"


def report_lines(side: dict) -> list[str]:
    """Each peer next to ours: wall and CPU of the work, peak RSS of its process."""
    lines = ["", f"{'peer (ratio: peer ÷ ours)':<34}{'ours':>12}{'peer':>16}{'ratio':>9}"]
    for kind, ours_name in (("crawl", "our collect"), ("load", "our commit")):
        ours, peer = side[kind]["ours"], side[kind]["peer"]
        peer_name = peer["name"]
        lines.append(f"{kind + ': ' + peer_name:<34}"
                     f"{ours['wall_s']:>10.1f} s{peer['wall_s']:>14.1f} s"
                     f"{_ratio(peer['wall_s'], ours['wall_s']):>9}  wall")
        lines.append(f"{'':<34}{ours['cpu_s']:>10.1f} s{peer['cpu_s']:>14.1f} s"
                     f"{_ratio(peer['cpu_s'], ours['cpu_s']):>9}  CPU")
        rss = (ours["process"]["peak_tree_mb"], peer["process"]["peak_tree_mb"])
        lines.append(f"{'':<34}{rss[0]:>9,.0f} MB{rss[1]:>13,.0f} MB"
                     f"{_ratio(rss[1], rss[0]):>9}  peak RSS (whole process)")
        lines.append(f"    {peer_name} vs {ours_name}: records {peer['records']:,} vs "
                     f"{ours['records']:,}"
                     + (f", requests {peer['requests']:,} vs {ours['requests']:,}"
                        if "requests" in ours else ""))
    return lines
