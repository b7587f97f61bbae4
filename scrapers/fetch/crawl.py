"""What one source's crawl may do in a run: each page asked for once, under one canonical URL,
and within a page and a time budget.

A site can link without end (a list page linking `?seite=N+1` forever, a calendar, a session
id in every link): without limits such a source holds the night, its memory grows, and the
next nights queue behind it. A source over budget fails as `crawl_budget`; its previous records
stay current, and the other sources go on.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from scrapers.errors import CrawlBudgetExceeded

#: Query parameters that name a visitor's session or a campaign, never a page.
SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "sid", "sessionid", "session_id",
                            "aspsessionid", "cfid", "cftoken"})
_TRACKING_PREFIXES = ("utm_",)
#: A session id as a path parameter (`/seite;jsessionid=ABC`).
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid|sessionid)=[^/;]*", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}

#: Pages of a source's first run (no accepted run to compare with): above the biggest
#: directories known (about 2,000 groups, each a page).
FIRST_RUN_PAGES = 5_000
#: Later runs: this many times the pages of the last accepted run, and at least `PAGE_FLOOR`.
PAGE_FACTOR = 3
PAGE_FLOOR = 200
#: Wall time of one source's run, unless its registry entry says `max_seconds`.
SOURCE_SECONDS = 2 * 3600.0
#: Wall time of a whole run's collection, unless the run says otherwise.
RUN_MINUTES = 6 * 60.0


def _session_param(field: str) -> bool:
    name = unquote(field.partition("=")[0]).strip().lower()
    return name in SESSION_PARAMS or name.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """`url` as one page is asked for once: no default port, fragment, session or campaign
    parameter; other query parameters kept in order. An unreadable URL comes back as is."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        netloc = parts.netloc.rpartition("@")[0] + "@" + netloc
    path = _PATH_SESSION.sub("", parts.path) or ("/" if netloc else "")
    query = "&".join(f for f in parts.query.split("&") if f and not _session_param(f))
    return urlunsplit((scheme, netloc, path, query, ""))


def unfetchable(url: str) -> str | None:
    """Why the client cannot ask for `url` (None: it can): only http(s) with a host that encodes
    and a valid port. A `mailto:` link or a broken host is the source's problem, not a crash."""
    try:
        parsed = httpx.URL(url)
        port = urlsplit(url).port  # raises on a broken IPv6 literal, which httpx lets through
        ok = parsed.scheme in ("http", "https") and bool(parsed.host) and port != 0
    except Exception as exc:  # httpx.InvalidURL, idna.IDNAError, UnicodeError, ValueError
        return f"{type(exc).__name__}: {exc}"
    return None if ok else "only http(s) with a host and a valid port"


def origin_of(url: str) -> str:
    """`scheme://netloc` of `url`, as written: what robots.txt, probes and gates are kept by."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page_budget(configured: int | None, last_pages: int | None) -> int:
    """Pages a source may fetch this run: its registry's `max_pages`, else `PAGE_FACTOR` times
    the pages of its last accepted run (at least `PAGE_FLOOR`), else `FIRST_RUN_PAGES`."""
    if configured is not None:
        return configured
    if not last_pages:
        return FIRST_RUN_PAGES
    return max(PAGE_FLOOR, PAGE_FACTOR * last_pages)


@dataclass(frozen=True)
class CrawlBudget:
    """The limits of one source's crawl in one run."""

    source_id: str
    #: Pages (distinct canonical URLs asked for); None: no limit.
    max_pages: int | None = None
    #: How `max_pages` was arrived at, for the failure reason.
    pages_rule: str = ""
    #: Wall time of the source's run, in seconds; None: no limit.
    max_seconds: float | None = None
    #: time.time() at which the run's collection must end; None: no limit.
    run_deadline: float | None = None
    #: The run's budget in minutes, for the failure reason.
    run_minutes: float | None = None

    def seconds_left(self, started: float) -> tuple[float | None, str]:
        """Seconds from `started` (time.time()) until the first time limit, and which it is."""
        limits = []
        if self.max_seconds is not None:
            limits.append((self.max_seconds, f"{self.max_seconds:g} s wall time per source"))
        if self.run_deadline is not None:
            limits.append((self.run_deadline - started,
                           f"the run's {self.run_minutes:g} min wall time"))
        if not limits:
            return None, ""
        return min(limits, key=lambda limit: limit[0])

    def over_pages(self, pages: int, url: str) -> CrawlBudgetExceeded:
        return CrawlBudgetExceeded(
            f"{self.source_id}: crawl budget of {self.max_pages} pages per run exhausted "
            f"({self.pages_rule}): {pages} pages fetched, the next was {url}", pages=pages)

    def before_start(self, which: str) -> CrawlBudgetExceeded:
        return CrawlBudgetExceeded(f"{self.source_id}: crawl budget of {which} exhausted "
                                   "before the source started", pages=0)

    def over_time(self, which: str, pages: int, started: float) -> CrawlBudgetExceeded:
        return CrawlBudgetExceeded(
            f"{self.source_id}: crawl budget of {which} exhausted after "
            f"{time.time() - started:.1f} s and {pages} pages", pages=pages)
