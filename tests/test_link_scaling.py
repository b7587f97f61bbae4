"""Linkage stays near-linear inside one big postcode: counted pairs, no timing.

Every listing of a postcode shares a block. Scoring all cross-source pairs of a block (as the
linkage once did) is quadratic: 2,000 groups in one postcode are ~1.9 million pairs. Here each
name is a topic pattern plus an invented word (as directories name groups "Lichtblick",
"Wendepunkt", …), every tenth group is listed again by another source, and the test counts
the pairs `cluster` scores (`LinkCounts.pairs_scored`, also what `link_entities` reports)."""

import random

from bench import vocab
from warehouse.linkage.entities import LinkCounts, cluster
from warehouse.linkage.features import features

CITY = vocab.CITIES[0]  # Herne
CONSONANTS, VOWELS = "bdfghklmnprstwz", "aeiou"


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(4)).capitalize()


def one_postcode(n: int, seed: int = 1) -> list:
    rng = random.Random(seed)
    items = []
    for k in range(n):
        topic = rng.choice(vocab.TOPICS)
        name = rng.choice(topic.names).format(
            city=CITY.name, district=rng.choice(CITY.districts), topic=topic.label)
        name = f"{_word(rng)} – {name}"
        place = {"street": rng.choice(vocab.STREETS), "number": str(rng.randint(1, 99)),
                 "postcode": "44649", "city": "Herne"}
        items.append(features(id=f"{k:06d}a", source_id=f"src-{k % 25}", kind="group",
                              name=name, **place))
        if k % 10 == 0:  # a second source lists it, abbreviated
            items.append(features(id=f"{k:06d}b", source_id=f"src-{(k + 1) % 25}",
                                  kind="group", name=name.replace("Selbsthilfegruppe", "SHG"),
                                  **place))
    return items


def scored(n: int) -> tuple[int, int, int]:
    """(listings, pairs scored, links) of one postcode block of n groups."""
    items = one_postcode(n)
    counts = LinkCounts()
    _, links = cluster(items, counts)
    return len(items), counts.pairs_scored, sum(map(len, links.values())) // 2


def test_pairs_scored_grow_linearly_in_one_postcode():
    _, small_pairs, small_links = scored(500)
    big_n, big_pairs, big_links = scored(2000)
    # every planted duplicate is found, and nothing else is linked
    assert (small_links, big_links) == (50, 200)
    # 4x the listings: linear is 4x the pairs, quadratic 16x
    assert small_pairs >= small_links and big_pairs <= 6 * small_pairs, (small_pairs, big_pairs)
    all_pairs = big_n * (big_n - 1) // 2
    assert big_pairs * 1000 < all_pairs, (big_pairs, all_pairs)
