"""Reading office-hour text: tokens, a small state machine over them, and the week they
add up to."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from schema.normalise.hours import words


def _prepare(text: str) -> str | None:
    """Rewrites applied, "ohne Termin" and "Uhr" removed; None on a doubtful word."""
    t = text
    for pattern, replacement in words.REWRITES:
        t = re.sub(pattern, replacement, t)
    if words.DOUBT_RE.search(t):
        return None
    t = words.NOT_APPOINTMENT_RE.sub(" ", t)
    return words.UHR.sub(" ", t)


@dataclass
class _Group:
    """Days read so far and the times (or "geschlossen", or "nach Vereinbarung") after them."""

    days: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    times: list[tuple[int, int]] = field(default_factory=list)
    closed: bool = False
    appointment: bool = False
    ended: bool = False  # "nach Vereinbarung" followed its days: no more days join it

    @property
    def complete(self) -> bool:
        return bool(self.times) or self.closed

    @property
    def settled(self) -> bool:
        """No more days belong to it."""
        return self.complete or self.ended


Week = dict[tuple[int, tuple[int, ...]], list[tuple[int, int]]]


@dataclass
class _State:
    """The reader's memory between tokens."""

    groups: list[_Group] = field(default_factory=lambda: [_Group()])
    qualifier: str | None = None
    last: str = ""  # the kind of the last token that was not a space or filler
    appointment_next: bool = False  # "Termine nach Vereinbarung" before the days it governs
    appointment_label: bool = False  # "mit Terminvereinbarung:" governs all days after it
    break_next: bool = False
    breaks: list[tuple[int, int]] = field(default_factory=list)
    timed: bool = False
    place_after_times: bool = False
    prose: bool = False  # a word read since the current group's last day
    previous: str = ""  # the kind of the last token that was not a separator


def read_week(text: str) -> Week | None:
    """(weekday, nth-of-month) -> sorted time ranges; None on anything not understood."""
    prepared = _prepare(text)
    if prepared is not None and len(sections := _headed_sections(prepared)) > 1:
        office = [x for x in sections if words.OFFICE_RE.search(x.split("\n")[0])]
        prepared = office[0] if len(office) == 1 else None
    if prepared is None or words.GROUP_SLOT_RE.search(prepared):
        return None
    s = _State()
    for kind, value in _tokens(prepared):
        if not _step(s, kind, value):
            return None
    if s.qualifier or s.break_next or not all(g.settled or g.appointment or not g.days
                                              for g in s.groups):
        return None
    return _combine([g for g in s.groups if not g.appointment], s.breaks)


def _headed_sections(text: str) -> list[str]:
    """The paragraphs under a heading line of their own (a line without times, times below).
    Several of them are hours of several sites or services ("Standort 1 …", "Öffnungszeiten
    Kleiderkammer:"); only one headed by the office ("Öffnungszeiten Büro:") is the office's."""
    sections = []
    for paragraph in text.split("¶"):
        lines = [x for x in paragraph.split("\n") if x.strip()]
        if len(lines) > 1 and not words.SCHEDULE.search(lines[0]) \
                and any(words.RANGE.search(x) for x in lines[1:]):
            sections.append(paragraph)
    return sections


def _step(s: _State, kind: str, value: object) -> bool:
    """One token read into the state (see `_STEPS`); False when the text cannot be
    understood."""
    if not _STEPS[kind](s, s.groups[-1], value):
        return False
    s.last = kind
    if kind not in ("sep", "line"):
        s.previous = kind
    return True


def _on_days(s: _State, group: _Group, days: object) -> bool:
    if s.qualifier or s.place_after_times:
        return False  # "nachmittags Mo" / a second address before more days
    if group.settled or (group.days and s.prose):
        s.groups.append(group := _Group())
    group.days += days
    s.prose = False
    if s.appointment_next or s.appointment_label:
        group.appointment, s.appointment_next = True, False
    return True


def _on_time(s: _State, group: _Group, span: object) -> bool:
    if s.break_next:
        s.breaks.append(span)
        s.break_next = False
    elif not group.days or group.closed or not _fits(span, s.qualifier):
        return False
    else:
        group.times.append(span)
    s.qualifier, s.timed = None, True
    return True


def _on_closed(s: _State, group: _Group, _: object) -> bool:
    group.closed = True
    return bool(group.days) and not group.times


def _on_appointment(s: _State, group: _Group, label: object) -> bool:
    """Right after days (or their times): those days are by appointment. Before days: the
    next day group is (with a colon, "mit Terminvereinbarung:", every following one)."""
    s.qualifier = None
    if group.days and (not group.complete or s.last == "time"):
        group.appointment = group.ended = True
    elif label:
        s.appointment_label = True
    else:
        s.appointment_next = True
    return True


def _on_qualifier(s: _State, group: _Group, word: object) -> bool:
    s.qualifier = str(word)
    return True


def _on_break(s: _State, group: _Group, _: object) -> bool:
    s.break_next = True
    return True


def _on_place(s: _State, group: _Group, _: object) -> bool:
    s.place_after_times = s.timed
    return True


def _on_number(s: _State, group: _Group, _: object) -> bool:
    """A number that is no time: fine in prose ("Raum 119"), not after days ("Di 2")."""
    return s.previous != "days" and not s.break_next


def _on_word(s: _State, group: _Group, _: object) -> bool:
    """A word ends the reach of an appointment phrase before days: "neben Terminen auch
    offene Sprechstunden mittwochs …" opens a new clause."""
    s.prose = True
    s.appointment_next = False
    return True


def _on_end(s: _State, group: _Group, kind: object) -> bool:
    """A sentence or paragraph ends: days left without times are not understood."""
    s.appointment_next = False
    s.appointment_label = s.appointment_label and kind == "stop"
    return not group.days or group.settled or group.appointment


def _on_sep(s: _State, group: _Group, sep: object) -> bool:
    if sep == ",":
        s.appointment_next = False
    return True


#: token kind -> how it changes the reader's state.
_STEPS: dict[str, Callable[[_State, _Group, object], bool]] = {
    "days": _on_days, "time": _on_time, "closed": _on_closed,
    "appointment": _on_appointment, "qualifier": _on_qualifier, "break": _on_break,
    "place": _on_place, "number": _on_number, "word": _on_word, "stop": _on_end,
    "para": _on_end, "sep": _on_sep, "line": lambda s, g, v: True,
    "error": lambda s, g, v: False,
}


def _monthly(m: re.Match) -> tuple[str, object]:
    nth = tuple(sorted({words.ORDINALS[o if o[0].isdigit() else o.rstrip("nmrs")]
                        for o in re.findall(words.ORD, m["ords"])}, key=lambda n: (n < 0, n)))
    return "days", [(_weekday(m["mday"]), nth)]


def _span(m: re.Match) -> tuple[str, object]:
    first, last = _weekday(m["first"]), _weekday(m["last"])
    if not first < last < words.HOLIDAY:
        return "error", None  # "Fr-Mo" across the weekend
    return "days", [(d, ()) for d in range(first, last + 1)]


def _time(start: str, end: str) -> tuple[str, object]:
    a, b = _minutes(start), _minutes(end)
    ok = a is not None and b is not None and words.EARLIEST <= a < b
    return ("time", (a, b)) if ok else ("error", None)


#: regex group -> the token it makes; spaces and fillers make none.
_TOKENS: dict[str, Callable[[re.Match], tuple[str, object] | None]] = {
    "monthly": _monthly,
    "date": lambda m: ("word", None),  # "Montag, 3. März" names a date, not a weekday
    "span": _span,
    "day": lambda m: ("days", [(_weekday(m["day"]), ())]),
    "range": lambda m: _time(m["start"], m["end"]),
    "between": lambda m: _time(m["zstart"], m["zend"]),
    "brk": lambda m: ("break", None),
    "qualifier": lambda m: ("qualifier", m["qualifier"]),
    "appt": lambda m: ("appointment", bool(m["colon"])),
    "sep": lambda m: ("sep", m["sep"]),
    **{k: (lambda m, k=k: (k, None)) for k in ("closed", "place", "line", "number", "word")},
    **{k: (lambda m, k=k: (k, k)) for k in ("para", "stop")},
    **dict.fromkeys(("filler", "space"), lambda m: None),
}


def _tokens(text: str) -> Iterator[tuple[str, object]]:
    """(kind, value) of each token of `text` (see `_TOKENS`); ("error", None) where no
    token fits."""
    pos = 0
    while pos < len(text):
        m = words.TOKEN.match(text, pos)
        if m is None:
            yield "error", None
            return
        pos = m.end()
        token = _TOKENS[m.lastgroup](m)
        if token is not None:
            yield token


def _weekday(word: str) -> int:
    return words.WEEKDAY_OF[word.rstrip(".")]


def _minutes(time: str) -> int | None:
    hour, _, minute = time.replace(":", ".").partition(".")
    value = int(hour) * 60 + int(minute or 0)
    return value if value <= 24 * 60 else None


def _fits(span: tuple[int, int], qualifier: str | None) -> bool:
    if qualifier is None:
        return True
    low, high = words.QUALIFIERS[qualifier]
    return low <= span[0] and span[1] <= high


def _combine(groups: list[_Group], breaks: list[tuple[int, int]]) -> Week | None:
    """Times added up per day, a range inside another merged into it, breaks cut out; closed
    days dropped, a closed public holiday kept (no times); None where rules clash."""
    week: Week = {}
    closed = {d for g in groups if g.closed for d in g.days}
    for g in groups:
        for day in g.days:
            week.setdefault(day, []).extend(g.times)
    week = {d: _cut(_merge(sorted(set(t))), breaks) for d, t in week.items()
            if d not in closed and t}
    if not week or any(v is None for v in week.values()) or _clashes(week):
        return None
    if (words.HOLIDAY, ()) in closed:
        week[(words.HOLIDAY, ())] = []
    return week


def _clashes(week: Week) -> bool:
    """A weekday in two rules for the same weeks (weekly and nth-of-month, "1. und 3." beside
    "1."), or ranges of one day that partly overlap."""
    for weekday in range(words.HOLIDAY + 1):
        nths = [_weeks(nth) for d, nth in week if d == weekday]
        if len(nths) > 1 and any(a & b for i, a in enumerate(nths) for b in nths[i + 1:]):
            return True
    return any(a[1] > b[0] for spans in week.values() for a, b in pairwise(spans))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A range extended by a longer one from the same start is dropped ("Mo-Fr 9-12, Do
    durchgehend 9-16"); other overlaps stay (and are declined as contradictory)."""
    return [a for a in spans if not any(b[0] == a[0] and a[1] < b[1] for b in spans)]


def _cut(spans: list[tuple[int, int]], breaks: list[tuple[int, int]]
         ) -> list[tuple[int, int]] | None:
    """The spans with each break cut out (a break must lie inside a span to cut it)."""
    for low, high in breaks:
        out = []
        for a, b in spans:
            if a < low and high < b:
                out += [(a, low), (high, b)]
            elif a < high and low < b and not (a < low and high < b) and (a, b) != (low, high):
                if low <= a and b <= high:
                    return None
                out.append((a, low) if a < low else (high, b))
            else:
                out.append((a, b))
        spans = out
    return spans


def _weeks(nth: tuple[int, ...]) -> set[int]:
    """The weeks of the month a selector can fall in: the last weekday is the 4th or 5th."""
    if not nth:
        return {1, 2, 3, 4, 5}
    return {w for n in nth for w in ((n,) if n > 0 else (4, 5))}
