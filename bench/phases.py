"""The measured phases of the Germany bench, each run in a process of its own
(`python -m bench.phases <phase> <params.json> <result.json>`), so that its CPU time and peak
memory are its own: a nightly run is a fresh process too, and an in-process cache warmed by an
earlier phase would flatter a later one.

- `night`: one whole live run (`flows.pipeline.run_all`) against the loopback Germany server,
  every source in flight at once (`flows.concurrent.collect_threaded`);
- `replay`: one whole run from the WARC corpus, sources collected by a pool of processes;
- `floor`: the libraries in a tight loop on the same pages and records;
- `link`: `bench.link.run_link_bench`, the linkage figure;
- `peer-*`: ours and each peer on the same work (`bench.peers`).

Inside a run, `flows.pipeline`'s `link_entities` and `publish_if_changed` are wrapped in a
stopwatch (the real functions run), and the collector notes when the last source was
committed, so a run's wall and CPU time split into collect+load, link and publish.
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path

import psutil

from bench import germany, peers

#: perf_counter at import, close to the process start (the RSS sampler's clock origin).
_PROCESS_START = time.perf_counter() - (time.time() - psutil.Process().create_time())


def _cpu_self() -> float:
    return time.process_time()  # all threads of this process


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Clock:
    """Wall and CPU marks of one run: start, last source committed, link, publish."""

    def __init__(self) -> None:
        self.marks: dict[str, tuple[float, float]] = {}
        self.mark("start")

    def mark(self, name: str) -> None:
        self.marks[name] = (time.perf_counter(), _cpu_self() + _cpu_children())

    def since_start(self) -> dict[str, float]:
        """Wall seconds from the process start to each mark."""
        return {name: round(wall - _PROCESS_START, 2) for name, (wall, _) in self.marks.items()}

    def span(self, first: str, last: str) -> dict[str, float]:
        (w0, c0), (w1, c1) = self.marks[first], self.marks[last]
        return {"wall_s": round(w1 - w0, 3), "cpu_s": round(c1 - c0, 3)}

    def wrap(self, name: str, fn: Callable) -> Callable:
        @wraps(fn)
        def timed(*args, **kwargs):
            self.mark(f"{name}:start")
            try:
                return fn(*args, **kwargs)
            finally:
                self.mark(f"{name}:end")
        return timed

    def collector(self, collect: Callable[..., Iterable]) -> Callable[..., Iterable]:
        def collect_many(sources, ctx):
            self.mark("collect:start")
            yield from collect(sources, ctx)  # run_all commits each before the next
            self.mark("collect:end")
        return collect_many


def _instrumented_run_all(clock: Clock, **kwargs) -> dict:
    import flows.pipeline as pipeline

    real_link, real_publish = pipeline.link_entities, pipeline.publish_if_changed
    pipeline.link_entities = clock.wrap("link", real_link)
    pipeline.publish_if_changed = clock.wrap("publish", real_publish)
    try:
        return pipeline.run_all(**kwargs)
    finally:
        pipeline.link_entities, pipeline.publish_if_changed = real_link, real_publish


def _summary(clock: Clock, report: dict) -> dict:
    sources = report["sources"]
    return {
        "status": report["status"],
        "total": clock.span("start", "end"),
        "collect_load": clock.span("collect:start", "collect:end"),
        "link": clock.span("link:start", "link:end"),
        "publish": clock.span("publish:start", "publish:end"),
        "sources_ok": sum(s["status"] == "ok" for s in sources.values()),
        "failed": {sid: s["reason"] for sid, s in sources.items() if s["status"] != "ok"},
        "fetched": {sid: s["fetched"] for sid, s in sources.items()},
        "not_modified": sum(s["not_modified"] for s in sources.values()),
        "requests": sum(s["fetched"] for s in sources.values()),
        "inserted": sum(s["inserted"] for s in sources.values()),
        "updated": sum(s["updated"] for s in sources.values()),
        "unchanged": sum(s["unchanged"] for s in sources.values()),
        "rejected": sum(s["rejected"] for s in sources.values()),
        "published_rows": report["published_rows"],
        "release_new": report.get("release_new"),
        "confirmed_unchanged": sum(s.get("unchanged_since") is not None
                                   for s in sources.values()),
        "publish_error": report["publish_error"],
        "link_error": report.get("link_error"),
        "marks_s": clock.since_start(),
    }


def _registry(p: dict):
    from schema.registry import Registry

    specs = germany.plan(p["seed"], p["sources"], p["listings"])
    return specs, Registry(path=Path(p["out"]) / "sources.toml",
                           sources=germany.registry_sources(specs, p["rate"]))


def night(p: dict) -> dict:
    """`p["processes"]` > 1: the sources' threads spread over that many processes, at most
    `p["threads"]` in flight in each."""
    from bench.server import rewrite_map
    from flows.concurrent import collect_spread, collect_threaded

    specs, registry = _registry(p)
    clock = Clock()
    processes = p.get("processes", 1)

    def collect(sources, ctx):
        if processes > 1:
            return collect_spread(sources, ctx, processes, initializer=germany.install_scrapers,
                                  threads=p.get("threads"))
        return collect_threaded(sources, ctx)

    report = _instrumented_run_all(
        clock, registry=registry, data_dir=p["data_dir"], public_dir=p["public_dir"],
        rewrite=rewrite_map(specs, p["base"]), rate_override=p["rate"], force=True,
        collect_many=clock.collector(collect))
    clock.mark("end")
    return _summary(clock, report)


def replay(p: dict) -> dict:
    from flows.concurrent import collect_in_processes

    _specs, registry = _registry(p)
    clock = Clock()

    def collect(sources, ctx):
        return collect_in_processes(sources, ctx, workers=p["workers"],
                                    initializer=germany.install_scrapers)

    report = _instrumented_run_all(
        clock, registry=registry, replay=p["corpus"], data_dir=p["data_dir"],
        public_dir=p["public_dir"], collect_many=clock.collector(collect), force=True)
    clock.mark("end")
    return _summary(clock, report)


def floor(p: dict) -> dict:
    """Per source, streamed: Lexbor parse of every page the replay parsed (+2 css_first),
    TypeAdapter(list[Listing]) validation of the records it loaded, Arrow insert of them into
    a fresh warehouse with the real DDL; the three timers are summed over the sources."""
    import pyarrow as pa
    from pydantic import TypeAdapter
    from selectolax.lexbor import LexborHTMLParser
    from warcio.archiveiterator import ArchiveIterator

    from bench.floor import listing_rows
    from schema.listing import Listing
    from warehouse.storage.db import CONTENT_COLUMNS, arrow_schema, connect

    specs, _ = _registry(p)
    adapter = TypeAdapter(list[Listing])
    source = connect(p["warehouse"], read_only=True)
    target_path = Path(p["floor_db"])
    for suffix in ("", ".wal"):
        Path(f"{target_path}{suffix}").unlink(missing_ok=True)
    target = connect(target_path)
    schema = arrow_schema(target, "listings")
    cols = ", ".join(f'"{c}"' for c in CONTENT_COLUMNS)
    parse_s = validate_s = insert_s = 0.0
    pages = items = 0
    try:
        for spec in specs:
            texts = []
            with open(Path(p["corpus"]) / f"{spec.source_id}.warc.gz", "rb") as fh:
                for record in ArchiveIterator(fh):
                    url = record.rec_headers.get_header("WARC-Target-URI") or ""
                    if record.rec_type == "response" and not url.endswith(
                            ("/robots.txt", "/index.html")):
                        texts.append(record.content_stream().read().decode("utf-8", "replace"))
            rows = source.execute(f"SELECT {cols} FROM listings WHERE source_id = ?",
                                  [spec.source_id]).to_arrow_table().to_pylist()
            gc.collect()
            start = time.perf_counter()
            for html in texts:
                tree = LexborHTMLParser(html)
                tree.css_first("main h1")
                tree.css_first(".kontakt")
            parse_s += time.perf_counter() - start
            start = time.perf_counter()
            listings = adapter.validate_python(rows)
            validate_s += time.perf_counter() - start
            batch = listing_rows(listings, germany_now(), "floor")
            start = time.perf_counter()
            table = pa.Table.from_pylist(batch, schema=schema)
            target.register("arrow_batch", table)
            target.execute("INSERT INTO listings SELECT * FROM arrow_batch")
            target.unregister("arrow_batch")
            insert_s += time.perf_counter() - start
            pages, items = pages + len(texts), items + len(rows)
            del texts, rows, listings, batch, table
    finally:
        source.close()
        target.close()
    return {"pages": pages, "records": items, "parse_s": round(parse_s, 3),
            "validate_s": round(validate_s, 3), "insert_s": round(insert_s, 3),
            "seconds": round(parse_s + validate_s + insert_s, 3)}


def germany_now():
    from datetime import UTC, datetime

    return datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def link(p: dict) -> dict:
    try:
        from bench.link import run_link_bench
    except ImportError as exc:  # built by another engineer; the bench runs without it
        return {"error": f"bench.link unavailable: {exc}"}
    start = time.perf_counter()
    result = run_link_bench(p["listings"], p["seed"], Path(p["out"]) / "link")
    result["wall_s"] = round(time.perf_counter() - start, 3)
    return result


def generate(p: dict) -> dict:
    """Write the WARC corpus of the sites `p["indices"]` (one slice per generating process)."""
    specs = germany.plan(p["seed"], p["sources"], p["listings"])
    folder = Path(p["corpus"])
    folder.mkdir(parents=True, exist_ok=True)
    pages = size = changed = removed = 0
    for i in p["indices"]:
        count, nbytes, model = germany.write_warc(specs[i], p["seed"], folder, p["rate"],
                                                  p.get("revision", 0))
        pages, size = pages + count, size + nbytes
        changed, removed = changed + len(model.changed_keys), removed + len(model.removed_keys)
    return {"pages": pages, "bytes": size, "changed": changed, "removed": removed}


PHASES = {"night": night, "replay": replay, "floor": floor, "link": link,
          "generate": generate, **peers.PHASES}


def main(argv: list[str]) -> int:
    name, params, result = argv
    p = json.loads(Path(params).read_text("utf-8"))
    out = PHASES[name](p)
    Path(result).write_text(json.dumps(out, indent=2, default=str), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
