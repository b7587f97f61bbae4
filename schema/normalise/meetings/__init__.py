"""Group meeting rhythms: German free text -> an RRULE-like `Schedule`, only when confident.

"jeden 2. Mittwoch im Monat, 18 Uhr" becomes MONTHLY, BYDAY 2WE, opens 18:00;
"14-tägig dienstags 19-21 Uhr" becomes WEEKLY, INTERVAL 2, BYDAY TU, 19:00-21:00. The fields
map one to one onto an HSDS 3.0 `schedule` row (freq, interval, byday comma-joined, opens_at,
closes_at); HSDS wants a `dtstart` for an interval > 1, which no source states, so an
exporter has to leave "which fortnight" open - the original text stays beside the value.

Publishers write rhythms inside sentences ("Die Gruppe trifft sich jeden ersten Donnerstag im
Monat im Gemeindehaus und sucht neue Mitglieder."), so the text is read for its rhythm tokens
(weekdays with ordinals, rhythm words, times) and the words around them are passed over, once
one-off dates, addresses and history are removed (`words.REMOVE`). Declined (None): a doubt
(`_doubtful`), time or dates given only on request in the rhythm's own clause, alternatives
between rhythm tokens ("dienstags oder mittwochs"), several meetings or groups, a list of
calendar dates (`words.DATE_LIST`), or parts that disagree. A wrong schedule is worse than none.

Decisions on ambiguous German:
- "jeden zweiten Montag" (ordinal as a word, no month named) is every other week - the
  ordinary reading of "jeder zweite"; "jeden 2. Montag" (digits, no month named) and
  "jeden dritten/vierten Montag" could be either every n-th week or the n-th Monday of the
  month and are declined. With "im Monat", "am", several ordinals, "1." or "letzten", the
  reading is the n-th weekday of the month.
- A day without an ordinal in a monthly context ("monatlich, dienstags", "einmal im Monat")
  is declined: which of the four Tuesdays is unknown; so is "an einem Freitag" without a week
  rhythm.
- A weekday with a time in a group's meeting field ("Montag, 10:00 Uhr bis 11:00 Uhr") names
  its weekly day; a weekday beside a calendar date is that date's and is removed with it, and
  a bare weekday beside a word of one occasion ("Gründungstreffen am Montag", "das nächste
  Treffen") is declined unless a word of recurrence ("jeden", "immer", "montags") is there.
- YEARLY is never produced: no text seen names a month and a weekday reliably.
"""

import bisect
import functools
import re
from dataclasses import dataclass, field
from itertools import pairwise

from schema.listing import Schedule
from schema.normalise.meetings import words
from schema.normalise.text import MEMO, clean


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
    """What the tokens of a rhythm text say, before they are put together (`schedule_of`)."""

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


@functools.lru_cache(maxsize=MEMO)
def on_request(text: str | None) -> bool:
    """True when the text says time or place are given on request ("Termine im BüZ erfragen",
    "Ort wird bei Anmeldung mitgeteilt", "nach Vereinbarung"); a pointer to where to ask
    ("Infos unter Tel. …") only when no rhythm is stated beside it."""
    if not text:
        return False
    if words.ON_REQUEST_RE.search(text):
        return True
    return bool(words.ASK_THERE_RE.search(text)) and meetings(text) is None


@functools.lru_cache(maxsize=MEMO)
def meetings(text: str | None) -> Schedule | None:
    """A meeting rhythm as a `Schedule`, or None when the text is not understood with
    confidence (the caller keeps the original text either way)."""
    text = clean(text)
    if not text or len(text) > words.MAX_LENGTH:
        return None
    text = words.SLIP_WORD.sub(_unslipped, text.translate(words.DASHES))
    text = words.IM_DAY.sub(r"\1 Monat", text)
    if len(words.DATES.findall(text)) >= words.DATE_LIST:
        return None
    text = words.REMOVE.sub(" ", text)
    if _doubtful(text) or _request_in_rhythm(text):
        return None
    reading = _read(text)
    if reading:
        reading.one_off = bool(words.ONE_OFF.search(text))
    schedule = reading and schedule_of(reading)
    if schedule and len(schedule.byday or []) > 1 and words.SEVERAL_GROUPS.search(text):
        return None
    return schedule


def _unslipped(m: re.Match) -> str:
    """A mistyped day name spelt right, its capital kept."""
    word = m.group()
    name = words.DAY_SLIPS.get(word.lower())
    return word if name is None else (name.capitalize() if word[0].isupper() else name)


def _doubtful(text: str) -> bool:
    """An exception, season or change anywhere; a hedge only in a sentence or line that names
    a day or a rhythm ("Bitte melden Sie sich vorher an." leaves the rhythm standing); "im
    April" only in a clause that names one."""
    return (bool(words.DOUBT_RE.search(text))
            or _with_rhythm(text, words.CLAUSE_DOUBT_RE, words.BOUNDARY)
            or _with_rhythm(text, words.LOCAL_DOUBT_RE, words.BLOCKS))


def _with_rhythm(text: str, doubt: re.Pattern, cut: re.Pattern) -> bool:
    """A `doubt` in a piece of `text` (between `cut`s) that names a day or a rhythm."""
    if not doubt.search(text):
        return False
    cuts = [0, *(b.end() for b in cut.finditer(text)), len(text)]
    return any(doubt.search(piece) and words.RHYTHM.search(piece)
               for piece in (text[a:b] for a, b in pairwise(cuts)))


def _request_in_rhythm(text: str) -> bool:
    """"dienstags 14-17 Uhr nach Vereinbarung", "Termine bitte erfragen": the time itself is
    by arrangement. "(Ort nach Absprache)", "+ nach Absprache" in a clause of their own leave
    the stated rhythm standing."""
    for m in words.ON_REQUEST_RE.finditer(text):
        left = max((b.end() for b in words.BOUNDARY.finditer(text, 0, m.start())), default=0)
        right = next((b.start() for b in words.BOUNDARY.finditer(text, m.end())), len(text))
        clause = text[left:right]
        if any(p.search(clause) for p in (words.DATED, words.DAY_ONE, words.TIME_ANY)):
            return True
    return False


def _read(text: str) -> Reading | None:
    """Tokens -> a reading; None at a token that contradicts itself (an impossible time, a
    stray "Uhr" whose number is missing, alternatives between rhythm tokens)."""
    reading = Reading()
    breaks = [b.start() for b in words.BLOCKS.finditer(text)]
    previous: str | None = None
    letters = ""
    for m in words.SCANNER.finditer(text):
        kind, value = m.lastgroup or "word", m.group()
        if (kind == "time" and not words.CLOCK.search(value)
                and words.NOUN_NEXT.match(text, m.end())):
            kind = "num"  # "von 8 bis 15 Teilnehmern"
        if kind == "ws":
            continue
        if kind == "word" and value.lower() == "uhr":
            return None  # "sowie Uhr": a time is missing
        letters += words.KIND_LETTER.get(kind, "w")
        if not _take(reading, kind, value, previous, bisect.bisect(breaks, m.start())):
            return None
        if kind != "sep":
            previous = kind
    return None if words.ALTERNATIVE.search(letters) else reading


def _take(reading: Reading, kind: str, value: str, previous: str | None, block: int) -> bool:
    """Record one token; False when it cannot be understood."""
    if kind == "week":
        reading.weeks.add(_number(value))
    elif kind == "month":
        reading.months.add(_number(value))
    elif kind == "count":
        unit = "month" if "mon" in value.lower() else "week"
        reading.counts.append((_number(value), unit))
    elif kind == "every":
        reading.every = True
    elif kind == "part":
        reading.parts.append(value.lower())
    elif kind == "day":
        return _take_day(reading, _mention(value, previous, block))
    elif kind == "time":
        return _take_time(reading, _time(value))
    return True


def _take_day(reading: Reading, mention: Mention | None) -> bool:
    """A day phrase that repeats the one before ("Dienstag: 20 Uhr (Di. 2)") adds nothing."""
    if mention is None:
        return False
    last = reading.mentions[-1] if reading.mentions else None
    reading.repeated = bool(last and (last.days, last.ords) == (mention.days, mention.ords))
    reading.every = reading.every or mention.adverb
    if not reading.repeated:
        reading.mentions.append(mention)
        reading.parts += mention.parts
        reading.order += "D"
    return True


def _take_time(reading: Reading, span: tuple[str | None, str | None] | None) -> bool:
    """Back-to-back sessions ("19:00-20:30 & 20:30-21:15") are one meeting."""
    if span is None:
        return False
    last = reading.times[-1] if reading.times else None
    if last and reading.repeated and span == last:
        return True
    if last and reading.order.endswith("T") and last[1] and last[1] == span[0]:
        reading.times[-1] = (last[0], span[1])
        return True
    reading.times.append(span)
    reading.order += "T"
    return True


def _number(value: str) -> int:
    """The n in "alle n Wochen", "n-mal im Monat"; 14 days is 2 weeks."""
    lower = value.lower()
    if "viertel" in lower or "quartal" in lower:
        return 3
    if "gerade" in lower:
        return 2
    m = words.NUMBER.search(value)
    if m is None:
        return 1
    word = m.group().lower()
    if word in ("14", "vierzehn"):
        return 2
    return int(word) if word.isdigit() else words.NUMBER_WORDS[word]


def _mention(value: str, intro: str | None, block: int) -> Mention | None:
    """"1. und 3. Dienstag" -> days ["TU"], ords [(1, False), (3, False)]; "Mo-Fr" expanded."""
    found = list(words.DAY_ONE.finditer(value))  # a day token holds one at least
    days: list[str] = []
    parts: list[str] = []
    adverb = False
    for m in found:
        if m.group("abbr"):
            days.append(words.DAY_ABBREVIATIONS[m.group("abbr").rstrip(".").title()])
            continue
        days.append(words.DAY_NAMES[m.group("full").lower()])
        adverb = adverb or bool(m.group("s"))
        if m.group("part"):
            parts.append(m.group("part").lower())
    if len(days) == 2:  # a range: "Mo-Fr", "montags bis donnerstags"
        start, end = words.WEEKDAYS.index(days[0]), words.WEEKDAYS.index(days[1])
        if start >= end:
            return None
        days = list(words.WEEKDAYS[start:end + 1])
    ords = [(int(m.group(1)), False) if m.group(1)
            else (words.ORDINAL_WORDS[m.group(2).lower()], True)
            for m in words.ORD_ONE.finditer(value[: found[0].start()])]
    if ords and len(days) > 1:
        return None  # "1. Mo-Fr" has no sensible reading
    return Mention(days, ords, parts, intro, block, adverb)


def _time(value: str) -> tuple[str | None, str | None] | None:
    """"19.30 - 21 Uhr" -> ("19:30", "21:00"); "bis 21 Uhr" -> (None, "21:00"); an
    approximate time ("bis ca. 21") is None; None when a time is impossible or implausible."""
    ends: list[str | None] = []
    minutes: list[int] = []
    for m in words.TIME_ONE.finditer(value):
        hour, minute = int(m.group(2)), int(m.group(3) or 0)
        if hour > 23 or minute > 59:
            return None
        minutes.append(hour * 60 + minute)
        ends.append(None if m.group(1) else f"{hour:02d}:{minute:02d}")
    if value.lower().startswith("bis"):
        return (None, ends[0]) if minutes[0] >= words.EARLIEST else None
    if not minutes or minutes[0] < words.EARLIEST or (
            len(minutes) == 2 and minutes[1] <= minutes[0]):
        return None
    if "zwischen" not in value.lower() and re.search(r"\bund\b", value, re.I):
        return None
    return (ends[0], ends[1] if len(ends) == 2 else None)


# --- a reading put together into a `Schedule`, or declined when its parts disagree -------

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
    return (bool(r.mentions) and bool(words.ORDER.fullmatch(r.order)) and (regular or not r.one_off)
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
    return words.WEEKDAYS.index(code[-2:]), n if n >= 0 else 100 + n
