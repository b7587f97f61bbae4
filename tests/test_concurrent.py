"""flows.concurrent: every source once, in completion order, and never more runs finished
and waiting for the writer than the collector's window: a slow writer holds the collecting
back instead of letting finished runs (listings, pages) pile up in memory."""

import socket
import time
from concurrent.futures import ThreadPoolExecutor

from flows.concurrent import _drain, collect_threaded
from flows.pipeline import RunContext
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
