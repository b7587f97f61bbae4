"""The evidence of one pair of listings: how alike their names are, whether their places,
phones, mailboxes and web sites agree or disagree, and the pair's score.

Shared contact data is weak for groups: every group a contact centre lists may carry the
centre's address, phone and mailbox ("im BüZ, Rathausstraße 6"), so the rules make groups agree
on their names. A working group or umbrella of groups or centres ("Arbeitsgemeinschaft der
Selbsthilfe …", "Landesarbeitskreis …") is never the contact centre (`umbrella_conflict`).
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from warehouse.linkage.features import (
    CENTRE_ACRONYMS,
    CENTRE_KIND,
    Features,
    carrier_free,
    compatible,
    fold,
    initials,
    run_cache,
    says_centre,
    tokens_of,
)

#: Words that name a body of many groups or centres (a working group, an umbrella): such a
#: body is not a contact centre, even at the centre's address or under its name.
_UMBRELLA = re.compile(r"arbeitsgemeinschaft|arbeitskreis|dachverband")
#: Carriers and seats that run or house many centres (welfare associations, authorities): two
#: centres naming one of them may still be two centres.
_MANY_CENTRES = re.compile(r"paritaet|awo$|arbeiterwohlfahrt|caritas|diakon|drk$|kreuz|"
                           r"gesundheitsamt|landratsamt|volkssolidaritaet|stadt|gemeinde")
#: What separates the words of a web host ("selbsthilfe-mannheim.de").
_HOST_WORDS = re.compile(r"[.-]")


def name_similarity(a: Features, b: Features) -> tuple[float, bool, bool]:
    """(similarity 0–100, conflict, generic): `conflict` when qualifiers or numbers differ
    ("Angehörige", "Landesverband", "Gruppe II"), `generic` when a name says nothing itself.
    Two contact centres' names are also compared without their carriers and seats: one
    publisher names the carrier, the other does not."""
    found = _similarity(a, b, a.core(b), b.core(a))
    if a.kind == b.kind == "contact_centre" and (a.bare is not a.own or b.bare is not b.own):
        bare = _similarity(a, b, a.bare_core(b), b.bare_core(a))
        if bare[0] > found[0]:
            return bare
    return found


def _similarity(a: Features, b: Features, core_a: tuple, core_b: tuple
                ) -> tuple[float, bool, bool]:
    (core_a, qual_a, num_a), (core_b, qual_b, num_b) = core_a, core_b
    conflict = qual_a != qual_b or bool(num_a and num_b and num_a != num_b)
    if not core_a and not core_b and a.kind != "group" and town_named(a, b):
        return TOWN_NAMED, conflict, False
    if not core_a or not core_b:
        return 0.0, conflict, True
    heads_differ = bool(_unmatched(core_a, core_b) and _unmatched(core_b, core_a))
    sa, sb = " ".join(core_a), " ".join(core_b)
    sim = max(fuzz.token_sort_ratio(sa, sb),
              fuzz.ratio("".join(sorted(core_a)), "".join(sorted(core_b))),
              fuzz.ratio(sa.replace(" ", ""), sb.replace(" ", "")))
    for short, other in ((core_a, b.tokens), (core_b, a.tokens)):
        if len(short) == 1 and 2 < len(short[0]) <= 6 and short[0] == initials(other):
            return 95.0, conflict, False
    if a.kind != "group" and (acronym := acronym_within(core_a, core_b)):
        within = ACRONYM_WITHIN if acronym in CENTRE_ACRONYMS else OWN_ACRONYM_WITHIN
        return float(max(sim, within)), conflict, False
    if heads_differ:
        # both names hold a word the other lacks ("Angst-" vs "Zwangsstörungen"): a character
        # ratio over German compounds would call them near-equal
        sim = min(sim, 75.0)
    return float(sim), conflict, False


#: A centre's short name inside the other's long one ("KISS" / "Kontakt- und
#: Informationsstelle für Selbsthilfe (KISS)"): as similar as names that differ by a word.
ACRONYM_WITHIN = 85.0
#: ... unless the short name is one of its own, not one many centres share ("KOBES" /
#: "Kontakt- und Beratungsstelle für Selbsthilfegruppen (Kobes)"): as good as the full name.
OWN_ACRONYM_WITHIN = 90.0
#: Two centres named only by their kind and one town ("Selbsthilfe-Kontaktstelle Köln").
TOWN_NAMED = 90.0


def acronym_within(core_a: list[str], core_b: list[str]) -> str | None:
    """The word, when one core is a single short word (3–6 letters) that the other, longer
    core holds."""
    for short, long in ((core_a, core_b), (core_b, core_a)):
        if len(short) == 1 and len(long) > 1 and 2 < len(short[0]) <= 6 and short[0] in long:
            return short[0]
    return None


def town_named(a: Features, b: Features) -> bool:
    """Both names say only what the listing is and where, and the place is the same: a word
    of one name is the other's town (the cores are empty once the towns are taken out)."""
    return bool(set(a.tokens) & b.city_tokens or set(b.tokens) & a.city_tokens)


def _unmatched(core: list[str], other: list[str]) -> list[str]:
    """The words (3+ letters) of `core` whose first three letters no word of `other` shares."""
    return [t for t in core if len(t) > 2 and not any(t[:3] == u[:3] for u in other)]


def evidence(a: Features, b: Features) -> tuple[float, dict]:
    """Score (0–1) and evidence of one pair: what `warehouse.linkage.rules` decides on, and
    what a link stores and a reviewer reads."""
    sim, conflict, generic = name_similarity(a, b)
    ev = {"name_similarity": sim, "name_conflict": conflict, "generic_name": generic,
          **_name_evidence(a, b, conflict), **_place_evidence(a, b), **_contact_evidence(a, b),
          "kinds": sorted({a.kind, b.kind}), "compatible_kinds": compatible(a.kind, b.kind)}
    score = (0.5 * (0 if conflict else sim / 100) + 0.2 * ev["same_address"]
             + 0.1 * ev["same_place"] + 0.1 * bool(ev["shared_phones"])
             + 0.06 * bool(ev["shared_emails"]) + 0.04 * ev["same_web_site"])
    return round(score, 4), ev


def _name_evidence(a: Features, b: Features, conflict: bool) -> dict:
    """What the two names say: of a contact centre, its kind, carrier, seat or town."""
    bare_a, bare_b = says_centre(a.bare_core(b)[0]), says_centre(b.bare_core(a)[0])
    return {
        "branch_conflict": conflict and _branch_only(a, b),
        "both_generic": not a.core(b)[0] and not b.core(a)[0],
        "names_town": _names_town(a, b) or _names_town(b, a),
        "town_unnamed": _town_unnamed(a, b) or _town_unnamed(b, a),
        "kind_only": _kind_only(a, b) or _kind_only(b, a),
        # ... also when the carrier or seat is left out ("Selbsthilfebüro der AWO")
        "bare_kind_only": bare_a or bare_b,
        "both_bare_kind_only": bare_a and bare_b,
        "both_kind_only": _kind_only(a, b) and _kind_only(b, a),
        "name_in_contacts": _name_in_contacts(a, b) or _name_in_contacts(b, a),
        "both_centre_named": bool(CENTRE_KIND.search(fold(a.name))
                                  and CENTRE_KIND.search(fold(b.name))),
        # both name a carrier (left out of `bare`), and not one word of it is the same
        "carrier_conflict": bool(a.carrier - b.city_tokens and b.carrier - a.city_tokens
                                 and (a.carrier - b.city_tokens).isdisjoint(b.carrier)),
        # both name the same carrier or seat of their own ("… im Netzwerk e.V.")
        "same_own_carrier": _same_own_carrier(a, b),
        # one names a working group or umbrella and the other is a contact centre that does not
        "umbrella_conflict": _umbrella(a.name) != _umbrella(b.name) and (
            "contact_centre" in (a.kind, b.kind)),
    }


def _place_evidence(a: Features, b: Features) -> dict:
    """Where the two are: one house, one street, one town, or places that disagree."""
    both_street = bool(a.street and b.street)
    same_place = bool((a.postcode and a.postcode == b.postcode)
                      or (a.main_city and a.main_city == b.main_city))
    unplaced = not (a.postcode or a.main_city) or not (b.postcode or b.main_city)
    same_address = bool(both_street and at_same_house(a, b) and (same_place or unplaced))
    return {
        "same_address": same_address, "address_conflict": both_street and not same_address,
        "same_place": same_place, "unplaced": unplaced,
        "same_town": bool(a.city and a.city == b.city),
        "same_street": both_street and any(same_street(sa, sb) for sa, _ in _houses(a)
                                           for sb, _ in _houses(b)),
        # an address of a street alone names the other's street
        "street_named": _street_named(a, b) or _street_named(b, a),
        "other_city": bool(a.city and b.city and a.main_city != b.main_city
                           and a.postcode != b.postcode),
    }


def _contact_evidence(a: Features, b: Features) -> dict:
    """The phones, mailboxes and web sites both give, and whether theirs disagree."""
    shared_phones = shared_numbers(a.phones, b.phones)
    shared_emails = sorted(a.emails & b.emails)
    same_host = bool(a.hosts.keys() & b.hosts.keys())
    # one site: the same host and first path segment (a carrier's home page is not the
    # centre's page under it)
    same_site = any(a.hosts[h] == b.hosts[h] for h in a.hosts.keys() & b.hosts.keys())
    return {
        # both give a phone (or both a mailbox, or both a web site) and none is the other's
        "contacts_disagree": bool((a.phones and b.phones and not shared_phones)
                                  or (a.emails and b.emails and not shared_emails)
                                  or (a.hosts and b.hosts and not same_host)),
        # one side gives no phone, mailbox or web site: nothing of it can disagree
        "silent": not (a.phones or a.emails or a.hosts) or not (b.phones or b.emails or b.hosts),
        "shared_phones": shared_phones, "shared_emails": shared_emails,
        "same_web_domain": same_host, "same_web_site": same_site,
        "contacts": bool(shared_phones) + bool(shared_emails) + same_site,
    }


@run_cache
def _umbrella(name: str) -> bool:
    """Does the name (its carrier or seat aside, and what follows "c/o") say it is a working
    group or umbrella ("Landesarbeitskreis Selbsthilfe-Kontaktstellen c/o …")?"""
    return any(_UMBRELLA.search(t) for t in tokens_of(carrier_free(name)))


def _street_named(a: Features, b: Features) -> bool:
    """Does a's address, a street without a house number, name b's street?"""
    return any(same_street(w, street) for w in a.loose_streets
               for street, _ in _houses(b) if street)


def _same_own_carrier(a: Features, b: Features) -> bool:
    """Do both name the same carrier or seat, and is it not one that runs many centres?"""
    return bool(a.carrier and a.carrier == b.carrier
                and not any(_MANY_CENTRES.search(w) for w in a.carrier))


def _kind_only(a: Features, b: Features) -> bool:
    """Does a's name say only that it is a contact centre (in b's town)?"""
    return says_centre(a.core(b)[0])


def _name_in_contacts(a: Features, b: Features) -> bool:
    """Is a word of a's name (an acronym of its own) b's mailbox name or web host
    ("REKOSI" / rekosi@…)?"""
    words = {t for t in a.own[0] if 4 <= len(t) <= 8 and t not in CENTRE_ACRONYMS}
    if not words:
        return False
    labels = {e.split("@", 1)[0] for e in b.emails} | {h.split(".", 1)[0] for h in b.hosts}
    return not words.isdisjoint(labels)


def _town_unnamed(a: Features, b: Features) -> bool:
    """Is a without a place, while b's name holds b's own town and a's does not
    ("Selbsthilfebüro der AWO" / "Selbsthilfebüro Forchheim" in Forchheim): b's name says
    which town's it is, a's says another or none."""
    if a.postcode or a.main_city or not b.city_tokens.intersection(b.tokens):
        return False
    return not _names_town(a, b)


def _names_town(a: Features, b: Features) -> bool:
    """Does a listing without a town name the other's town ("Kiss Mainz" / one in Mainz), or
    its adjective ("Heidelberger"), in its name or web host?"""
    if a.postcode or a.main_city or not b.city_tokens:
        return False
    words = [*a.tokens, *(w for h in a.hosts for w in _HOST_WORDS.split(h))]  # …mannheim.de
    return any(t in b.city_tokens or (t.endswith("er") and t[:-2] in b.city_tokens)
               for t in words)  # "Heidelberger Selbsthilfebüro"


def shared_numbers(a: dict[str, str | None], b: dict[str, str | None]) -> list[str]:
    """Phones both list (same extension or none), and a number printed without its area
    code ("52 90 97") that ends the other's ("0231 52 90 97")."""
    shared = {e for e, x in a.items()
              if e in b and (x is None or b[e] is None or x == b[e])}
    for short, full in ((a, b), (b, a)):
        for e in short:
            if e.startswith("+49") and len(e) - 3 <= LOCAL_DIGITS:
                shared |= {f for f in full if f.startswith("+49") and len(f) > len(e)
                           and f.endswith(e[3:])}
    return sorted(shared)


#: A German number of at most this many digits after +49 lacks its area code.
LOCAL_DIGITS = 7


#: Two street names at least this similar (after "straße" -> "str") are one street: typos
#: and inflections differ by a letter or two; other streets differ by more ("Bergstr" /
#: "Burgstr" 86, "Kirchstr" / "Kirchenstr" 89).
STREET_SIMILARITY = 90

_HOUSE = re.compile(r"^(\d+)(.*)$")
_RANGE = re.compile(r"-\d")


@run_cache
def same_street(a: str | None, b: str | None) -> bool:
    """One street, as publishers write it: a dropped letter ("Bahnhofsstaße"), the dative
    ("Neuen Straße")."""
    if not a or not b:
        return False
    return a == b or fuzz.ratio(a, b, score_cutoff=STREET_SIMILARITY) > 0


@run_cache
def house(number: str | None) -> tuple[str, frozenset[str], bool] | None:
    """(first number, its letters, a range?): "21-21a" -> ("21", {"a"}, True),
    "13-a-b" (13 a/b) -> ("13", {"a", "b"}, False)."""
    if not number:
        return None
    m = _HOUSE.match(number)
    if not m:
        return number, frozenset(), False
    rest = m.group(2)
    return m.group(1), frozenset(c for c in rest if c.isalpha()), bool(_RANGE.match(rest))


def same_house(a: str | None, b: str | None) -> bool:
    """One house: the same first number and letters; or one side's letters among the
    other's ("13 a/b" holds "13b"); or a range holding the other ("21-21a" holds "21").
    "118" and "118b" are two houses, as are "13 a/c" and "13 a/b"."""
    if a == b:
        return True
    ha, hb = house(a), house(b)
    if ha is None or hb is None or ha[0] != hb[0]:
        return False
    (_, la, ra), (_, lb, rb) = ha, hb
    if la == lb or (la and lb and (la <= lb or lb <= la)):
        return True
    return (ra and lb <= la) or (rb and la <= lb)


def at_same_house(a: Features, b: Features) -> bool:
    return any(same_street(sa, sb) and same_house(na, nb)
               for sa, na in _houses(a) for sb, nb in _houses(b))


def _houses(f: Features) -> list[tuple[str | None, str | None]]:
    return [(f.street, f.number)] + ([f.other_house] if f.other_house else [])


#: The qualifier of an office of a centre (an "Außenstelle"), not of another body.
_BRANCH = frozenset({"branch"})


def _branch_only(a: Features, b: Features) -> bool:
    """Is the names' conflict only that one is a branch office ("Außenstelle")?"""
    (_, qual_a, num_a), (_, qual_b, num_b) = a.core(b), b.core(a)
    return bool(qual_a ^ qual_b) and (qual_a ^ qual_b) <= _BRANCH and not (
        num_a and num_b and num_a != num_b)
