"""`python -m bench.publish --warehouse PATH [--code DIR] [--runs 2]`: `publish()` on a copy
of a warehouse, each step timed, with the peak memory of the process (and of its children).

Every measurement runs in a fresh process (`--child`), so that its peak RSS is its own. The
first run publishes into an empty public folder; later runs have a `latest` to compare with
(`changes.json`), as a nightly run does. The steps are the functions `warehouse.release.publish`
calls, wrapped where `publish()` looks them up (the real functions run; a step that calls
another is billed once, to the outer one); `other` is what remains of `publish()`.

`--code DIR` imports `warehouse` from DIR instead (e.g. the previous code path, exported
with `git archive HEAD warehouse | tar -x -C DIR`), so two code paths are timed on the same
warehouse with the same script.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path

#: Functions `warehouse.release.publish.publish` calls by their module-level names; those present in
#: the code path under test are timed.
STEPS = ("create_public_tables", "withheld_report", "write_tables", "write_changes",
         "write_hsds", "write_release_readme", "landing_tables", "write_landing_page",
         "write_dcat", "write_sha256sums", "validate_release")


class _RssSampler(threading.Thread):
    """Peak RSS of this process plus its live children, sampled every 50 ms (children's own
    peaks are not in this process's ru_maxrss)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        import psutil
        self.process = psutil.Process()
        self.peak_total = 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil
        while not self.stop.wait(0.05):
            try:
                total = self.process.memory_info().rss + sum(
                    c.memory_info().rss for c in self.process.children(recursive=True))
            except psutil.Error:  # a child ended between listing and reading
                continue
            self.peak_total = max(self.peak_total, total)


def _child(warehouse: Path, runs: int) -> dict:
    import duckdb

    import warehouse.release.publish as pub

    times: dict[str, float] = {}
    peaks: dict[str, int] = {}  # peak RSS (MB) of this process when the step ended
    depth = [0]

    def timed(name, fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if depth[0]:
                return fn(*args, **kwargs)
            depth[0] += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - start
                peaks[name] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
                depth[0] -= 1
        return wrapper

    for name in STEPS:
        if hasattr(pub, name):
            setattr(pub, name, timed(name, getattr(pub, name)))
    sampler = _RssSampler()
    sampler.start()
    out = {"code": str(Path(pub.__file__).parent.parent), "runs": []}
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        shutil.copy(warehouse, Path(tmp) / "atlas.duckdb")
        if warehouse.with_suffix(".duckdb.wal").exists():
            shutil.copy(warehouse.with_suffix(".duckdb.wal"), Path(tmp) / "atlas.duckdb.wal")
        con = duckdb.connect(str(Path(tmp) / "atlas.duckdb"))
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for run in range(runs):
            times.clear()
            peaks.clear()
            start = time.perf_counter()
            cpu = time.process_time()
            release = pub.publish(con, Path(tmp) / "public", f"2026010{run + 1}T000000Z-bench",
                                  datetime(2026, 1, run + 1, tzinfo=UTC))
            wall = time.perf_counter() - start
            steps = {k: round(v, 2) for k, v in times.items()}
            steps["other"] = round(wall - sum(times.values()), 2)
            out["runs"].append({"rows": release.rows, "wall_s": round(wall, 2),
                                "cpu_s_self": round(time.process_time() - cpu, 2),
                                "steps": steps, "peak_mb_after": dict(peaks)})
        con.close()
    sampler.stop.set()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out |= {"rss_mb_after_connect": round(rss_before),
            "peak_rss_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "peak_rss_mb_children_max": round(children.ru_maxrss / 1024),
            "peak_rss_mb_sampled_total": round(sampler.peak_total / 2**20),
            "cpu_s_children": round(children.ru_utime + children.ru_stime, 2)}
    return out


def measure(warehouse: Path, code: Path | None, runs: int) -> dict:
    """One fresh process publishing `runs` times from a copy of `warehouse`."""
    env = dict(os.environ)
    root = Path(__file__).resolve().parent.parent
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (code, root) if p)
    done = subprocess.run([sys.executable, "-m", "bench.publish", "--child",
                           "--warehouse", str(warehouse), "--runs", str(runs)],
                          env=env, capture_output=True, text=True, check=False,
                          cwd=code or root)
    if done.returncode:
        raise SystemExit(f"publish bench failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def format_result(label: str, result: dict) -> str:
    lines = [f"{label}  ({result['code']})"]
    for i, run in enumerate(result["runs"]):
        steps = "  ".join(f"{k} {v:.2f}" for k, v in run["steps"].items())
        lines.append(f"  run {i + 1}: {run['rows']} listings, {run['wall_s']:.2f} s wall "
                     f"({run['cpu_s_self']:.1f} s CPU in-process)")
        lines.append(f"    {steps}")
        lines.append("    peak RSS (MB) after: " + "  ".join(
            f"{k} {v}" for k, v in run["peak_mb_after"].items()))
    lines.append(f"  peak RSS: {result['peak_rss_mb_self']} MB publishing process "
                 f"({result['rss_mb_after_connect']} MB after connecting), "
                 f"{result['peak_rss_mb_children_max']} MB largest child, "
                 f"{result['peak_rss_mb_sampled_total']} MB process + children (sampled); "
                 f"children CPU {result['cpu_s_children']:.1f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.publish", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True, help="an atlas.duckdb")
    parser.add_argument("--code", type=Path, action="append", default=[],
                        help="a project root to import warehouse from (repeatable: each one "
                             "is measured; default: this checkout)")
    parser.add_argument("--runs", type=int, default=2, help="publishes per process (2)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.warehouse.resolve(), args.runs)))
        return 0
    for code in args.code or [None]:
        result = measure(args.warehouse.resolve(), code and code.resolve(), args.runs)
        print(format_result(str(code or "this checkout"), result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
