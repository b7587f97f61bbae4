"""`python -m bench [--sources N] [--listings M] [--seed S] [--out DIR]`.

Exits 1 when a check fails (a listing lost between stages), so a bench run doubles as a
large-corpus smoke test; timings never fail it.
"""

import argparse
import sys
from pathlib import Path

from bench.run import format_report, run_bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sources", type=int, default=10, help="synthetic sources (10)")
    parser.add_argument("--listings", type=int, default=1000, help="groups per source (1000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument("--out", type=Path, default=Path("build/bench"),
                        help="working folder: corpus, warehouse, release, result (build/bench)")
    args = parser.parse_args(argv)
    if args.sources < 1 or args.listings < 1:
        parser.error("--sources and --listings must be at least 1")
    result = run_bench(sources=args.sources, listings=args.listings, seed=args.seed,
                       out=args.out)
    print(format_report(result))
    return 0 if all(result["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
