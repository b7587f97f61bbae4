"""The other operator's route (docs/operations.md, "A Prefect work pool with several workers"):
the nightly deployment of prefect.yaml, deployed unchanged with `prefect deploy --name nightly`
onto a process work pool `atlas` served by two `prefect worker start` processes, against a
real `prefect server start` on 127.0.0.1. Two flow runs created at once must run one after the
other (the deployment's `concurrency_limit: 1`: the warehouse has one writer), and once the
worker that ran the last night is stopped, the surviving one picks up the next (failover).

`prefect deploy` runs in a copy of the checkout (prefect.yaml verbatim, sources.toml, flows/,
snapshots/), so the pull step's `{{ $PWD }}` and the relative parameters land in tmp_path; each
run replays the bundled snapshot (`replay=snapshots`, as `--param` would set it), offline. The
server's scheduler is off, so no cron run races the test's runs. Only the waiting is
shortened: workers poll every second, a run refused a slot is retried after one (not 30) s.
"""

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import duckdb
import psutil
import pytest
from prefect.client.schemas.responses import DeploymentResponse

from flows.nightly import deployment_spec
from tests.conftest import ROOT
from tests.test_schedule_e2e import PREFECT, free_port, healthy, process, wait_for

WORKERS = ("worker-a", "worker-b")
CHECKOUT_PARTS = ("prefect.yaml", "sources.toml", "flows", "snapshots")


@dataclass(frozen=True)
class Night:
    """One flow run of the deployment, as the API and the workers' logs tell it."""

    name: str
    state: str
    start: float  # epoch seconds (Prefect's start_time / end_time)
    end: float
    state_names: tuple[str, ...]
    run_id: str  # the warehouse run id, from the run's `run-report` artifact
    ran_on: tuple[str, ...]  # the workers whose log says they submitted it to infrastructure


@dataclass(frozen=True)
class Outcome:
    checkout: Path
    deployment: DeploymentResponse
    pool_type: str
    registered_workers: set[str]
    nights: dict[str, Night]
    concurrent: tuple[str, str]  # the two runs created at once, in the order they started
    stopped: str  # the worker stopped before the third night
    stopped_rc: int | None
    warehouse_runs: list[tuple]
    logs: dict[str, str]


def cli(args: list[str], env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(
        [str(PREFECT), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"


def copy_checkout(target: Path) -> Path:
    target.mkdir()
    for part in CHECKOUT_PARTS:
        if (ROOT / part).is_dir():
            shutil.copytree(
                ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(ROOT / part, target / part)
    return target


def submitted_by(name: str, logs: dict[str, str]) -> tuple[str, ...]:
    """The workers whose log (worker name: text) says they started flow run `name`."""
    line = f"Flow run '{name}' submitted to infrastructure"
    return tuple(worker for worker, text in logs.items() if line in text)


def process_finished(pid: str | None) -> bool:
    """The flow run's process (its infrastructure pid) has exited, or is a zombie."""
    try:
        return psutil.Process(int(str(pid).rpartition(":")[2])).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    tmp = tmp_path_factory.mktemp("pool")
    checkout = copy_checkout(tmp / "checkout")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = os.environ | {
        "PREFECT_HOME": str(tmp / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "INFO",
        # an operator's shell sets PWD on `cd`; a subprocess's cwd does not
        "PWD": str(checkout),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
    }
    logs = {name: tmp / f"{name}.log" for name in ("server", *WORKERS)}
    with contextlib.ExitStack() as stack:
        start = ["server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"]
        server = stack.enter_context(
            process([str(PREFECT), *start, "--no-scheduler"], logs["server"], env=env)
        )
        procs = {logs["server"]: server}
        wait_for(lambda: healthy(api), 60, "the Prefect server", procs)
        cli(["work-pool", "create", "atlas", "--type", "process"], env, checkout)
        cli(["deploy", "--name", "nightly"], env, checkout)
        stack.enter_context(temporary_settings({PREFECT_API_URL: api}))
        client = stack.enter_context(get_client(sync_client=True))
        deployment = client.read_deployment_by_name("nightly/nightly")
        [pull] = deployment.pull_steps
        # never let a run write into the real checkout
        workdir = pull["prefect.deployments.steps.set_working_directory"]["directory"]
        assert workdir == str(checkout), deployment.pull_steps
        workers = {}
        for name in WORKERS:
            workers[name] = stack.enter_context(
                process(
                    [str(PREFECT), "worker", "start", "--pool", "atlas", "--name", name],
                    logs[name],
                    env=env,
                    cwd=tmp,
                )
            )
            procs[logs[name]] = workers[name]

        def registered() -> set[str]:
            return {w.name for w in client.read_workers_for_work_pool("atlas")}

        wait_for(lambda: registered() == set(WORKERS), 60, "both workers", procs)
        registered_workers = registered()
        replay = {"replay": "snapshots"}
        ids: dict[str, UUID] = {}
        for name in ("night-1", "night-2"):  # at once: both due now, both workers polling
            ids[name] = client.create_flow_run_from_deployment(
                deployment.id, parameters=replay, name=name
            ).id

        def final(*names: str) -> bool:
            return all(client.read_flow_run(ids[n]).state.is_final() for n in names)

        wait_for(lambda: final("night-1", "night-2"), 150, "two concurrent runs", procs)
        first, second = sorted(
            ("night-1", "night-2"), key=lambda n: client.read_flow_run(ids[n]).start_time
        )
        # failover: the worker that ran last night stops (idle: its run's process has exited)
        run = client.read_flow_run(ids[second])
        assert run.infrastructure_pid, run
        wait_for(
            lambda: process_finished(run.infrastructure_pid),
            30,
            f"{second}'s process to exit",
            procs,
        )
        ran_second = submitted_by(second, {w: logs[w].read_text() for w in WORKERS})
        assert len(ran_second) == 1, ran_second
        stopped = ran_second[0]
        del procs[logs[stopped]]
        workers[stopped].send_signal(signal.SIGINT)
        stopped_rc = workers[stopped].wait(timeout=30)
        ids["night-3"] = client.create_flow_run_from_deployment(
            deployment.id, parameters=replay, name="night-3"
        ).id
        wait_for(lambda: final("night-3"), 90, "the run after failover", procs)

        reports = {a.flow_run_id: a.data for a in client.read_artifacts() if a.key == "run-report"}
        seen = {
            n: (client.read_flow_run(i), client.read_flow_run_states(i)) for n, i in ids.items()
        }
        pool_type = client.read_work_pool("atlas").type
    # every process stopped: the logs are complete, the warehouse is closed
    texts = {w: logs[w].read_text() for w in WORKERS}
    nights = {
        name: Night(
            name=name,
            state=run.state.type.value,
            start=run.start_time.timestamp() if run.start_time else float("nan"),
            end=run.end_time.timestamp() if run.end_time else float("nan"),
            state_names=tuple(s.name for s in states),
            run_id=reports.get(run.id, "").removeprefix("# Run ").partition(" ")[0],
            ran_on=submitted_by(name, texts),
        )
        for name, (run, states) in seen.items()
    }
    with duckdb.connect(str(checkout / "data" / "atlas.duckdb"), read_only=True) as con:
        warehouse_runs = con.execute(
            "SELECT run_id, epoch(started_at), epoch(finished_at), mode, status, release "
            "FROM runs ORDER BY started_at"
        ).fetchall()
    yield Outcome(
        checkout=checkout,
        deployment=deployment,
        pool_type=pool_type,
        registered_workers=registered_workers,
        nights=nights,
        concurrent=(first, second),
        stopped=stopped,
        stopped_rc=stopped_rc,
        warehouse_runs=warehouse_runs,
        logs=texts,
    )


def test_prefect_yaml_is_deployed_unchanged_onto_the_process_pool(pool: Outcome) -> None:
    spec = deployment_spec(ROOT / "prefect.yaml")
    deployment = pool.deployment
    assert (pool.checkout / "prefect.yaml").read_bytes() == (ROOT / "prefect.yaml").read_bytes()
    assert pool.pool_type == "process"
    assert (deployment.work_pool_name, deployment.work_queue_name) == ("atlas", "default")
    assert deployment.entrypoint == spec.entrypoint
    assert deployment.parameters == spec.parameters
    assert deployment.global_concurrency_limit.limit == 1
    [schedule] = [s.schedule for s in deployment.schedules]
    assert (schedule.cron, schedule.timezone) == (spec.cron, spec.timezone)


def test_both_workers_serve_the_pool(pool: Outcome) -> None:
    assert pool.registered_workers == set(WORKERS)
    for name in WORKERS:
        assert f"Worker '{name}' started!" in pool.logs[name]


def test_every_run_completed_on_exactly_one_worker(pool: Outcome) -> None:
    assert {n.name: n.state for n in pool.nights.values()} == dict.fromkeys(
        ("night-1", "night-2", "night-3"), "COMPLETED"
    )
    for night in pool.nights.values():
        assert len(night.ran_on) == 1 and night.ran_on[0] in WORKERS, night


def test_two_runs_created_at_once_ran_one_after_the_other(pool: Outcome) -> None:
    first, second = (pool.nights[n] for n in pool.concurrent)
    assert first.end <= second.start, (first, second)
    # not luck: the server refused the second run a slot while the first held it
    assert "AwaitingConcurrencySlot" in second.state_names, second.state_names


def test_the_surviving_worker_picks_up_the_next_run(pool: Outcome) -> None:
    [survivor] = set(WORKERS) - {pool.stopped}
    assert pool.stopped_rc == 0, pool.logs[pool.stopped][-3000:]
    assert pool.nights["night-3"].ran_on == (survivor,)
    assert pool.nights["night-3"].start >= pool.nights[pool.concurrent[1]].end


def test_the_warehouse_had_one_writer_at_a_time(pool: Outcome) -> None:
    rows = pool.warehouse_runs
    assert [(mode, status) for _, _, _, mode, status, _ in rows] == [("replay", "ok")] * 3
    for (_, _, finished, *_), (_, started, *_) in itertools.pairwise(rows):
        assert finished <= started, rows
    # each warehouse run lies inside its flow run's execution interval
    by_run_id = {n.run_id: n for n in pool.nights.values()}
    assert set(by_run_id) == {row[0] for row in rows}
    for run_id, started, finished, *_ in rows:
        night = by_run_id[run_id]
        assert night.start <= started <= finished <= night.end, (night, started, finished)


def test_the_release_is_published_into_the_deployment_folder(pool: Outcome) -> None:
    public = pool.checkout / "public"
    latest = json.loads((public / "latest.json").read_text("utf-8"))
    assert (public / "latest").resolve() == (public / latest["release"]).resolve()
    assert latest["counts"]["listings"] > 0
    assert (public / "latest" / "listings.csv").stat().st_size > 0
    assert latest["run_id"] in {row[0] for row in pool.warehouse_runs}
    assert all(row[5] and (pool.checkout / row[5]).is_dir() for row in pool.warehouse_runs)
    report = json.loads((pool.checkout / "data" / "run-report.json").read_text("utf-8"))
    assert report["status"] == "ok" and report["mode"] == "replay"
    assert report["run_id"] == pool.warehouse_runs[-1][0] == pool.nights["night-3"].run_id
