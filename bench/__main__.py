"""`python -m bench [--sources N] [--listings M] [--seed S] [--out DIR]`: per-stage throughput
of a small corpus next to the library floor (M groups per source).

`python -m bench --germany [--sources 350] [--listings 100000] [--rate 5] [--only PHASE]`: the
Germany-scale figures (crawl vs politeness floor, unchanged night, replay to a validated
release vs 60 s and vs the tight-loop floor, peak RSS (also of a night with changes),
linkage, and the peers Scrapy and dlt next to our figure for the same work), each next to its
floor and target; there --listings is the total over all sources. `--only PHASE` implies
--germany: `python -m bench --only peers --sources 5 --listings 500` is the peers at a small
size.

Exits 1 when a check fails (a listing lost between stages), so a bench run doubles as a
large-corpus smoke test; timings never fail it.
"""

import argparse
import sys
from pathlib import Path

from bench import germany, germany_run
from bench.run import format_report, run_bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--germany", action="store_true",
                        help="the Germany-scale figures (350 hosts, 100,000 listings)")
    parser.add_argument("--sources", type=int, help="synthetic sources (10; --germany: 350)")
    parser.add_argument("--listings", type=int,
                        help="groups per source (1000); --germany: in total (100,000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument("--rate", type=float, default=5.0,
                        help="--germany: allowed requests/s per host in the crawl (5)")
    parser.add_argument("--workers", type=int, default=2,
                        help="--germany: collecting processes in the crawl and the replay (2)")
    parser.add_argument("--threads", type=int, default=32,
                        help="--germany: sources in flight per crawling process (32)")
    parser.add_argument("--only", action="append", choices=germany_run.PHASES,
                        help="--germany: run only this phase (repeatable; implies --germany)")
    parser.add_argument("--out", type=Path,
                        help="working folder (build/bench; --germany: build/bench-germany)")
    args = parser.parse_args(argv)
    if args.germany or args.only:
        sources = args.sources or germany.SOURCES
        listings = args.listings or germany.LISTINGS
        if sources < 1 or listings < sources or args.rate <= 0 or min(args.workers,
                                                                      args.threads) < 1:
            parser.error("need --sources >= 1, --listings >= --sources, --rate > 0, "
                         "--workers >= 1, --threads >= 1")
        result = germany_run.run_germany(
            seed=args.seed, sources=sources, listings=listings, rate=args.rate,
            out=args.out or Path("build/bench-germany"), workers=args.workers,
            threads=args.threads,
            phases=tuple(args.only or germany_run.PHASES))
        print(germany_run.format_report(result))
        return 0 if all(result["checks"].values()) else 1
    sources, listings = args.sources or 10, args.listings or 1000
    if sources < 1 or listings < 1:
        parser.error("--sources and --listings must be at least 1")
    result = run_bench(sources=sources, listings=listings, seed=args.seed,
                       out=args.out or Path("build/bench"))
    print(format_report(result))
    return 0 if all(result["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
