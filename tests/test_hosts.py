"""Grouping sources by host: every source lands in exactly one group, and sources that share a
host, directly or through another source, land in the same one."""

import random
from itertools import chain
from pathlib import Path

from flows.collect import RunContext
from flows.hosts import connected, group_label, host_groups, url_hosts
from flows.nightly import task_groups
from schema.registry import Source, load_registry
from tests.conftest import ROOT

REGISTRY = load_registry(ROOT / "sources.toml")


def source(sid: str, *urls: str) -> Source:
    """A registry source under another id and start URLs (kind html, or file without URLs)."""
    base = REGISTRY.get("herne") if urls else REGISTRY.get("datei-gruppen-xlsx")
    return base.model_copy(update={"id": sid, "start_urls": list(urls)})


def ids(groups: list[list[Source]]) -> list[list[str]]:
    return [[s.id for s in group] for group in groups]


def test_the_registry_groups_the_three_nakos_lists():
    groups = ids(host_groups(REGISTRY.sources))
    assert ["nakos-rot", "nakos-gruen", "nakos-blau"] in groups
    assert all(len(g) == 1 for g in groups if not g[0].startswith("nakos-"))
    # all of them, in order
    assert list(chain.from_iterable(groups)) == [s.id for s in REGISTRY.sources]


def test_a_source_on_two_hosts_joins_both_groups():
    sources = [source("a", "https://a.example/x"), source("d", "https://d.example/"),
               source("b", "https://b.example/y"),
               source("ab", "https://a.example/z", "https://b.example/"),
               source("c", "https://c.example/")]
    assert ids(host_groups(sources)) == [["a", "b", "ab"], ["d"], ["c"]]


def test_a_chain_of_shared_hosts_is_one_group():
    sources = [source("x", "https://h1.example/"), source("y", "https://h3.example/"),
               source("xy", "https://h1.example/a", "https://h2.example/"),
               source("yz", "https://h2.example/b", "https://h3.example/b")]
    assert ids(host_groups(sources)) == [["x", "y", "xy", "yz"]]


def test_host_names_compare_without_case_scheme_or_port():
    assert url_hosts(["https://WWW.Nakos.de:443/adressen/", "http://www.nakos.de./a",
                      "https://www.nakos.de:8443/"]) == {"www.nakos.de"}
    assert url_hosts(["data/gruppen.xlsx", ""]) == frozenset()
    sources = [source("rot", "https://WWW.NAKOS.DE/adressen/rot/"),
               source("blau", "http://www.nakos.de:8080/adressen/blau/")]
    assert ids(host_groups(sources)) == [["rot", "blau"]]


def test_sources_without_hosts_stay_alone():
    sources = [source("f1"), source("f2"), source("h", "https://h.example/")]
    assert ids(host_groups(sources)) == [["f1"], ["f2"], ["h"]]
    assert host_groups([]) == []


def test_connected_partitions_and_never_splits_a_key():
    rng = random.Random(7)
    for _ in range(300):
        keys = [{f"k{rng.randrange(12)}" for _ in range(rng.randrange(3))}
                for _ in range(rng.randrange(1, 25))]
        groups = connected(keys)
        assert sorted(list(chain.from_iterable(groups))) == list(range(len(keys)))
        assert all(g == sorted(g) for g in groups)
        assert [g[0] for g in groups] == sorted(g[0] for g in groups)
        owner = {k: n for n, g in enumerate(groups) for i in g for k in keys[i]}
        assert all(owner[k] == n for n, g in enumerate(groups) for i in g for k in keys[i])
        # minimal: a group of several items cannot be cut in two without splitting a key
        for group in groups:
            reached, todo = {group[0]}, [group[0]]
            while todo:
                i = todo.pop()
                for j in group:
                    if j not in reached and keys[i] & keys[j]:
                        reached.add(j)
                        todo.append(j)
            assert reached == set(group)


def test_group_label_names_its_sources_and_counts_the_rest_of_a_big_group():
    assert group_label([source("nakos-rot", "https://n/"), source("nakos-blau", "https://n/")]
                       ) == "nakos-rot+nakos-blau"
    big = [source(f"stadt-{i}", "https://cms.example/") for i in range(120)]
    assert group_label(big) == "stadt-0+stadt-1+stadt-2+117 more"
    assert group_label(big[:3]) == "stadt-0+stadt-1+stadt-2"


def test_live_runs_group_by_host_and_replays_do_not():
    live = RunContext(run_id="r", data_dir=Path("data"))
    replay = RunContext(run_id="r", data_dir=Path("data"), replay=Path("snapshots"))
    assert ids(task_groups(REGISTRY.sources, live)) == ids(host_groups(REGISTRY.sources))
    assert ids(task_groups(REGISTRY.sources, replay)) == [[s.id] for s in REGISTRY.sources]
