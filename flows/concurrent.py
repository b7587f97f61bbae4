"""Collect many sources at once without Prefect, for `run_all(collect_many=...)`: in threads
(a live run waits out rate limits), in processes (a replay's CPU work), or both. The caller
stays the single writer; runs come in completion order, a dead worker's as failed runs."""

from __future__ import annotations

import itertools
import multiprocessing
import multiprocessing.connection
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flows.collect import RunContext, collect_source, crashed
from schema.registry import Source
from schema.source_run import SourceRun

if TYPE_CHECKING:
    from multiprocessing.connection import Connection


def _drain(pool: Executor, sources: list[Source], ctx: RunContext, ahead: int
           ) -> Iterator[SourceRun]:
    """Runs in completion order, at most `ahead` submitted and not yet taken: a writer slower
    than the collectors holds them back instead of letting finished runs pile up in memory. A
    replacement is submitted before each run is handed over, so collectors never wait on it."""
    waiting = iter(sources)
    futures: dict[Future, Source] = {}

    def top_up() -> None:
        for source in itertools.islice(waiting, max(ahead - len(futures), 0)):
            futures[pool.submit(collect_source, source, ctx)] = source

    try:
        top_up()
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for future in done:
                source = futures.pop(future)
                try:
                    run = future.result()
                except Exception as exc:  # the worker itself died (OOM kill, pickling, a bug)
                    run = crashed(source, exc)
                top_up()
                yield run
    finally:
        for future in futures:
            future.cancel()


def collect_threaded(sources: list[Source], ctx: RunContext, workers: int | None = None
                     ) -> Iterator[SourceRun]:
    """Every source in flight at once (or `workers` at a time), yielded as each completes:
    one slow host must not hold back the others."""
    if not sources:
        return
    with ThreadPoolExecutor(max_workers=workers or len(sources),
                            thread_name_prefix="collect") as pool:
        yield from _drain(pool, sources, ctx, ahead=workers or len(sources))


def _end_with_collection(stop: Connection) -> None:
    """In a collecting process: end once `stop` has no writer left (the collection ended, was
    given up, or its process died, SIGKILL too), so no crawler outlives its writer."""
    multiprocessing.connection.wait([stop])
    os._exit(1)


#: In a process of `collect_spread`: where its share's runs go, set by `_start_collector`.
_runs: multiprocessing.Queue | None = None


def _start_collector(initializer: Callable[[], None] | None, stop: Connection,
                     runs: multiprocessing.Queue | None) -> None:
    """In a collecting process, before its first source: watch `stop`, keep `runs`, then the
    caller's `initializer` (e.g. registering scrapers)."""
    global _runs
    threading.Thread(target=_end_with_collection, args=(stop,), name="stop-watch",
                     daemon=True).start()
    if runs is not None:
        runs.cancel_join_thread()  # runs left unread (the writer gave up) never block an exit
        _runs = runs
    if initializer is not None:
        initializer()


@contextmanager
def _pool(processes: int, initializer: Callable[[], None] | None,
          runs: multiprocessing.Queue | None = None) -> Iterator[ProcessPoolExecutor]:
    """Spawned collecting processes (no lock or DuckDB handle of the parent inherited) that
    end with the block, or with this process."""
    context = multiprocessing.get_context("spawn")
    stop, stopping = context.Pipe(duplex=False)  # the processes get the reading end only
    pool = ProcessPoolExecutor(max_workers=processes, mp_context=context,
                               initializer=_start_collector, initargs=(initializer, stop, runs))
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        stopping.close()
        stop.close()


def collect_in_processes(sources: list[Source], ctx: RunContext, workers: int = 2,
                         initializer: Callable[[], None] | None = None
                         ) -> Iterator[SourceRun]:
    """`workers` processes collect, a source per task; `initializer` runs once in each."""
    with _pool(workers, initializer) as pool:
        yield from _drain(pool, sources, ctx, ahead=2 * workers)


def _collect_share(sources: list[Source], ctx: RunContext, threads: int | None) -> None:
    """In a process of `collect_spread`: collect `sources` in threads, each run sent as it ends."""
    for run in collect_threaded(sources, ctx, threads):
        _runs.put(run)


def collect_spread(sources: list[Source], ctx: RunContext, processes: int = 2,
                   initializer: Callable[[], None] | None = None,
                   threads: int | None = None) -> Iterator[SourceRun]:
    """Sources in threads spread over `processes` processes, for a live run whose parsing
    outgrows one core: round-robin in the given order (list the biggest first), at most
    `threads` in flight per process (None: all; every source in flight holds its records)."""
    runs = multiprocessing.get_context("spawn").Queue()
    pending = {s.id: s for s in sources}
    with _pool(processes, initializer, runs) as pool:
        shares = [pool.submit(_collect_share, sources[i::processes], ctx, threads)
                  for i in range(min(processes, len(sources)))]
        while pending:
            try:
                run = runs.get(timeout=1)
            except queue.Empty:
                if any(share.done() and share.exception() for share in shares):
                    break  # a process died: the pool is broken and ends the others
                continue
            pending.pop(run.source_id, None)
            yield run
        for source in pending.values():
            yield crashed(source, RuntimeError("collecting process died"))
