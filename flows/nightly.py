"""The nightly flow: one Prefect task per source, run concurrently and isolated; a single
writer commits each source run as it completes, then one release is published.

Prefect adds orchestration only (concurrency, retries of whole sources, logging, the run
report artifact); every step is a plain function in `flows.pipeline` or `warehouse`.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.futures import as_completed

from flows.pipeline import RunContext, collect_source, new_run_id
from schema.registry import Registry, Source, load_registry
from warehouse.db import connect
from warehouse.publish import publish
from warehouse.runs import SourceRun, begin_run, commit_source_run, finish_run, upsert_sources


@task(name="collect-source", cache_policy=NONE, task_run_name="collect-{source.id}")
def collect_task(source: Source, ctx: RunContext) -> SourceRun:
    return collect_source(source, ctx)


@flow(name="nightly", log_prints=True)
def nightly(
    registry_path: str = "sources.toml",
    source_ids: list[str] | None = None,
    replay: str | None = None,
    data_dir: str = "data",
    public_dir: str = "public",
    rewrite: dict[str, str] | None = None,
    rate_override: float | None = None,
) -> dict:
    registry = load_registry(registry_path)
    return run_pipeline(registry, source_ids=source_ids, replay=replay, data_dir=data_dir,
                        public_dir=public_dir, rewrite=rewrite, rate_override=rate_override)


def run_pipeline(
    registry: Registry,
    *,
    source_ids: list[str] | None,
    replay: str | None,
    data_dir: str,
    public_dir: str,
    rewrite: dict[str, str] | None,
    rate_override: float | None,
) -> dict:
    logger = get_run_logger()
    sources = [registry.get(s) for s in source_ids] if source_ids else registry.sources
    started = datetime.now(UTC)
    ctx = RunContext(run_id=new_run_id(started), data_dir=Path(data_dir),
                     replay=Path(replay) if replay else None, rewrite=rewrite or {},
                     rate_override=rate_override, base_dir=registry.path.parent)
    con = connect(Path(data_dir) / "atlas.duckdb")
    try:
        upsert_sources(con, registry.sources)
        begin_run(con, ctx.run_id, ctx.mode, started)
        futures = {collect_task.submit(s, ctx): s for s in sources}
        runs: list[SourceRun] = []
        for future in as_completed(list(futures)):
            source = futures[future]
            try:
                run = future.result()
            except Exception as exc:  # the task itself crashed (worker lost, bug in wiring)
                now = datetime.now(UTC)
                run = SourceRun(source.id, now, now, status="failed", failure_class="exception",
                                reason=f"{source.id}: task crashed: {exc}")
            commit_source_run(con, ctx.run_id, run)
            runs.append(run)
            _log_source(logger, run)
        release, publish_error = None, None
        try:
            release = publish(con, Path(public_dir), ctx.run_id, datetime.now(UTC))
        except Exception as exc:
            publish_error = f"publish failed, latest release kept: {exc}"
            logger.error(publish_error)
        failed = [r for r in runs if r.status != "ok"]
        status = ("failed" if publish_error or len(failed) == len(runs)
                  else "partial" if failed else "ok")
        finish_run(con, ctx.run_id, status, release and str(release.path), datetime.now(UTC))
    finally:
        con.close()
    report = build_report(ctx, started, runs, status, release, publish_error)
    report_path = Path(data_dir) / "run-report.json"
    report_path.write_text(json.dumps(report, indent=2, default=str), "utf-8")
    logger.info("run %s: %s\n%s", ctx.run_id, status, format_report(report))
    create_markdown_artifact(key="run-report", markdown=(
        f"# Run {ctx.run_id}: {status}\n\n```\n{format_report(report)}\n```\n"),
        description="per-source status, counts and duration")
    return report


def _log_source(logger, run: SourceRun) -> None:
    if run.status == "ok":
        logger.info("%s ok: %d parsed, %d rejected, %s", run.source_id, run.parsed,
                    len(run.quarantine), asdict(run.counts))
    else:
        logger.error("%s FAILED [%s]: %s", run.source_id, run.failure_class, run.reason)


def build_report(ctx: RunContext, started: datetime, runs: list[SourceRun], status: str,
                 release, publish_error: str | None) -> dict:
    return {
        "run_id": ctx.run_id, "mode": ctx.mode, "status": status,
        "started_at": started.isoformat(), "finished_at": datetime.now(UTC).isoformat(),
        "release": str(release.path) if release else None,
        "published_rows": release.rows if release else None,
        "publish_error": publish_error,
        "sources": {r.source_id: {
            "status": r.status, "failure_class": r.failure_class, "reason": r.reason,
            "duration_s": round(r.duration_s, 3), "fetched": r.fetched,
            "not_modified": r.not_modified, "parsed": r.parsed, "rejected": len(r.quarantine),
            **asdict(r.counts)} for r in sorted(runs, key=lambda r: r.source_id)},
    }


def format_report(report: dict) -> str:
    head = (f"{'source':<16} {'status':<7} {'class':<13} {'fetched':>7} {'304':>4} "
            f"{'parsed':>6} {'rej':>4} {'ins':>4} {'upd':>4} {'same':>5} {'gone':>4} {'secs':>6}")
    lines = [head]
    for sid, s in report["sources"].items():
        lines.append(
            f"{sid:<16} {s['status']:<7} {s['failure_class'] or '-':<13} {s['fetched']:>7} "
            f"{s['not_modified']:>4} {s['parsed']:>6} {s['rejected']:>4} {s['inserted']:>4} "
            f"{s['updated']:>4} {s['unchanged']:>5} {s['vanished']:>4} {s['duration_s']:>6.2f}")
        if s["reason"]:
            lines.append(f"    reason: {s['reason']}")
    lines.append(f"release: {report['release'] or report['publish_error']}"
                 f" ({report['published_rows']} rows)")
    return "\n".join(lines)
