"""A Splink (Fellegi–Sunter, DuckDB backend) model of the real linkage pairs, to measure beside
the rules of warehouse/linkage/rules.py.

Both methods read the same normalised listings
(`warehouse.linkage.features.listing_features`), so the comparison is about the decision, not
about parsing. Splink's comparisons: the name's core words (Jaro–Winkler), street and house,
postcode, town, shared phones, mailboxes and web sites. Its parameters: u by random sampling
of the cross product of the pairs' sides (almost all non-matches), m from the pairs labelled
the same, the prior from their share; the match weight threshold is the lowest that keeps
precision >= 0.97 on the pairs it was trained on.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from tests.link.test_link import _listing
from warehouse.linkage.evidence import house
from warehouse.linkage.features import Features, listing_features

MODEL = Path(__file__).with_name("linkage-splink-model.json")
PRECISION = 0.97


def record(pair: dict, n: int, side: str) -> dict:
    """One side of a labelled pair as a Splink input row."""
    f: Features = listing_features(_listing(pair[side], f"{n}{side}"))
    base = house(f.number)
    return {
        "unique_id": f"{n}{side}", "pair_id": n, "kind": f.kind,
        "name_core": " ".join(f.own[0]) or None,
        "street_house": f"{f.street} {base[0]}" if f.street and base else None,
        "postcode": f.postcode, "city": f.main_city,
        "phones": sorted(f.phones) or None, "emails": sorted(f.emails) or None,
        "sites": sorted(f"{h}/{s}" for h, s in f.hosts.items()) or None,
    }


def _table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("unique_id", pa.string()), ("pair_id", pa.int64()), ("kind", pa.string()),
        ("name_core", pa.string()), ("street_house", pa.string()), ("postcode", pa.string()),
        ("city", pa.string()), ("phones", pa.list_(pa.string())),
        ("emails", pa.list_(pa.string())), ("sites", pa.list_(pa.string()))]))


def settings(prior: float):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only",
        probability_two_random_records_match=prior,
        blocking_rules_to_generate_predictions=[block_on("pair_id")],
        comparisons=[
            cl.JaroWinklerAtThresholds("name_core", [0.95, 0.88, 0.75]),
            cl.LevenshteinAtThresholds("street_house", [0, 2]),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("city"),
            cl.ArrayIntersectAtSizes("phones", [1]),
            cl.ArrayIntersectAtSizes("emails", [1]),
            cl.ArrayIntersectAtSizes("sites", [1]),
        ],
        retain_intermediate_calculation_columns=False,
    )


@dataclass
class Model:
    """A trained model: Splink's settings (JSON) and the decision threshold."""

    settings: dict
    threshold: float

    def save(self, path: Path = MODEL) -> None:
        kept = {k: v for k, v in self.settings.items() if k != "linker_uid"}  # random per run
        path.write_text(json.dumps({"threshold": self.threshold, "splink": kept},
                                   indent=1, sort_keys=True) + "\n", "utf-8")

    @classmethod
    def load(cls, path: Path = MODEL) -> Model:
        data = json.loads(path.read_text("utf-8"))
        return cls(data["splink"], data["threshold"])


def _linker(a: list[dict], b: list[dict], model_settings):
    from splink import Linker
    from splink.internals.duckdb.database_api import DuckDBAPI

    db = DuckDBAPI()
    return Linker([db.register(_table(a), dataset_display_name="a"),
                   db.register(_table(b), dataset_display_name="b")], model_settings,
                  log_level=logging.ERROR)


def sides(pairs: list[tuple[int, dict]]) -> tuple[list[dict], list[dict]]:
    return ([record(p, n, "a") for n, p in pairs], [record(p, n, "b") for n, p in pairs])


def weights(model_settings, pairs: list[tuple[int, dict]]) -> dict[int, float]:
    """pair number -> match weight of the labelled pair."""
    a, b = sides(pairs)
    linker = _linker(a, b, model_settings)
    rows = linker.inference.predict().as_record_list()
    return {int(r["pair_id_l"]): float(r["match_weight"]) for r in rows}


def train(pairs: list[tuple[int, dict]]) -> Model:
    """Estimate u, m and the prior on `pairs`, then the threshold."""
    a, b = sides(pairs)
    same = [(n, p) for n, p in pairs if p["same"]]
    linker = _linker(a, b, settings(max(len(same), 1) / (len(a) * len(b))))
    linker.training.estimate_u_using_random_sampling(max_pairs=1e5, seed=18)
    labels = pa.Table.from_pylist([
        {"source_dataset_l": "a", "unique_id_l": f"{n}a", "source_dataset_r": "b",
         "unique_id_r": f"{n}b", "clerical_match_score": 1.0} for n, _ in same])
    linker.table_management.register_table(labels, "labels", overwrite=True)
    linker.training.estimate_m_from_pairwise_labels("labels")
    trained = linker.misc.save_model_to_json()
    return Model(trained, threshold(weights(trained, pairs), dict(pairs)))


def threshold(scored: dict[int, float], pairs: dict[int, dict]) -> float:
    """The lowest match weight that keeps precision >= PRECISION on these pairs."""
    for cut in sorted(set(scored.values())):
        linked = [n for n, w in scored.items() if w >= cut]
        right = sum(pairs[n]["same"] for n in linked)
        if linked and right / len(linked) >= PRECISION:
            return cut
    return max(scored.values()) + 1


def decide(model: Model, pairs: list[tuple[int, dict]]) -> dict[int, bool]:
    return {n: w >= model.threshold for n, w in weights(model.settings, pairs).items()}
