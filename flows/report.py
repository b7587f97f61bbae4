"""The run report: per source status, failure class, counts and duration."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from warehouse.runs import SourceRun

if TYPE_CHECKING:
    from flows.pipeline import RunContext


def log_source(logger: logging.Logger | logging.LoggerAdapter, run: SourceRun) -> None:
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
    head = (f"{'source':<26} {'status':<7} {'class':<13} {'fetched':>7} {'304':>4} "
            f"{'parsed':>6} {'rej':>4} {'ins':>4} {'upd':>4} {'same':>5} {'gone':>4} {'secs':>6}")
    lines = [head]
    for sid, s in report["sources"].items():
        lines.append(
            f"{sid:<26} {s['status']:<7} {s['failure_class'] or '-':<13} {s['fetched']:>7} "
            f"{s['not_modified']:>4} {s['parsed']:>6} {s['rejected']:>4} {s['inserted']:>4} "
            f"{s['updated']:>4} {s['unchanged']:>5} {s['vanished']:>4} {s['duration_s']:>6.2f}")
        if s["reason"]:
            lines.append(f"    reason: {s['reason']}")
    lines.append(f"release: {report['release'] or report['publish_error']}"
                 f" ({report['published_rows']} rows)")
    return "\n".join(lines)
