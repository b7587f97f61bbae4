"""Collect one source: fetch, parse, normalise and validate it into a `SourceRun`. Everything
a collecting worker runs and nothing of the writer's (no DuckDB, no Arrow, no publishing), so
a spawned collecting process imports only this and stays small."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx

from flows import progress
from flows.unchanged import (
    Manifest,
    confirm,
    confirmed_pages,
    fingerprint,
    manifest_path,
    read_manifest,
)
from schema.listing import Listing
from schema.listing_rows import ListingBatches
from schema.normalise import Rejected, to_listings
from schema.normalise.quality import FieldQuality, add_quality, field_quality
from schema.records import ScrapedRecord
from schema.registry import Source
from schema.source_run import PageRow, QuarantineRow, SourceRun
from scrapers.bases.base import ScrapeResult
from scrapers.errors import ArchiveUnreadable, CrawlBudgetExceeded, SourceError
from scrapers.fetch.cache import ConditionalCache
from scrapers.fetch.crawl import PAGE_FACTOR, PAGE_FLOOR, SOURCE_SECONDS, CrawlBudget, page_budget
from scrapers.fetch.http import ClientSettings, FetchStats, PoliteClient
from scrapers.fetch.transport import RewriteTransport
from scrapers.fetch.warc import WarcArchive, WarcReplayTransport
from scrapers.importers.release import import_release
from scrapers.registry import scraper_class


@dataclass(frozen=True)
class RunContext:
    """Where a run reads from and writes to. `replay` serves every request from WARC files;
    `rewrite` maps real origins to local servers (tests, snapshot building)."""

    run_id: str
    data_dir: Path
    replay: Path | None = None
    rewrite: dict[str, str] = field(default_factory=dict)
    rate_override: float | None = None
    use_cache: bool = True
    #: Folder that file sources' paths are relative to (the registry's folder).
    base_dir: Path = Path(".")
    #: Timeouts, retries and size limits of the client; None: the defaults of ClientSettings.
    client: ClientSettings | None = None
    #: Pages each source read in its last accepted run, for its page budget (`crawl_budget`).
    last_pages: dict[str, int] = field(default_factory=dict)
    #: time.time() at which the run's collection must end, and that budget in minutes.
    run_deadline: float | None = None
    run_minutes: float | None = None

    @property
    def mode(self) -> str:
        return "replay" if self.replay else "live"

    def warc_path(self, source_id: str) -> Path:
        return self.data_dir / "warc" / self.run_id / f"{source_id}.warc.gz"


def crawl_budget(source: Source, ctx: RunContext) -> CrawlBudget:
    """The source's page and time budgets in this run (`scrapers.fetch.crawl`)."""
    last = ctx.last_pages.get(source.id)
    if source.max_pages is not None:
        rule = "max_pages of its registry entry"
    elif last:
        rule = (f"{PAGE_FACTOR} x the {last} pages of its last accepted run, at least "
                f"{PAGE_FLOOR}; set max_pages to change it")
    else:
        rule = "a first run's default; set max_pages to change it"
    return CrawlBudget(source.id, max_pages=page_budget(source.max_pages, last),
                       pages_rule=rule, max_seconds=source.max_seconds or SOURCE_SECONDS,
                       run_deadline=ctx.run_deadline, run_minutes=ctx.run_minutes)


def client_for(source: Source, ctx: RunContext, archive: WarcArchive | None,
               budget: CrawlBudget | None,
               transport: httpx.AsyncBaseTransport | None) -> PoliteClient:
    rate = None if ctx.replay else (ctx.rate_override or source.rate_per_second)
    cache = (ConditionalCache(ctx.data_dir / "http-cache" / source.id)
             if ctx.use_cache and ctx.replay is None else None)
    settings = (ctx.client or ClientSettings()).with_rate(rate)
    if source.kind == "release":  # a whole release in one file: its own size cap
        settings = replace(settings, max_bytes=source.release.max_bytes)
    return PoliteClient(settings, transport=transport, archive=archive, cache=cache,
                        budget=budget)


async def scrape_source(source: Source, ctx: RunContext, manifest: Manifest | None = None
                        ) -> tuple[ScrapeResult | list[int], FetchStats]:
    """Crawl an html source or import a release, archiving every response of a live run. With
    the `manifest` of its last accepted run, an html source confirmed unchanged
    (`flows.unchanged`) gives its pages' statuses instead of records."""
    started = time.time()
    # the source's own archives: indexing the whole folder would cost every source
    replay = WarcReplayTransport(ctx.replay.resolve(), only=source.id) if ctx.replay else None
    transport = replay or (RewriteTransport(ctx.rewrite) if ctx.rewrite else None)
    _require_archive(source, replay)
    budget = crawl_budget(source, ctx)
    seconds, which = budget.seconds_left(started)
    if seconds is not None and seconds <= 0:  # the run's time ran out before this source
        raise budget.before_start(which)
    archive = None if ctx.replay else WarcArchive(ctx.warc_path(source.id))
    with contextlib.closing(archive) if archive else contextlib.nullcontext():
        async with client_for(source, ctx, archive, budget, transport) as client:
            try:
                async with asyncio.timeout(seconds) as limit:
                    if source.kind == "release":
                        result = await import_release(source.id, source.start_urls[0], client,
                                                      fmt=source.release.format,
                                                      kind=source.release.kind)
                    else:
                        if manifest is not None and (statuses := await confirm(client,
                                                                               manifest)):
                            return statuses, client.stats
                        scraper = scraper_class(source.scraper or source.id)(source.start_urls)
                        result = await scraper.scrape(client)
            except TimeoutError as exc:
                if not limit.expired():
                    raise
                raise budget.over_time(which, client.pages, started) from exc
            _require_archive(source, replay)  # a record may have failed to read meanwhile
            return result, client.stats


def _require_archive(source: Source, replay: WarcReplayTransport | None) -> None:
    """In a replay, a source whose own archive is unreadable fails whole, naming the file:
    replaying what is left of it would read as groups gone."""
    if replay is not None and (problem := replay.problem(source.id)):
        raise ArchiveUnreadable(problem)


def acquire(source: Source, ctx: RunContext, manifest: Manifest | None = None
            ) -> tuple[ScrapeResult | list[int], FetchStats]:
    """The raw records of one source, by its kind (or, confirmed unchanged, its pages'
    statuses). A file's records are read batch by batch as `record_batches` is consumed."""
    if source.kind == "file":
        from scrapers.importers.files.stream import stream_file

        return stream_file(source, ctx.base_dir), FetchStats()
    return asyncio.run(scrape_source(source, ctx, manifest))


def spool_path(ctx: RunContext, source_id: str) -> Path:
    """Where a file source's listings past their first batch wait for the writer, which
    removes them once committed: in the data folder, shared like `warc/` with other machines."""
    return ctx.data_dir / "spool" / f"{ctx.run_id}-{source_id}.rows"


def drop_spools(ctx: RunContext) -> None:
    """Spill files of runs that ended before committing them (one writer at a time)."""
    for path in (ctx.data_dir / "spool").glob("*.rows"):
        if not path.name.startswith(f"{ctx.run_id}-"):
            path.unlink(missing_ok=True)


def confirmable(source: Source, ctx: RunContext) -> tuple[str | None, Manifest | None]:
    """The code fingerprint of a live html source with a conditional cache, and the manifest
    of its last accepted run when that was made by the same code; (None, None) when the
    source is always collected whole (replays, files, releases, no cache)."""
    if source.kind != "html" or ctx.replay is not None or not ctx.use_cache:
        return None, None
    try:
        code = fingerprint(source, scraper_class(source.scraper or source.id))
    except Exception:  # an unknown scraper: the collection reports it
        return None, None
    manifest = read_manifest(manifest_path(ctx.data_dir, source.id))
    return code, manifest if manifest is not None and manifest.fingerprint == code else None


def collect_source(source: Source, ctx: RunContext) -> SourceRun:
    """Fetch, parse, normalise and validate one source, a file source a batch at a time. Never
    raises: a failure is reported in the returned `SourceRun` with its class and reason."""
    progress.source(source.id, "started")
    run = _collect(source, ctx)
    progress.done(run)
    return run


def _collect(source: Source, ctx: RunContext) -> SourceRun:
    started = datetime.now(UTC)
    run = SourceRun(source_id=source.id, started_at=started, finished_at=started)
    run.fingerprint, manifest = confirmable(source, ctx)
    if source.kind == "file":
        run.listings = ListingBatches(spool_path(ctx, source.id))
    try:
        result, stats = acquire(source, ctx, manifest)
        if isinstance(result, list):
            return _confirmed(run, manifest, result, stats)
        if source.kind != "file":
            progress.source(source.id, f"{len(result.pages):,} pages fetched")
        run.parsed, rejected, duplicates, run.stats = _normalised(source, result, run.listings)
    except CrawlBudgetExceeded as exc:
        run.fetched = exc.pages
        return fail_run(run, exc.failure_class, _named(source.id, str(exc)))
    except SourceError as exc:
        return fail_run(run, exc.failure_class, _named(source.id, str(exc)))
    except Exception as exc:
        detail = traceback.format_exception_only(exc)[-1].strip()
        return fail_run(run, "exception", f"{source.id}: {detail}")
    run.fetched, run.not_modified = stats.requests, stats.not_modified
    run.pages = [page_row(source.id, p) for p in result.pages]
    now = datetime.now(UTC)
    run.quarantine = [
        QuarantineRow(source.id, f.key, f.url, f.field, f"{source.id}: {f.url}: {f.reason}",
                      json.dumps(f.raw, ensure_ascii=False, default=str) if f.raw else None,
                      now)
        for f in result.failures
    ] + [
        QuarantineRow(source.id, r.record.source_key, r.record.source_url, r.field,
                      f"{source.id}: record {r.record.source_key}: field {r.field}: {r.reason}",
                      r.record.model_dump_json(), now)
        for r in rejected
    ] + [
        QuarantineRow(source.id, r.source_key, r.source_url, "source_key",
                      f"{source.id}: record {r.source_key}: field source_key: also at another "
                      "URL", r.model_dump_json(), now)
        for r in duplicates
    ]
    # records this run could not read (a page that timed out, a record in quarantine) keep
    # their last good version; a failure that hides unnamed records stops all vanishing
    run.keep_keys = sorted({f.key for f in result.failures if f.key and not f.gone}
                           | {r.record.source_key for r in rejected})
    run.complete = not any(f.hides_records for f in result.failures)
    run.confirmable = run.fingerprint is not None and not result.failures
    run.finished_at = datetime.now(UTC)
    valid = len(run.listings)
    if not valid and source.may_be_empty:
        return run
    if valid < source.min_records:
        return fail_run(run, _shortfall_class(result.failures),
                       f"{source.id}: {valid} valid records, fewer than the "
                       f"{source.min_records} a healthy run yields")
    return run


def _normalised(source: Source, result: ScrapeResult,
                listings: list[Listing] | ListingBatches
                ) -> tuple[int, list[Rejected], list[ScrapedRecord], list[FieldQuality]]:
    """Normalise and validate the result's records batch by batch into `listings`: (records
    parsed, rejected, repeated keys, field quality rows)."""
    parsed, rejected, duplicates = 0, [], []
    # a file's source keys are distinct already (scrapers.importers.files.stream): a set of a
    # million of them would only cost memory
    seen: set[str] | None = None if source.kind == "file" else set()
    quality = field_quality([])
    for records in result.record_batches():
        if source.scraper and source.scraper != source.id:  # a base scraper under another id
            records = [r.model_copy(update={"source_id": source.id}) for r in records]
        parsed += len(records)
        if seen is not None:
            records, repeats = _unique_keys(records, seen)
            duplicates += repeats
        valid, rejects = to_listings(records, source.licence, source.staff_contacts)
        rejected += rejects
        quality = add_quality(quality, field_quality(valid))
        listings.extend(valid)
        progress.source(source.id, f"{parsed:,} records read")
    if isinstance(listings, ListingBatches):
        listings.close()
    return parsed, rejected, duplicates, quality


def _confirmed(run: SourceRun, manifest: Manifest, statuses: list[int], stats: FetchStats
               ) -> SourceRun:
    """A source whose every page is as its last accepted run read it: that run's records
    stand, nothing is parsed or loaded."""
    run.fetched, run.not_modified = stats.requests, stats.not_modified
    run.parsed, run.unchanged_since = manifest.parsed, manifest.run_id
    run.unchanged_records = manifest.records
    run.stats = [FieldQuality(**q) for q in manifest.stats]
    run.finished_at = datetime.now(UTC)
    run.pages = confirmed_pages(manifest, statuses, run.source_id, run.finished_at)
    run.reason = (f"{run.source_id}: unchanged since run {manifest.run_id}: all "
                  f"{len(statuses)} pages served the same bytes, its records stand")
    return run


def _shortfall_class(failures: list) -> str:
    """Too few records because every failed page failed alike (robots.txt forbids the group
    pages, they all time out): that class says more than `site_changed`."""
    classes = {f.failure_class for f in failures if f.field == "page" and not f.gone}
    return classes.pop() if len(classes) == 1 and None not in classes else "site_changed"


def _named(source_id: str, reason: str) -> str:
    """Every failure reason starts with its source, whichever layer raised it."""
    named = reason.startswith((f"{source_id}:", f"source '{source_id}'"))
    return reason if named else f"{source_id}: {reason}"


def _unique_keys(records: list[ScrapedRecord], seen: set[str]
                 ) -> tuple[list[ScrapedRecord], list[ScrapedRecord]]:
    """The first record per source key (not in `seen` from earlier batches, which grows),
    and the repeats (the same group under two URLs)."""
    unique, repeats = [], []
    for rec in records:
        (repeats if rec.source_key in seen else unique).append(rec)
        seen.add(rec.source_key)
    return unique, repeats


def fail_run(run: SourceRun, failure_class: str, reason: str) -> SourceRun:
    """The run as failed: its listings go, so a failed source never changes the warehouse."""
    run.status, run.failure_class, run.reason = "failed", failure_class, reason
    if isinstance(run.listings, ListingBatches):
        run.listings.discard()
    run.listings = []
    run.finished_at = datetime.now(UTC)
    return run


def page_row(source_id: str, page) -> PageRow:
    return PageRow(source_id=source_id, url=page.url, status=page.status,
                   not_modified=page.not_modified, sha256=page.sha256, bytes=page.nbytes,
                   encoding=page.encoding, fetched_at=page.fetched_at, warc_file=page.warc_file)


def collect_sequentially(sources: list[Source], ctx: RunContext) -> Iterator[SourceRun]:
    for source in sources:
        yield collect_source(source, ctx)


def crashed(source: Source, exc: BaseException) -> SourceRun:
    now = datetime.now(UTC)
    return SourceRun(source.id, now, now, status="failed", failure_class="exception",
                     reason=f"{source.id}: task crashed: {exc}")
