"""Organisation attributes: NAKOS-style flags, contact counts, online-only offers."""

import re

from schema.listing import OrgFlag

#: Printed flag labels (casefolded, any of these words) -> controlled flag.
_FLAGS: tuple[tuple[re.Pattern[str], OrgFlag], ...] = (
    (re.compile(r"dachverband|dachorganisation|bundesverband mit mitgliedsverbänden"), "umbrella"),
    (re.compile(r"anonym"), "anonymous"),
    (re.compile(r"forum|internetforum|online-community"), "forum"),
    (re.compile(r"institution|einrichtung|fachverband|beratungsstelle"), "institution"),
    (re.compile(r"selbsthilfe(?:-| )?(?:organisation|vereinigung|verband)|bundesvereinigung"),
     "self_help_organisation"),
)
_COUNT = re.compile(r"\d[\d.\s]*")
_ONLINE = re.compile(r"\b(?:online|internet|forum|chat|video|virtuell|digital)", re.IGNORECASE)


def org_flags(labels: list[str]) -> tuple[list[OrgFlag], list[str]]:
    """(controlled flags, labels that matched none) for the flag labels a source prints."""
    flags: list[OrgFlag] = []
    unknown: list[str] = []
    for label in labels:
        text = label.casefold()
        hits = [flag for pattern, flag in _FLAGS if pattern.search(text)]
        if not hits:
            unknown.append(label)
        flags += [f for f in hits if f not in flags]
    return flags, unknown


def contact_count(text: str | None) -> int | None:
    """"12 Kontakte", "1.204" -> 12, 1204; None when there is no number."""
    if not text or not (m := _COUNT.search(text)):
        return None
    return int(re.sub(r"\D", "", m.group(0)))


def online(text: str | None) -> bool | None:
    """True when the text describes an online offer; None when there is no text."""
    if not text or not text.strip():
        return None
    return bool(_ONLINE.search(text))
