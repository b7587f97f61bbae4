"""`bench.link` at toy size: the figures the main bench harness reads, and its checks."""

import json

from bench.link import build_world, run_link_bench


def test_world_is_deterministic_with_known_duplicates():
    a, b = build_world(600, seed=5), build_world(600, seed=5)
    assert a.truth == b.truth
    assert {k: [r.model_dump() for r in v] for k, v in a.records.items()} == {
        k: [r.model_dump() for r in v] for k, v in b.records.items()}
    entities = list(a.truth.values())
    twice = len(entities) - len(set(entities))
    assert 550 <= len(entities) <= 650
    assert any(s.startswith("region-") for s in a.records)
    assert 0.08 * len(entities) <= twice <= 0.25 * len(entities)  # centres + 10–20 % of groups


def test_run_link_bench_reports_cold_warm_changed_and_floor(tmp_path):
    result = run_link_bench(400, 2, tmp_path, cities=3)
    assert result["listings"] >= 350 and result["sources"] == 6
    assert result["seconds"] > 0 and result["floor_seconds"] > 0
    assert result["ratio"] > 1  # the libraries alone are faster than the whole step
    assert result["pairs_scored"] >= result["links"] > 0
    assert result["warm_reused"] and not any(result["warm_writes"].values())
    assert result["changed_writes"]["members_changed"] > 0
    assert result["quality"]["precision"] >= 0.95 and result["quality"]["recall"] >= 0.8
    assert json.loads((tmp_path / "link-result.json").read_text("utf-8")) == result
    # the loaded warehouse is kept and copied the next time
    again = run_link_bench(400, 2, tmp_path, cities=3)
    assert again["load_reused"] and not result["load_reused"]
    assert again["links"] == result["links"] and again["quality"] == result["quality"]
