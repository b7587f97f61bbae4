"""Per-source tasks on a Dask cluster (`shg run --dask ADDRESS`, or `SHG_DASK_ADDRESS`). Only
collecting moves to the workers, which share the data folder's path; the flow process alone
opens DuckDB, commits and publishes, so the warehouse keeps its single writer."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from prefect_dask import DaskTaskRunner

#: Environment variable naming the Dask scheduler of the nightly flow's deployment.
ENV = "SHG_DASK_ADDRESS"
LOCAL = "local:"


class DaskSetupError(ValueError):
    """A Dask set-up that cannot work, found before any source is collected."""


def task_runner(spec: str) -> DaskTaskRunner:
    """`tcp://host:8786` (or `host:8786`, `tls://…`) connects to a running scheduler;
    `local:N` starts a throw-away cluster of N single-threaded worker processes on this
    machine, listening on loopback only, for trying it out."""
    from prefect_dask import DaskTaskRunner

    if spec.startswith(LOCAL):
        count = spec.removeprefix(LOCAL)
        if not count.isdigit() or int(count) < 1:
            raise DaskSetupError(f"Dask address {spec!r}: expected local:N with N >= 1 workers")
        return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs={
            "n_workers": int(count), "threads_per_worker": 1, "processes": True,
            "host": "127.0.0.1", "dashboard_address": None})
    if not spec or spec.startswith(("http://", "https://")) or _host(spec) is None:
        raise DaskSetupError(f"Dask address {spec!r}: expected a scheduler address such as "
                             "tcp://10.0.0.5:8786, or local:N")
    return DaskTaskRunner(address=spec)


def runner_from_env(env: Mapping[str, str] = os.environ) -> DaskTaskRunner | None:
    """The nightly flow's task runner: Dask when `SHG_DASK_ADDRESS` is set (a deployment's
    job variables, or the environment of `shg serve`), else Prefect's default thread pool."""
    spec = env.get(ENV, "").strip()
    return task_runner(spec) if spec else None


def _host(address: str) -> str | None:
    return urlsplit(address if "://" in address else f"tcp://{address}").hostname


def is_loopback(address: str) -> bool:
    """True when `address` (a scheduler, an API URL, or `local:N`) is on this machine only."""
    host = _host(address) or ""
    if address.startswith(LOCAL) or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name (or none): assume another machine
        return False


def check_api(spec: str, api_url: str | None) -> None:
    """Refuse a set-up whose workers could not reach the Prefect API they report to."""
    if is_loopback(spec):
        return
    if not api_url:
        raise DaskSetupError(
            f"workers at {spec} cannot reach this process's temporary Prefect server: start "
            "`prefect server start --host 0.0.0.0` and set PREFECT_API_URL=http://HOST:4200/api")
    if is_loopback(api_url):
        raise DaskSetupError(
            f"PREFECT_API_URL={api_url} is loopback, so workers at {spec} would report to "
            "themselves: use an address of the Prefect server they can reach")


@contextmanager
def worker_reachable_api(spec: str) -> Iterator[str]:
    """The Prefect API URL the flow process and its Dask workers share while inside: in
    ephemeral mode each worker would start a throw-away server of its own, so one serves all."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api_url = PREFECT_API_URL.value()
    check_api(spec, api_url)
    if api_url:
        yield api_url
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the same one Prefect's ephemeral mode would start
    server.start()
    with temporary_settings({PREFECT_API_URL: server.api_url}):
        yield server.api_url
