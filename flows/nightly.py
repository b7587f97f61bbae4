"""The nightly flow: one Prefect task per source, run concurrently and isolated; a single
writer commits each source run as it completes, then one release is published.

Prefect adds orchestration only (concurrency, logging, the run report artifact); every step is
a plain function in `flows.pipeline`, which also runs without Prefect.
"""

from __future__ import annotations

from collections.abc import Iterator

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.futures import as_completed

from flows.pipeline import RunContext, collect_source, crashed, run_all
from flows.report import format_report
from schema.registry import Source, load_registry
from warehouse.runs import SourceRun


@task(name="collect-source", cache_policy=NONE, task_run_name="collect-{source.id}")
def collect_task(source: Source, ctx: RunContext) -> SourceRun:
    return collect_source(source, ctx)


def collect_concurrently(sources: list[Source], ctx: RunContext) -> Iterator[SourceRun]:
    """One task per source, yielded as each completes, so the writer commits early."""
    futures = {collect_task.submit(s, ctx): s for s in sources}
    for future in as_completed(list(futures)):
        try:
            yield future.result()
        except Exception as exc:  # the task itself crashed (worker lost, bug in wiring)
            yield crashed(futures[future], exc)


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
    report = run_all(load_registry(registry_path), source_ids=source_ids, replay=replay,
                     data_dir=data_dir, public_dir=public_dir, rewrite=rewrite,
                     rate_override=rate_override, collect_many=collect_concurrently,
                     logger=get_run_logger())
    create_markdown_artifact(key="run-report", markdown=(
        f"# Run {report['run_id']}: {report['status']}\n\n```\n{format_report(report)}\n```\n"),
        description="per-source status, counts and duration")
    return report
