"""The shipped taxonomy (taxonomy.toml): its concepts, and the index of names and forms a
label is looked up in."""

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from schema.listing import Area
from schema.normalise.topics.words import AREAS, CODE, FILLER, HEADS, forms, key


class TaxonomyError(ValueError):
    """taxonomy.toml is inconsistent: a code twice, an unknown area, a name for two codes."""


@dataclass(frozen=True)
class Concept:
    code: str
    preferred: str
    area: Area


@dataclass(frozen=True)
class Taxonomy:
    concepts: Mapping[str, Concept]
    #: every key form of every name -> its one code
    index: Mapping[str, str]
    #: whole-label keys that name several codes at once
    compounds: Mapping[str, tuple[str, ...]]

    def find(self, k: str) -> str | None:
        """The code for a key: as it is or with an ending; else without "Morbus" or a head."""
        code = self._plain(k)
        if code or len(k) < 2:
            return code
        if k.startswith("morbus") and len(k) > 8:
            return self._plain(k[6:])
        for head in HEADS:
            rest = k[: -len(head)]
            if k.endswith(head) and len(rest) >= 2 and rest not in FILLER \
                    and (code := self._plain(rest)):
                return code
        return None

    def _plain(self, k: str) -> str | None:
        return next((self.index[f] for f in forms(k) if f in self.index), None)


def load_taxonomy(text: str) -> Taxonomy:
    """Parse and validate taxonomy TOML; raises `TaxonomyError` on any inconsistency."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"not TOML: {exc}") from exc
    concepts: dict[str, Concept] = {}
    index: dict[str, str] = {}
    for entry in data.get("concept", []):
        concept = _concept(entry)
        if concept.code in concepts:
            raise TaxonomyError(f"code twice: {concept.code}")
        concepts[concept.code] = concept
        for name in [concept.preferred, *entry["synonyms"]]:
            _add(index, name, concept.code)
    compounds: dict[str, tuple[str, ...]] = {}
    for entry in data.get("compound", []):
        codes = tuple(entry.get("codes", ()))
        if len(codes) < 2 or not set(codes) <= concepts.keys():
            raise TaxonomyError(f"compound needs two or more known codes: {codes}")
        for label in entry.get("labels", ()):
            k = key(label)
            if not k or k in compounds or k in index:
                raise TaxonomyError(f"compound label empty or already taken: {label!r}")
            compounds[k] = codes
    if unexpected := data.keys() - {"concept", "compound"}:
        raise TaxonomyError(f"unexpected tables: {sorted(unexpected)}")
    return Taxonomy(concepts, index, compounds)


def _concept(entry: object) -> Concept:
    if not isinstance(entry, dict) or entry.keys() != {"code", "preferred", "area", "synonyms"}:
        raise TaxonomyError(f"a concept has code, preferred, area, synonyms: {entry}")
    code, preferred, area, synonyms = (entry[k] for k in ("code", "preferred", "area",
                                                           "synonyms"))
    if not isinstance(code, str) or not CODE.match(code):
        raise TaxonomyError(f"bad code: {code!r}")
    if area not in AREAS:
        raise TaxonomyError(f"{code}: unknown area {area!r}")
    if not isinstance(preferred, str) or not isinstance(synonyms, list) \
            or not all(isinstance(s, str) for s in synonyms):
        raise TaxonomyError(f"{code}: preferred is a string, synonyms a list of strings")
    return Concept(code, preferred, area)


def _add(index: dict[str, str], name: str, code: str) -> None:
    k = key(name)
    if not k:
        raise TaxonomyError(f"{code}: name without letters: {name!r}")
    for form in forms(k):
        if index.setdefault(form, code) != code:
            raise TaxonomyError(f"{name!r} ({code}) and {index[form]} share the key {form!r}")


@cache
def taxonomy() -> Taxonomy:
    """The shipped taxonomy, read and validated once per process."""
    return load_taxonomy(files("schema.normalise").joinpath("taxonomy.toml").read_text("utf-8"))
