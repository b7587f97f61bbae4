"""Sources grouped by the hosts they crawl, so one process collects each group: the per-host
rate gate is shared only by one process's threads (docs/operations.md "Sources sharing a host
share a worker"). Only the hosts of `start_urls` are known before a run."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from schema.registry import Source


def url_hosts(urls: Iterable[str]) -> frozenset[str]:
    """The host names of `urls`, lower-cased and without port (coarser than the rate gate,
    which keys on host and port: grouping too much costs speed, too little politeness)."""
    return frozenset(host.rstrip(".") for url in urls if (host := urlsplit(url).hostname))


def connected(keys: Sequence[Iterable[str]]) -> list[list[int]]:
    """Indices of items that share a key, directly or through other items; an item without
    keys stands alone. Groups are ordered by their first item, items keep their order."""
    groups: list[tuple[set[str], list[int]]] = []  # (keys, items) of each group so far
    for i, item_keys in enumerate(keys):
        shared = set(item_keys)
        joined = [g for g in groups if g[0] & shared]
        groups = [g for g in groups if not g[0] & shared]
        for group_keys, _ in joined:
            shared |= group_keys
        groups.append((shared, sorted([i, *(j for _, items in joined for j in items)])))
    return sorted((items for _, items in groups), key=lambda items: items[0])


def host_groups(sources: Sequence[Source]) -> list[list[Source]]:
    """`sources` in groups that share a host (file sources alone), in the given order."""
    indices = connected([url_hosts(s.start_urls) for s in sources])
    return [[sources[i] for i in group] for group in indices]


def group_label(group: Sequence[Source], shown: int = 3) -> str:
    """A short name of a group for task run names: its source ids, the first `shown` of a
    big group (a CMS host of a hundred municipal sources) and how many more."""
    ids = [s.id for s in group]
    more = len(ids) - shown
    return "+".join(ids if more <= 0 else [*ids[:shown], f"{more} more"])
