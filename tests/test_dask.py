"""Scale-out on Dask: the nightly flow with its per-source tasks on a local two-worker cluster
(worker subprocesses, loopback only) publishes the same release as the default thread runner.

What may differ between the two releases is run metadata only: the run id, the release's
generation time, and the times the warehouse stamps on records as each source run is committed
(`verified_at`, `first_seen`, `changed_at`, HSDS `last_modified`). The descriptive documents
(README, landing page, DCAT, SHA256SUMS) also carry the sizes and checksums of the files
holding those times, and the landing page each source's last run time. Everything else — every
row of every CSV, JSON, Parquet and snapshot table, the withheld report, the HSDS export, and
the warehouse's pages, quarantine and run counts — must be identical. `fetched_at` is not
normalised: a replay takes it from the WARC record (file sources: the file), so it must match.

A live run collects sources sharing a host in one task, so one worker's process-wide rate gate
paces them together (`flows.hosts`); the fixture sites record which worker sent each request.
"""

import contextlib
import csv
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import psutil
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster, get_task_stream

from flows.cli import main
from flows.dask_runner import (
    ENV,
    DaskSetupError,
    check_api,
    is_loopback,
    runner_from_env,
    task_runner,
)
from flows.nightly import nightly, run_on_dask
from scrapers.fetch.warc import WarcReplayTransport
from tests.conftest import FIXTURES, ROOT
from tools.site_server import FixtureHandler, serve_directory

REGISTRY, SNAPSHOTS = ROOT / "sources.toml", ROOT / "snapshots"
HERNE = "https://www.herne.de"
NAKOS = "https://www.nakos.de"
#: Live fixture sites: origin -> (fixture folders served there, source ids collected from it).
SITES = {
    HERNE: (["herne"], ["herne"]),
    "https://www.selbsthilfe-kreis-mettmann.de": (["kreis-mettmann"], ["kreis-mettmann"]),
    "https://www.duesseldorf.de": (["duesseldorf"], ["duesseldorf"]),
    "https://www.selbsthilfe-hamm.de": (["hamm"], ["hamm"]),
    NAKOS: (["nakos-rot", "nakos-gruen", "nakos-blau"], ["nakos-rot", "nakos-gruen", "nakos-blau"]),
}
#: Stamped per record when its source run is committed, so they differ from run to run.
RUN_TIMES = {"verified_at", "first_seen", "changed_at", "last_modified"}
#: Keys of the release's own metadata: the run id (replaced, see below) and generation time.
RELEASE_TIMES = {"created", "generated"}


@pytest.fixture(scope="module")
def patient_prefect():
    """Prefect's temporary server gets 20 s to start by default, too few on a busy CI box."""
    from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as TIMEOUT
    from prefect.settings import temporary_settings

    with temporary_settings({TIMEOUT: max(TIMEOUT.value(), 120)}):
        yield


@pytest.fixture(scope="module")
def cluster(patient_prefect):
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, \
            Client(cluster.scheduler_address) as client:
        # the workers import the pipeline while the first run starts Prefect's server
        warming = [client.submit(importlib.import_module, "flows.nightly", key=f"warm-{w}",
                                 workers=[w]) for w in client.scheduler_info()["workers"]]
        yield cluster, client
        del warming


@pytest.fixture(scope="module")
def releases(cluster, tmp_path_factory):
    """The bundled snapshot replayed once on Dask and once on the default runner."""
    cluster, client = cluster
    tmp = tmp_path_factory.mktemp("dask")
    kw = {"registry_path": str(REGISTRY), "replay": str(SNAPSHOTS)}
    with get_task_stream(client=client) as stream:
        on_dask = run_on_dask(cluster.scheduler_address, data_dir=tmp / "dask" / "data",
                              public_dir=tmp / "dask" / "public", **kw)
    local = nightly(data_dir=str(tmp / "local" / "data"),
                    public_dir=str(tmp / "local" / "public"), **kw)

    def servers() -> list[int]:  # Prefect API servers this worker process started itself
        import psutil

        return [p.pid for p in psutil.Process().children(recursive=True)
                if "prefect.server" in " ".join(p.cmdline())]

    return {"tmp": tmp, "dask": on_dask, "local": local, "stream": stream.data,
            "workers": client.run(os.getpid), "servers": client.run(servers)}


def release(report: dict, side: Path) -> Path:
    folder = (side / "public" / "latest").resolve()
    assert folder.name == report["run_id"]
    return folder


def test_every_source_ran_on_the_dask_workers(releases):
    sources = releases["dask"]["sources"]
    assert releases["dask"]["status"] == "ok"
    assert all(s["status"] == "ok" for s in sources.values()), sources
    collected = [t for t in releases["stream"] if t["key"].startswith("collect_group-")]
    assert len(collected) == len(sources) == 10  # a replay: one task per source
    workers = releases["workers"]  # worker address -> pid
    assert os.getpid() not in workers.values()  # the workers are other processes
    assert {t["worker"] for t in collected} == set(workers)  # both of them took sources
    assert all(t["status"] == "OK" for t in collected)
    # they reported to the flow's Prefect API instead of starting a temporary server each
    assert set(releases["servers"]) == set(workers)
    assert not any(releases["servers"].values()), releases["servers"]


def test_both_runs_collected_the_same(releases):
    """The reports agree on every per-source count (only run id, times and durations differ)."""
    strip = {"duration_s"}

    def counts(report: dict) -> dict:
        return {sid: {k: v for k, v in s.items() if k not in strip}
                for sid, s in report["sources"].items()}

    assert counts(releases["dask"]) == counts(releases["local"])
    assert releases["dask"]["published_rows"] == releases["local"]["published_rows"] > 0


def test_releases_hold_the_same_files(releases):
    tmp = releases["tmp"]
    a, b = release(releases["dask"], tmp / "dask"), release(releases["local"], tmp / "local")
    assert _files(a) == _files(b)
    assert {"listings.csv", "groups.json", "hsds/services.csv", "withheld.json",
            "datapackage.json", "atlas.duckdb"} <= _files(a)


def test_data_files_are_identical_apart_from_run_times(releases):
    tmp = releases["tmp"]
    a, b = release(releases["dask"], tmp / "dask"), release(releases["local"], tmp / "local")
    checked = 0
    for name in sorted(_files(a)):
        path = Path(name)
        if path.suffix == ".csv":
            left, right = _csv(a / name), _csv(b / name)
        elif path.suffix == ".json":
            left = _json(a / name, releases["dask"]["run_id"])
            right = _json(b / name, releases["local"]["run_id"])
        elif path.suffix == ".parquet":
            left, right = _parquet(a / name), _parquet(b / name)
        else:
            continue
        assert left == right, name
        checked += 1
    assert checked >= 30  # 15 CSV, 10 JSON, 4 Parquet at the time of writing
    # byte-identical where no run time is inside
    for name in ("withheld.json", "hsds/organizations.csv", "hsds/locations.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_snapshot_tables_are_identical_apart_from_run_times(releases):
    tmp = releases["tmp"]
    a, b = release(releases["dask"], tmp / "dask"), release(releases["local"], tmp / "local")
    left, right = _snapshot(a / "atlas.duckdb"), _snapshot(b / "atlas.duckdb")
    assert set(left) == {"listings", "groups", "contact_centres", "organisations", "sources"}
    assert left == right
    assert len(left["listings"][1]) == releases["local"]["published_rows"]


def test_descriptive_documents_differ_only_in_run_id_time_sizes_and_checksums(releases):
    tmp = releases["tmp"]
    a, b = release(releases["dask"], tmp / "dask"), release(releases["local"], tmp / "local")
    for name in ("README.md", "index.html", "dcat.jsonld"):
        left = _document(a / name, releases["dask"]["run_id"])
        right = _document(b / name, releases["local"]["run_id"])
        assert left == right, name
    names = [line.split("  ", 1)[1] for line in (a / "SHA256SUMS").read_text().splitlines()]
    assert names == [line.split("  ", 1)[1]
                     for line in (b / "SHA256SUMS").read_text().splitlines()]


def test_warehouses_hold_the_same_pages_quarantine_and_counts(releases):
    """What the workers sent back (page rows, quarantined records, field statistics) reached
    the single writer in full."""
    tmp = releases["tmp"]
    assert _warehouse(tmp / "dask" / "data") == _warehouse(tmp / "local" / "data")


def test_live_runs_on_workers_archive_to_warc_and_reuse_the_http_cache(
        cluster, tmp_path, monkeypatch, capsys):
    """A live crawl of the Herne fixture site on the workers, then `shg run --dask` with
    relative paths: they must reach the workers as absolute ones, or the second run would miss
    the cache the first one left (the workers' working folder is not tmp_path)."""
    cluster, _client = cluster
    data = tmp_path / "data"
    with serve_directory(FIXTURES / "herne") as (base, seen):
        first = run_on_dask(cluster.scheduler_address, registry_path=REGISTRY,
                            source_ids=["herne"], data_dir=data, public_dir=tmp_path / "public",
                            rewrite={HERNE: base}, rate_override=100.0)
        requests_first = len(seen)
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("DASK_LOGGING__DISTRIBUTED", "warning")  # main() would set it for good
        code = main(["--registry", str(REGISTRY), "--data", "data", "run", "--public", "public",
                     "--dask", cluster.scheduler_address, "--source", "herne",
                     "--map", f"{HERNE}={base}", "--rate", "100"])
    out = capsys.readouterr().out
    assert first["status"] == "ok" and code == 0, out
    assert re.search(r"run \S+ \(live\): ok", out)
    warc = data / "warc" / first["run_id"] / "herne.warc.gz"
    urls = WarcReplayTransport(warc).urls()
    assert f"{HERNE}/robots.txt" in urls and all(u.startswith(HERNE) for u in urls)
    with duckdb.connect(str(data / "atlas.duckdb"), read_only=True) as con:
        files = con.execute("SELECT DISTINCT warc_file FROM raw_pages WHERE run_id = ?",
                            [first["run_id"]]).fetchall()
    assert files == [(warc.name,)]  # the page rows the worker sent back name its WARC
    assert (data / "http-cache" / "herne" / "index.json").is_file()
    second = json.loads((data / "run-report.json").read_text("utf-8"))
    again = second["sources"]["herne"]
    assert (data / "warc" / second["run_id"] / "herne.warc.gz").is_file()
    assert again["fetched"] == requests_first == len(seen) - requests_first
    assert again["not_modified"] == again["fetched"] - 1  # all but robots.txt
    assert (again["inserted"], again["updated"], again["vanished"]) == (0, 0, 0)
    # nothing changed, so the first run's release stands (flows.pipeline.publish_if_changed)
    assert second["release_new"] is False
    assert (tmp_path / "public" / "latest").resolve().name == first["run_id"]


def test_cli_refuses_a_cluster_that_could_not_report_back(tmp_path, capsys):
    args = ["--registry", str(REGISTRY), "--data", str(tmp_path / "data"), "run",
            "--replay", str(SNAPSHOTS), "--public", str(tmp_path / "public"), "--dask"]
    assert main([*args, "tcp://10.0.0.5:8786"]) == 2  # no server its workers could reach
    assert "prefect server start" in capsys.readouterr().err
    assert main([*args, "http://127.0.0.1:8787"]) == 2  # the dashboard, not the scheduler
    assert main([*args, "local:0"]) == 2
    assert not (tmp_path / "data" / "atlas.duckdb").exists()


def test_lost_worker_fails_its_source_and_the_run_goes_on(cluster, tmp_path):
    """With retries on other workers switched off, a worker killed mid-crawl fails its source
    as `exception`; the other source is committed and the release published."""
    cluster, client = cluster
    pids = client.run(os.getpid)
    client.run_on_scheduler(_set_allowed_failures, 0)
    try:
        with serve_directory(FIXTURES / "herne") as (base, seen):
            killer = threading.Thread(target=_kill_busy_worker, args=(client, pids, seen),
                                      daemon=True)
            killer.start()
            report = run_on_dask(cluster.scheduler_address, registry_path=REGISTRY,
                                 source_ids=["herne", "datei-gruppen-xlsx"],
                                 data_dir=tmp_path / "data", public_dir=tmp_path / "public",
                                 rewrite={HERNE: base}, rate_override=4.0)
            killer.join(timeout=10)
    finally:
        client.run_on_scheduler(_set_allowed_failures, 3)
        client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    herne = report["sources"]["herne"]
    assert (herne["status"], herne["failure_class"]) == ("failed", "exception")
    assert "task crashed" in herne["reason"] and "died" in herne["reason"]
    assert report["sources"]["datei-gruppen-xlsx"]["status"] == "ok"
    assert report["status"] == "partial"
    assert (tmp_path / "public" / "latest").resolve().name == report["run_id"]


def test_sources_sharing_a_host_share_a_worker_and_its_rate(cluster, tmp_path):
    """A live run of seven sources on five hosts: the three NAKOS lists go to one worker, whose
    one gate spaces their combined requests at the host's rate; the other hosts still spread
    over both workers. Without grouping the lists would be three tasks on both workers, each
    sending at the full rate."""
    cluster, client = cluster
    pids = client.run(os.getpid)  # worker address -> pid
    rate = 8.0
    with contextlib.ExitStack() as stack:
        sites = {origin: stack.enter_context(
            _recording_site(_merged(tmp_path / "sites" / origin.split("//")[1], folders),
                            list(pids.values())))
                 for origin, (folders, _ids) in SITES.items()}
        with get_task_stream(client=client) as stream:
            report = run_on_dask(
                cluster.scheduler_address, registry_path=REGISTRY,
                source_ids=[sid for _folders, ids in SITES.values() for sid in ids],
                data_dir=tmp_path / "data", public_dir=tmp_path / "public",
                rewrite={origin: base for origin, (base, _log) in sites.items()},
                rate_override=rate)
    assert {sid: s["status"] for sid, s in report["sources"].items()} == dict.fromkeys(
        [sid for _folders, ids in SITES.values() for sid in ids], "ok")
    logs = {origin: log for origin, (_base, log) in sites.items()}
    assert all(pid in pids.values() for log in logs.values() for _t, _path, pid in log)

    nakos = logs[NAKOS]
    for colour in ("rot", "gruen", "blau"):  # each list was crawled, all by one worker
        assert any(path.startswith(f"/adressen/{colour}/") for _t, path, _pid in nakos)
    assert len({pid for _t, _path, pid in nakos}) == 1
    assert {pid for log in logs.values() for _t, _path, pid in log} == set(pids.values())

    # the combined requests at www.nakos.de kept the host's rate. A request arrives at or after
    # its gate slot, late by up to a delay d (a busy core, another thread holding the GIL), so
    # one gap can shrink to almost nothing; but the k-th arrival after any other is at least
    # k slots minus d later. Two gates at this rate would put k requests in half that time.
    interval, k = 1 / rate, 16
    times = sorted(t for t, _path, _pid in nakos)
    assert len(times) > 20
    spans = [times[i + k] - times[i] for i in range(len(times) - k)]
    assert min(spans) >= 0.75 * k * interval  # tolerates d <= 0.5 s
    assert times[-1] - times[0] >= 0.9 * interval * (len(times) - 1)

    groups = [t for t in stream.data if t["key"].startswith("collect_group-")]
    assert len(groups) == len(SITES)  # one task per host
    assert {t["worker"] for t in groups} == set(pids)


def test_task_runner_from_address_env_or_local_spec():
    assert runner_from_env({}) is None  # the default thread pool
    assert runner_from_env({ENV: "tcp://10.0.0.5:8786"}).address == "tcp://10.0.0.5:8786"
    local = task_runner("local:3")
    assert local.address is None
    assert local.cluster_kwargs["n_workers"] == 3 and local.cluster_kwargs["host"] == "127.0.0.1"
    for bad in ("local:", "local:x", "http://10.0.0.5:8787", ""):
        with pytest.raises(DaskSetupError):
            task_runner(bad)


def test_deployed_flow_takes_its_task_runner_from_the_environment():
    """`shg serve` and a work-pool worker import flows/nightly.py and run the flow object (the
    runner pickles it into the flow run's process): SHG_DASK_ADDRESS must survive both."""
    probe = ("import cloudpickle; from flows.nightly import nightly; "
             "flow = cloudpickle.loads(cloudpickle.dumps(nightly)); "
             "print(type(flow.task_runner).__name__, flow.task_runner.address)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=os.environ | {ENV: "tcp://10.0.0.5:8786"})
    assert done.stdout.split() == ["DaskTaskRunner", "tcp://10.0.0.5:8786"], done.stderr
    assert type(nightly.task_runner).__name__ == "ThreadPoolTaskRunner"  # ENV unset here


def test_workers_must_reach_the_prefect_api():
    assert is_loopback("tcp://127.0.0.1:8786") and is_loopback("localhost:8786")
    assert is_loopback("tcp://[::1]:8786") and is_loopback("local:2")
    assert not is_loopback("tcp://10.0.0.5:8786") and not is_loopback("dask-scheduler:8786")
    check_api("local:2", None)  # the ephemeral server is reachable on this machine
    check_api("tcp://10.0.0.5:8786", "http://10.0.0.1:4200/api")
    with pytest.raises(DaskSetupError, match="temporary Prefect server"):
        check_api("tcp://10.0.0.5:8786", None)
    with pytest.raises(DaskSetupError, match="loopback"):
        check_api("tcp://10.0.0.5:8786", "http://127.0.0.1:4200/api")


# --- helpers --------------------------------------------------------------------------------


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def _csv(path: Path) -> list[list[str]]:
    """Rows without the run-time columns (Excel variants: `;` and a BOM)."""
    excel = path.name.endswith("-excel.csv")
    with path.open(encoding="utf-8-sig" if excel else "utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";" if excel else ","))
    keep = [i for i, name in enumerate(rows[0]) if name not in RUN_TIMES]
    assert len(keep) < len(rows[0]) or "hsds" in path.parts
    return [[row[i] for i in keep] for row in rows]


def _json(path: Path, run_id: str):
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in RUN_TIMES | RELEASE_TIMES}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value.replace(run_id, "<run>") if isinstance(value, str) else value

    return clean(json.loads(path.read_text("utf-8")))


def _parquet(path: Path) -> tuple:
    table = pq.read_table(path)
    table = table.drop_columns([c for c in table.column_names if c in RUN_TIMES])
    return table.schema.remove_metadata(), table.to_pylist()


def _snapshot(path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        result = {}
        for table in tables:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", [table]).fetchall() if c not in RUN_TIMES]
            quoted = ", ".join(f'"{c}"' for c in columns)
            result[table] = (columns, con.execute(f'SELECT {quoted} FROM "{table}"').fetchall())
    return result


TIMES = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}Z| \d{2}:\d{2} UTC)")
SIZES = re.compile(r"\b\d+(?:[.,]\d+)? (?:B|KB|KiB|MB|MiB)\b")
BYTE_SIZE = re.compile(r'("dcat:byteSize":\s*\{\s*"@value":\s*)"\d+"')
SHA256 = re.compile(r"\b[0-9a-f]{64}\b")


def _document(path: Path, run_id: str) -> str:
    """A release-describing document with its run id, times (generation, each source's last
    run), file sizes and checksums replaced by placeholders."""
    text = TIMES.sub("<time>", path.read_text("utf-8").replace(run_id, "<run>"))
    text = BYTE_SIZE.sub(r'\1"<size>"', SIZES.sub("<size>", text))
    return SHA256.sub("<sha256>", text)


def _warehouse(data: Path) -> dict[str, list[tuple]]:
    queries = {
        "raw_pages": "SELECT * EXCLUDE (run_id) FROM raw_pages ORDER BY ALL",
        "quarantine": "SELECT * EXCLUDE (run_id, quarantined_at) FROM quarantine ORDER BY ALL",
        "source_run_stats": "SELECT * EXCLUDE (run_id) FROM source_run_stats ORDER BY ALL",
        "source_runs": "SELECT * EXCLUDE (run_id, started_at, finished_at, duration_s) "
                       "FROM source_runs ORDER BY ALL",
    }
    with duckdb.connect(str(data / "atlas.duckdb"), read_only=True) as con:
        result = {name: con.execute(sql).fetchall() for name, sql in queries.items()}
    assert result["raw_pages"] and result["source_runs"]
    return result


def _merged(folder: Path, fixtures: list[str]) -> Path:
    """One site folder from fixture folders served by one host (the NAKOS lists)."""
    for name in fixtures:
        shutil.copytree(FIXTURES / name, folder, dirs_exist_ok=True)
    return folder


def _worker_of(port: int, pids: list[int]) -> int | None:
    """The worker process holding the client end of a loopback connection."""
    for pid in pids:
        if any(c.laddr and c.laddr.port == port
               for c in psutil.Process(pid).net_connections(kind="tcp")):
            return pid
    return None


class _RecordingHandler(FixtureHandler):
    """Records (arrival time, path, worker pid) of every request."""

    log: list[tuple[float, str, int | None]]
    pids: list[int]

    def do_GET(self) -> None:
        at = time.monotonic()
        self.log.append((at, self.path, _worker_of(self.client_address[1], self.pids)))
        super().do_GET()


@contextlib.contextmanager
def _recording_site(root: Path, pids: list[int]):
    """Serve `root`; yields (base URL, the request log)."""
    log: list[tuple[float, str, int | None]] = []
    handler = type("Recording", (_RecordingHandler,), {"log": log, "pids": pids})
    with serve_directory(root, handler) as (base, _seen):
        yield base, log


def _set_allowed_failures(count: int, dask_scheduler=None) -> None:
    dask_scheduler.allowed_failures = count


def _kill_busy_worker(client: Client, pids: dict[str, int], seen: list[str]) -> None:
    """SIGKILL the worker crawling the fixture site, a few requests into its crawl."""
    deadline = time.monotonic() + 30
    busy: list[str] = []
    while time.monotonic() < deadline:  # the file source is done in a blink; herne is not
        busy = [w for w, keys in client.processing().items() if keys]
        if len(seen) >= 3 and len(busy) == 1 and len(client.processing()[busy[0]]) == 1:
            break
        time.sleep(0.02)
    os.kill(pids[busy[0]], signal.SIGKILL)
