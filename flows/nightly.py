"""The nightly flow: `flows.pipeline.run_all` with one Prefect task per group of sources
sharing a host. Prefect adds orchestration only (concurrency, logging, the report artifact,
the schedule, which lives in `prefect.yaml` for `prefect deploy` and `shg serve` alike)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NONE
from prefect.futures import as_completed

from flows.collect import RunContext, crashed
from flows.concurrent import collect_threaded
from flows.dask_runner import runner_from_env, task_runner, worker_reachable_api
from flows.hosts import group_label, host_groups
from flows.pipeline import run_all
from flows.report import markdown_report
from schema.registry import Source, load_registry
from schema.source_run import SourceRun
from scrapers.fetch.crawl import RUN_MINUTES
from warehouse.storage.db import WAREHOUSE_WAIT


@task(name="collect-sources", cache_policy=NONE, task_run_name="collect-{label}")
def collect_group(sources: list[Source], ctx: RunContext, label: str) -> list[SourceRun]:
    """Collect sources that share a host in threads of one process, so the process-wide
    per-host rate gate makes them take turns (on Dask, one worker per group)."""
    return list(collect_threaded(sources, ctx))


def task_groups(sources: list[Source], ctx: RunContext) -> list[list[Source]]:
    """Live runs group sources by host; a replay sends no request, so every source is a task
    of its own and the CPU work spreads as far as it can."""
    return host_groups(sources) if ctx.replay is None else [[s] for s in sources]


def collect_concurrently(sources: list[Source], ctx: RunContext) -> Iterator[SourceRun]:
    """One task per host group, each group's source runs yielded as its task completes, so
    the writer commits early."""
    futures = {collect_group.submit(group, ctx, group_label(group)): group
               for group in task_groups(sources, ctx)}
    for future in as_completed(list(futures)):
        try:
            runs = future.result()
        except Exception as exc:  # the task itself crashed (worker lost, bug in wiring)
            runs = [crashed(source, exc) for source in futures[future]]
        yield from runs


# Threads by default; Dask when SHG_DASK_ADDRESS is set (see flows/dask_runner.py).
@flow(name="nightly", log_prints=True, task_runner=runner_from_env())
def nightly(
    registry_path: str = "sources.toml",
    source_ids: list[str] | None = None,
    replay: str | None = None,
    data_dir: str = "data",
    public_dir: str = "public",
    rewrite: dict[str, str] | None = None,
    rate_override: float | None = None,
    force: bool = False,
    republish: bool = False,
    max_run_minutes: float | None = RUN_MINUTES,
    lock_wait: float = WAREHOUSE_WAIT,
) -> dict:
    """`run_all` (its docstring says what the parameters do) with a task per host group,
    its report attached as a markdown artifact for the Prefect UI."""
    report = run_all(load_registry(registry_path), source_ids=source_ids, replay=replay,
                     data_dir=data_dir, public_dir=public_dir, rewrite=rewrite,
                     rate_override=rate_override, force=force, republish=republish,
                     collect_many=collect_concurrently, logger=get_run_logger(),
                     max_run_minutes=max_run_minutes, lock_wait=lock_wait)
    create_markdown_artifact(key="run-report", markdown=markdown_report(report),
                             description="per-source status, counts, delta, completeness")
    return report


def run_on_dask(spec: str, *, registry_path: str | Path = "sources.toml",
                data_dir: str | Path = "data", public_dir: str | Path = "public",
                replay: str | Path | None = None, **parameters) -> dict:
    """Run the nightly flow with its per-source tasks on Dask. Paths become absolute, as a
    worker's working folder is not the flow's: they must be the same on every worker."""
    runner = task_runner(spec)
    with worker_reachable_api(spec):
        return nightly.with_options(task_runner=runner)(
            registry_path=str(Path(registry_path).resolve()),
            data_dir=str(Path(data_dir).resolve()), public_dir=str(Path(public_dir).resolve()),
            replay=str(Path(replay).resolve()) if replay else None, **parameters)


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment of `prefect.yaml`, as far as `shg serve` needs it."""

    name: str
    entrypoint: str
    cron: str
    timezone: str
    parameters: dict = field(default_factory=dict)
    description: str | None = None
    tags: tuple[str, ...] = ()
    #: The environment its runs get (`work_pool.job_variables.env`), e.g. the allocator's.
    env: dict[str, str] = field(default_factory=dict)


def deployment_spec(path: Path | str = "prefect.yaml", name: str = "nightly") -> DeploymentSpec:
    """The deployment `name` of `prefect.yaml`; it must have exactly one cron schedule with a
    time zone, since a bare cron would be read in UTC and drift by an hour twice a year."""
    path = Path(path)
    document = yaml.safe_load(path.read_text("utf-8")) or {}
    entry = next((e for e in document.get("deployments") or [] if e.get("name") == name), None)
    if entry is None:
        raise ValueError(f"{path}: no deployment named {name!r}")
    crons = [s for s in entry.get("schedules") or [] if s.get("cron")]
    jobs = (entry.get("work_pool") or {}).get("job_variables") or {}
    if len(crons) != 1 or not crons[0].get("timezone"):
        raise ValueError(f"{path}: deployment {name!r} needs exactly one cron schedule "
                         f"with a timezone")
    return DeploymentSpec(name=name, entrypoint=entry["entrypoint"],
                          cron=crons[0]["cron"], timezone=crons[0]["timezone"],
                          parameters=dict(entry.get("parameters") or {}),
                          description=entry.get("description"),
                          tags=tuple(entry.get("tags") or ()),
                          env={k: str(v) for k, v in (jobs.get("env") or {}).items()})


def serve(spec: DeploymentSpec, **parameters) -> None:
    """Serve `nightly` on the spec's schedule from this process until interrupted. One run
    at a time: the warehouse has a single writer."""
    from prefect.schedules import Cron

    if spec.entrypoint.rpartition(":")[2] != nightly.fn.__name__:
        raise ValueError(f"deployment {spec.name!r} runs {spec.entrypoint}, not this flow")
    nightly.serve(name=spec.name, schedules=[Cron(spec.cron, timezone=spec.timezone)],
                  parameters=spec.parameters | parameters, description=spec.description,
                  tags=list(spec.tags), limit=1)
