"""The operator's route against a real Prefect server: `prefect server start` on 127.0.0.1
with its own PREFECT_HOME, `shg serve` registering the nightly deployment from prefect.yaml,
a flow run triggered through the API that completes and publishes a release.

The server's scheduler is off, so the only run is the one this test creates (a cron run
falling due at 03:30 Berlin time mid-test would otherwise race it for the warehouse).
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from flows.nightly import deployment_spec
from tests.conftest import ROOT

SHG = Path(sys.executable).with_name("shg")
PREFECT = Path(sys.executable).with_name("prefect")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def process(args: list[str], log: Path, **kw) -> Iterator[subprocess.Popen]:
    """A subprocess with its output in `log`, stopped with SIGINT (Ctrl-C) as an operator
    would, and killed only if it does not stop in time. It starts with Ctrl-C's default
    action whatever the test runner's is: a runner started in the background of a script
    ignores SIGINT, and every child would inherit that (then `shg serve` never stops)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=_default_sigint, **kw)
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def wait_for(probe: Callable[[], object], timeout: float, what: str,
             procs: dict[Path, subprocess.Popen]) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for log, proc in procs.items():
            assert proc.poll() is None, f"{log.name} exited:\n{log.read_text()[-3000:]}"
        value = probe()
        if value:
            return value
        time.sleep(0.3)
    logs = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in procs)
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_served_deployment_runs_on_the_server_and_publishes(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = os.environ | {"PREFECT_HOME": str(tmp_path / "prefect-home"),
                        "PREFECT_API_URL": api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                        "DO_NOT_TRACK": "1", "PREFECT_LOGGING_LEVEL": "INFO"}
    spec = deployment_spec(ROOT / "prefect.yaml")
    data, public = tmp_path / "data", tmp_path / "public"
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    with process([str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port),
                  "--no-ui", "--no-scheduler"], server_log, env=env) as server:
        procs = {server_log: server}
        wait_for(lambda: healthy(api), 60, "the Prefect server", procs)
        with process([str(SHG), "--registry", str(ROOT / "sources.toml"), "--data", str(data),
                      "serve", "--prefect-file", str(ROOT / "prefect.yaml"),
                      "--replay", str(ROOT / "snapshots"), "--public", str(public)],
                     serve_log, env=env, cwd=tmp_path) as served:
            procs[serve_log] = served
            with temporary_settings({PREFECT_API_URL: api}), \
                    get_client(sync_client=True) as client:

                def deployment():
                    try:
                        return client.read_deployment_by_name("nightly/nightly")
                    except Exception:  # not registered yet
                        return None

                found = wait_for(deployment, 30, "the nightly deployment", procs)
                [schedule] = [s.schedule for s in found.schedules]
                assert (schedule.cron, schedule.timezone) == ("30 3 * * *", "Europe/Berlin")
                assert (schedule.cron, schedule.timezone) == (spec.cron, spec.timezone)
                assert not found.paused
                assert found.parameters["replay"] == str(ROOT / "snapshots")
                assert found.parameters["public_dir"] == str(public)

                run = client.create_flow_run_from_deployment(found.id)
                final = wait_for(
                    lambda: (state := client.read_flow_run(run.id).state).is_final() and state,
                    120, "the flow run to finish", procs)
                assert final.is_completed(), f"{final}\n{serve_log.read_text()[-3000:]}"
                artifacts = [a for a in client.read_artifacts()
                             if a.flow_run_id == run.id and a.key == "run-report"]
    assert len(artifacts) == 1 and "| herne | ok |" in artifacts[0].data
    latest = json.loads((public / "latest.json").read_text("utf-8"))
    assert (public / "latest").resolve() == (public / latest["release"]).resolve()
    assert latest["counts"]["listings"] > 0
    assert (public / "latest" / "listings.csv").stat().st_size > 0
    report = json.loads((data / "run-report.json").read_text("utf-8"))
    assert report["status"] == "ok" and report["mode"] == "replay"
    assert report["run_id"] == latest["run_id"]
    assert server.returncode == 0 and served.returncode == 0  # both stopped cleanly
