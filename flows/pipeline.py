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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from flows import progress
from flows.collect import RunContext, collect_sequentially, drop_spools, fail_run
from flows.report import build_report, format_report, log_source
from flows.unchanged import keep_manifest, manifest_path, read_manifest
from schema.registry import Registry, Source
from schema.source_run import QuarantineRow
from scrapers.fetch.crawl import RUN_MINUTES
from scrapers.fetch.http import ClientSettings
from scrapers.fetch.warc import warn_unread
from warehouse.linkage.decisions import default_path, load_decisions
from warehouse.linkage.entities import link_entities
from warehouse.release.publish import Release, publish
from warehouse.release.state import confirm_latest, current_release, release_state
from warehouse.storage.db import (
    WAREHOUSE_WAIT,
    WarehouseUnavailable,
    failure_of,
    few_checkpoints,
    open_writer,
    reopen,
    run_lock,
)
from warehouse.storage.runs import (
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
    kept = [QuarantineRow(source.id, item.source_key, item.provenance.source_url, "(run)",
                          reason, item.model_dump_json(), now) for item in run.listings]
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
    age = now - last_accepted if last_accepted is not None else None
    if age is None or age >= CADENCE_INTERVAL[source.cadence] - CADENCE_SLACK:
        return None
    return (f"not due: {source.cadence} cadence, last accepted run "
            f"{last_accepted.astimezone(UTC):%Y-%m-%d %H:%M} UTC, "
            f"{age.total_seconds() // 3600:.0f} h ago")


def due_sources(sources: list[Source], last_accepted: dict[str, datetime], now: datetime
                ) -> tuple[list[Source], dict[str, str]]:
    """The sources a live run collects, and why each other one waits (source id -> reason)."""
    reasons = {s.id: not_due_reason(s, last_accepted.get(s.id), now) for s in sources}
    return ([s for s in sources if reasons[s.id] is None],
            {sid: reason for sid, reason in reasons.items() if reason is not None})


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


#: How a run collects its sources: a source run yielded as each collection ends.
CollectMany = Callable[[list[Source], RunContext], Iterable[SourceRun]]
Logger = logging.Logger | logging.LoggerAdapter


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
    collect_many: CollectMany = collect_sequentially,
    lock_wait: float = WAREHOUSE_WAIT,
    logger: Logger = _log,
    max_run_minutes: float | None = RUN_MINUTES,
) -> dict:
    """One whole run: collect every source, commit each as it arrives (one writer), link,
    publish, write `run-report.json`. A failing source or publish never stops the run. A live
    run of the whole registry collects only the sources due by their cadence, unless `force`.
    A run that changed nothing keeps the latest release, unless `republish`. Sources still
    collecting `max_run_minutes` after the start fail as `crawl_budget` (None: no limit).
    Every started run writes its report, also one refused or whose warehouse fails under it
    (a run-level `failure_class`, README "Command line"; `lock_wait`: seconds to wait for it)."""
    sources = [registry.get(s) for s in source_ids] if source_ids else registry.sources
    started = datetime.now(UTC)
    ctx = RunContext(run_id=new_run_id(started), data_dir=Path(data_dir),
                     replay=Path(replay) if replay else None, rewrite=rewrite or {},
                     rate_override=rate_override, base_dir=registry.path.parent,
                     client=client, run_minutes=max_run_minutes,
                     run_deadline=(started.timestamp() + 60 * max_run_minutes
                                   if max_run_minutes is not None else None))
    night = Night(ctx, started)
    if ctx.replay is not None:
        warn_unread(ctx.replay, {s.id for s in registry.sources})
    try:
        with run_lock(ctx.data_dir):
            # replaced at the end; if it stays, `shg health` knows the run never finished
            # (killed, or its disk too full for the final report)
            write_report(ctx.data_dir, night.report("running") | {"finished_at": None,
                                                                   "pid": os.getpid()}, logger)
            report = _locked_run(
                night, registry, sources, Path(public_dir),
                due_only=ctx.replay is None and not source_ids and not force,
                republish=republish, collect_many=collect_many, lock_wait=lock_wait,
                logger=logger)
            write_report(ctx.data_dir, report, logger)
    except WarehouseUnavailable as exc:  # the run lock: held by another run, or no disk
        return _refused(night, exc, logger)
    logger.info("run %s: %s\n%s", ctx.run_id, report["status"], format_report(report))
    return report


def report_refused(data_dir: str | Path, replay: str | Path | None,
                   exc: WarehouseUnavailable, logger: Logger = _log) -> dict:
    """The report of a run refused before it began (`run_all`, or `shg run` before Prefect
    starts): another run holds the data folder, or there is no disk for its lock."""
    started = datetime.now(UTC)
    ctx = RunContext(run_id=new_run_id(started), data_dir=Path(data_dir),
                     replay=Path(replay) if replay else None)
    return _refused(Night(ctx, started), exc, logger)


def _refused(night: Night, exc: WarehouseUnavailable, logger: Logger) -> dict:
    """The refused run's report, written under the run id it was given."""
    report = _failed(night, (exc.failure_class, exc.reason), logger, "did not start")
    write_report(night.ctx.data_dir, report, logger)
    return report


@dataclass
class Night:
    """One run as its stages fill it in: what its report is built from, also when the
    warehouse fails halfway (the sources committed by then are reported as they stand)."""

    ctx: RunContext
    started: datetime
    #: Each source's accepted records before this run (the report's delta).
    before: dict[str, int | None] = field(default_factory=dict)
    runs: list[SourceRun] = field(default_factory=list)
    release: Release | None = None
    publish_error: str | None = None
    link_error: str | None = None

    @property
    def status(self) -> str:
        """failed (publish failed, or every attempted source), partial (some), else ok."""
        attempted = [r for r in self.runs if r.status != "skipped"]
        failed = [r for r in attempted if r.status != "ok"]
        if self.publish_error or (failed and len(failed) == len(attempted)):
            return "failed"
        return "partial" if failed else "ok"

    def report(self, status: str, failure: tuple[str, str] | None = None) -> dict:
        return build_report(self, status, failure)


@dataclass(frozen=True)
class Plan:
    """What a started run collects, and why each other source waits (id -> reason)."""

    sources: list[Source]
    waiting: dict[str, str]


def _locked_run(night: Night, registry: Registry, sources: list[Source], public: Path, *,
                due_only: bool, republish: bool, collect_many: CollectMany, lock_wait: float,
                logger: Logger) -> dict:
    """The run's stages, holding the data folder's run lock. A warehouse that cannot be opened,
    or fails under the run (a full disk), ends it with a run-level failure and what was done
    so far; each source committed before stays committed."""
    db_path = night.ctx.data_dir / "atlas.duckdb"
    try:
        con = open_writer(db_path, lock_wait)
    except WarehouseUnavailable as exc:
        return _failed(night, (exc.failure_class, exc.reason), logger, "could not start")
    try:
        plan = start(con, night, registry, sources, due_only)
        commit(con, night, collect(plan, night, collect_many), logger)
        for sid, reason in plan.waiting.items():  # reported, never committed: records stand
            night.runs.append(SourceRun(sid, night.started, night.started, status="skipped",
                                        reason=reason))
            log_source(logger, night.runs[-1])
        # linking and publishing are the night's peaks: each starts without DuckDB's cache
        # of the blocks read and written before it
        con = reopen(con, db_path, lock_wait)
        night.link_error = link(con, night.ctx.run_id, registry, logger)
        con = reopen(con, db_path, lock_wait)
        night.release, night.publish_error = publish_if_changed(con, public, night.ctx.run_id,
                                                                logger, always=republish)
        finish_run(con, night.ctx.run_id, night.status,
                   night.release and str(night.release.path), datetime.now(UTC))
        return night.report(night.status)
    except (duckdb.Error, WarehouseUnavailable, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        failure = ((exc.failure_class, exc.reason) if isinstance(exc, WarehouseUnavailable)
                   else failure_of(exc, db_path))
        return _failed(night, failure, logger, "failed")
    finally:
        with contextlib.suppress(duckdb.Error):
            con.close()


def _failed(night: Night, failure: tuple[str, str], logger: Logger, what: str) -> dict:
    logger.error("run %s %s [%s]: %s", night.ctx.run_id, what, *failure)
    return night.report("failed", failure)


def start(con, night: Night, registry: Registry, sources: list[Source], due_only: bool
          ) -> Plan:
    """Stage 1: the registry into the warehouse, the sources due (all unless `due_only`) and
    their records before the run; the run begun, leftovers of earlier runs removed."""
    upsert_sources(con, registry.sources)
    night.ctx = replace(night.ctx, last_pages=last_accepted_pages(con))
    ctx = night.ctx
    waiting: dict[str, str] = {}
    if due_only:
        sources, waiting = due_sources(sources, last_accepted_live(con), night.started)
    night.before = {sid: last_accepted_count(con, sid)
                    for sid in [s.id for s in sources] + list(waiting)}
    begin_run(con, ctx.run_id, ctx.mode, night.started)
    drop_stale_manifests(con, ctx, sources)
    drop_spools(ctx)
    return Plan(sources, waiting)


def collect(plan: Plan, night: Night, collect_many: CollectMany) -> Iterator[SourceRun]:
    """Stage 2: each source's run as its collection ends; one far smaller than the source's
    last accepted run is refused (`refuse_shrunken`)."""
    progress.say(f"run {night.ctx.run_id}: collecting {len(plan.sources)} sources…")
    by_id = {s.id: s for s in plan.sources}
    for run in collect_many(plan.sources, night.ctx):
        yield refuse_shrunken(run, by_id[run.source_id], night.before[run.source_id])


def commit(con, night: Night, runs: Iterable[SourceRun], logger: Logger) -> None:
    """Stage 3, the one writer: each run committed as it arrives, then kept in `night.runs`
    without its listings and pages (streamed through, never all held)."""
    with few_checkpoints(con):
        for run in runs:
            run = commit_one(con, night.ctx.run_id, run)
            log_source(logger, run)
            keep_manifest(night.ctx.data_dir, night.ctx.run_id, run)
            run.listings, run.pages = [], []
            night.runs.append(run)


def commit_one(con, run_id: str, run: SourceRun) -> SourceRun:
    """A run whose load fails is rolled back and committed as failed: that source fails, the
    run goes on."""
    try:
        commit_source_run(con, run_id, run)
    except Exception as exc:
        run = fail_run(run, "exception", f"{run.source_id}: load failed: "
                                         f"{type(exc).__name__}: {exc}")
        run.pages, run.quarantine = [], []
        commit_source_run(con, run_id, run)
    return run


def link(con, run_id: str, registry: Registry, logger: Logger) -> str | None:
    """Stage 4: entities linked across sources; the error, if any. Linkage is derived data:
    when it fails, the entities stay as they were and the release goes on without it."""
    progress.say("linking entities across sources…")
    try:
        counts = link_entities(con, run_id, datetime.now(UTC),
                               load_decisions(default_path(registry.path)))
    except Exception as exc:
        kind = getattr(exc, "failure_class", type(exc).__name__)
        error = f"linkage failed, entities unchanged [{kind}]: {exc}"
        logger.error(error)
        return error
    for stale in counts.stale_decisions:
        logger.warning("linkage decision names a listing that is not active: %s", stale)
    return None


def publish_if_changed(con, public: Path, run_id: str, logger: Logger, *, always: bool
                       ) -> tuple[Release | None, str | None]:
    """Stage 5: a new release, unless the latest was built from exactly this state (and not
    `always`): then it stands, and `latest.json` says it was confirmed current now. Or why
    publishing failed, in which case the latest release stays."""
    progress.say("publishing the release…")
    try:
        state = release_state(con)
        latest = None if always else current_release(public, state)
        if latest is None:
            return publish(con, public, run_id, datetime.now(UTC), state=state), None
        confirm_latest(public, latest, datetime.now(UTC))
        logger.info("nothing changed since release %s: it stays the latest", latest["run_id"])
        return Release(run_id=latest["run_id"], path=public / latest["release"],
                       rows=latest["counts"]["listings"], withheld={}), None
    except Exception as exc:
        error = f"publish failed, latest release kept: {exc}"
        logger.error(error)
        return None, error


def write_report(data_dir: Path, report: dict, logger: Logger = _log) -> None:
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
