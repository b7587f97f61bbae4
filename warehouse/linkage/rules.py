"""The match rules: which evidence makes two listings one entity, in one ordered table.

`RULES` is read top to bottom; the first rule whose condition holds decides the pair: a rule
that links names why (the link stores that name as its `rule`), a rule that keeps apart ends
the search. When no rule holds, the pair is not linked.

Why hand-set rules rather than Splink: on the real pairs of tests/real/pairs.toml a Splink
model (estimated once, saved; tests/real/linkage_compare.py) links fewer of them at the same
precision, and a rule names why a pair is linked. The labelled pairs in tests/link/pairs.toml
and tests/real/pairs.toml pin precision and recall of the rules. A person's decisions
(linkage-decisions.toml) come before any rule, and the pairs whose score lies in an uncertain
band go to a review queue (both in `warehouse.linkage.decisions`).

Groups must agree on their names: every group a contact centre lists may carry the centre's
address, phone and mailbox. For centres and organisations the address plus a shared phone or
mailbox is strong. A contact centre's name often says no more than its kind, a carrier and a
seat: such a name is no evidence by itself; two of them are one centre only with a shared
house, phone or mailbox, one town where one side gives nothing to disagree, a name that holds
the other's town, or one carrier or seat of their own (not a welfare association or authority
that runs many centres).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

from schema.listing import Listing
from warehouse.linkage.evidence import evidence
from warehouse.linkage.features import Features, listing_features


@dataclass(frozen=True, slots=True)
class Pair:
    """The evidence of a pair as the rules read it (see `warehouse.linkage.evidence`)."""

    sim: float  # name similarity, at most 60 when qualifiers or numbers conflict
    settled: bool  # the same house, or the same place and no two different houses
    groups: bool  # both are groups
    centres: bool  # both are contact centres
    phone: bool  # a phone both give
    mail: bool  # a mailbox both give
    contacts: int  # how many of phone, mailbox, web site both give
    compatible_kinds: bool
    umbrella_conflict: bool
    name_conflict: bool
    branch_conflict: bool
    generic_name: bool
    names_town: bool
    town_unnamed: bool
    kind_only: bool
    bare_kind_only: bool
    both_bare_kind_only: bool
    both_kind_only: bool
    both_centre_named: bool
    name_in_contacts: bool
    carrier_conflict: bool
    same_own_carrier: bool
    same_address: bool
    address_conflict: bool
    same_place: bool
    unplaced: bool
    same_town: bool
    same_street: bool
    street_named: bool
    other_city: bool
    contacts_disagree: bool
    silent: bool
    same_web_domain: bool

    @classmethod
    def of(cls, ev: dict) -> Pair:
        sim = ev["name_similarity"]
        read = {f.name: ev[f.name] for f in fields(cls) if f.name in ev}
        return cls(**read, sim=min(sim, 60.0) if ev["name_conflict"] else sim,
                   settled=ev["same_address"] or (
                       ev["same_place"] and not ev["address_conflict"]),
                   groups=ev["kinds"] == ["group"], centres=ev["kinds"] == ["contact_centre"],
                   phone=bool(ev["shared_phones"]), mail=bool(ev["shared_emails"]))


@dataclass(frozen=True, slots=True)
class Rule:
    name: str  # a link's `rule`; for a rule that keeps apart, what it stands for
    links: bool  # True: one entity; False: not, whatever a later rule says
    why: str
    when: Callable[[Pair], bool]


RULES: tuple[Rule, ...] = (
    Rule("another body", False,
         "a working group or umbrella is another body than the centre",
         lambda p: not p.compatible_kinds or p.umbrella_conflict),
    # another town at another address: a branch unless phone and mailbox or web site agree too
    Rule("moved", True, "named alike, at another address in another town, same phone and more",
         lambda p: p.other_city and p.address_conflict and p.sim >= 90 and p.phone
         and p.contacts >= 2),
    Rule("another town", False, "another house in another town: a branch",
         lambda p: p.other_city and p.address_conflict),
    # groups: the centre's address and phone are shared by all its groups, so names must agree
    Rule("name+place", True, "groups named alike in one place or with a contact in common",
         lambda p: p.groups and p.sim >= 90 and (p.settled or p.contacts >= 1)),
    Rule("name+address", True, "groups named nearly alike in one house",
         lambda p: p.groups and p.sim >= 85 and p.same_address),
    Rule("groups named apart", False, "no other rule links two groups",
         lambda p: p.groups),
    # centres and organisations: their address, phone and mailbox are their own
    Rule("name+place", True, "named alike in one place or with a contact in common",
         lambda p: p.sim >= 88 and (p.settled or p.contacts >= 1)),
    Rule("name+address", True, "named nearly alike in one house or with two contacts in common",
         lambda p: p.sim >= 80 and (p.same_address or p.contacts >= 2)),
    Rule("name+phone", True, "named nearly alike with one phone: a centre keeps its number "
         "when it moves",
         lambda p: p.sim >= 80 and p.phone and not p.other_city),
    Rule("name+town", True, "the same centre's name in the same town: moved within it",
         lambda p: (p.same_place or p.names_town) and p.sim >= 95 and not p.generic_name),
    Rule("name only", True, "one side says no more than the name, and nothing disagrees",
         lambda p: p.unplaced and not p.address_conflict and not p.contacts_disagree
         and not p.town_unnamed and (not p.bare_kind_only or p.names_town)
         and (p.sim >= 90 or (p.sim >= 80 and p.names_town) or p.name_in_contacts)),
    Rule("names conflict", False, "qualifiers or numbers differ, unless it is only that one is "
         "a branch at its own address with its own phone",
         lambda p: p.name_conflict and not (p.branch_conflict and p.same_address and p.phone)),
    Rule("address+contact", True, "one house and a contact in common",
         lambda p: p.same_address and p.contacts >= 1),
    Rule("contacts", True, "two contacts in common, a phone or mailbox among them, in one place",
         lambda p: (p.same_place or p.unplaced) and p.contacts >= 2 and (p.phone or p.mail)),
    # contact centres whose names say little more than "the contact centre"
    Rule("kind+contact", True, "both say \"the contact centre\" and share a number or mailbox",
         lambda p: p.centres and p.both_bare_kind_only and (p.phone or p.mail)
         and not p.address_conflict and not p.carrier_conflict),
    Rule("address+kind", True, "\"the contact centre\" at the other's house (in its town)",
         lambda p: p.centres and p.same_address
         and (p.kind_only or (p.bare_kind_only and p.same_place)) and not p.contacts_disagree),
    Rule("kind+street", True, "two centres named as such on one street of one town",
         lambda p: p.centres and p.bare_kind_only and p.same_street and p.both_centre_named
         and (p.same_place or p.names_town)
         and not (p.other_city or p.contacts_disagree or p.carrier_conflict)),
    Rule("kind+address", True, "both say \"the contact centre\", in one house",
         lambda p: p.centres and p.both_bare_kind_only and not p.carrier_conflict
         and p.same_address),
    Rule("kind+town", True, "both say \"the contact centre\" in one town, and one side has no "
         "contact to disagree",
         lambda p: p.centres and p.both_bare_kind_only and not p.carrier_conflict
         and p.same_town and p.silent),
    Rule("kind+seat", True, "\"the contact centre\" of one carrier or seat of its own",
         lambda p: p.centres and p.both_bare_kind_only and p.same_own_carrier and p.silent
         and not p.other_city),
    Rule("kind+street named", True, "\"the contact centre in the X-Straße\" and the centre "
         "there",
         lambda p: p.centres and p.bare_kind_only and p.street_named and p.silent
         and not (p.other_city or p.contacts_disagree or p.carrier_conflict)),
    Rule("kind+town", True, "\"the KISS\" of one town on one web domain, before and after a "
         "move",
         lambda p: p.centres and p.both_kind_only and p.same_web_domain
         and (p.same_place or p.names_town)),
    Rule("kind+town", True, "\"Selbsthilfe-Kontaktstelle Walsrode\" and the one in Walsrode",
         lambda p: p.centres and p.unplaced and p.names_town and p.generic_name
         and not p.address_conflict and not p.contacts_disagree),
)


def rule(ev: dict) -> str | None:
    """The name of the first rule of `RULES` that holds for the evidence, if it links."""
    pair = Pair.of(ev)
    decided = next((r for r in RULES if r.when(pair)), None)
    return decided.name if decided and decided.links else None


def compare(a: Features, b: Features) -> tuple[float, dict]:
    """Score (0–1) and evidence of one pair, with the rule that links it (`rule`, or None)."""
    score, ev = evidence(a, b)
    ev["rule"] = rule(ev)
    return score, ev


def score_pair(a: Listing, b: Listing) -> tuple[float, dict]:
    """Score (0–1) and evidence (name_similarity, same_address, shared_phones, shared_emails,
    same_web_domain, rule, …) of two listings."""
    return compare(listing_features(a), listing_features(b))


def same_entity(a: Listing, b: Listing) -> bool:
    """Do two listings of different sources describe the same group / centre / organisation?"""
    if a.source_id == b.source_id:
        return False
    return score_pair(a, b)[1]["rule"] is not None
