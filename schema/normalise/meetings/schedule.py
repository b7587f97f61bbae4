"""A reading of a rhythm text (its day mentions, times, week and month rhythms) put
together into a `Schedule`, or declined when its parts disagree."""

from dataclasses import dataclass, field

from schema.listing import Schedule
from schema.normalise.meetings.words import ORDER, WEEKDAYS


@dataclass
class Mention:
    """One weekday phrase: "1. und 3. Dienstag", "montags", "Mo-Fr"."""

    days: list[str]
    ords: list[tuple[int, bool]]  # (ordinal, written as a word)
    parts: list[str]
    intro: str | None
    block: int = 0
    adverb: bool = False  # "montags": every Monday


@dataclass
class Reading:
    mentions: list[Mention] = field(default_factory=list)
    times: list[tuple[str | None, str | None]] = field(default_factory=list)
    order: str = ""  # "D" per day phrase, "T" per time, in text order
    weeks: set[int] = field(default_factory=set)
    months: set[int] = field(default_factory=set)
    counts: list[tuple[int, str]] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    one_off: bool = False  # "Gründungstreffen", "das nächste Treffen"
    every: bool = False  # "jeden", "immer", "regelmäßig", or a day as an adverb ("montags")
    repeated: bool = False  # the last day phrase repeated the one before


# --- putting a reading together ----------------------------------------------------------


def schedule_of(r: Reading) -> Schedule | None:
    """Put a reading together; None when its parts disagree."""
    if not _coherent(r):
        return None
    rhythm = _monthly(r) if any(m.ords for m in r.mentions) else _weekly(r)
    if rhythm is None:
        return None
    freq, interval, byday = rhythm
    for n, unit in r.counts:  # "zweimal im Monat" must agree with the days found
        if n != len(byday) or (unit == "month") != (freq == "MONTHLY") or interval != 1:
            return None
    opens, closes = r.times[0] if r.times else (None, None)
    return Schedule(freq=freq, interval=interval, byday=byday, opens_at=opens, closes_at=closes)


def _coherent(r: Reading) -> bool:
    """One rhythm: days in one sentence or line, one time, one week and one month rhythm,
    times in a fitting order, day parts that agree with the clock; "Gründungstreffen am
    Montag" needs a word of recurrence to be more than one date."""
    regular = r.every or bool(r.weeks or r.months or r.counts)
    return (bool(r.mentions) and bool(ORDER.fullmatch(r.order)) and (regular or not r.one_off)
            and len({m.block for m in r.mentions}) == 1 and len(set(r.times)) <= 1
            and len(r.weeks) <= 1 and len(r.months) <= 1 and _parts_fit(r))


def _monthly(r: Reading) -> tuple[str, int, list[str]] | None:
    """Ordinal days: the n-th weekday of the month, or "jeden zweiten Montag" (every other)."""
    if not all(m.ords for m in r.mentions):
        return None  # "jeden 1. Montag und Donnerstag": does the ordinal carry over?
    ordinals = [n for m in r.mentions for n, _ in m.ords]
    if r.weeks and not (r.weeks == {2} and _fortnightly(ordinals)):
        return None  # "jeden 2. Montag 14-tägig"
    monthly = bool(r.months) or any(unit == "month" for _, unit in r.counts)
    first = r.mentions[0]
    if not (monthly or len(ordinals) > 1 or first.intro == "am" or ordinals[0] in (1, 5, -1, -2)):
        if first.ords == [(2, True)] and first.intro == "every":
            return "WEEKLY", 2, first.days
        return None  # "jeden 2. Montag", "jeden dritten Montag": week or month?
    byday = {f"{n}{d}" for m in r.mentions for n, _ in m.ords for d in m.days}
    return "MONTHLY", max(r.months, default=1), sorted(byday, key=_day_order)


def _weekly(r: Reading) -> tuple[str, int, list[str]] | None:
    """Days without ordinals: weekly, or every n weeks; not in a monthly frame."""
    if r.months or any(unit == "month" for _, unit in r.counts):
        return None  # "monatlich, dienstags": which Tuesday?
    if any(m.intro == "one" for m in r.mentions) and not r.weeks:
        return None  # "immer an einem Freitag": which one?
    days = sorted({d for m in r.mentions for d in m.days}, key=_day_order)
    return "WEEKLY", max(r.weeks, default=1), days


def _fortnightly(ordinals: list[int]) -> bool:
    """"vierzehntäglich: am 2. und 4. Donnerstag" - two ordinals two weeks apart."""
    return len(ordinals) == 2 and ordinals[1] - ordinals[0] == 2 and ordinals[0] > 0


def _parts_fit(r: Reading) -> bool:
    """"abends" with "7 Uhr" would need a guess (19:00?); decline instead."""
    starts = [int(t[:2]) for span in r.times for t in span if t]
    late = {"abend", "abends", "nachmittag", "nachmittags"}
    early = {"vormittag", "vormittags", "morgen", "morgens"}
    if any(p in late for p in r.parts) and any(h < 12 for h in starts):
        return False
    return not (any(p in early for p in r.parts) and any(h >= 13 for h in starts))


def _day_order(code: str) -> tuple[int, int]:
    """Week order, then ordinals in month order: 1MO, 3MO, -2MO, -1MO."""
    n = int(code[:-2]) if code[:-2] else 0
    return WEEKDAYS.index(code[-2:]), n if n >= 0 else 100 + n
