"""Collect many sources at once without Prefect, for `run_all(collect_many=...)`.

`collect_threaded` keeps every source in flight in its own thread (each runs its own event
loop inside `collect_source`), which is what a live run needs: its time is spent waiting out
per-host rate limits, and one slow host must not hold back the others. `collect_in_processes`
spreads the CPU work of a replay (parse, normalise, validate) over worker processes.
`collect_spread` does both: every source in flight, in threads spread over processes, for a
live run whose parsing outgrows one core (one interpreter lock for hundreds of hosts starves
the busiest one of its allowed rate). The caller stays the single writer and commits each
`SourceRun` as it is yielded.

Both yield in completion order and never raise for a source: a crashed worker becomes a failed
`SourceRun` (`flows.collect.crashed`), like a crashed Prefect task in `flows.nightly`.
"""

from __future__ import annotations

import functools
import gc
import itertools
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)

from flows.collect import RunContext, collect_source, crashed
from schema.registry import Source
from schema.source_run import SourceRun


def _drain(pool: Executor, sources: list[Source], ctx: RunContext, ahead: int
           ) -> Iterator[SourceRun]:
    """Runs in completion order, with at most `ahead` sources submitted and not yet taken.

    A finished run (its listings, pages, quarantine) waits in memory until the writer takes
    it: a writer slower than the collectors must hold the collecting back, not let finished
    runs pile up. A replacement is submitted before each run is handed over, so the
    collectors never wait for the writer while `ahead` exceeds their number."""
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
    """Every source in flight at once (or `workers` at a time), yielded as each completes."""
    if not sources:
        return
    with ThreadPoolExecutor(max_workers=workers or len(sources),
                            thread_name_prefix="collect") as pool:
        yield from _drain(pool, sources, ctx, ahead=workers or len(sources))


#: A collecting process makes millions of short-lived objects and almost no reference
#: cycles: CPython's default, a young-generation collection every 700 allocations, cost 7 %
#: of its CPU replaying 40 sources (9.49 s against 8.78 s without collections); with
#: `_start_collector`'s settings it costs under 2 % (8.92 s).
COLLECTOR_GC_THRESHOLD = (10_000, 50, 100)


def _start_collector(initializer: Callable[[], None] | None) -> None:
    """In a collecting process, before its first source: what the imports made lives as long
    as the process, so it leaves the collector's view (`gc.freeze`), and collections come
    less often. Then the caller's `initializer`."""
    gc.freeze()
    gc.set_threshold(*COLLECTOR_GC_THRESHOLD)
    if initializer is not None:
        initializer()


def collect_in_processes(sources: list[Source], ctx: RunContext, workers: int = 2,
                         initializer: Callable[[], None] | None = None
                         ) -> Iterator[SourceRun]:
    """`workers` processes collect (spawned, so no lock or DuckDB handle of the parent is
    inherited); `initializer` runs once in each, e.g. to register scrapers."""
    if not sources:
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=functools.partial(_start_collector,
                                                           initializer)) as pool:
        yield from _drain(pool, sources, ctx, ahead=2 * workers)


#: How often a collecting process checks that the process it works for is still there.
PARENT_CHECK_SECONDS = 0.5


def _exit_with_parent(parent: int) -> None:
    """In a worker process: end it once `parent` is gone. A writer killed mid-night (a
    cancelled run, SIGKILL) must not leave crawlers behind that keep asking sites for
    pages nobody will read; a daemon process is only stopped by a parent that exits
    cleanly."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _collect_share(sources: list[Source], ctx: RunContext, out, initializer,
                   threads: int | None, parent: int) -> None:
    """In a worker process: collect `sources` in threads, put each run on `out`, then None."""
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch",
                     daemon=True).start()
    try:
        _start_collector(initializer)
        for run in collect_threaded(sources, ctx, threads):
            out.put(run)
    finally:
        out.put(None)


def collect_spread(sources: list[Source], ctx: RunContext, processes: int = 2,
                   initializer: Callable[[], None] | None = None,
                   threads: int | None = None) -> Iterator[SourceRun]:
    """Sources in threads spread over `processes` spawned processes (round-robin in the given
    order: list the biggest first, so they start at once and are shared out), yielded as each
    completes; at most `threads` in flight per process (None: all). A source whose process
    died is reported crashed.

    A bound on threads matters: hundreds of threads contending for one interpreter lock spend
    a third of the CPU switching, and every source in flight holds its records."""
    if not sources:
        return
    context = multiprocessing.get_context("spawn")
    # Bounded: a worker whose runs the writer has not taken yet stops starting sources
    # (see _drain) instead of buffering finished runs without limit.
    out = context.Queue(maxsize=processes)
    shares = [sources[i::processes] for i in range(processes) if sources[i::processes]]
    workers = [context.Process(target=_collect_share,
                               args=(share, ctx, out, initializer, threads, os.getpid()),
                               daemon=True)
               for share in shares]
    for worker in workers:
        worker.start()
    pending = {s.id: s for s in sources}
    running = len(workers)
    try:
        while running:
            try:
                run = out.get(timeout=5)
            except queue.Empty:
                if not any(w.is_alive() for w in workers):
                    break
                continue
            if run is None:
                running -= 1
                continue
            pending.pop(run.source_id, None)
            yield run
        for source in list(pending.values()):  # lost with a worker that died
            yield crashed(source, RuntimeError("collecting process died"))
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.terminate()
