"""Fault injection: a source whose server misbehaves fails alone, the healthy source is
published, and nothing already collected or published is lost.

Three fixture sites (Herne, Düsseldorf, Kreis Mettmann), each behind its own `serve_faulty`
server, are the sources that break; Hamm, on the plain fixture server, stays healthy. One first
run collects all four. Each group of cases then starts from a copy of that first run's warehouse
and public folder, switches one fault on per broken site, and runs `flows.pipeline.run_all`
again with short client limits. Grouping (one fault per site per run) keeps the suite fast: a
run's publish step alone (DuckDB snapshot, Frictionless validation) costs about two seconds.

Per case: the source's collection stays within its time budget; it survives with unchanged data
(faults a robust client rides out) or fails with the right failure class and a reason naming
its URL and the cause; its warehouse rows and published rows are those of the first run; its
server was asked for robots.txt first and for nothing robots.txt forbids. Per run: it ends
within budget, Hamm is collected and published, the first run's release is untouched.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from flows.pipeline import run_all
from schema.registry import Registry, load_registry
from scrapers.fetch.http import ClientSettings
from tests.conftest import FIXTURES, ROOT
from tests.faults import server as f
from tests.faults.server import Fault, FaultState, forbidden
from tools.site_server import serve_directory

BROKEN = ("herne", "duesseldorf", "kreis-mettmann")  # sources whose servers misbehave
HEALTHY = "hamm"
MOVED = "https://umzug.example.net"  # where the redirect to another host leads
HERNE_LIST = "/Gesundheit/Selbsthilfe/Selbsthilfegruppen/"
MiB = 1 << 20
# Fault paths (regexes searched in the request path); "{start}" is the start URL's path.
START = "^{start}$"
EVERYTHING = r"^/"
ROBOTS = r"^/robots\.txt$"
HTML = r"(/|\.html)$"

#: Short limits, so a hung server costs seconds: (1 + retries) * total_timeout at worst.
CLIENT = ClientSettings(connect_timeout=1.0, read_timeout=1.0, total_timeout=2.0, retries=1,
                        backoff=0.05, max_retry_after=2.0, max_bytes=MiB)
#: One run of four sources, up to three of them broken, publish included.
RUN_BUDGET = 15.0

Check = Callable[[FaultState, str], None]  # (what the server saw, start path)


@dataclass(frozen=True)
class Case:
    site: str  # the source whose server gets the fault
    fault: Fault
    #: "ok" when a robust client survives the fault; "kept" when the source is accepted but
    #: some of its records could not be read (they keep their last good version, none
    #: vanishes); else the expected failure class.
    outcome: str
    #: Fragments the failure reason must contain; "{url}" is the source's start URL.
    reason: tuple[str, ...] = ()
    #: Seconds the source's collection may take with the fault on.
    budget: float = 3.0
    #: Further checks on what the source's server was asked.
    check: Check | None = None

    @property
    def id(self) -> str:
        return f"{self.fault.name}@{self.site}"


# -- checks on what a server was asked --------------------------------------------------------


def asked(n: int, path: str | None = None) -> Check:
    """The start page (or `path`) was requested exactly `n` times."""

    def check(state: FaultState, start: str) -> None:
        assert state.paths().count(path or start) == n, state.paths()

    return check


def only_robots(n: int = 1) -> Check:
    def check(state: FaultState, _start: str) -> None:
        assert state.paths() == ["/robots.txt"] * n

    return check


def each_path_twice(state: FaultState, _start: str) -> None:
    """429, then success, on every path: each one asked exactly twice, robots.txt first."""
    paths = state.paths()
    assert paths[:2] == ["/robots.txt", "/robots.txt"]
    assert {p: paths.count(p) for p in paths} == dict.fromkeys(paths, 2)


def waited_retry_after(state: FaultState, start: str) -> None:
    first, second = state.hits(start)
    assert second - first >= 1.0  # Retry-After: 1 honoured, not the 0.05 s backoff


def no_group_page(state: FaultState, start: str) -> None:
    assert start in state.paths()
    assert not [p for p in state.paths() if "/gruppe-" in p], state.paths()


def moved_away(state: FaultState, start: str) -> None:
    asked(1)(state, start)
    assert state.paths() == ["/robots.txt", start]


# -- page edits --------------------------------------------------------------------------------


def lie_about_charset(body: bytes) -> str:
    """UTF-8 pages labelled ISO-8859-1 (a common server default), Windows-1252 pages labelled
    UTF-8: both lies the charset sniffer has to see through."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "text/html; charset=utf-8"
    return "text/html; charset=iso-8859-1"


def drop_charset(body: bytes) -> bytes:
    return re.sub(rb"<meta[^>]*charset[^>]*>", b"", body, flags=re.IGNORECASE)


def robots(text: str) -> Callable[[bytes], bytes]:
    return lambda _body: text.encode()


def keep(body: bytes) -> bytes:
    return body


def first_part(body: bytes) -> bytes:
    """70 % of Herne's A–M page: the letter bar survives, the list loses its last groups.
    Parsed as it is, the run would look healthy (12 of 13 records, above the 50 % guard of
    `refuse_shrunken`) and mark a group that still exists as vanished."""
    return body[:int(len(body) * 0.7)]


CASES = [
    # Herne: its layout and robots rules are known, so the site-specific faults go here
    Case("herne", Fault("new-list", f.rewrite(lambda b: b.replace(b"az-liste", b"neue-liste")),
                        rf"^{HERNE_LIST}(index[^/]*\.html)?$"),
         "site_changed", ("no detail links match \"ul.az-liste", "{url}")),
    Case("herne", Fault("new-detail", f.rewrite(lambda b: re.sub(rb"<(/?)h1", rb"<\1h2", b)),
                        r"/gruppe-\d+\.html$"),
         "site_changed", ("herne: 1 valid records, fewer than the 5",)),
    Case("herne", Fault("robots-groups", f.rewrite(robots(
        f"User-agent: *\nAllow: /Gesundheit/\nDisallow: {HERNE_LIST}gruppe-\n")), ROBOTS),
         "robots", ("herne: 1 valid records, fewer than the 5",), check=no_group_page),
    Case("herne", Fault("redirect-away", f.redirect(MOVED, 301), START), "site_changed",
         ("no detail links", "{url}"), check=moved_away),
    Case("herne", Fault("timeout", f.stall(30), START), "timeout",
         ("no data for 1 s", "{url}"), budget=6.0, check=asked(2)),
    Case("herne", Fault("wrong-charset", f.rewrite(keep, lie_about_charset), HTML), "ok"),
    Case("herne", Fault("truncated", f.rewrite(first_part), START), "parse_error",
         ("truncated HTML", "{url}")),
    Case("herne", Fault("group-page-500", f.status(500), r"/gruppe-1031\.html$"), "kept"),
    # Düsseldorf
    Case("duesseldorf", Fault("http500", f.status(500), START), "http_error",
         ("HTTP 500", "{url}"), check=asked(2)),
    Case("duesseldorf", Fault("drip", f.drip(0.2), START), "timeout",
         ("no complete answer within 2 s", "{url}"), budget=6.0, check=asked(2)),
    Case("duesseldorf", Fault("http429", f.status(429, retry_after="0", times=1), EVERYTHING),
         "ok", check=each_path_twice),
    Case("duesseldorf", Fault("reset", f.reset(), START), "http_error",
         ("Connection reset by peer", "{url}"), check=asked(2)),
    Case("duesseldorf", Fault("gzip-bomb", f.gzip_bomb(16 * MiB), START), "http_error",
         (f"body exceeds {MiB} bytes", "{url}"), check=asked(1)),
    Case("duesseldorf", Fault("no-charset", f.rewrite(drop_charset), HTML), "ok"),
    Case("duesseldorf", Fault("topic-page-500", f.status(500), r"/gruppen/sucht/$"), "kept"),
    Case("duesseldorf", Fault("robots-all", f.rewrite(robots("User-agent: *\nDisallow: /\n")),
                              ROBOTS),
         "robots", ("robots.txt forbids this URL", "{url}"), check=only_robots()),
    # Kreis Mettmann
    Case("kreis-mettmann", Fault("retry-after", f.status(503, retry_after="1", times=1), START),
         "ok", check=waited_retry_after),
    Case("kreis-mettmann", Fault("robots500", f.status(500), EVERYTHING), "http_error",
         ("robots.txt answered HTTP 500", "{url}"), check=only_robots(2)),
    Case("kreis-mettmann", Fault("retry-after-long", f.status(503, retry_after="3600"), START),
         "http_error", ("HTTP 503, Retry-After 3600s exceeds", "{url}"), check=asked(1)),
    Case("kreis-mettmann", Fault("too-big", f.oversize(4 * MiB, declared=True), START),
         "http_error", (f"body of {4 * MiB} bytes exceeds {MiB}", "{url}"), check=asked(1)),
    Case("kreis-mettmann", Fault("too-big-streamed", f.oversize(4 * MiB, declared=False),
                                 START),
         "http_error", (f"body exceeds {MiB} bytes", "{url}"), check=asked(1)),
    Case("kreis-mettmann", Fault("redirect-loop", f.redirect(), START), "http_error",
         ("too many redirects", "{url}"), check=asked(CLIENT.max_redirects + 1)),
    Case("kreis-mettmann", Fault("cut-off", f.cut_off(0.5), START), "http_error",
         ("without sending complete message body", "{url}"), check=asked(2)),
    Case("kreis-mettmann", Fault("group-page-timeout", f.stall(30), r"/uid-233/$"), "kept",
         budget=6.0),
]


def groups() -> list[list[Case]]:
    """The n-th case of every site runs in the n-th run."""
    by_site = [[c for c in CASES if c.site == s] for s in BROKEN]
    return [[cases[n] for cases in by_site if n < len(cases)]
            for n in range(max(map(len, by_site)))]


# ---------------------------------------------------------------------------------------------
# The runs: one healthy, then one per group of faults, each from a copy of the healthy one
# ---------------------------------------------------------------------------------------------


def rows(db: Path, source_id: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT * FROM listings WHERE source_id = ? ORDER BY id",
                           [source_id]).fetchall()


def published(public: Path) -> dict[str, list[dict]]:
    """Rows of `latest/listings.csv` by source id, each source's sorted by id."""
    by_source: dict[str, list[dict]] = {}
    with (public / "latest" / "listings.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_source.setdefault(row["source_id"], []).append(row)
    return {s: sorted(r, key=lambda row: row["id"]) for s, r in by_source.items()}


def unverified(rows: list[dict]) -> list[dict]:
    """Published rows without `verified_at`, which every accepted run of a source moves on."""
    return [{k: v for k, v in row.items() if k != "verified_at"} for row in rows]


def digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass
class Run:
    folder: Path
    report: dict
    seconds: float
    seen: dict[str, FaultState]  # source id (or MOVED) -> what its server was asked
    hamm_seen: list[str]


@dataclass
class World:
    registry: Registry
    first: dict
    rows_before: dict[str, list[tuple]]
    published_before: dict[str, list[dict]]
    release_before: dict[str, str]  # file -> sha256 of the first run's release
    runs: dict[str, Run]  # case id -> the run it was part of

    def start_url(self, source_id: str) -> str:
        return self.registry.get(source_id).start_urls[0]


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("faults")
    full = load_registry(ROOT / "sources.toml")
    registry = Registry(path=tmp / "sources.toml",
                        sources=[full.get(s) for s in (*BROKEN, HEALTHY)])
    parked = (b"<!doctype html><html><head><meta charset='utf-8'><title>Domain zu verkaufen"
              b"</title></head><body><p>Diese Domain steht zum Verkauf.</p></body></html>")
    (tmp / "moved").mkdir()
    (tmp / "moved" / "robots.txt").write_text("User-agent: *\nDisallow: /intern/\n")
    with contextlib.ExitStack() as stack:
        hamm_base, hamm_seen = stack.enter_context(serve_directory(FIXTURES / HEALTHY))
        moved_base, moved = stack.enter_context(f.serve_faulty(tmp / "moved"))
        rewrite = {origin(full.get(HEALTHY).start_urls[0]): hamm_base, MOVED: moved_base}
        servers: dict[str, FaultState] = {}
        for source_id in BROKEN:
            base, servers[source_id] = stack.enter_context(f.serve_faulty(FIXTURES / source_id))
            rewrite[origin(registry.get(source_id).start_urls[0])] = base

        def run(folder: Path) -> tuple[dict, float]:
            started = time.monotonic()
            # named sources are collected whatever their cadence
            report = run_all(registry, source_ids=registry.ids, data_dir=folder / "data",
                             public_dir=folder / "public", rewrite=rewrite,
                             rate_override=1000.0, client=CLIENT)
            return report, time.monotonic() - started

        baseline = tmp / "baseline"
        first, _ = run(baseline)
        world = World(
            registry=registry, first=first,
            rows_before={s: rows(baseline / "data" / "atlas.duckdb", s) for s in registry.ids},
            published_before=published(baseline / "public"),
            release_before=digests(Path(first["release"])), runs={})
        for n, group in enumerate(groups()):
            folder = tmp / f"run-{n}"
            shutil.copytree(baseline, folder, symlinks=True)
            hamm_seen.clear()
            moved.reset(Fault("parked", f.page(parked)))
            for state in servers.values():
                state.reset()
            for case in group:
                start = re.escape(urlsplit(world.start_url(case.site)).path)
                servers[case.site].reset(dataclasses.replace(
                    case.fault, paths=case.fault.paths.replace("{start}", start)))
            report, seconds = run(folder)
            seen = {s: state.snapshot() for s, state in (*servers.items(), (MOVED, moved))}
            result = Run(folder, report, seconds, seen, list(hamm_seen))
            world.runs |= {case.id: result for case in group}
            for state in servers.values():
                state.fault = None
        yield world


# ---------------------------------------------------------------------------------------------
# The runs as a whole
# ---------------------------------------------------------------------------------------------


def test_first_run_collects_every_source(world: World) -> None:
    assert world.first["status"] == "ok"
    counts = {s: r["inserted"] for s, r in world.first["sources"].items()}
    assert counts == {s: len(world.rows_before[s]) for s in world.registry.ids}
    assert all(n >= 10 for n in counts.values()), counts


@pytest.mark.parametrize("n", range(len(groups())))
def test_run_with_faults_ends_in_time_and_publishes_the_healthy_source(world: World,
                                                                        n: int) -> None:
    run = world.runs[groups()[n][0].id]
    assert run.seconds < RUN_BUDGET
    assert run.report["publish_error"] is None
    expected = "ok" if all(c.outcome == "ok" for c in groups()[n]) else "partial"
    assert run.report["status"] == expected
    hamm = run.report["sources"][HEALTHY]
    assert hamm["status"] == "ok" and hamm["unchanged"] == len(world.rows_before[HEALTHY])
    before, now = world.published_before[HEALTHY], published(run.folder / "public")[HEALTHY]
    # no fault changes a record, so there is nothing new to publish: the first release
    # stands, Hamm's rows in it, and this run confirmed it current (warehouse.release.state)
    assert now == before
    public = run.folder / "public"
    assert run.report["release_new"] is False
    assert (public / "latest").resolve().name == Path(world.first["release"]).name
    latest = json.loads((public / "latest.json").read_text("utf-8"))
    confirmed = datetime.fromisoformat(latest["confirmed"].replace("Z", "+00:00"))
    assert confirmed >= datetime.fromisoformat(run.report["started_at"]).replace(microsecond=0)
    assert digests(public / "releases" / Path(world.first["release"]).name) == \
        world.release_before
    hamm_robots = (FIXTURES / HEALTHY / "robots.txt").read_bytes()
    assert run.hamm_seen[0] == "/robots.txt"
    assert not forbidden(run.hamm_seen, [hamm_robots], origin(world.start_url(HEALTHY)))
    moved = run.seen[MOVED].paths()
    assert not moved or moved[0] == "/robots.txt"
    assert not run.seen[MOVED].forbidden_requests(MOVED)


def test_redirect_to_another_host_reads_that_hosts_robots_txt_first(world: World) -> None:
    run = world.runs["redirect-away@herne"]
    assert run.seen[MOVED].paths() == ["/robots.txt", HERNE_LIST]
    assert not run.seen[MOVED].forbidden_requests(MOVED)


@pytest.mark.parametrize(("case_id", "field", "cause"), [
    ("robots-groups@herne", "page", "robots.txt forbids this URL"),
    ("new-detail@herne", "name", "field 'name'"),
])
def test_group_pages_that_failed_are_quarantined_with_their_cause(
        world: World, case_id: str, field: str, cause: str) -> None:
    """The run's reason counts records; the quarantine says, per page, what went wrong."""
    run = world.runs[case_id]
    with duckdb.connect(str(run.folder / "data" / "atlas.duckdb"), read_only=True) as con:
        found = con.execute("SELECT url, field, reason FROM quarantine WHERE run_id = ? "
                            "AND source_id = 'herne'", [run.report["run_id"]]).fetchall()
    assert len(found) == len(world.rows_before["herne"]) - 1  # every group, not the centre
    assert all("/gruppe-" in url and f == field and cause in reason
               for url, f, reason in found), found


# ---------------------------------------------------------------------------------------------
# Each fault
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(world: World, case: Case) -> None:
    run = world.runs[case.id]
    report = run.report["sources"][case.site]
    url = world.start_url(case.site)
    records = len(world.rows_before[case.site])
    assert report["duration_s"] < case.budget, report
    if case.outcome == "ok":
        assert report["status"] == "ok" and report["rejected"] == 0, report
        assert (report["inserted"], report["updated"], report["vanished"]) == (0, 0, 0)
        assert report["unchanged"] == records
    elif case.outcome == "kept":  # accepted; what could not be read stays as it was
        assert report["status"] == "ok" and report["rejected"] >= 1, report
        assert (report["inserted"], report["updated"], report["vanished"]) == (0, 0, 0)
        assert 0 < report["unchanged"] < records
    else:
        assert (report["status"], report["failure_class"]) == ("failed", case.outcome), report
        for fragment in case.reason:
            assert fragment.format(url=url) in report["reason"], report
    # nothing lost: the warehouse rows and the published rows are those of the first run
    assert rows(run.folder / "data" / "atlas.duckdb", case.site) == \
        world.rows_before[case.site]
    now = published(run.folder / "public")[case.site]
    before = world.published_before[case.site]
    assert len(now) == records
    assert (unverified(now) == unverified(before)) if case.outcome in ("ok", "kept") \
        else (now == before)
    # robots.txt first, and nothing it forbids
    seen = run.seen[case.site]
    assert seen.paths()[0] == "/robots.txt"
    assert not seen.forbidden_requests(origin(url)), seen.paths()
    if case.check is not None:
        case.check(seen, urlsplit(url).path)
