"""`python -m bench --germany`: the Germany-scale figures, each next to its floor.

1. crawl: two live nights against one loopback server for all hosts (`bench.server`, its own
   process). Night 1 fetches everything; night 2 finds the corpus unchanged (every page 304).
   Crawl figure: night 1's collection wall time ÷ the politeness floor, the busiest host's
   requests ÷ its allowed rate. Unchanged-night figure: night 2's CPU ÷ night 1's CPU, each
   the whole run (collect, load, link, publish); collect+load alone is reported beside it.
2. replay: the WARC corpus -> collect (a pool of processes) -> load -> link -> validated
   release, in one `run_all`; wall time, and its ratio to the tight-loop floor (`floor`).
3. changed: after the replay, the corpus some nights later (3 % of the groups with a new
   meeting time, 1 % gone) replayed into the same warehouse: a night that rebuilds the release
   and compares it with the previous one (`changes.json`), as every night with changes does.
4. peak RSS: the sum over each phase's process tree, sampled every 0.2 s (server separate),
   for night 1, the replay and the night with changes.
5. linkage: `bench.link.run_link_bench` over the same number of listings.
6. peers: Scrapy crawling the same server and dlt loading the same records, each next to our
   figure for the same work (`bench.peers`).

Every phase runs in a process of its own (`bench.phases`), with the environment the
deployment gives its runs (`prefect.yaml`): CPU time and memory are then that phase's, as
they would be for a nightly run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from bench import germany, peers

TARGETS = {"crawl": 1.15, "unchanged": 0.10, "replay_s": 60.0, "replay_ratio": 3.0,
           "rss_mb": 1024.0, "link_s": 30.0}
PHASES = ("crawl", "replay", "changed", "link", "peers")


def deployed_env() -> dict[str, str]:
    """What a deployed run's process gets (the allocator setting), so a phase measures the
    same; read when a phase starts, not when the bench is imported (Prefect is slow to load)."""
    from flows.nightly import deployment_spec

    return deployment_spec(Path(__file__).parents[1] / "prefect.yaml").env


class RssSampler:
    """Peak of the summed RSS of a process and its descendants, and of its largest member."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval = pid, interval
        self.peak_total = self.peak_single = 0
        self.peak_at = 0.0
        self.processes = 0
        self._start = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            total = 0
            try:
                tree = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            self.processes = max(self.processes, len(tree))
            for proc in tree:
                try:
                    rss = proc.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                total += rss
                self.peak_single = max(self.peak_single, rss)
            if total > self.peak_total:
                self.peak_total, self.peak_at = total, time.perf_counter() - self._start
            self._stop.wait(self.interval)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join(5)
        return {"peak_tree_mb": round(self.peak_total / 2**20, 1),
                "peak_process_mb": round(self.peak_single / 2**20, 1),
                "peak_at_s": round(self.peak_at, 1), "processes": self.processes}


def run_phase(name: str, params: dict, work: Path) -> dict:
    """Run one phase in a child process; its result plus CPU (child and its descendants,
    from wait4), wall time and peak RSS."""
    work.mkdir(parents=True, exist_ok=True)
    tag = params.get("tag", name)
    param_file, result_file = work / f"{tag}.params.json", work / f"{tag}.result.json"
    param_file.write_text(json.dumps(params, default=str), "utf-8")
    result_file.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bench.phases", name, str(param_file),
                             str(result_file)], env=os.environ | deployed_env())
    sampler = RssSampler(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    rss = sampler.stop()
    if proc.returncode != 0 or not result_file.exists():
        raise RuntimeError(f"bench phase {tag} failed with exit code {proc.returncode}")
    result = json.loads(result_file.read_text("utf-8"))
    result["process"] = {"wall_s": round(wall, 3),
                         "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
                         "maxrss_mb": round(usage.ru_maxrss / 1024, 1), **rss}
    return result


def generate(base: dict, work: Path, processes: int = 2) -> dict:
    """The WARC corpus, written by `processes` children (round-robin over the sites)."""
    start = time.perf_counter()
    shutil.rmtree(base["corpus"], ignore_errors=True)
    count = base["sources"]
    slices = [list(range(i, count, processes)) for i in range(processes)]
    with ThreadPoolExecutor(processes) as pool:
        parts = list(pool.map(lambda s: run_phase(
            "generate", base | {"indices": s[1],
                                "tag": f"generate-r{base.get('revision', 0)}-{s[0]}"}, work),
            enumerate(slices)))
    totals = {k: sum(p[k] for p in parts) for k in ("pages", "bytes", "changed", "removed")}
    return totals | {"seconds": round(time.perf_counter() - start, 2)}


class Server:
    """`python -m bench.server` in its own process, for the crawl nights."""

    def __init__(self, base: dict):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.server", "--seed", str(base["seed"]),
             "--sources", str(base["sources"]), "--listings", str(base["listings"]),
             "--rate", str(base["rate"])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.sampler = RssSampler(self.proc.pid)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"bench server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{int(line.split()[1])}"

    def stop(self) -> dict:
        self.proc.stdin.close()
        stats = json.loads(self.proc.stdout.readline() or "{}")
        self.proc.wait(30)
        return stats | {"rss": self.sampler.stop()}


def crawl(base: dict, work: Path) -> dict:
    for name in ("crawl-data", "crawl-public"):
        shutil.rmtree(Path(base["out"]) / name, ignore_errors=True)
    server = Server(base)
    try:
        nights = []
        for n in (1, 2):
            nights.append(run_phase("night", base | {
                "tag": f"night-{n}", "base": server.base, "processes": base["workers"],
                "threads": base["threads"],
                "data_dir": str(Path(base["out"]) / "crawl-data"),
                "public_dir": str(Path(base["out"]) / "crawl-public")}, work))
    finally:
        stats = server.stop()
    return crawl_figures(nights, germany.plan(base["seed"], base["sources"], base["listings"]),
                         base["rate"]) | {"server": stats}


def crawl_figures(nights: list[dict], plan: list[germany.SiteSpec], rate: float) -> dict:
    """The crawl and unchanged-night figures from the two nights' summaries."""
    specs = {s.source_id: s for s in plan}
    first, second = nights
    floors = {sid: n / germany.allowed_rate(specs[sid], rate)
              for sid, n in first["fetched"].items()}
    busiest = max(floors, key=floors.get)
    wall = first["collect_load"]["wall_s"]
    full_cpu, unchanged_cpu = first["total"]["cpu_s"], second["total"]["cpu_s"]
    full_cl, unchanged_cl = first["collect_load"]["cpu_s"], second["collect_load"]["cpu_s"]
    return {
        "rate": rate, "hosts": len(specs), "nights": nights,
        "busiest": {"source": busiest, "host": specs[busiest].host,
                    "requests": first["fetched"][busiest],
                    "allowed_rate": germany.allowed_rate(specs[busiest], rate)},
        "wall_s": wall, "floor_s": round(floors[busiest], 3),
        "ratio": round(wall / floors[busiest], 3),
        "unchanged": {"full_cpu_s": full_cpu, "unchanged_cpu_s": unchanged_cpu,
                      "share": round(unchanged_cpu / full_cpu, 3) if full_cpu else None,
                      "collect_load_share": round(unchanged_cl / full_cl, 3) if full_cl
                      else None,
                      "confirmed_sources": second.get("confirmed_unchanged"),
                      "release_new": second.get("release_new")},
    }


def replay(base: dict, work: Path) -> dict:
    for name in ("replay-data", "replay-public"):
        shutil.rmtree(Path(base["out"]) / name, ignore_errors=True)
    data = Path(base["out"]) / "replay-data"
    run = run_phase("replay", base | {"data_dir": str(data),
                                      "public_dir": str(Path(base["out"]) / "replay-public"),
                                      "workers": base["workers"]}, work)
    fl = run_phase("floor", base | {"warehouse": str(data / "atlas.duckdb"),
                                    "floor_db": str(Path(base["out"]) / "floor.duckdb")}, work)
    wall = run["total"]["wall_s"]
    return {"run": run, "floor": fl, "wall_s": wall, "floor_s": fl["seconds"],
            "ratio": round(wall / fl["seconds"], 2) if fl["seconds"] else None}


def changed_night(base: dict, work: Path) -> dict:
    """After `replay`: the corpus some nights later (`SiteModel` revision 1: a few groups with
    a new meeting time, a few gone) replayed into the same warehouse, so the release is built
    and compared with the previous one (`changes.json`), as on every night with changes.
    Its whole-run peak RSS is the memory figure of an ordinary night."""
    revised = base | {"corpus": str(Path(base["out"]) / "corpus-r1"), "revision": 1}
    generation = generate(revised, work)
    run = run_phase("replay", revised | {
        "tag": "changed", "workers": base["workers"],
        "data_dir": str(Path(base["out"]) / "replay-data"),
        "public_dir": str(Path(base["out"]) / "replay-public")}, work)
    changes = json.loads((Path(base["out"]) / "replay-public" / "latest" / "changes.json")
                         .read_text("utf-8"))
    return {"run": run, "generation": generation,
            "expected": {"changed": generation["changed"], "removed": generation["removed"]},
            "changes": {"from": changes["from"], "added": len(changes["added"]),
                        "changed": len(changes["changed"]), "removed": len(changes["removed"]),
                        "changed_fields": sorted({f for c in changes["changed"]
                                                  for f in c["fields"]})}}


def peers_side_by_side(base: dict, work: Path) -> dict:
    """Ours and each peer on the same work, each side a phase process (`bench.peers`): the
    crawl of one server, then the load of the records our crawl normalised."""
    folder = Path(base["out"]) / "peers"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    files = {"records": str(folder / "records.jsonl"), "items": str(folder / "scrapy.jsonl"),
             "data_dir": str(folder / "data"), "dlt_dir": str(folder / "dlt")}
    server = Server(base)
    try:
        live = base | files | {"base": server.base}
        crawl = {"ours": run_phase("peer-ours-crawl", live, work),
                 "peer": run_phase("peer-scrapy", live, work)}
    finally:
        server.stop()
    load = {"ours": run_phase("peer-ours-load", base | files | {"db": str(folder / "ours.duckdb")},
                              work),
            "peer": run_phase("peer-dlt", base | files | {"db": str(folder / "dlt.duckdb")},
                              work)}
    return {"crawl": crawl, "load": load}


def run_germany(*, seed: int, sources: int, listings: int, rate: float, out: Path,
                workers: int = 2, threads: int = 32, phases: tuple[str, ...] = PHASES) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    work = out / "phases"
    base = {"seed": seed, "sources": sources, "listings": listings, "rate": rate,
            "out": str(out), "corpus": str(out / "corpus"), "workers": workers,
            "threads": threads}
    result: dict = {"params": {k: v for k, v in base.items() if k != "corpus"},
                    "cpus": os.cpu_count(),
                    "load_before": [round(x, 2) for x in os.getloadavg()]}
    if "changed" in phases and "replay" not in phases:
        phases += ("replay",)  # the night with changes follows the replay's release
    if "replay" in phases:
        result["generation"] = generate(base, work)
    if "crawl" in phases:
        result["crawl"] = crawl(base, work)
    if "replay" in phases:
        result["replay"] = replay(base, work)
    if "changed" in phases:
        result["changed"] = changed_night(base, work)
    if "link" in phases:
        result["link"] = run_phase("link", base, work)
    if "peers" in phases:
        result["peers"] = peers_side_by_side(base, work)
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    result["checks"] = checks(result, listings + sources)
    (out / "germany-result.json").write_text(json.dumps(result, indent=2, default=str), "utf-8")
    return result


def checks(result: dict, records: int) -> dict[str, bool]:
    """Nothing lost: every record of the corpus reaches the warehouse and the release."""
    found = {}
    if crawl := result.get("crawl"):
        first, second = crawl["nights"]
        found["crawl: every record inserted on night 1"] = (
            first["inserted"] == records and not first["failed"] and not first["rejected"])
        found["crawl: night 2 all unchanged, all 304"] = (
            second["unchanged"] == records and second["inserted"] + second["updated"] == 0
            and second["not_modified"] == second["requests"] - crawl["hosts"])
    if replay := result.get("replay"):
        run = replay["run"]
        found["replay: every record released"] = (
            run["published_rows"] == records and not run["failed"] and not run["rejected"])
    if changed := result.get("changed"):
        run, diff, expected = changed["run"], changed["changes"], changed["expected"]
        found["changed night: changes.json lists exactly the changed and removed groups"] = (
            run["status"] == "ok" and not run["failed"] and diff["added"] == 0
            and diff["changed"] == expected["changed"]
            and diff["removed"] == expected["removed"]
            and run["published_rows"] == records - expected["removed"])
    if link := result.get("link"):
        found["linkage ran"] = "error" not in link
    if side := result.get("peers"):
        crawl, load = side["crawl"], side["load"]
        found["peers: ours and Scrapy crawled every record"] = (
            crawl["ours"]["records"] == crawl["peer"]["records"] == records
            and not crawl["ours"]["failed"] and not crawl["peer"]["errors"])
        found["peers: ours and dlt loaded every record"] = (
            load["ours"]["records"] == load["peer"]["records"] == records)
    return found


# ------------------------------------------------------------------------------- report


def _verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "holds" if value <= target else "MISSED"


def _during(run: dict, at: float | None) -> str:
    """Which part of a run a moment (seconds since its process started) fell in."""
    if at is None or "marks_s" not in run:
        return "time unknown"
    marks = run["marks_s"]
    part = "start-up"
    for name in ("collect:start", "link:start", "publish:start", "end"):
        if name in marks and at >= marks[name]:
            part = {"collect:start": "collect+load", "link:start": "link",
                    "publish:start": "publish", "end": "after the run"}[name]
    return f"at {at:.0f} s, during {part}"


def _rss_line(label: str, mb: float, note: str) -> str:
    target = TARGETS["rss_mb"]
    return (f"{label:<34}{mb:>9,.0f} MB{target:>13,.0f} MB{mb / target:>8.2f}×  "
            f"{_verdict(mb, target)} (target ≤ 1 GB; {note})")


def _run_rss_line(label: str, run: dict) -> str:
    """The peak RSS line of a run measured as one process tree (replay, night with changes)."""
    mem = run["process"]
    return _rss_line(label, mem["peak_tree_mb"], f"largest process "
                     f"{mem['peak_process_mb']:,.0f} MB; peak {_during(run, mem.get('peak_at_s'))}")


def format_report(r: dict) -> str:
    p = r["params"]
    lines = [f"selbsthilfe-atlas Germany bench: {p['sources']} sources, {p['listings']:,} "
             f"listings (+{p['sources']} contact centres), seed {p['seed']}, {r['cpus']} cores, "
             f"load average before {r['load_before'][0]}, after {r['load_after'][0]}"]
    if g := r.get("generation"):
        lines.append(f"corpus: {g['pages']:,} pages, {g['bytes'] / 1e6:,.0f} MB HTML, written "
                     f"to WARC in {g['seconds']:.0f} s (not in any figure)")
    if any(k in r for k in ("crawl", "replay", "changed", "link")):
        lines.append("")
        lines.append(f"{'figure':<34}{'value':>12}{'floor/target':>16}{'ratio':>9}  verdict")
    if c := r.get("crawl"):
        b = c["busiest"]
        lines.append(f"{'crawl wall vs politeness floor':<34}{c['wall_s']:>10.1f} s"
                     f"{c['floor_s']:>14.1f} s{c['ratio']:>8.2f}×  "
                     f"{_verdict(c['ratio'], TARGETS['crawl'])} (target ≤ 1.15×)")
        lines.append(f"    rate {c['rate']:g} req/s per host (latency 20–80 ms scaled alike), "
                     f"{c['hosts']} hosts, {p['workers']} processes × {p['threads']} sources in "
                     f"flight, biggest first; busiest {b['host']}: "
                     f"{b['requests']:,} requests ÷ {b['allowed_rate']:g}/s")
        u = c["unchanged"]
        share = u["share"]
        lines.append(f"{'unchanged night CPU vs full':<34}{u['unchanged_cpu_s']:>10.1f} s"
                     f"{u['full_cpu_s']:>14.1f} s{share * 100 if share else 0:>7.1f} %  "
                     f"{_verdict(share, TARGETS['unchanged'])} (target ≤ 10 %)")
        if u.get("collect_load_share") is not None:
            lines.append(f"    whole runs; collect+load alone {u['collect_load_share']:.1%}; "
                         f"night 2 confirmed {u.get('confirmed_sources')} sources unchanged, "
                         f"release {'rebuilt' if u.get('release_new') else 'kept'}")
        for n, night in enumerate(c["nights"], 1):
            lines.append(
                f"    night {n}: collect+load {night['collect_load']['wall_s']:.1f} s wall "
                f"{night['collect_load']['cpu_s']:.1f} s CPU; link {night['link']['cpu_s']:.1f}"
                f" s CPU; publish {night['publish']['cpu_s']:.1f} s CPU; "
                f"{night['requests']:,} requests, {night['not_modified']:,} × 304"
                + (f"; process {proc['cpu_s']:.1f} s CPU, peak RSS {proc['peak_tree_mb']:,.0f} MB"
                   if (proc := night.get("process")) else ""))
    if rp := r.get("replay"):
        run, fl = rp["run"], rp["floor"]
        lines.append(f"{'replay WARC -> validated release':<34}{rp['wall_s']:>10.1f} s"
                     f"{TARGETS['replay_s']:>14.0f} s{rp['wall_s'] / TARGETS['replay_s']:>8.2f}×"
                     f"  {_verdict(rp['wall_s'], TARGETS['replay_s'])} (target ≤ 60 s)")
        lines.append(f"{'replay vs tight-loop floor':<34}{rp['wall_s']:>10.1f} s"
                     f"{fl['seconds']:>14.1f} s{rp['ratio']:>8.2f}×  "
                     f"{_verdict(rp['ratio'], TARGETS['replay_ratio'])} (target ≤ 3×)")
        lines.append(f"    floor: Lexbor parse of {fl['pages']:,} pages {fl['parse_s']:.1f} s + "
                     f"TypeAdapter(list[Listing]) of {fl['records']:,} records "
                     f"{fl['validate_s']:.1f} s + Arrow insert {fl['insert_s']:.1f} s")
        lines.append(f"    replay: collect+load {run['collect_load']['wall_s']:.1f} s "
                     f"({p['workers']} worker processes), link {run['link']['wall_s']:.1f} s, "
                     f"publish {run['publish']['wall_s']:.1f} s; CPU "
                     f"{run['process']['cpu_s']:.1f} s")
        lines.append(_run_rss_line("peak RSS, replay (all processes)", run))
    if ch := r.get("changed"):
        run, diff = ch["run"], ch["changes"]
        lines.append(_run_rss_line("peak RSS, night with changes", run))
        lines.append(f"    replay of the corpus revised ({diff['changed']:,} groups with a new "
                     f"meeting time, {diff['removed']:,} gone) into the replay's warehouse: "
                     f"collect+load {run['collect_load']['wall_s']:.1f} s, link "
                     f"{run['link']['wall_s']:.1f} s, publish {run['publish']['wall_s']:.1f} s "
                     f"with changes.json against the previous release; CPU "
                     f"{run['process']['cpu_s']:.1f} s; {run['updated']:,} updated")
    if (c := r.get("crawl")) and (night := c["nights"][0].get("process")):
        server = c.get("server", {}).get("rss", {}).get("peak_tree_mb", 0)
        lines.append(_rss_line("peak RSS, crawl night 1 (client)", night["peak_tree_mb"],
                               f"server apart: {server:,.0f} MB; peak "
                               f"{_during(c['nights'][0], night.get('peak_at_s'))}"))
    if (lk := r.get("link")) and "error" not in lk:
        lines.append(f"{'linkage':<34}{lk['seconds']:>10.1f} s{TARGETS['link_s']:>14.0f} s"
                     f"{lk['seconds'] / TARGETS['link_s']:>8.2f}×  "
                     f"{_verdict(lk['seconds'], TARGETS['link_s'])} (target ≤ 30 s)")
        lines.append(f"    {lk['listings']:,} listings of {lk['sources']} sources (bench.link); "
                     f"library floor {lk['floor_seconds']:.1f} s, ratio {lk['ratio']}×; "
                     f"precision {lk['quality']['precision']}, recall {lk['quality']['recall']}")
    elif lk:
        lines.append(f"linkage: not measured ({lk['error']})")
    if side := r.get("peers"):
        lines += peers.report_lines(side)
    lines.append("")
    for name, ok in r["checks"].items():
        lines.append(f"check {'ok  ' if ok else 'FAIL'} {name}")
    lines.append(f"result: {Path(p['out']) / 'germany-result.json'}")
    return "\n".join(lines)
