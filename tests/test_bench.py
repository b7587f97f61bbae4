"""The benchmark end to end at a tiny size: a deterministic corpus, and no listing lost between
generation, parse, validation, load and release. Timings are never asserted."""

import json

import duckdb

from bench import corpus
from bench.__main__ import main

SOURCES, LISTINGS = 2, 20
RECORDS = SOURCES * (LISTINGS + 1)  # every source also yields its contact centre
STAGES = ("fetch+parse", "normalise+validate", "load", "load (unchanged)", "publish")


def test_corpus_is_deterministic_for_a_seed(tmp_path):
    def digests(folder, seed):
        corpus.generate(tmp_path / folder, sources=SOURCES, listings=LISTINGS, seed=seed)
        return corpus.page_digests(tmp_path / folder)

    first, again, other = digests("a", 7), digests("b", 7), digests("c", 8)
    # robots.txt, the list page under two URLs, the N–Z page, the groups, the centre page
    assert len(first) == SOURCES * (LISTINGS + 5)
    assert first == again
    assert first != other


def test_bench_end_to_end_loses_no_listing(tmp_path, capsys):
    out = tmp_path / "bench"
    code = main(["--sources", str(SOURCES), "--listings", str(LISTINGS), "--seed", "3",
                 "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    for stage in STAGES:
        assert f"\n{stage} " in printed, stage

    result = json.loads((out / "bench-result.json").read_text("utf-8"))
    assert [row["stage"] for row in result["stages"]] == list(STAGES)
    counts = {row["stage"]: row for row in result["stages"]}
    assert result["parsed"] == RECORDS and not result["parse_failures"]
    assert counts["normalise+validate"]["listings"] == RECORDS and not result["rejected"]
    assert counts["load"]["detail"]["inserted"] == RECORDS
    assert counts["load (unchanged)"]["detail"] == {
        "inserted": 0, "updated": 0, "unchanged": RECORDS, "vanished": 0}
    assert counts["publish"]["listings"] == RECORDS
    assert all(result["checks"].values())

    release = out / "public" / "latest"
    assert json.loads((release / "listings.json").read_text("utf-8"))["meta"]["count"] == RECORDS
    con = duckdb.connect(str(out / "atlas.duckdb"), read_only=True)
    try:
        by_source = dict(con.execute(
            "SELECT source_id, count(*) FROM listings WHERE active GROUP BY ALL").fetchall())
    finally:
        con.close()
    assert by_source == {corpus.source_id(i): LISTINGS + 1 for i in range(SOURCES)}


def test_probe_bench_answers_every_page_on_both_paths(capsys):
    """`python -m bench.probe` at a tiny size: the floor and the night's path each get a 304
    for every page of every host (timings are printed, never asserted)."""
    from bench.probe import main as probe_main

    assert probe_main(["--sources", "3", "--pages", "4", "--rate", "100"]) == 0
    out = capsys.readouterr().out
    assert "floor (bare loop" in out and "night path (revalidate_many" in out
    assert out.count("12 answered") == 2


def test_peers_bench_gives_the_same_records_as_ours(tmp_path, capsys):
    """`python -m bench --only peers` at a tiny size: Scrapy crawls the same server into the
    same records as our collection, and dlt loads as many rows as our commit (timings are
    printed, never asserted)."""
    sources, listings = 3, 45  # one of the three sites is on the topic-list platform
    code = main(["--only", "peers", "--sources", str(sources), "--listings", str(listings),
                 "--rate", "200", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    side = json.loads((tmp_path / "germany-result.json").read_text("utf-8"))["peers"]
    records = listings + sources  # every source also yields its contact centre
    assert side["crawl"]["ours"]["records"] == side["crawl"]["peer"]["records"] == records
    assert side["load"]["ours"]["records"] == side["load"]["peer"]["records"] == records

    def keys(name: str) -> set[tuple[str, str]]:
        lines = (tmp_path / "peers" / name).read_text("utf-8").splitlines()
        return {(r["source_id"], r["source_key"]) for r in map(json.loads, lines)}

    assert keys("scrapy.jsonl") == keys("records.jsonl")
    assert "crawl: Scrapy 2." in printed and "load: dlt 1." in printed
    assert "check ok   peers: ours and Scrapy crawled every record" in printed
