"""One benchmark run: generate, replay every stage, measure each floor right after its stage,
check that nothing was lost on the way, and report.

Each floor runs directly after its stage, on that stage's data, so both see the same warm
caches and the same process state.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import corpus, floor, stages
from bench.floor import Floor
from bench.stages import Timing
from flows.collect import page_row
from scrapers.fetch.decoding import decode
from scrapers.fetch.warc import WarcReplayTransport
from warehouse.release.public import public_table
from warehouse.storage.db import connect
from warehouse.storage.runs import upsert_sources

#: What the bench owns below --out; only these are removed before a run.
OWNED = ("corpus", "atlas.duckdb", "atlas.duckdb.wal", "floor.duckdb", "floor.duckdb.wal",
         "public", "floor-release", "bench-result.json")


def _clear(out: Path) -> None:
    for name in OWNED:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_bench(*, sources: int, listings: int, seed: int, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    expected = sources * (listings + 1)  # every source also yields its contact centre

    start = time.perf_counter()
    specs = corpus.generate(out / "corpus", sources=sources, listings=listings, seed=seed)
    generation = {"seconds": round(time.perf_counter() - start, 3),
                  "pages": sum(s.pages for s in specs),
                  "html_bytes": sum(s.bytes for s in specs),
                  "warc_bytes": sum(s.warc.stat().st_size for s in specs),
                  "rss_mb": round(peak_rss_mb(), 1)}

    pairs: list[tuple[Timing, Floor]] = []
    results, timing = stages.fetch_and_parse(out / "corpus", specs)
    record_urls = {r.source_url for res in results.values() for r in res.records}
    replay = WarcReplayTransport(out / "corpus")  # scrapers keep no page bodies: read them
    texts = [decode(replay.body(url), "text/html")[0] for url in sorted(record_urls)]
    del replay
    pairs.append((timing, floor.parse_floor(texts)))
    del texts
    pages = {sid: [page_row(sid, p) for p in res.pages] for sid, res in results.items()}
    parsed = {sid: len(res.records) for sid, res in results.items()}
    failures = [f"{f.url}: {f.reason}" for res in results.values() for f in res.failures]

    listings_by_source, rejected, timing = stages.normalise_and_validate(results)
    del results
    dumps = [[item.model_dump() for item in batch] for batch in listings_by_source.values()]
    pairs.append((timing, floor.validate_floor(dumps)))
    del dumps

    now = datetime.now(UTC).replace(microsecond=0)
    later = now + timedelta(hours=24)
    con = connect(out / "atlas.duckdb")
    try:
        upsert_sources(con, stages.registry_sources(specs))
        first = stages.load(con, "bench-1", now, "load", listings_by_source, pages, parsed)
        second = stages.load(con, "bench-2", later, "load (unchanged)", listings_by_source,
                             pages, parsed)
        rows = [floor.listing_rows(batch, now, "floor") for batch in listings_by_source.values()]
        insert_floor, compare_floor = floor.load_floors(out / "floor.duckdb", rows)
        del rows
        pairs += [(first, insert_floor), (second, compare_floor)]
        release, timing = stages.publish_release(con, out / "public", "bench-2", later)
        pairs.append((timing, floor.publish_floor(public_table(con), out / "floor-release")))
    finally:
        con.close()

    checks = {
        "parsed every page": (parsed_total := sum(parsed.values())) == expected and not failures,
        "validated every record": pairs[1][0].listings == expected and not rejected,
        "loaded every listing": first.detail["inserted"] == expected,
        "second load all unchanged": second.detail["unchanged"] == expected,
        "released every listing": release.rows == expected,
    }
    result = {
        "params": {"sources": sources, "listings": listings, "seed": seed, "out": str(out)},
        "expected_records": expected,
        "generation": generation,
        "stages": [_row(t, f) for t, f in pairs],
        "total_seconds": round(sum(t.seconds for t, _ in pairs), 3),
        "parsed": parsed_total,
        "parse_failures": failures[:20],
        "rejected": [f"{r.record.source_id}/{r.record.source_key}: {r.field}: {r.reason}"
                     for r in rejected[:20]],
        "release": {"path": str(release.path), "rows": release.rows},
        "checks": checks,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    (out / "bench-result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False),
                                           "utf-8")
    return result


def _rate(items: int, seconds: float) -> float:
    return round(items / seconds, 1) if seconds > 0 else float("inf")


def _row(timing: Timing, fl: Floor) -> dict:
    rate, floor_rate = _rate(timing.listings, timing.seconds), _rate(fl.items, fl.seconds)
    return {
        "stage": timing.stage, "listings": timing.listings,
        "seconds": round(timing.seconds, 3), "listings_per_s": rate,
        "floor_listings_per_s": floor_rate,
        "ratio": round(floor_rate / rate, 2) if rate else None,
        "floor": asdict(fl) | {"seconds": round(fl.seconds, 4)},
        "detail": timing.detail,
    }


def format_report(result: dict) -> str:
    p, g = result["params"], result["generation"]
    lines = [
        f"selbsthilfe-atlas bench: {p['sources']} sources × {p['listings']} listings "
        f"(+1 contact centre each = {result['expected_records']:,} records), seed {p['seed']}",
        f"generation (not in any stage): {g['pages']:,} pages, {g['html_bytes'] / 1e6:.1f} MB "
        f"HTML, {g['warc_bytes'] / 1e6:.1f} MB WARC, {g['seconds']:.2f} s",
        "",
        f"{'stage':<20}{'listings':>9}{'seconds':>9}{'listings/s':>12}"
        f"{'floor/s':>11}{'ratio':>8}  floor",
    ]
    for row in result["stages"]:
        lines.append(
            f"{row['stage']:<20}{row['listings']:>9,}{row['seconds']:>9.2f}"
            f"{row['listings_per_s']:>12,.0f}{row['floor_listings_per_s']:>11,.0f}"
            f"{row['ratio']:>7.1f}×  {row['floor']['what']}")
    lines.append(f"{'total':<20}{'':>9}{result['total_seconds']:>9.2f}")
    lines.append("")
    for row in result["stages"]:
        if row["detail"]:
            detail = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
                               for k, v in row["detail"].items())
            lines.append(f"  {row['stage']}: {detail}")
    lines.append(f"peak RSS: {result['peak_rss_mb']:,.0f} MB "
                 f"(after generation: {g['rss_mb']:,.0f} MB)")
    for name, ok in result["checks"].items():
        lines.append(f"check {'ok  ' if ok else 'FAIL'} {name}")
    for problem in result["parse_failures"] + result["rejected"]:
        lines.append(f"  {problem}")
    lines.append(f"result: {Path(p['out']) / 'bench-result.json'}")
    return "\n".join(lines)
