"""`python -m tests.real.linkage_compare`: the rules of warehouse/linkage/ beside a Splink model
on the real linkage pairs (tests/real/pairs.toml), as a table of precision and recall.

Rows: the rules now; the rules as they were before issue 18 (a fixed figure, measured at
commit d149a48 with `python -m tests.real.accuracy --step linkage`); Splink with the saved
model (tests/real/linkage-splink-model.json, estimated once on all pairs: in-sample, so it
overstates); Splink cross-validated (k folds by publisher pair: a fold's pairs are scored
by a model estimated without any pair of the same two publishers); and rules or Splink
combined (a pair is linked when either links it), in-sample and cross-validated.
The rules were adjusted by people reading these pairs' misses: their figure is in-sample too.
The holdout rows score the same methods on tests/real/pairs_holdout.toml, pairs collected
after the tuning and never used for it or for the Splink model: the out-of-sample figure.
`--save-model` re-estimates the saved model.
"""

from __future__ import annotations

import argparse
import tomllib
from collections import defaultdict
from pathlib import Path

from tests.link.test_link import _listing
from tests.real import linkage_splink
from warehouse.linkage.rules import same_entity

PAIRS = Path(__file__).with_name("pairs.toml")
HOLDOUT = Path(__file__).with_name("pairs_holdout.toml")
FOLDS = 5
#: The rules before issue 18 (commit d149a48): linked right / linked, linked right / same,
#: on the tuning pairs and on the holdout.
BEFORE = (46, 50, 146)
BEFORE_HOLDOUT = (6, 7, 29)  # holdout 3 (55 pairs), measured once at d149a48


def load(path: Path = PAIRS) -> list[tuple[int, dict]]:
    return list(enumerate(tomllib.loads(path.read_text("utf-8"))["pair"]))


def rules(pairs: list[tuple[int, dict]]) -> dict[int, bool]:
    return {n: same_entity(_listing(p["a"], f"{n}a"), _listing(p["b"], f"{n}b"))
            for n, p in pairs}


def folds(pairs: list[tuple[int, dict]], k: int = FOLDS) -> list[list[tuple[int, dict]]]:
    """k folds of whole publisher pairs, largest group first into the smallest fold."""
    groups: dict[tuple[str, str], list[tuple[int, dict]]] = defaultdict(list)
    for n, p in pairs:
        groups[tuple(sorted((p["a"]["publisher"], p["b"]["publisher"])))].append((n, p))
    out: list[list[tuple[int, dict]]] = [[] for _ in range(k)]
    for _, members in sorted(groups.items(), key=lambda g: (-len(g[1]), g[0])):
        min(out, key=len).extend(members)
    return out


def cross_validated(pairs: list[tuple[int, dict]]) -> dict[int, bool]:
    decided: dict[int, bool] = {}
    for test in folds(pairs):
        held = {n for n, _ in test}
        model = linkage_splink.train([(n, p) for n, p in pairs if n not in held])
        decided |= linkage_splink.decide(model, test)
    return decided


def counts(decided: dict[int, bool], pairs: list[tuple[int, dict]]) -> tuple[int, int, int]:
    """(linked right, linked, same)."""
    linked = [n for n, p in pairs if decided[n]]
    return (sum(pairs_same(pairs)[n] for n in linked), len(linked),
            sum(p["same"] for _, p in pairs))


def pairs_same(pairs: list[tuple[int, dict]]) -> dict[int, bool]:
    return {n: p["same"] for n, p in pairs}


def either(x: dict[int, bool], y: dict[int, bool]) -> dict[int, bool]:
    return {n: x[n] or y[n] for n in x}


def row(method: str, right: int, linked: int, same: int) -> str:
    precision = f"{right / linked:.3f} ({right}/{linked})" if linked else "-"
    return f"| {method} | {precision} | {right / same:.3f} ({right}/{same}) |"


def table(pairs: list[tuple[int, dict]]) -> str:
    by_rules = rules(pairs)
    saved = linkage_splink.decide(linkage_splink.Model.load(), pairs)
    cv = cross_validated(pairs)
    lines = ["| method | precision | recall |", "|---|---|---|",
             row("rules before issue 18 (d149a48)", *BEFORE),
             row("rules now (in-sample: tuned on these misses)", *counts(by_rules, pairs)),
             row("Splink, saved model (in-sample)", *counts(saved, pairs)),
             row(f"Splink, {FOLDS}-fold by publisher pair", *counts(cv, pairs)),
             row("rules or Splink (in-sample)", *counts(either(by_rules, saved), pairs)),
             row(f"rules or Splink ({FOLDS}-fold Splink)", *counts(either(by_rules, cv), pairs))]
    return "\n".join(lines)


def holdout_table(holdout: list[tuple[int, dict]]) -> str:
    by_rules = rules(holdout)
    saved = linkage_splink.decide(linkage_splink.Model.load(), holdout)
    lines = ["| method (holdout) | precision | recall |", "|---|---|---|",
             row("rules before issue 18 (d149a48)", *BEFORE_HOLDOUT),
             row("rules now", *counts(by_rules, holdout)),
             row("Splink, saved model", *counts(saved, holdout)),
             row("rules or Splink", *counts(either(by_rules, saved), holdout))]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.real.linkage_compare",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save-model", action="store_true",
                        help=f"re-estimate the Splink model on all pairs into "
                             f"{linkage_splink.MODEL.name}")
    args = parser.parse_args(argv)
    pairs = load()
    if args.save_model or not linkage_splink.MODEL.exists():
        linkage_splink.train(pairs).save()
    print(f"{len(pairs)} real pairs ({sum(p['same'] for _, p in pairs)} same)\n")
    print(table(pairs))
    holdout = load(HOLDOUT)
    print(f"\n{len(holdout)} holdout pairs ({sum(p['same'] for _, p in holdout)} same)\n")
    print(holdout_table(holdout))


if __name__ == "__main__":
    main()
