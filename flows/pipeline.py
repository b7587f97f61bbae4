"""The pipeline steps as plain functions: collect each source (`flows.collect`), commit each
as it arrives (the one writer), link, publish. `flows.nightly` only wraps these in Prefect
tasks."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
from scrapers.http import ClientSettings
from warehouse.db import connect, few_checkpoints, reopen
from warehouse.link import link_entities
from warehouse.memory import trim_heap
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
    db_path = Path(data_dir) / "atlas.duckdb"
    con = connect(db_path)
    try:
        upsert_sources(con, registry.sources)
        waiting: dict[str, str] = {}
        if ctx.replay is None and not source_ids and not force:
            sources, waiting = due_sources(sources, last_accepted_live(con), started)
        before = {sid: last_accepted_count(con, sid)
                  for sid in [s.id for s in sources] + list(waiting)}
        begin_run(con, ctx.run_id, ctx.mode, started)
        drop_stale_manifests(con, ctx, sources)
        drop_spools(ctx)
        progress.say(f"run {ctx.run_id}: collecting {len(sources)} sources…")
        runs: list[SourceRun] = []
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
        link_error = None
        progress.say("linking entities across sources…")
        try:
            link_entities(con, ctx.run_id, datetime.now(UTC))
        except Exception as exc:  # linkage is derived data: the release goes on without it
            link_error = f"linkage failed, entities unchanged: {type(exc).__name__}: {exc}"
            logger.error(link_error)
        release, publish_error = None, None
        con = reopen(con, db_path)  # publishing is the night's peak: without the cached blocks
        progress.say("publishing the release…")
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
