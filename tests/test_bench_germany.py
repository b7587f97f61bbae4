"""The Germany bench corpus at a tiny scale: the same seed gives the same bytes, the size tiers
hold at full scale, the one loopback server routes by host and answers 304, and a live run
through the real pipeline and a replay from WARC both deliver every listing. Timings are never
asserted."""

import hashlib
import json
from collections import Counter

import duckdb
import httpx
import pytest

from bench import germany, germany_run, phases, server
from flows.collect import RunContext
from flows.concurrent import collect_in_processes, collect_spread, collect_threaded
from flows.pipeline import run_all
from schema.registry import Registry

SEED, SOURCES, LISTINGS = 5, 3, 45  # 15 groups a site; site 2 is on the topic-list platform
RECORDS = LISTINGS + SOURCES  # every source also yields its contact centre


def _digests(seed: int) -> dict[str, str]:
    found = {}
    for spec in germany.plan(seed, SOURCES, LISTINGS):
        model = germany.SiteModel(spec, seed)
        for path in model.paths():
            content_type, body = model.page(path, 5.0)
            found[spec.origin + path] = hashlib.sha256(content_type.encode() + body).hexdigest()
    return found


def test_same_seed_same_bytes_other_seed_other_bytes():
    first, again, other = _digests(SEED), _digests(SEED), _digests(SEED + 1)
    assert first == again
    assert first != other
    platforms = Counter(s.platform for s in germany.plan(SEED, SOURCES, LISTINGS))
    assert platforms == {"az": 2, "tl": 1}


def test_full_plan_is_skewed_like_germany():
    specs = germany.plan(1)
    sizes = [s.groups for s in specs]
    assert len(specs) == 350 and sum(sizes) == 100_000
    assert max(sizes) == 2000 and min(sizes) >= 100
    assert 5 <= sum(s >= 1000 for s in sizes) <= 10  # a few big cities
    assert sum(s <= 300 for s in sizes) >= 280  # many small Kreise
    assert len({s.host for s in specs}) == len({s.source_id for s in specs}) == 350
    assert 50 <= sum(s.platform == "tl" for s in specs) <= 90


@pytest.fixture(scope="module")
def live():
    specs = germany.plan(SEED, SOURCES, LISTINGS)
    with server.serving(specs, SEED, rate=200.0) as (base, srv):
        yield specs, base, srv


def test_server_routes_by_host_header_and_by_prefix_and_answers_304(live):
    specs, base, _srv = live
    az = specs[0]
    with httpx.Client() as client:
        by_header = client.get(base + "/robots.txt", headers={"Host": az.host})
        by_prefix = client.get(f"{base}{server.PREFIX}{az.host}/robots.txt")
        other = client.get(base + "/robots.txt", headers={"Host": specs[1].host})
        unknown = client.get(base + "/robots.txt", headers={"Host": "www.nowhere.example"})
        page = client.get(f"{base}{server.PREFIX}{az.host}{az.start_url[len(az.origin):]}")
        again = client.get(page.request.url, headers={"If-None-Match": page.headers["etag"]})
        since = client.get(page.request.url,
                           headers={"If-Modified-Since": page.headers["last-modified"]})
    assert by_header.status_code == by_prefix.status_code == 200
    assert by_header.content == by_prefix.content
    assert b"Disallow: /intern/" in by_header.content
    assert ("Crawl-delay" in by_header.text) == az.crawl_delay
    assert unknown.status_code == 404
    assert other.status_code == 200
    assert page.status_code == 200 and "gruppe-" in page.text
    assert again.status_code == since.status_code == 304 and again.content == b""
    assert again.headers["etag"] == page.headers["etag"]


def _registry(tmp_path, rate: float) -> Registry:
    specs = germany.plan(SEED, SOURCES, LISTINGS)
    return Registry(path=tmp_path / "sources.toml",
                    sources=germany.registry_sources(specs, rate))


def test_two_live_nights_deliver_every_listing_then_only_304s(live, tmp_path):
    specs, base, _srv = live
    params = {"seed": SEED, "sources": SOURCES, "listings": LISTINGS, "rate": 200.0,
              "out": str(tmp_path), "base": base, "data_dir": str(tmp_path / "data"),
              "public_dir": str(tmp_path / "public")}
    first, second = phases.night(params), phases.night(params)

    assert first["inserted"] == RECORDS and not first["failed"] and not first["rejected"]
    assert first["published_rows"] == RECORDS
    assert second["unchanged"] == RECORDS and second["inserted"] + second["updated"] == 0
    # every page but robots.txt (fetched unconditionally) answered 304 on the second night
    assert second["not_modified"] == second["requests"] - SOURCES
    assert first["requests"] == second["requests"]
    assert first["collect_load"]["cpu_s"] > 0 and first["publish"]["wall_s"] > 0

    figures = germany_run.crawl_figures([first, second], specs, 200.0)
    busiest = max(specs, key=lambda s: first["fetched"][s.source_id]
                  / germany.allowed_rate(s, 200.0))
    assert figures["busiest"]["host"] == busiest.host
    result = {"params": params | {"workers": 1, "threads": 4}, "cpus": 2, "load_before": [0.0],
              "load_after": [0.0], "crawl": figures,
              "checks": germany_run.checks({"crawl": figures}, RECORDS)}
    assert all(result["checks"].values()), result["checks"]
    report = germany_run.format_report(result)
    assert "crawl wall vs politeness floor" in report and "unchanged night CPU" in report
    assert busiest.host in report


def test_replay_from_warc_in_a_worker_process_releases_every_listing(tmp_path):
    specs = germany.plan(SEED, SOURCES, LISTINGS)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    pages = sum(germany.write_warc(s, SEED, corpus, 5.0)[0] for s in specs)
    assert pages == sum(len(list(germany.SiteModel(s, SEED).paths())) for s in specs)

    def collect(sources, ctx):
        return collect_in_processes(sources, ctx, workers=1,
                                    initializer=germany.install_scrapers)

    report = run_all(_registry(tmp_path, 5.0), replay=corpus, data_dir=tmp_path / "data",
                     public_dir=tmp_path / "public", collect_many=collect)
    assert report["status"] == "ok", report
    assert report["published_rows"] == RECORDS
    con = duckdb.connect(str(tmp_path / "data" / "atlas.duckdb"), read_only=True)
    try:
        by_source = dict(con.execute("SELECT source_id, count(*) FROM listings "
                                     "WHERE active GROUP BY ALL").fetchall())
        topics = con.execute("SELECT count(*) FROM listings WHERE source_id LIKE 'de-tl-%' "
                             "AND kind = 'group' AND len(topics) > 0").fetchone()[0]
    finally:
        con.close()
    assert by_source == {s.source_id: s.records for s in specs}
    assert topics == specs[2].groups  # topic-list groups carry the topic page's label
    latest = json.loads((tmp_path / "public" / "latest" / "listings.json").read_text("utf-8"))
    assert latest["meta"]["count"] == RECORDS


def test_threaded_collector_fails_an_unreachable_source_alone(tmp_path, live):
    specs, base, _srv = live
    ctx = RunContext(run_id="t", data_dir=tmp_path, rewrite=server.rewrite_map(specs[:1], base),
                     rate_override=200.0)
    runs = {r.source_id: r for r in collect_threaded(_registry(tmp_path, 200.0).sources, ctx)}
    # only the first origin is routed: the others cannot connect, the first is unharmed
    assert runs[specs[0].source_id].status == "ok"
    assert len(runs[specs[0].source_id].listings) == specs[0].records
    assert [(runs[s.source_id].status, runs[s.source_id].failure_class)
            for s in specs[1:]] == [("failed", "refused")] * 2


def test_spread_collector_runs_every_source_once_over_two_processes(tmp_path, live):
    specs, base, _srv = live
    ctx = RunContext(run_id="t", data_dir=tmp_path, rewrite=server.rewrite_map(specs[1:], base),
                     rate_override=200.0)
    runs = list(collect_spread(_registry(tmp_path, 200.0).sources, ctx, processes=2,
                               initializer=germany.install_scrapers))
    by_id = {r.source_id: r for r in runs}
    assert len(runs) == len(by_id) == SOURCES
    assert by_id[specs[0].source_id].failure_class == "refused"  # not routed
    for spec in specs[1:]:
        assert by_id[spec.source_id].status == "ok"
        assert len(by_id[spec.source_id].listings) == spec.records


def test_a_revised_corpus_changes_exactly_its_revised_groups(tmp_path):
    """The bench's night with changes: revision 1 of the corpus replayed after revision 0 gives
    a release whose changes.json names exactly the groups the revision touched."""
    specs = germany.plan(SEED, SOURCES, 300)
    registry = Registry(path=tmp_path / "sources.toml",
                        sources=germany.registry_sources(specs, 5.0))
    models = [germany.SiteModel(s, SEED, 1) for s in specs]
    changed = sum(len(m.changed_keys) for m in models)
    removed = sum(len(m.removed_keys) for m in models)
    assert changed > removed > 0
    for spec, model in zip(specs, models, strict=True):  # the rest is the same group
        before = germany.SiteModel(spec, SEED).by_key
        assert {k for k, g in model.by_key.items() if g != before[k]} == set(model.changed_keys)
        assert before.keys() - model.by_key.keys() == set(model.removed_keys)
    reports = []
    for revision in (0, 1):
        corpus = tmp_path / f"corpus-r{revision}"
        corpus.mkdir()
        for spec in specs:
            germany.write_warc(spec, SEED, corpus, 5.0, revision)
        reports.append(run_all(registry, replay=corpus, data_dir=tmp_path / "data",
                               public_dir=tmp_path / "public"))
    assert [r["status"] for r in reports] == ["ok", "ok"]
    assert reports[1]["published_rows"] == 300 + SOURCES - removed
    changes = json.loads((tmp_path / "public" / "latest" / "changes.json").read_text("utf-8"))
    assert changes["from"] is not None and changes["added"] == []
    assert len(changes["changed"]) == changed and len(changes["removed"]) == removed
    assert {f for c in changes["changed"] for f in c["fields"]} >= {"meeting_text"}


def test_bench_command_prints_the_night_with_changes(tmp_path, capsys):
    """`python -m bench --germany --only changed` at a tiny scale: the replay, then the revised
    corpus into the same warehouse, each phase in its own process, figures and checks."""
    from bench.__main__ import main

    code = main(["--germany", "--sources", str(SOURCES), "--listings", "300", "--seed",
                 str(SEED), "--only", "changed", "--out", str(tmp_path)])
    report = capsys.readouterr().out
    assert code == 0, report
    result = json.loads((tmp_path / "germany-result.json").read_text("utf-8"))
    assert result["changed"]["changes"]["changed"] == result["changed"]["expected"]["changed"]
    assert result["changed"]["run"]["updated"] == result["changed"]["expected"]["changed"]
    assert "peak RSS, night with changes" in report and "replay WARC -> validated" in report
    assert "check ok   changed night: changes.json lists exactly" in report
