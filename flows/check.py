"""`shg check-source ID`: collect one source as a run would (fetch or read, parse, normalise,
validate) and say what came of it, writing nothing: no warehouse, no release, no archive or
cache beside the data folder. For whoever writes or changes a source's mapping or selectors."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from flows.collect import RunContext, collect_source
from schema.normalise.flags import FLAGS, codes
from schema.registry import Source
from schema.source_run import SourceRun


def check_source(source: Source, base_dir: Path, replay: Path | None = None,
                 rewrite: dict[str, str] | None = None) -> SourceRun:
    """The source run `shg run --source ID` would commit, collected into a throw-away folder."""
    with tempfile.TemporaryDirectory(prefix="shg-check-") as scratch:
        ctx = RunContext(run_id="check", data_dir=Path(scratch), replay=replay,
                         rewrite=rewrite or {}, use_cache=False, base_dir=base_dir)
        run = collect_source(source, ctx)
        run.listings = list(run.listings)  # read a spilled run before its folder goes
        return run


def format_check(run: SourceRun, show: int = 3) -> str:
    """Status, counts, quarantine reasons, normalisation flags by kind, field completeness
    and the first `show` listings' main fields."""
    lines = [f"{run.source_id}: {run.status}"
             + (f" [{run.failure_class}] {run.reason}" if run.status != "ok" else ""),
             f"  pages {run.fetched}, records parsed {run.parsed}, valid {len(run.listings)}, "
             f"to quarantine {len(run.quarantine)}"]
    reasons = Counter(q.reason for q in run.quarantine)
    lines += [f"  quarantine ({n}x): {reason}" for reason, n in reasons.most_common(20)]
    # codes only, per listing, as a release publishes them: a flag's detail may be a
    # private person's value
    flags = Counter(code for item in run.listings for code in codes(item.flags))
    lines += [f"  flag {code} ({FLAGS[code].kind}): {n}" for code, n in sorted(flags.items())]
    if run.stats:
        lines.append(f"  {'field':<16} {'present':>8} {'missing':>8} {'invalid':>8} "
                     f"{'repaired':>8}")
        lines += [f"  {q.field:<16} {q.present:>8} {q.missing:>8} {q.invalid:>8} "
                  f"{q.repaired:>8}" for q in run.stats]
    for item in run.listings[:show]:
        place = item.address
        lines.append(f"  - {item.source_key}: {item.name} ({item.kind})"
                     + (f", {place.postcode or ''} {place.city or ''}".rstrip() if place else "")
                     + (f", {len(item.phones)} phone(s)" if item.phones else "")
                     + (f", meeting {item.meeting.original!r}" if item.meeting else ""))
    return "\n".join(lines)
