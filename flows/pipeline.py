"""The pipeline steps as plain functions: collect one source (fetch, parse, normalise,
validate), then commit and publish. `flows.nightly` only wraps these in Prefect tasks."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import secrets
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from flows.report import build_report, format_report, log_source
from flows.unchanged import (
    Manifest,
    confirm,
    confirmed_pages,
    fingerprint,
    manifest_pages,
    manifest_path,
    read_manifest,
    write_manifest,
)
from schema.normalise import to_listings
from schema.normalise.quality import field_quality
from schema.records import ScrapedRecord
from schema.registry import Registry, Source
from scrapers.base import ScrapeResult
from scrapers.errors import SourceError
from scrapers.http import (
    ClientSettings,
    ConditionalCache,
    FetchStats,
    PoliteClient,
    RewriteTransport,
)
from scrapers.registry import scraper_class
from scrapers.release import import_release
from scrapers.warc import WarcArchive, WarcReplayTransport
from warehouse.db import connect
from warehouse.link import link_entities
from warehouse.publish import Release, publish
from warehouse.release_state import confirm_latest, current_release, release_state
from warehouse.runs import (
    SourceRun,
    begin_run,
    commit_source_run,
    finish_run,
    last_accepted_count,
    last_accepted_live,
    upsert_sources,
    valid_manifest_runs,
)

_log = logging.getLogger("selbsthilfe_atlas.pipeline")


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

    @property
    def mode(self) -> str:
        return "replay" if self.replay else "live"

    def warc_path(self, source_id: str) -> Path:
        return self.data_dir / "warc" / self.run_id / f"{source_id}.warc.gz"


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


@functools.lru_cache(maxsize=4)
def _replay_transport(path: Path) -> WarcReplayTransport:
    return WarcReplayTransport(path)


def _transport(ctx: RunContext) -> httpx.AsyncBaseTransport | None:
    if ctx.replay is not None:
        return _replay_transport(ctx.replay.resolve())
    if ctx.rewrite:
        return RewriteTransport(ctx.rewrite)
    return None


def client_for(source: Source, ctx: RunContext, archive: WarcArchive | None) -> PoliteClient:
    rate = None if ctx.replay else (ctx.rate_override or source.rate_per_second)
    cache = (ConditionalCache(ctx.data_dir / "http-cache" / source.id)
             if ctx.use_cache and ctx.replay is None else None)
    settings = (ctx.client or ClientSettings()).with_rate(rate)
    return PoliteClient(settings, transport=_transport(ctx), archive=archive, cache=cache)


async def scrape_source(source: Source, ctx: RunContext, manifest: Manifest | None = None
                        ) -> tuple[ScrapeResult | list[int], FetchStats]:
    """Crawl an html source or import a release. A live run archives every response; a replay
    already reads from an archive, which its pages name in `warc_file`. With the `manifest`
    of its last accepted run, an html source is first confirmed unchanged (`flows.unchanged`):
    then the pages' statuses come back instead of records."""
    archive = None if ctx.replay else WarcArchive(ctx.warc_path(source.id))
    try:
        async with client_for(source, ctx, archive) as client:
            if source.kind == "release":
                settings = source.release
                result = await import_release(source.id, source.start_urls[0], client,
                                              fmt=settings.format, kind=settings.kind)
            else:
                if manifest is not None and (statuses := await confirm(client, manifest)):
                    return statuses, client.stats
                scraper = scraper_class(source.scraper or source.id)(source.start_urls)
                result = await scraper.scrape(client)
            return result, client.stats
    finally:
        if archive is not None:
            archive.close()


def acquire(source: Source, ctx: RunContext, manifest: Manifest | None = None
            ) -> tuple[ScrapeResult | list[int], FetchStats]:
    """The raw records of one source, by its kind (or, confirmed unchanged, its pages'
    statuses)."""
    if source.kind == "file":
        from scrapers.files import import_file

        return import_file(source, ctx.base_dir), FetchStats()
    return asyncio.run(scrape_source(source, ctx, manifest))


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
    """Fetch, parse, normalise and validate one source. Never raises: a failure is reported
    in the returned `SourceRun` with its failure class and reason."""
    started = datetime.now(UTC)
    run = SourceRun(source_id=source.id, started_at=started, finished_at=started)
    run.fingerprint, manifest = confirmable(source, ctx)
    try:
        result, stats = acquire(source, ctx, manifest)
    except SourceError as exc:
        return _failed(run, exc.failure_class, _named(source.id, str(exc)))
    except Exception as exc:
        detail = traceback.format_exception_only(exc)[-1].strip()
        return _failed(run, "exception", f"{source.id}: {detail}")
    if isinstance(result, list):
        return _confirmed(run, manifest, result, stats, ctx)
    if source.scraper and source.scraper != source.id:  # a base scraper under another id
        result.records = [r.model_copy(update={"source_id": source.id})
                          for r in result.records]
    run.fetched, run.not_modified = stats.requests, stats.not_modified
    run.parsed = len(result.records)
    run.pages = [page_row(source.id, p) for p in result.pages]
    records, duplicates = _unique_keys(result.records)
    listings, rejected = to_listings(records, source.licence)
    now = datetime.now(UTC)
    run.quarantine = [
        {"source_id": source.id, "source_key": None, "url": f.url, "field": f.field,
         "reason": f"{source.id}: {f.url}: {f.reason}",
         "raw": json.dumps(f.raw, ensure_ascii=False, default=str) if f.raw else None,
         "quarantined_at": now}
        for f in result.failures
    ] + [
        {"source_id": source.id, "source_key": r.record.source_key, "url": r.record.source_url,
         "field": r.field,
         "reason": f"{source.id}: record {r.record.source_key}: field {r.field}: {r.reason}",
         "raw": r.record.model_dump_json(), "quarantined_at": now}
        for r in rejected
    ] + [
        {"source_id": source.id, "source_key": r.source_key, "url": r.source_url,
         "field": "source_key",
         "reason": f"{source.id}: record {r.source_key}: field source_key: also at another URL",
         "raw": r.model_dump_json(), "quarantined_at": now}
        for r in duplicates
    ]
    run.listings = listings
    # records this run could not read (a page that timed out, a record in quarantine) keep
    # their last good version; a failure that hides unnamed records stops all vanishing
    run.keep_keys = sorted({f.key for f in result.failures if f.key and not f.gone}
                           | {r.record.source_key for r in rejected})
    run.complete = not any(f.hides_records for f in result.failures)
    run.confirmable = run.fingerprint is not None and not result.failures
    run.stats = [asdict(q) for q in field_quality(listings)]
    run.finished_at = datetime.now(UTC)
    if not listings and source.may_be_empty:
        return run
    if len(listings) < source.min_records:
        return _failed(run, _shortfall_class(result.failures),
                       f"{source.id}: {len(listings)} valid records, fewer than the "
                       f"{source.min_records} a healthy run yields")
    return run


def _confirmed(run: SourceRun, manifest: Manifest, statuses: list[int], stats: FetchStats,
               ctx: RunContext) -> SourceRun:
    """A source whose every page is as its last accepted run read it: that run's records
    stand, nothing is parsed or loaded."""
    run.fetched, run.not_modified = stats.requests, stats.not_modified
    run.parsed, run.unchanged_since = manifest.parsed, manifest.run_id
    run.unchanged_records, run.stats = manifest.records, manifest.stats
    run.finished_at = datetime.now(UTC)
    run.pages = confirmed_pages(manifest, statuses, run.source_id, run.finished_at,
                                ctx.warc_path(run.source_id).name)
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


def refuse_shrunken(run: SourceRun, source: Source, last_accepted: int | None) -> SourceRun:
    """A healthy-looking run far smaller than the last accepted one is a broken site (a lost
    list page, a changed layout), not a third of the groups closing overnight: refuse it, so
    the previous records stay current, and keep its records in quarantine for inspection."""
    if run.status != "ok" or run.unchanged_since or not last_accepted or len(run.listings) >= (
            source.min_share * last_accepted):
        return run
    kept = run.listings
    run = _failed(run, "site_changed",
                  f"{source.id}: {len(kept)} records, fewer than {source.min_share:.0%} of the "
                  f"{last_accepted} of its last accepted run; previous records kept")
    now = datetime.now(UTC)
    run.quarantine += [{"source_id": source.id, "source_key": item.source_key,
                        "url": item.provenance.source_url, "field": "(run)",
                        "reason": run.reason, "raw": item.model_dump_json(),
                        "quarantined_at": now} for item in kept]
    return run


def _unique_keys(records: list[ScrapedRecord]) -> tuple[list[ScrapedRecord], list[ScrapedRecord]]:
    """The first record per source key, and the repeats (the same group under two URLs)."""
    seen: set[str] = set()
    unique, repeats = [], []
    for rec in records:
        (repeats if rec.source_key in seen else unique).append(rec)
        seen.add(rec.source_key)
    return unique, repeats


def _failed(run: SourceRun, failure_class: str, reason: str) -> SourceRun:
    run.status, run.failure_class, run.reason = "failed", failure_class, reason
    run.listings = []
    run.finished_at = datetime.now(UTC)
    return run


def page_row(source_id: str, page) -> dict:
    return {"source_id": source_id, "url": page.url, "status": page.status,
            "not_modified": page.not_modified, "sha256": page.sha256,
            "bytes": page.nbytes, "encoding": page.encoding,
            "fetched_at": page.fetched_at, "warc_file": page.warc_file}


def collect_sequentially(sources: list[Source], ctx: RunContext) -> Iterator[SourceRun]:
    for source in sources:
        yield collect_source(source, ctx)


def crashed(source: Source, exc: BaseException) -> SourceRun:
    now = datetime.now(UTC)
    return SourceRun(source.id, now, now, status="failed", failure_class="exception",
                     reason=f"{source.id}: task crashed: {exc}")


#: How long after an accepted live run a source is due again, by its registry cadence.
CADENCE_INTERVAL = {"daily": timedelta(days=1), "weekly": timedelta(days=7),
                    "monthly": timedelta(days=30)}
#: Nightly runs start at slightly different UTC times (a late worker, a Europe/Berlin cron
#: across a DST switch): a source is due this long before its interval is quite over.
CADENCE_SLACK = timedelta(hours=6)


def not_due_reason(source: Source, last_accepted: datetime | None, now: datetime) -> str | None:
    """Why a live run may skip `source`, or None when it is due. Only an accepted run counts,
    so a failing weekly source is retried every night instead of waiting a week."""
    if last_accepted is None:
        return None
    age = now - last_accepted
    if age >= CADENCE_INTERVAL[source.cadence] - CADENCE_SLACK:
        return None
    return (f"not due: {source.cadence} cadence, last accepted run "
            f"{last_accepted.astimezone(UTC):%Y-%m-%d %H:%M} UTC, "
            f"{age.total_seconds() // 3600:.0f} h ago")


def due_sources(sources: list[Source], last_accepted: dict[str, datetime], now: datetime
                ) -> tuple[list[Source], dict[str, str]]:
    """The sources a live run collects, and why each other one waits (source id -> reason)."""
    due, waiting = [], {}
    for source in sources:
        reason = not_due_reason(source, last_accepted.get(source.id), now)
        if reason is None:
            due.append(source)
        else:
            waiting[source.id] = reason
    return due, waiting


def skipped(source_id: str, reason: str, now: datetime) -> SourceRun:
    """A source left out by its cadence: reported, never committed, its records stay current."""
    return SourceRun(source_id, now, now, status="skipped", reason=reason)


def drop_stale_manifests(con, ctx: RunContext, sources: list[Source]) -> None:
    """Remove the manifests (`flows.unchanged`) that no longer describe this warehouse's
    records: a source is confirmed unchanged only against the run whose records stand."""
    paths = {s.id: manifest_path(ctx.data_dir, s.id) for s in sources}
    claims = {sid: m.run_id for sid, path in paths.items()
              if path.exists() and (m := read_manifest(path)) is not None}
    valid = valid_manifest_runs(con, claims)
    for sid, path in paths.items():
        if sid not in valid:
            path.unlink(missing_ok=True)


def keep_manifest(ctx: RunContext, run: SourceRun) -> None:
    """After a commit: an accepted run that read every page becomes the source's manifest;
    any other accepted run changed the records in a way pages alone cannot repeat, so the
    manifest goes. A failed run changed nothing, and a confirmed one confirmed it."""
    if run.status != "ok" or run.unchanged_since:
        return
    path = manifest_path(ctx.data_dir, run.source_id)
    if not run.confirmable:
        path.unlink(missing_ok=True)
        return
    c = run.counts
    write_manifest(path, Manifest(fingerprint=run.fingerprint, run_id=ctx.run_id,
                                  records=c.inserted + c.updated + c.unchanged,
                                  parsed=run.parsed, pages=manifest_pages(run.pages),
                                  stats=run.stats))


def publish_if_changed(con, public: Path, run_id: str,
                       logger: logging.Logger | logging.LoggerAdapter = _log, *,
                       always: bool = False) -> Release:
    """A new release, unless the latest was built from exactly this state (and not
    `always`): then it stands, and `latest.json` says it was confirmed current now."""
    state = release_state(con)
    latest = None if always else current_release(public, state)
    if latest is None:
        return publish(con, public, run_id, datetime.now(UTC), state=state)
    confirm_latest(public, latest, datetime.now(UTC))
    logger.info("nothing changed since release %s: it stays the latest", latest["run_id"])
    return Release(run_id=latest["run_id"], path=public / latest["release"],
                   rows=latest["counts"]["listings"], withheld={})


def run_all(
    registry: Registry,
    *,
    source_ids: list[str] | None = None,
    replay: str | Path | None = None,
    data_dir: str | Path = "data",
    public_dir: str | Path = "public",
    rewrite: dict[str, str] | None = None,
    rate_override: float | None = None,
    client: ClientSettings | None = None,
    force: bool = False,
    republish: bool = False,
    collect_many: Callable[[list[Source], RunContext], Iterable[SourceRun]] =
    collect_sequentially,
    logger: logging.Logger | logging.LoggerAdapter = _log,
) -> dict:
    """One whole run: collect every source, commit each as it arrives (one writer), publish,
    write `run-report.json`. A failing source or publish never stops the run. A live run of
    the whole registry collects only the sources due by their cadence, unless `force`. A
    run that changed nothing keeps the latest release, unless `republish`."""
    sources = [registry.get(s) for s in source_ids] if source_ids else registry.sources
    started = datetime.now(UTC)
    ctx = RunContext(run_id=new_run_id(started), data_dir=Path(data_dir),
                     replay=Path(replay) if replay else None, rewrite=rewrite or {},
                     rate_override=rate_override, base_dir=registry.path.parent,
                     client=client)
    con = connect(Path(data_dir) / "atlas.duckdb")
    try:
        upsert_sources(con, registry.sources)
        waiting: dict[str, str] = {}
        if ctx.replay is None and not source_ids and not force:
            sources, waiting = due_sources(sources, last_accepted_live(con), started)
        before = {sid: last_accepted_count(con, sid)
                  for sid in [s.id for s in sources] + list(waiting)}
        begin_run(con, ctx.run_id, ctx.mode, started)
        drop_stale_manifests(con, ctx, sources)
        runs: list[SourceRun] = []
        by_id = {s.id: s for s in sources}
        for run in collect_many(sources, ctx):
            run = refuse_shrunken(run, by_id[run.source_id], before[run.source_id])
            try:
                commit_source_run(con, ctx.run_id, run)
            except Exception as exc:  # rolled back: this source fails, the run goes on
                run = _failed(run, "exception", f"{run.source_id}: load failed: "
                                                f"{type(exc).__name__}: {exc}")
                run.pages, run.quarantine = [], []
                commit_source_run(con, ctx.run_id, run)
            log_source(logger, run)
            keep_manifest(ctx, run)
            run.listings, run.pages = [], []  # committed: stream sources, never hold them all
            runs.append(run)
        for sid, reason in waiting.items():
            runs.append(skipped(sid, reason, started))
            log_source(logger, runs[-1])
        link_error = None
        try:
            link_entities(con, ctx.run_id, datetime.now(UTC))
        except Exception as exc:  # linkage is derived data: the release goes on without it
            link_error = f"linkage failed, entities unchanged: {type(exc).__name__}: {exc}"
            logger.error(link_error)
        release, publish_error = None, None
        try:
            release = publish_if_changed(con, Path(public_dir), ctx.run_id, logger,
                                         always=republish)
        except Exception as exc:
            publish_error = f"publish failed, latest release kept: {exc}"
            logger.error(publish_error)
        attempted = [r for r in runs if r.status != "skipped"]
        failed = [r for r in attempted if r.status != "ok"]
        status = ("failed" if publish_error or (failed and len(failed) == len(attempted))
                  else "partial" if failed else "ok")
        finish_run(con, ctx.run_id, status, release and str(release.path), datetime.now(UTC))
    finally:
        con.close()
    report = build_report(ctx, started, runs, status, release, publish_error, before)
    report["link_error"] = link_error
    (Path(data_dir) / "run-report.json").write_text(json.dumps(report, indent=2, default=str),
                                                    "utf-8")
    logger.info("run %s: %s\n%s", ctx.run_id, status, format_report(report))
    return report
