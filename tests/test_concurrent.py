"""flows.concurrent: every source once, in completion order, and never more runs finished
and waiting for the writer than the collector's window: a slow writer holds the collecting
back instead of letting finished runs (listings, pages) pile up in memory."""

import socket
import time
from concurrent.futures import ThreadPoolExecutor

from flows.collect import RunContext
from flows.concurrent import _drain, collect_threaded
from tests.factories import source


def _closed_port() -> int:
    with socket.socket() as sock:  # bound, then closed: connecting is refused at once
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sources(count: int):
    return [source(f"quelle-{n}", scraper="herne") for n in range(count)]


def _ctx(tmp_path, sources) -> RunContext:
    closed = f"http://127.0.0.1:{_closed_port()}"
    return RunContext(run_id="t", data_dir=tmp_path, use_cache=False,
                      rewrite={f"https://{s.id}.example.de": closed for s in sources})


class CountingPool(ThreadPoolExecutor):
    def __init__(self):
        super().__init__(max_workers=2)
        self.submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


def test_a_slow_writer_holds_the_collecting_back(tmp_path):
    sources = _sources(9)
    ctx = _ctx(tmp_path, sources)
    with CountingPool() as pool:
        taken, outstanding = [], []
        for run in _drain(pool, sources, ctx, ahead=3):
            outstanding.append(pool.submitted - len(taken) - 1)  # besides this run
            time.sleep(0.05)  # the writer commits
            taken.append(run.source_id)
    assert sorted(taken) == sorted(s.id for s in sources)
    assert max(outstanding) <= 3
    assert outstanding[0] == 3  # the window is kept full while the writer works


def test_every_source_is_collected_once_and_fails_alone(tmp_path):
    sources = _sources(5)
    runs = list(collect_threaded(sources, _ctx(tmp_path, sources), workers=2))
    assert sorted(r.source_id for r in runs) == sorted(s.id for s in sources)
    assert {(r.status, r.failure_class) for r in runs} == {("failed", "refused")}


def _require_a_spawned_process() -> None:
    """An initializer that fails unless it runs in a collecting process of its own (a failed
    initializer fails every source of its process)."""
    import multiprocessing

    if multiprocessing.parent_process() is None:
        raise RuntimeError("collecting in the writer's process")


def _die() -> None:
    import os

    os._exit(1)


def test_collecting_processes_run_the_initializer_and_collect_every_source(tmp_path):
    from flows.concurrent import collect_in_processes, collect_spread

    sources = _sources(2)
    ctx = _ctx(tmp_path, sources)
    for collect in (collect_in_processes, collect_spread):
        runs = list(collect(sources, ctx, 2, initializer=_require_a_spawned_process))
        # the initializer passed: each source was tried and failed on the closed port alone
        assert {(r.status, r.failure_class) for r in runs} == {("failed", "refused")}, collect
        assert sorted(r.source_id for r in runs) == sorted(s.id for s in sources)


def test_a_collecting_process_that_dies_fails_its_sources_instead_of_hanging(tmp_path):
    from flows.concurrent import collect_in_processes, collect_spread

    sources = _sources(3)
    ctx = _ctx(tmp_path, sources)
    for collect in (collect_in_processes, collect_spread):
        runs = list(collect(sources, ctx, 2, initializer=_die))
        assert sorted(r.source_id for r in runs) == sorted(s.id for s in sources), collect
        assert {(r.status, r.failure_class) for r in runs} == {("failed", "exception")}
        assert all("task crashed" in r.reason for r in runs)


DRIVER = """
import multiprocessing, socket, sys, threading, time
from pathlib import Path
from flows.concurrent import collect_spread
from flows.collect import RunContext
from tests.factories import source

if __name__ == "__main__":
    silent = socket.create_server(("127.0.0.1", 0))  # takes connections, never answers
    base = f"http://127.0.0.1:{silent.getsockname()[1]}"
    sources = [source(f"quelle-{n}", scraper="herne") for n in range(4)]
    ctx = RunContext(run_id="t", data_dir=Path(sys.argv[1]), use_cache=False,
                     rewrite={f"https://{s.id}.example.de": base for s in sources})

    def report():
        while len(multiprocessing.active_children()) < 2:
            time.sleep(0.05)
        time.sleep(1)  # the workers are asking the silent site by now
        print(*[p.pid for p in multiprocessing.active_children()], flush=True)

    threading.Thread(target=report, daemon=True).start()
    for run in collect_spread(sources, ctx, processes=2):
        print(run.source_id, flush=True)
"""


def test_collecting_processes_end_when_the_writer_is_killed(tmp_path):
    """A writer SIGKILLed mid-night leaves no crawlers behind: its collecting processes
    (stuck on a site that never answers) notice and end within a second or two."""
    import contextlib
    import os
    import signal
    import subprocess
    import sys

    import psutil

    from tests.conftest import ROOT

    driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(tmp_path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    pids: list[int] = []
    try:
        pids += [int(p) for p in driver.stdout.readline().split()]
        assert len(pids) == 2
        assert all(psutil.pid_exists(p) for p in pids)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(10)
        deadline = time.monotonic() + 10

        def alive() -> list[int]:
            out = []
            for pid in pids:
                try:
                    if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                        out.append(pid)
                except psutil.NoSuchProcess:
                    pass
            return out

        while alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert alive() == []
    finally:
        driver.kill()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_collecting_processes_end_when_the_writer_gives_up(tmp_path):
    """A writer that stops taking runs (its warehouse failed) ends the collecting too: the
    processes still asking a site that never answers end instead of crawling on."""
    import multiprocessing
    import socket

    from flows.concurrent import collect_spread

    silent = socket.create_server(("127.0.0.1", 0))  # takes connections, never answers
    sources = _sources(2)
    ctx = RunContext(run_id="t", data_dir=tmp_path, use_cache=False,
                     rewrite={"https://quelle-0.example.de": f"http://127.0.0.1:{_closed_port()}",
                              "https://quelle-1.example.de":
                                  f"http://127.0.0.1:{silent.getsockname()[1]}"})
    try:
        runs = collect_spread(sources, ctx, processes=2)
        assert next(runs).source_id == "quelle-0"  # refused at once; quelle-1 still waits
        assert len(multiprocessing.active_children()) == 2
        runs.close()
        deadline = time.monotonic() + 10
        while multiprocessing.active_children() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert multiprocessing.active_children() == []
    finally:
        silent.close()


def test_a_collecting_process_loads_neither_duckdb_nor_arrow():
    """What a spawned collecting process imports (the collect step, the pool's worker loop,
    the run it pickles back) leaves out the writer's libraries: they cost each collecting
    process 75 MB of a night's memory and are never used there."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    probe = ("import sys, flows.collect, flows.concurrent, schema.source_run; "
             "print(' '.join(sorted(m for m in ('duckdb', 'pyarrow', 'prefect', "
             "'warehouse.storage.db') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.split() == []
