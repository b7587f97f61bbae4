"""Writing a week as a canonical OSM `opening_hours` value, checked by opening-hours-py."""

import opening_hours as _oh

from schema.normalise.hours.read import Week
from schema.normalise.hours.words import HOLIDAY, OSM_DAYS


def write_week(week: Week) -> str:
    """Canonical OSM: one rule per distinct set of times, in week order; "PH off" last."""
    by_times: dict[tuple[tuple[int, int], ...], list[tuple[int, tuple[int, ...]]]] = {}
    for day in sorted(week, key=lambda d: (d[0], bool(d[1]), [(n < 0, n) for n in d[1]])):
        if week[day]:
            by_times.setdefault(tuple(week[day]), []).append(day)
    rules = []
    for times, days in by_times.items():
        weekly = [d for d, nth in days if not nth]
        monthly = [f"{OSM_DAYS[d]}[{','.join(map(str, nth))}]" for d, nth in days if nth]
        selector = ",".join([*_day_ranges(weekly), *monthly])
        rules.append(f"{selector} {','.join(f'{_hhmm(a)}-{_hhmm(b)}' for a, b in times)}")
    if week.get((HOLIDAY, ())) == []:
        rules.append("PH off")
    return "; ".join(rules)


def _day_ranges(days: list[int]) -> list[str]:
    """[0, 1, 2, 3, 4, 6] -> ["Mo-Fr", "Su"]; two neighbours stay a list ("Mo,Tu"); a public
    holiday never joins a range."""
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1 and d < HOLIDAY:
            runs[-1].append(d)
        else:
            runs.append([d])
    out: list[str] = []
    for run in runs:
        if len(run) >= 3:
            out.append(f"{OSM_DAYS[run[0]]}-{OSM_DAYS[run[-1]]}")
        else:
            out += [OSM_DAYS[d] for d in run]
    return out


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def validated(value: str) -> str | None:
    """The value when opening-hours-py parses it, else None (never raises)."""
    try:
        _oh.OpeningHours(value)
    except Exception:  # the library's ParserError and anything else it may raise
        return None
    return value
