"""The pipeline steps as plain functions: collect each source (`flows.collect`), commit each
as it arrives (the one writer), link, publish. `flows.nightly` only wraps these in Prefect
tasks."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from flows import progress
from flows.collect import RunContext, collect_sequentially, drop_spools, fail_run
from flows.report import build_report, format_report, log_source
from flows.unchanged import (
    Manifest,
    manifest_pages,
    manifest_path,
    read_manifest,
    write_manifest,
)
from schema.registry import Registry, Source
from scrapers.crawl import RUN_MINUTES
from scrapers.http import ClientSettings
from warehouse.db import (
    WAREHOUSE_WAIT,
    WarehouseUnavailable,
    failure_of,
    few_checkpoints,
    open_writer,
    reopen,
    run_lock,
)
from warehouse.link import link_entities
from warehouse.link_decisions import default_path, load_decisions
from warehouse.memory import trim_heap
from warehouse.release.publish import Release, publish
from warehouse.release.state import confirm_latest, current_release, release_state
from warehouse.runs import (
    SourceRun,
    begin_run,
    commit_source_run,
    finish_run,
    last_accepted_count,
    last_accepted_live,
    last_accepted_pages,
    upsert_sources,
    valid_manifest_runs,
)

_log = logging.getLogger("selbsthilfe_atlas.pipeline")


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def refuse_shrunken(run: SourceRun, source: Source, last_accepted: int | None) -> SourceRun:
    """A healthy-looking run far smaller than the last accepted one is a broken site (a lost
    list page, a changed layout), not a third of the groups closing overnight: refuse it, so
    the previous records stay current, and keep its records in quarantine for inspection."""
    if run.status != "ok" or run.unchanged_since or not last_accepted or len(run.listings) >= (
            source.min_share * last_accepted):
        return run
    reason = (f"{source.id}: {len(run.listings)} records, fewer than {source.min_share:.0%} "
              f"of the {last_accepted} of its last accepted run; previous records kept")
    now = datetime.now(UTC)
    kept = [{"source_id": source.id, "source_key": item.source_key,
             "url": item.provenance.source_url, "field": "(run)", "reason": reason,
             "raw": item.model_dump_json(), "quarantined_at": now} for item in run.listings]
    run = fail_run(run, "site_changed", reason)
    run.quarantine += kept
    return run


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
    lock_wait: float = WAREHOUSE_WAIT,
    logger: logging.Logger | logging.LoggerAdapter = _log,
    max_run_minutes: float | None = RUN_MINUTES,
) -> dict:
    """One whole run: collect every source, commit each as it arrives (one writer), publish,
    write `run-report.json`. A failing source or publish never stops the run. A live run of
    the whole registry collects only the sources due by their cadence, unless `force`. A
    run that changed nothing keeps the latest release, unless `republish`. Sources still
    collecting `max_run_minutes` after the start fail as `crawl_budget` (None: no limit).

    Every started run writes its report: a run refused because another holds the data folder
    (`run_in_progress`), or whose warehouse cannot be had or fails under it
    (`warehouse_locked` after waiting `lock_wait` seconds for another process to let go,
    `disk_full`, `warehouse_corrupt`, `warehouse_unavailable`) reports the run-level
    `failure_class` and a one-line `reason`."""
    sources = [registry.get(s) for s in source_ids] if source_ids else registry.sources
    started = datetime.now(UTC)
    ctx = RunContext(run_id=new_run_id(started), data_dir=Path(data_dir),
                     replay=Path(replay) if replay else None, rewrite=rewrite or {},
                     rate_override=rate_override, base_dir=registry.path.parent,
                     client=client, run_minutes=max_run_minutes,
                     run_deadline=(started.timestamp() + 60 * max_run_minutes
                                   if max_run_minutes is not None else None))
    try:
        with run_lock(ctx.data_dir):
            # replaced at the end; if it stays, `shg health` knows the run never finished
            # (killed, or its disk too full for the final report)
            write_report(ctx.data_dir, build_report(ctx, started, [], "running", None, None)
                         | {"finished_at": None, "pid": os.getpid()}, logger)
            report = _locked_run(
                registry, sources, ctx, started, Path(public_dir),
                due_only=ctx.replay is None and not source_ids and not force,
                republish=republish, collect_many=collect_many, lock_wait=lock_wait,
                logger=logger)
            write_report(ctx.data_dir, report, logger)
    except WarehouseUnavailable as exc:  # the run lock: held by another run, or no disk
        return _refused(ctx, started, exc, logger)
    logger.info("run %s: %s\n%s", ctx.run_id, report["status"], format_report(report))
    return report


def _refused(ctx: RunContext, started: datetime, exc: WarehouseUnavailable,
             logger: logging.Logger | logging.LoggerAdapter) -> dict:
    report = build_report(ctx, started, [], "failed", None, None,
                          failure=(exc.failure_class, exc.reason))
    logger.error("run %s did not start [%s]: %s", ctx.run_id, exc.failure_class, exc.reason)
    write_report(ctx.data_dir, report, logger)
    return report


def report_refused(data_dir: str | Path, replay: str | Path | None,
                   exc: WarehouseUnavailable) -> dict:
    """The report of a run refused before it began (`shg run`, before Prefect starts)."""
    started = datetime.now(UTC)
    ctx = RunContext(run_id=new_run_id(started), data_dir=Path(data_dir),
                     replay=Path(replay) if replay else None)
    return _refused(ctx, started, exc, _log)


def _locked_run(registry: Registry, sources: list[Source], ctx: RunContext,
                started: datetime, public: Path, *, due_only: bool, republish: bool,
                collect_many: Callable[[list[Source], RunContext], Iterable[SourceRun]],
                lock_wait: float, logger: logging.Logger | logging.LoggerAdapter) -> dict:
    """The run, holding the data folder's run lock. A warehouse that cannot be opened, or
    fails under the run (a full disk), ends it with a run-level failure and what was
    collected so far; each source committed before stays committed."""
    db_path = ctx.data_dir / "atlas.duckdb"
    runs: list[SourceRun] = []
    before: dict[str, int | None] = {}
    release, publish_error, link_error = None, None, None
    try:
        con = open_writer(db_path, lock_wait)
    except WarehouseUnavailable as exc:
        logger.error("run %s could not start [%s]: %s", ctx.run_id, exc.failure_class,
                     exc.reason)
        return build_report(ctx, started, [], "failed", None, None,
                            failure=(exc.failure_class, exc.reason))
    try:
        upsert_sources(con, registry.sources)
        ctx = replace(ctx, last_pages=last_accepted_pages(con))
        waiting: dict[str, str] = {}
        if due_only:
            sources, waiting = due_sources(sources, last_accepted_live(con), started)
        before = {sid: last_accepted_count(con, sid)
                  for sid in [s.id for s in sources] + list(waiting)}
        begin_run(con, ctx.run_id, ctx.mode, started)
        drop_stale_manifests(con, ctx, sources)
        drop_spools(ctx)
        progress.say(f"run {ctx.run_id}: collecting {len(sources)} sources…")
        by_id = {s.id: s for s in sources}
        with few_checkpoints(con):
            for run in collect_many(sources, ctx):
                run = refuse_shrunken(run, by_id[run.source_id], before[run.source_id])
                try:
                    commit_source_run(con, ctx.run_id, run)
                except Exception as exc:  # rolled back: this source fails, the run goes on
                    run = fail_run(run, "exception", f"{run.source_id}: load failed: "
                                                    f"{type(exc).__name__}: {exc}")
                    run.pages, run.quarantine = [], []
                    commit_source_run(con, ctx.run_id, run)
                log_source(logger, run)
                keep_manifest(ctx, run)
                run.listings, run.pages = [], []  # committed: stream them, never hold all
                runs.append(run)
        trim_heap()  # the collection's freed pages go back before linkage's child starts
        for sid, reason in waiting.items():
            runs.append(skipped(sid, reason, started))
            log_source(logger, runs[-1])
        progress.say("linking entities across sources…")
        try:
            counts = link_entities(con, ctx.run_id, datetime.now(UTC),
                                   load_decisions(default_path(registry.path)))
            for stale in counts.stale_decisions:
                logger.warning("linkage decision names a listing that is not active: %s",
                               stale)
        except Exception as exc:  # linkage is derived data: the release goes on without it
            kind = getattr(exc, "failure_class", type(exc).__name__)
            link_error = f"linkage failed, entities unchanged [{kind}]: {exc}"
            logger.error(link_error)
        # publishing is the night's peak: without the cached blocks
        con = reopen(con, db_path, lock_wait)
        progress.say("publishing the release…")
        try:
            release = publish_if_changed(con, public, ctx.run_id, logger, always=republish)
        except Exception as exc:
            publish_error = f"publish failed, latest release kept: {exc}"
            logger.error(publish_error)
        attempted = [r for r in runs if r.status != "skipped"]
        failed = [r for r in attempted if r.status != "ok"]
        status = ("failed" if publish_error or (failed and len(failed) == len(attempted))
                  else "partial" if failed else "ok")
        finish_run(con, ctx.run_id, status, release and str(release.path), datetime.now(UTC))
        report = build_report(ctx, started, runs, status, release, publish_error, before)
    except (duckdb.Error, WarehouseUnavailable, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        failure = ((exc.failure_class, exc.reason) if isinstance(exc, WarehouseUnavailable)
                   else failure_of(exc, db_path))
        logger.error("run %s failed [%s]: %s", ctx.run_id, *failure)
        report = build_report(ctx, started, runs, "failed", release, publish_error, before,
                              failure=failure)
    finally:
        with contextlib.suppress(duckdb.Error):
            con.close()
    report["link_error"] = link_error
    return report


def write_report(data_dir: Path, report: dict, logger: logging.Logger |
                 logging.LoggerAdapter = _log) -> None:
    """`data_dir/run-report.json`, replaced whole (a reader, `shg health`, never sees half of
    one). A disk too full for it is logged: the report still goes to the caller."""
    path = data_dir / "run-report.json"
    tmp = data_dir / f".run-report.json.{os.getpid()}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(report, indent=2, default=str))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        logger.error("run %s: %s not written: %s", report["run_id"], path, exc)
        with contextlib.suppress(OSError):
            tmp.unlink()
