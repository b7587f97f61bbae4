"""`python -m tests.real.accuracy`: accuracy of each step on the real-text corpus (see
README.md here): exact-match rates against their targets, and with `--misses` every miss.

The comparisons are those of the labelled corpus in `tests/normalise/` where they fit; an
address's repair notes and a contact block's leftover are compared only where a case gives
them, since a person labelling a real string says what it means, not how we word a note.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from schema.normalise.topics import topic
from tests.link.test_link import _listing
from tests.normalise import test_address, test_contact_block, test_hours, test_meetings
from warehouse.linkage.rules import same_entity

HERE = Path(__file__).parent
ADDRESS = tuple(f for f in test_address.FIELDS if f != "notes")


def load(name: str, table: str = "case") -> list[dict]:
    path = HERE / name
    return tomllib.loads(path.read_text("utf-8")).get(table, []) if path.exists() else []


@dataclass
class Step:
    """One step's result: `right` of `total`, against `target`; the misses as (input,
    expected, got)."""

    name: str
    right: int
    total: int
    target: float
    misses: list[tuple[str, object, object]] = field(default_factory=list)
    measure: str = "exact"

    @property
    def rate(self) -> float | None:
        return self.right / self.total if self.total else None

    @property
    def holds(self) -> bool:
        return self.rate is not None and self.rate >= self.target


def exact(name: str, cases: list[dict], expected: Callable[[dict], object],
          actual: Callable[[dict], object], target: float) -> Step:
    step = Step(name, 0, len(cases), target)
    for case in cases:
        want, got = expected(case), actual(case)
        if want == got:
            step.right += 1
        else:
            step.misses.append((case["input"], want, got))
    return step


def _address_fields(place: dict | None, notes: list[str] | None) -> dict | None:
    if place is None:
        return None
    got = {name: place.get(name) for name in ADDRESS}
    if notes is not None:  # each labelled note must be among the normaliser's
        got["notes"] = sorted(n for n in place.get("notes", []) if n in notes)
    return got


def address_expected(case: dict) -> dict | None:
    if case.get("none"):
        return None
    want = case["expected"]
    return {**{name: want.get(name) for name in ADDRESS},
            **({"notes": sorted(want["notes"])} if "notes" in want else {})}


def address_actual(case: dict) -> dict | None:
    got = test_address.actual(case)
    return _address_fields(got, case.get("expected", {}).get("notes"))


def block_expected(case: dict) -> dict:
    want = dict(test_contact_block.expected(case))
    if "leftover" not in case.get("expected", {}):
        want.pop("leftover")
    place = case.get("expected", {}).get("address")
    want["address"] = None if place is None else {
        **{name: place.get(name) for name in ADDRESS},
        **({"notes": sorted(place["notes"])} if "notes" in place else {})}
    return want


def block_actual(case: dict) -> dict:
    got = test_contact_block.actual(case["input"])
    if "leftover" not in case.get("expected", {}):
        got.pop("leftover")
    place = case.get("expected", {}).get("address")
    got["address"] = _address_fields(got["address"], place.get("notes") if place else None)
    return got


def topic_codes(label: str) -> list[str]:
    return [t.code for t in topic(label) if t.code]


def topics_steps(labels: list[dict]) -> list[Step]:
    mapped = Step("topics mapped", 0, len(labels), 0.95, measure="labels with a code")
    for label in labels:
        if topic_codes(label["input"]):
            mapped.right += 1
        else:
            mapped.misses.append((label["input"], "a code", []))
    sample = [c for c in labels if "expected" in c]
    right = exact("topics sample", sample, lambda c: c["expected"]["codes"],
                  lambda c: topic_codes(c["input"]), 0.98)
    right.measure = "codes right"
    return [mapped, right]


def pairs_steps(pairs: list[dict], name: str = "linkage") -> list[Step]:
    """Precision and recall of the linkage rules on `pairs`, as the steps `{name} precision`
    and `{name} recall`; the holdout has its own name so its out-of-sample figure is never
    pooled with the pairs the rules were tuned on."""
    tp = fp = fn = 0
    misses = []
    for n, pair in enumerate(pairs):
        got = same_entity(_listing(pair["a"], f"{n}a"), _listing(pair["b"], f"{n}b"))
        tp += got and pair["same"]
        fp += got and not pair["same"]
        fn += not got and pair["same"]
        if got != pair["same"]:
            misses.append((pair.get("note", f"pair {n}"), pair["same"], got))
    precision = Step(f"{name} precision", tp, tp + fp, 0.97, measure="linked pairs right")
    recall = Step(f"{name} recall", tp, tp + fn, 0.90, measure="same pairs linked")
    precision.misses = [m for m in misses if not m[1]]
    recall.misses = [m for m in misses if m[1]]
    return [precision, recall]


def holdout_steps() -> list[Step]:
    """The same normaliser steps on holdout/: strings gathered after the rules were tuned on the
    files above, so their rates are the out-of-sample figures (never tune on them)."""
    return [
        exact("meetings holdout", load("holdout/meetings.toml"), test_meetings.expected,
              lambda c: test_meetings.actual(c["input"]), 0.95),
        exact("hours holdout", load("holdout/hours.toml"), test_hours.expected,
              lambda c: test_hours.actual(c["input"]), 0.95),
        exact("contact holdout", load("holdout/contact_block.toml"), block_expected, block_actual,
              0.95),
        exact("addresses holdout", load("holdout/address.toml"), address_expected, address_actual,
              0.98),
    ]


def report() -> list[Step]:
    return [
        exact("meetings", load("meetings.toml"), test_meetings.expected,
              lambda c: test_meetings.actual(c["input"]), 0.95),
        exact("hours", load("hours.toml"), test_hours.expected,
              lambda c: test_hours.actual(c["input"]), 0.95),
        exact("contact blocks", load("contact_block.toml"), block_expected, block_actual, 0.95),
        exact("addresses", load("address.toml"), address_expected, address_actual, 0.98),
        *topics_steps(load("topics.toml", "label")),
        *pairs_steps(load("pairs.toml", "pair")),
        *pairs_steps(load("pairs_holdout.toml", "pair"), "linkage holdout"),
        *holdout_steps(),
    ]


def table(steps: list[Step]) -> str:
    lines = [f"{'step':<25} {'measure':<20} {'right':>6} {'of':>6} {'rate':>7} {'target':>7}  "
             f"verdict"]
    for s in steps:
        rate = "-" if s.rate is None else f"{s.rate:.1%}"
        verdict = "no cases" if s.rate is None else "holds" if s.holds else "missed"
        lines.append(f"{s.name:<25} {s.measure:<20} {s.right:>6} {s.total:>6} {rate:>7} "
                     f"{s.target:>7.0%}  {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.real.accuracy", description=__doc__)
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--step", help="only steps whose name starts with this")
    parser.add_argument("--compare", action="store_true",
                        help="and the linkage rules beside Splink (tests/real/linkage_compare)")
    args = parser.parse_args(argv)
    steps = [s for s in report() if not args.step or s.name.startswith(args.step)]
    print(table(steps))
    if args.misses:
        for s in steps:
            for text, want, got in s.misses:
                print(f"\n[{s.name}] {text!r}\n  expected: {want}\n  got:      {got}")
    if args.compare:
        from tests.real import linkage_compare

        print()
        linkage_compare.main([])


if __name__ == "__main__":
    main()
