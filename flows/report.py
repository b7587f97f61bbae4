"""The run report (`data/run-report.json`, the log, the Prefect artifact): per source status,
failure class, counts, duration, the change against its last accepted run and how complete
its fields are, so a source quietly losing its phone numbers shows up the next morning."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from schema.source_run import SourceRun

if TYPE_CHECKING:
    from flows.pipeline import Night


def log_source(logger: logging.Logger | logging.LoggerAdapter, run: SourceRun) -> None:
    if run.status == "ok":
        logger.info("%s ok: %d parsed, %d rejected, %s", run.source_id, run.parsed,
                    len(run.quarantine), asdict(run.counts))
    elif run.status == "skipped":
        logger.info("%s skipped: %s", run.source_id, run.reason)
    else:
        logger.error("%s FAILED [%s]: %s", run.source_id, run.failure_class, run.reason)


def delta(run: SourceRun, before: int | None) -> dict:
    """Listings of the last accepted run before this one, of this run if it was accepted (a
    failed or skipped run keeps the earlier records current), and the change."""
    c = run.counts
    after = c.inserted + c.updated + c.unchanged if run.status == "ok" else None
    change = after - before if after is not None and before is not None else None
    return {"before": before, "after": after, "change": change}


def completeness(run: SourceRun) -> dict[str, float]:
    """Share of this run's valid records holding a value, per field (its quality stats)."""
    return {s.field: round(s.present / s.records, 3) for s in run.stats if s.records}


def build_report(night: Night, status: str, failure: tuple[str, str] | None = None) -> dict:
    """The report; `failure` is a run-level failure class and its one-line reason."""
    ctx, release, runs = night.ctx, night.release, night.runs
    ordered = sorted(runs, key=lambda r: r.source_id)
    return {
        "run_id": ctx.run_id, "mode": ctx.mode, "status": status,
        "failure_class": failure[0] if failure else None,
        "reason": failure[1] if failure else None,
        "started_at": night.started.isoformat(), "finished_at": datetime.now(UTC).isoformat(),
        "release": str(release.path) if release else None,
        #: False when nothing changed and the latest release stands (confirmed, not rebuilt)
        "release_new": release.run_id == ctx.run_id if release else None,
        "published_rows": release.rows if release else None,
        "publish_error": night.publish_error, "link_error": night.link_error,
        "summary": {k: sum(1 for r in runs if r.status == k) for k in ("ok", "failed",
                                                                      "skipped")},
        "sources": {r.source_id: {
            "status": r.status, "failure_class": r.failure_class, "reason": r.reason,
            "duration_s": round(r.duration_s, 3), "fetched": r.fetched,
            "not_modified": r.not_modified, "parsed": r.parsed, "rejected": len(r.quarantine),
            "unchanged_since": r.unchanged_since,
            **asdict(r.counts), "delta": delta(r, night.before.get(r.source_id)),
            "completeness": completeness(r)} for r in ordered},
    }


def _change(d: dict) -> str:
    if d["after"] is None:
        return "-"
    return "new" if d["before"] is None else f"{d['change']:+d}"


def format_report(report: dict) -> str:
    head = (f"{'source':<26} {'status':<7} {'class':<13} {'fetched':>7} {'304':>4} "
            f"{'parsed':>6} {'rej':>4} {'ins':>4} {'upd':>4} {'same':>5} {'gone':>4} "
            f"{'delta':>5} {'secs':>6}")
    lines = [head]
    for sid, s in report["sources"].items():
        lines.append(
            f"{sid:<26} {s['status']:<7} {s['failure_class'] or '-':<13} {s['fetched']:>7} "
            f"{s['not_modified']:>4} {s['parsed']:>6} {s['rejected']:>4} {s['inserted']:>4} "
            f"{s['updated']:>4} {s['unchanged']:>5} {s['vanished']:>4} "
            f"{_change(s['delta']):>5} {s['duration_s']:>6.2f}")
        if s["reason"]:
            lines.append(f"    reason: {s['reason']}")
    if report.get("failure_class"):
        lines.append(f"run failed [{report['failure_class']}]: {report['reason']}")
    kept = " (unchanged, kept)" if report.get("release_new") is False else ""
    lines.append(f"release: {report['release'] or report['publish_error']}{kept}"
                 f" ({report['published_rows']} rows)")
    return "\n".join(lines)


def exit_code(report: dict) -> int:
    """`shg run`'s exit code: 4 the run could not start (or lost its warehouse), 3 publish
    failed (the latest release kept), 1 a source failed, 0 every source ok."""
    if report.get("failure_class"):
        return 4
    if report.get("publish_error"):
        return 3
    return 0 if report["status"] == "ok" else 1


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_report(report: dict) -> str:
    """The same report as markdown for the Prefect artifact: one table of status, counts and
    delta, one of field completeness, then the reasons."""
    failure = ([f"Run failed [{report['failure_class']}]: {_cell(report['reason'])}", ""]
               if report.get("failure_class") else [])
    out = [f"# Run {report['run_id']} ({report['mode']}): {report['status']}", "", *failure,
           f"Release: {_cell(report['release'] or report['publish_error'])} "
           f"({report['published_rows']} rows)", "",
           "| source | status | class | fetched | parsed | rejected | inserted | updated "
           "| unchanged | vanished | before | now | delta | secs |",
           "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for sid, s in report["sources"].items():
        d = s["delta"]
        out.append(
            f"| {sid} | {s['status']} | {s['failure_class'] or ''} | {s['fetched']} "
            f"| {s['parsed']} | {s['rejected']} | {s['inserted']} | {s['updated']} "
            f"| {s['unchanged']} | {s['vanished']} | {_blank(d['before'])} "
            f"| {_blank(d['after'])} | {_change(d) if d['after'] is not None else ''} "
            f"| {s['duration_s']:.2f} |")
    fields = sorted({f for s in report["sources"].values() for f in s["completeness"]})
    if fields:
        out += ["", "Field completeness (share of the run's records with a value)", "",
                "| source | " + " | ".join(fields) + " |",
                "|---|" + "--:|" * len(fields)]
        for sid, s in report["sources"].items():
            if s["completeness"]:
                out.append(f"| {sid} | " + " | ".join(
                    f"{s['completeness'][f]:.0%}" if f in s["completeness"] else ""
                    for f in fields) + " |")
    reasons = [(sid, s) for sid, s in report["sources"].items() if s["reason"]]
    if reasons:
        out += ["", "Reasons", ""]
        out += [f"- **{sid}** ({s['status']}): {_cell(s['reason'])}" for sid, s in reasons]
    return "\n".join(out) + "\n"


def _blank(value: object) -> str:
    return "" if value is None else str(value)
