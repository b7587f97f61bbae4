"""`python -m bench.normalise_steps`: the per-record cost of every normalisation step and of
the whole chain, on the raw records of a synthetic source (benchmark, never a test).

Each step runs over the fields it reads of every record; the chain is `to_listings` (all steps
plus the batched pydantic validation). Printed as microseconds per record.
"""

import argparse
import asyncio
import importlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import corpus
from bench.stages import _scrape
from schema.normalise import to_listings
from schema.records import ScrapedRecord
from scrapers.fetch.warc import WarcReplayTransport


def _step(module: str, name: str) -> Callable | None:
    try:
        return getattr(importlib.import_module(f"schema.normalise.{module}"), name)
    except (ImportError, AttributeError):
        return None


def steps() -> dict[str, Callable[[ScrapedRecord], object]]:
    found = {
        "phones": (_step("phones", "phones"), lambda f, r: [f(t) for t in r.phones_text]),
        "emails": (_step("emails", "emails"), lambda f, r: [f(t) for t in r.emails_text]),
        "urls": (_step("urls", "urls"), lambda f, r: [f(t, r.source_url) for t in r.web_text]),
        "address": (_step("address", "address"), lambda f, r: f(r.address_text)),
        "opening_hours": (_step("hours", "opening_hours"), lambda f, r: f(r.hours_text)),
        "meetings": (_step("meetings", "meetings"), lambda f, r: f(r.meeting_text)),
        "topics": (_step("topics", "topics"), lambda f, r: f(r.topics)),
        "personal": (_step("personal.redaction", "redact"), lambda f, r: [f(t, r.kind) for t in (
            r.name, r.description, r.carrier, r.address_text, r.hours_text, r.meeting_text,
            r.accessibility_text, r.contact_person, *r.topics)]),
    }
    return {name: (lambda r, f=fn, call=call: call(f, r))
            for name, (fn, call) in found.items() if fn is not None}


def records(listings: int, seed: int) -> list[ScrapedRecord]:
    with tempfile.TemporaryDirectory() as tmp:
        [spec] = corpus.generate(Path(tmp), sources=1, listings=listings, seed=seed)
        result = asyncio.run(_scrape(spec, WarcReplayTransport(Path(tmp))))
    return result.records


def measure(recs: list[ScrapedRecord], repeat: int = 3) -> dict[str, float]:
    """Microseconds per record: the chain once with cold caches (as in a nightly run, where
    each distinct host and address is checked once), then best of `repeat` for each step and
    for the chain with warm caches."""
    def chain() -> None:
        to_listings(recs, "CC0-1.0")

    def timed(run: Callable[[], object]) -> float:
        start = time.perf_counter()
        run()
        return (time.perf_counter() - start) / len(recs) * 1e6

    timings = {"chain (cold)": timed(chain)}
    for name, step in steps().items():
        timings[name] = min(timed(lambda s=step: [s(r) for r in recs]) for _ in range(repeat))
    timings["chain (warm)"] = min(timed(chain) for _ in range(repeat))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.normalise_steps")
    parser.add_argument("--listings", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    recs = records(args.listings, args.seed)
    print(f"normalisation cost per record ({len(recs)} records of a synthetic source)")
    for name, micros in measure(recs).items():
        print(f"  {name:<14} {micros:>9.1f} µs/record")


if __name__ == "__main__":
    main()
