"""The polite HTTP client every source uses, live or offline.

One code path for both: a live run talks to the network through httpx's own transport, an
offline run swaps in `WarcReplayTransport`, and tests point a real origin at a server on
127.0.0.1 with `RewriteTransport`. Everything above the transport (robots.txt, rate limit,
retries, size limit, conditional GET, charset, WARC archiving) is shared.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from scrapers.bases.base import Page
from scrapers.errors import (
    AlreadyFetched,
    FetchError,
    ResponseTooLarge,
    RobotsDisallowed,
    TruncatedPage,
)
from scrapers.fetch.cache import ConditionalCache
from scrapers.fetch.crawl import CrawlBudget, canonical_url, origin_of, unfetchable
from scrapers.fetch.decoding import MAX_BYTES, SUPPORTED, BoundedDecoder, content_codings, decode
from scrapers.fetch.pacing import HostGate, host_gate, retry_after, slot_wait
from scrapers.fetch.probe import ProbeJob, ProbeKey, probe_pages, release
from scrapers.fetch.transport import (
    RewriteTransport,
    classify_transport_error,
    shared_ssl_context,
)
from scrapers.fetch.warc import WarcArchive

USER_AGENT = (
    "selbsthilfe-atlas/0.1 (+https://github.com/selbsthilfe-atlas/selbsthilfe-atlas; "
    "open-data crawler for German self-help directories)"
)
_RETRY_STATUS = {429, 500, 502, 503, 504}
_REDIRECT_STATUS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class ClientSettings:
    user_agent: str = USER_AGENT
    #: Requests per second per host; None disables the limit (replay from WARC).
    rate_per_host: float | None = 1.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    #: Whole-request budget, so a slow drip of bytes cannot hold a source forever.
    total_timeout: float = 60.0
    #: Decoded bytes per body, however many bytes came over the wire.
    max_bytes: int = MAX_BYTES
    retries: int = 3
    backoff: float = 0.5
    #: A Retry-After longer than this is not waited for: the request fails instead.
    max_retry_after: float = 60.0
    max_redirects: int = 5
    respect_robots: bool = True

    def with_rate(self, rate_per_host: float | None) -> ClientSettings:
        """These limits at another rate: the rate belongs to the source, the rest to the run."""
        return replace(self, rate_per_host=rate_per_host)


@dataclass
class FetchStats:
    requests: int = 0
    not_modified: int = 0
    retries: int = 0


class PoliteClient:
    """`async with PoliteClient(...) as c: page = await c.get(url)`: a `Page` for a 2xx or a
    cached 304, else a SourceError with its failure class. URLs are asked for in canonical form;
    with a `budget` (one source's run) each page once, and one too many is CrawlBudgetExceeded."""

    def __init__(
        self,
        settings: ClientSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        archive: WarcArchive | None = None,
        cache: ConditionalCache | None = None,
        budget: CrawlBudget | None = None,
    ):
        self.settings = settings or ClientSettings()
        self.archive = archive
        self.cache = cache
        self.budget = budget
        #: Canonical URLs asked for (by `get` or `revalidate`), counted against the budget.
        self._pages: set[str] = set()
        #: Canonical URLs `get` has fetched: with a budget, never again in this run.
        self._got: set[str] = set()
        self.stats = FetchStats()
        s = self.settings
        self._http = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": s.user_agent, "Accept-Language": "de,en;q=0.5",
                     "Accept-Encoding": ", ".join(SUPPORTED)},
            timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
            follow_redirects=False, verify=shared_ssl_context(),
        )
        self._robots: dict[str, Protego | None] = {}
        #: Origins whose robots.txt answered 5xx, with that status: nothing may be fetched.
        self._robots_down: dict[str, int] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._gates: dict[str, HostGate] = {}
        #: Cheap conditional GETs for `revalidate` (`scrapers.fetch.probe`), where requests go
        #: straight to the network or through a rewrite map (not a replay).
        self._probe_key: ProbeKey | None = None
        if cache is not None and (transport is None or isinstance(transport, RewriteTransport)):
            rewrite = (tuple(sorted(transport.mapping.items()))
                       if isinstance(transport, RewriteTransport) else None)
            self._probe_key = (s.user_agent, s.total_timeout, rewrite)
        #: Origins probed, whose connections are closed at the end.
        self._probed: set[str] = set()
        #: Answers `revalidate` got, served once to a later `get` of the same URL.
        self._answered: dict[str, tuple[str, httpx.Response, bytes] | Exception] = {}

    async def __aenter__(self) -> PoliteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
        if self._probed and (closing := release(self._probe_key, sorted(self._probed))):
            await asyncio.wrap_future(closing)
        if self.cache is not None:
            self.cache.save()

    # -- public ---------------------------------------------------------------------------

    @property
    def pages(self) -> int:
        """Distinct pages asked for so far: what the page budget counts."""
        return len(self._pages)

    async def get(self, url: str) -> Page:
        url = canonical_url(url)
        if self.budget is not None:  # one source's run: each page once
            if url in self._got:
                raise AlreadyFetched("already fetched in this run", url=url)
            self._got.add(url)
        self._count(url)
        answered = self._answered.pop(url, None)
        if isinstance(answered, Exception):  # failed a moment ago: not asked again
            raise answered
        if answered is not None:  # revalidated a moment ago: no second request
            return self._to_page(*answered, counted=True)
        url, response, content = await self._follow(url, robots=True)
        return self._to_page(url, response, content)

    async def revalidate(self, url: str, *, cheap: bool = True) -> tuple[int, str | None]:
        """The status and SHA-256 of what `url` serves now, as cheaply as the cache allows
        (with `cheap`, the probe); the answer is kept for a `get` that follows, asking once."""
        url = canonical_url(url)
        self._count(url)
        if cheap and self._probe_key is not None and (validators :=
                                                      self._conditional_headers(url)):
            await self._check_robots(url)
            self._probed.add(origin_of(url))
            job = (url, validators, slot_wait(self._slot(url)))
            [(status, digest)] = await self._probe([job], 1)
            if isinstance(status, Exception):
                raise status
            return status, digest
        try:
            final, response, content = await self._follow(url, robots=True)
        except Exception as exc:
            self._answered[url] = exc
            raise
        self._answered[url] = (final, response, content)
        status = response.status_code
        if status == 304:
            digest = self.cache.digest(final) if self.cache is not None else None
            if digest is not None:
                self.stats.not_modified += 1
            return status, digest
        if status != 200 or final != url:
            return status, None
        return status, hashlib.sha256(content).hexdigest()

    async def revalidate_many(self, urls: list[str], *, chunk: int = 1
                              ) -> list[tuple[int | None, str | None]] | None:
        """`revalidate` through the probe, `chunk` at a time up to the first non-304 (status
        None: no answer, or robots.txt forbids); None when the probe cannot ask them all."""
        if self._probe_key is None:
            return None
        jobs, gates = [], {}
        urls = [canonical_url(url) for url in urls]
        for url in urls:
            if not (validators := self._conditional_headers(url)):
                return None
            try:
                await self._check_robots(url)
            except (FetchError, RobotsDisallowed):
                break
            self._count(url)
            origin = origin_of(url)
            if origin not in gates:
                gates[origin] = self._slot(url)
            jobs.append((url, validators, slot_wait(gates[origin])))
        self._probed.update(gates)
        answers = [(None if isinstance(status, Exception) else status, digest)
                   for status, digest in await self._probe(jobs, chunk)]
        if len(jobs) < len(urls) and len(answers) == len(jobs):  # robots.txt said no
            answers.append((None, None))
        return answers

    async def _probe(self, jobs: list[ProbeJob], chunk: int
                     ) -> list[tuple[int | Exception, str | None]]:
        """Ask on the probe loop (`scrapers.fetch.probe.probe_pages`); count the requests and keep
        each 304 whose body is cached for the `get` that may follow."""
        statuses = await asyncio.wrap_future(probe_pages(
            self._probe_key, jobs, chunk=chunk, ssl_context=shared_ssl_context()))
        self.stats.requests += len(statuses)
        answers: list[tuple[int | Exception, str | None]] = []
        for (url, _validators, _gate), status in zip(jobs, statuses, strict=False):
            digest = self.cache.digest(url) if status == 304 else None
            if digest is not None:
                self.stats.not_modified += 1  # a scrape that follows reads the cached body
                self._answered[url] = (url, _NOT_MODIFIED, b"")
            answers.append((status, digest))
        return answers

    async def _follow(self, url: str, *, robots: bool) -> tuple[str, httpx.Response, bytes]:
        """GET with redirects followed here, so that every hop passes robots.txt (when
        `robots`) and the rate limit; returns the final URL and answer."""
        for _hop in range(self.settings.max_redirects + 1):
            if why := unfetchable(url):
                raise FetchError(f"not a fetchable URL: {why}", url=url,
                                 failure_class="http_error")
            if robots:
                await self._check_robots(url)
            headers = self._conditional_headers(url) if robots else {}
            response, content = await self._send(url, headers)
            if response.status_code in _REDIRECT_STATUS and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            return url, response, content
        raise FetchError("too many redirects", url=url, failure_class="http_error")

    # -- internals ------------------------------------------------------------------------

    def _count(self, url: str) -> None:
        """Count the page `url` (canonical) against the budget, once."""
        if url in self._pages:
            return
        budget = self.budget
        if budget is not None and budget.max_pages is not None and \
                len(self._pages) >= budget.max_pages:
            raise budget.over_pages(len(self._pages), url)
        self._pages.add(url)

    def _conditional_headers(self, url: str) -> dict[str, str]:
        return self.cache.validators(url) if self.cache is not None else {}

    def _to_page(self, url: str, response: httpx.Response, content: bytes, *,
                 counted: bool = False) -> Page:
        """`counted`: a 304 that `revalidate` has counted already."""
        status = response.status_code
        content_type = response.headers.get("content-type")
        not_modified = False
        if status == 304:
            cached = self.cache.body(url) if self.cache is not None else None
            if cached is None:
                raise FetchError("304 without a cached body", url=url, failure_class="http_error")
            content, content_type = cached
            not_modified = True
            if not counted:
                self.stats.not_modified += 1
        elif status >= 400:
            raise FetchError(f"HTTP {status}", url=url, failure_class="http_error",
                             status=status)
        if _truncated_html(content, content_type):
            raise TruncatedPage(f"truncated HTML: {len(content)} bytes end before </body> "
                                "and </html>", url=url)
        if self.cache is not None and not not_modified:
            self.cache.store(url, response, content)
        text, encoding = decode(content, content_type)
        fetched = response.extensions.get("warc_date") or datetime.now(UTC)
        return Page(
            url=url, status=status, content=content, text=text, encoding=encoding,
            fetched_at=fetched, headers=dict(response.headers), not_modified=not_modified,
            warc_file=response.extensions.get("warc_file")
            or (self.archive.path.name if self.archive is not None else None),
        )

    async def _send(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """One GET with retries on timeouts, resets, 429 and 5xx (Retry-After honoured)."""
        s = self.settings
        for attempt in range(s.retries + 1):
            if (gate := self._slot(url)) is not None:
                await gate.wait()
            self.stats.requests += 1
            try:
                # asyncio.timeout, not wait_for: 3.11's wait_for can swallow the cancel of an
                # enclosing budget when the read finishes at the same moment
                async with asyncio.timeout(s.total_timeout):
                    response, content = await self._read(url, headers)
            except (TimeoutError, httpx.TransportError) as exc:
                cls = ("timeout" if isinstance(exc, TimeoutError)
                       else classify_transport_error(exc))
                if cls in ("dns", "refused") or attempt == s.retries:
                    raise FetchError(f"{cls}: {self._why(exc)}", url=url,
                                     failure_class=cls) from exc
                await self._backoff(attempt, None)
                continue
            if response.status_code in _RETRY_STATUS and attempt < s.retries:
                delay = retry_after(response)
                if delay is not None and delay > s.max_retry_after:
                    raise FetchError(f"HTTP {response.status_code}, Retry-After {delay:.0f}s "
                                     f"exceeds {s.max_retry_after:.0f}s", url=url,
                                     failure_class="http_error")
                await self._backoff(attempt, delay)
                continue
            return response, content
        raise AssertionError("unreachable")

    def _why(self, exc: BaseException) -> str:
        """A transport failure in words. httpx's timeouts and resets often carry no message
        (and an exception is always truthy), so name the limit hit or the underlying error."""
        s = self.settings
        if isinstance(exc, TimeoutError):  # asyncio.timeout: the whole-request budget
            return f"no complete answer within {s.total_timeout:g} s"
        if isinstance(exc, httpx.ReadTimeout):
            return f"no data for {s.read_timeout:g} s"
        if isinstance(exc, httpx.ConnectTimeout):
            return f"no connection within {s.connect_timeout:g} s"
        cause: BaseException | None = exc
        while cause is not None and not str(cause):
            cause = cause.__cause__ or cause.__context__
        return f"{type(exc).__name__}: {cause}" if cause is not None else type(exc).__name__

    async def _read(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, bytes]:
        """The answer and its body, read raw and decoded here so the limit counts decoded
        bytes as they come out, whatever the compression ratio (`scrapers.fetch.decoding`)."""
        limit = self.settings.max_bytes
        async with self._http.stream("GET", url, headers=headers) as response:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise ResponseTooLarge(f"body of {declared} bytes exceeds {limit}", url=url)
            if response.is_stream_consumed:  # built whole by its transport (a replay)
                content = b"".join(BoundedDecoder([], limit, url=url).decode(response.content))
            else:
                decoder = BoundedDecoder(
                    content_codings(response.headers.get_list("content-encoding")), limit,
                    url=url)
                chunks = [out async for raw in response.aiter_raw() for out in decoder.decode(raw)]
                content = b"".join([*chunks, *decoder.finish()])
        if self.archive is not None:
            self.archive.write_exchange(url, response, content)
        return response, content

    async def _backoff(self, attempt: int, asked: float | None) -> None:
        """Wait what the server asked for (Retry-After), else exponentially with jitter."""
        self.stats.retries += 1
        delay = asked if asked is not None else self.settings.backoff * 2**attempt
        await asyncio.sleep(delay * (1 if asked is not None else random.uniform(0.8, 1.2)))

    def _slot(self, url: str) -> HostGate | None:
        """The gate `url` waits at (None: no rate limit)."""
        rate = self.settings.rate_per_host
        if not rate:
            return None
        host = urlsplit(url).netloc.lower()  # WWW.nakos.de is www.nakos.de
        # robots.txt itself passes the gate before it is parsed: its Crawl-delay is looked up
        # on every request, and a longer one replaces the gate from then on
        robots = self._robots.get(origin_of(url))
        delay = robots.crawl_delay(self.settings.user_agent) if robots else None
        interval = max(1.0 / rate, float(delay or 0))
        gate = self._gates.get(host)
        if gate is None or gate.interval < interval:
            gate = self._gates[host] = host_gate(host, interval)
        return gate

    async def _check_robots(self, url: str) -> None:
        if not self.settings.respect_robots:
            return
        origin = origin_of(url)
        if origin not in self._robots:  # read once; every later page only asks the parser
            async with self._robots_locks.setdefault(origin, asyncio.Lock()):
                if origin not in self._robots:
                    self._robots[origin] = await self._load_robots(origin)
        if (down := self._robots_down.get(origin)) is not None:
            raise FetchError(f"{origin}/robots.txt answered HTTP {down}: nothing may be fetched "
                             "until it can be read (RFC 9309)", url=url,
                             failure_class="http_error")
        parser = self._robots[origin]
        if parser is not None and not parser.can_fetch(url, self.settings.user_agent):
            raise RobotsDisallowed("robots.txt forbids this URL", url=url)

    async def _load_robots(self, origin: str) -> Protego | None:
        """RFC 9309: 4xx means no rules; 5xx (after retries) means everything is forbidden,
        reported as the server error it is, not as a rule of the site."""
        _url, response, content = await self._follow(origin + "/robots.txt", robots=False)
        if 400 <= response.status_code < 500:
            return None
        if response.status_code >= 500:
            self._robots_down[origin] = response.status_code
            return Protego.parse("User-agent: *\nDisallow: /")
        return Protego.parse(decode(content, response.headers.get("content-type"))[0])


_HTML_START = re.compile(rb"<html[\s>]", re.IGNORECASE)
_HTML_END = re.compile(rb"</(?:body|html)\s*>", re.IGNORECASE)


def _truncated_html(content: bytes, content_type: str | None) -> bool:
    """HTML that opens <html> but closes neither <body> nor <html>, cut off behind intact
    HTTP framing: a list page cut before its last groups would read as those groups closing."""
    if content_type and content_type.split(";")[0].strip().lower() not in (
            "text/html", "application/xhtml+xml"):
        return False
    return bool(_HTML_START.search(content[:4096])) and not _HTML_END.search(content)


#: What a probed 304 is kept as for the `get` that may follow (read, never changed).
_NOT_MODIFIED = httpx.Response(304)

