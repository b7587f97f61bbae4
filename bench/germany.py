"""A synthetic Germany: 350 directory sites with 100,000 groups, deterministic from a seed.

Sizes are skewed as in reality: a few big cities list 1,000–2,000 groups, a middle tier
400–900, most Kreise 100–300. Most sites are on the A–Z platform (Herne layout, `HerneScraper`),
about a fifth on the topic-list platform (Düsseldorf layout, `DuesseldorfScraper`). Each site
has its own host (`www.selbsthilfe-<town>.example`), town, area code and postcodes
(`bench.places`), robots.txt (some with a Crawl-delay), ETag and Last-Modified.

A `SiteModel` renders any page of its site on demand, so the live server (`bench.server`) needs
no files, and `write_warc` archives the very same bytes for the replay figure.

Each source id names its platform (`de-az-…`, `de-tl-…`): `install_scrapers` lets
`scrapers.registry.scraper_class` find a scraper for every one of them (a subclass of the
platform's scraper under that id), in this process and in pool workers alike.
"""

from __future__ import annotations

import email.utils
import hashlib
import importlib.abc
import importlib.machinery
import random
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from html import escape
from pathlib import Path

import httpx

from bench import corpus, pages, places, topicpages, vocab
from bench.pages import Group, Site
from schema.registry import Source
from scrapers.fetch.http import USER_AGENT
from scrapers.fetch.warc import WarcArchive
from scrapers.sources.duesseldorf import DuesseldorfScraper
from scrapers.sources.herne import HerneScraper

SOURCES, LISTINGS = 350, 100_000
LICENCE = "CC-BY-4.0"
#: The biggest cities first: they get the big directories.
BIG_CITIES = ("Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Düsseldorf",
              "Leipzig", "Dortmund", "Essen", "Bremen", "Dresden", "Hannover", "Nürnberg",
              "Duisburg", "Bochum", "Wuppertal", "Bielefeld", "Bonn", "Münster")
#: Every response's Last-Modified: the corpus does not change between two nights.
MODIFIED = "Mon, 16 Nov 2026 02:00:00 GMT"
#: A revised site (`SiteModel(revision=…)`): shares of its groups with a new meeting time, gone.
CHANGED, REMOVED = 0.03, 0.01
PLATFORMS = {"az": HerneScraper, "tl": DuesseldorfScraper}


@dataclass(frozen=True)
class SiteSpec:
    index: int
    source_id: str
    platform: str  # "az" (A–Z list + detail pages) or "tl" (topic pages, groups inline)
    city: vocab.City
    host: str
    groups: int
    crawl_delay: bool  # robots.txt asks for half the allowed rate

    @property
    def origin(self) -> str:
        return f"https://{self.host}"

    @property
    def start_url(self) -> str:
        path = pages.LIST_PATH if self.platform == "az" else topicpages.INDEX_PATH
        return self.origin + path

    @property
    def records(self) -> int:
        return self.groups + 1  # and the contact centre


def _slug(name: str) -> str:
    return corpus._slug(name) or "ort"


def sizes(count: int, total: int, rng: random.Random) -> list[int]:
    """`count` directory sizes summing to `total`, biggest first: about 2 % big cities
    (1,000–2,000, the first exactly 2,000), 12 % middle (400–900), the rest 100–300. Raises
    ValueError when the tiers cannot hold `total`."""
    big, middle = max(1, round(count * 0.023)), round(count * 0.12)
    small = count - big - middle
    bounds = [(2000, 2000)] + [(1000, 2000)] * (big - 1) + [(400, 900)] * middle
    bounds += [(100, 300)] * small
    if small < 0 or not sum(lo for lo, _ in bounds) <= total <= sum(hi for _, hi in bounds):
        raise ValueError(f"{total} listings do not fit {count} sources in the size tiers")
    drawn = [rng.randint(lo, hi) for lo, hi in bounds]
    diff = total - sum(drawn)
    while diff:  # one listing per source and pass, smallest tier first: spread evenly
        step = 1 if diff > 0 else -1
        for i in reversed(range(count)):
            lo, hi = bounds[i]
            if diff and lo <= drawn[i] + step <= hi:
                drawn[i] += step
                diff -= step
    return sorted(drawn, reverse=True)


def plan(seed: int = 1, sources: int = SOURCES, listings: int = LISTINGS) -> list[SiteSpec]:
    """The sites of a Germany of `sources` directories and `listings` groups in total. A plan
    the size tiers cannot hold (tests, a shrunken bench) spreads the groups evenly."""
    rng = random.Random(f"germany:{seed}")
    try:
        counts = sizes(sources, listings, rng)
    except ValueError:  # a shrunken Germany: spread evenly
        counts = [listings // sources + (i < listings % sources) for i in range(sources)]
    towns = places.pick(sources, seed, BIG_CITIES)
    specs, hosts = [], set()
    for i, (count, town) in enumerate(zip(counts, towns, strict=True)):
        slug = _slug(town.name)
        host = f"www.selbsthilfe-{slug}.example"
        n = 2
        while host in hosts:  # namesakes: "Neustadt" in five states
            host, n = f"www.selbsthilfe-{slug}-{n}.example", n + 1
        hosts.add(host)
        platform = "tl" if i % 5 == 2 else "az"
        sid = f"de-{platform}-" + host.removeprefix("www.selbsthilfe-").removesuffix(".example")
        specs.append(SiteSpec(i, sid, platform, town, host, count,
                              crawl_delay=count <= 200 and i % 7 == 3))
    return specs


def robots_txt(spec: SiteSpec, rate: float) -> str:
    """The site's robots.txt; a Crawl-delay site asks for half of `rate` (the bench's scaled
    per-host rate), so its floor is computed with that."""
    delay = f"Crawl-delay: {2 / rate:g}\n" if spec.crawl_delay else ""
    return pages.ROBOTS_TXT + delay


def allowed_rate(spec: SiteSpec, rate: float) -> float:
    return rate / 2 if spec.crawl_delay else rate


# --------------------------------------------------------------------------------- pages


class SiteModel:
    """Every page of one site, rendered on demand from the site's own random stream.

    `revision` > 0 is the site some nights later, for a night with changes: by a stream of its
    own, about `CHANGED` of the groups have a new meeting time and `REMOVED` are gone
    (`changed_keys`, `removed_keys`); everything else is the same bytes as revision 0."""

    def __init__(self, spec: SiteSpec, seed: int, revision: int = 0):
        self.spec = spec
        rng = random.Random(f"germany:{seed}:{spec.index}")
        city = spec.city
        self.site = Site(host=spec.host, city=city.name, postcode=rng.choice(city.postcodes),
                         centre_name=rng.choice(vocab.CENTRE_NAMES).format(city=city.name))
        phone = corpus.landline(rng, city.area_code)
        key = 1000 + rng.randrange(500) if spec.platform == "az" else 20000 + rng.randrange(900)
        self.groups: list[Group] = []
        for _ in range(spec.groups):
            key += rng.randint(1, 9)
            self.groups.append(corpus.make_group(rng, str(key), city, phone))
        self.centre = corpus.make_centre(rng, self.site, city, phone)
        self._rng_state = rng.getstate()
        self.changed_keys: list[str] = []
        self.removed_keys: list[str] = []
        #: Every group of revision 0: the random draws of the list and topic pages go over
        #: these, so a revision moves no other group to another list entry or topic.
        self._drawn = self.groups
        if revision:
            self._revise(random.Random(f"germany:{seed}:{spec.index}:r{revision}"), revision)
        self.by_key = {g.key: g for g in self.groups}

    def _revise(self, rng: random.Random, revision: int) -> None:
        kept = []
        for group in self.groups:
            roll = rng.random()
            if roll < REMOVED:
                self.removed_keys.append(group.key)
                continue
            if roll < REMOVED + CHANGED:  # the first row is the meeting time
                (label, _old), *rest = group.rows
                meeting = escape(f"neu ab {revision}. Dezember: {corpus.meeting_text(rng)}",
                                 quote=False)
                group = replace(group, rows=((label, meeting), *rest))
                self.changed_keys.append(group.key)
            kept.append(group)
        self.groups = kept

    @cached_property
    def _az_lists(self) -> dict[str, str]:
        rng = random.Random()
        rng.setstate(self._rng_state)
        count = len(self._drawn)
        refs = [(" – ".join(reversed(g.list_title.split(" – "))), g)
                for g in self._current(rng.sample(self._drawn, min(count, max(1, count // 50))))
                if " – " in g.list_title]
        return pages.list_pages(self.site, self.groups, refs)

    def _current(self, drawn: list[Group]) -> list[Group]:
        """`drawn` (groups of revision 0) as they are in this revision, the removed left out."""
        return [self.by_key[g.key] for g in drawn if g.key in self.by_key]

    @cached_property
    def topics(self) -> dict[str, tuple[topicpages.Topic, list[Group]]]:
        """slug -> (topic, its groups); 8 % of the groups are filed under a second topic."""
        rng = random.Random()
        rng.setstate(self._rng_state)
        labels = sorted({g.topic for g in self._drawn})
        by_label = {label: topicpages.Topic(_slug(label), label, rng.random() < 0.05)
                    for label in labels}
        filed: dict[str, list[Group]] = {label: [] for label in labels}
        for g in self._drawn:
            label = g.topic
            filed[label].append(g)
            if rng.random() < 0.08 and len(labels) > 1:
                other = rng.choice([x for x in labels if x != label])
                filed[other].append(g)
        return {by_label[label].slug: (by_label[label], groups) for label in labels
                if (groups := self._current(filed[label]))}

    def paths(self) -> Iterator[str]:
        """Every path the site serves, in a fixed order."""
        yield "/robots.txt"
        if self.spec.platform == "az":
            yield from (pages.LIST_PATH, pages.LIST_PATH + "index.html",
                        pages.LIST_PATH + "index-n-z.html")
            yield from (f"{pages.LIST_PATH}gruppe-{g.key}.html" for g in self.groups)
            yield pages.CENTRE_PATH
        else:
            yield topicpages.INDEX_PATH
            yield from (f"{topicpages.INDEX_PATH}{slug}/" for slug in self.topics)
            yield topicpages.CENTRE_PATH

    def page(self, path: str, rate: float) -> tuple[str, bytes] | None:
        """(content type, body) of `path`, or None (404)."""
        html = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return "text/plain; charset=utf-8", robots_txt(self.spec, rate).encode()
        if self.spec.platform == "az":
            return self._az_page(path, html)
        return self._topic_page(path, html)

    def _az_page(self, path: str, html: str) -> tuple[str, bytes] | None:
        if path in (pages.LIST_PATH, pages.LIST_PATH + "index.html"):
            return html, self._az_lists[""].encode()
        if path == pages.LIST_PATH + "index-n-z.html":
            return html, self._az_lists["index-n-z.html"].encode()
        if path == pages.CENTRE_PATH:
            return html, pages.centre_page(self.site, self.centre).encode()
        name = path.removeprefix(pages.LIST_PATH)
        if name.startswith("gruppe-") and name.endswith(".html"):
            group = self.by_key.get(name[7:-5])
            if group is None:
                return None
            body = pages.detail_page(self.site, group)
            if group.cp1252:  # older template: charset only in <meta>
                return "text/html", body.encode("cp1252", "xmlcharrefreplace")
            return html, body.encode()
        return None

    def _topic_page(self, path: str, html: str) -> tuple[str, bytes] | None:
        if path == topicpages.INDEX_PATH:
            return html, topicpages.index_page(
                self.site, [t for t, _ in self.topics.values()]).encode()
        if path == topicpages.CENTRE_PATH:
            return html, topicpages.centre_page(self.site, self.centre).encode()
        slug = path.removeprefix(topicpages.INDEX_PATH).rstrip("/")
        if (found := self.topics.get(slug)) is None or "/" in slug:
            return None
        topic, groups = found
        body = topicpages.topic_page(self.site, topic, groups)
        if topic.cp1252:
            return "text/html", body.encode("cp1252", "xmlcharrefreplace")
        return html, body.encode()


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


# ----------------------------------------------------------------------------------- WARC


def _response(url: str, content_type: str, body: bytes) -> httpx.Response:
    request = httpx.Request("GET", url, headers={"User-Agent": USER_AGENT,
                                                 "Accept-Language": "de,en;q=0.5"})
    return httpx.Response(200, request=request, content=body, headers={
        "Content-Type": content_type, "Date": corpus.HTTP_DATE, "Server": "Apache",
        "ETag": etag(body), "Last-Modified": MODIFIED})


def write_warc(spec: SiteSpec, seed: int, folder: Path, rate: float,
               revision: int = 0) -> tuple[int, int, SiteModel]:
    """`<folder>/<source id>.warc.gz` with every page of the site; (pages, body bytes, the
    site's model)."""
    model = SiteModel(spec, seed, revision)
    path = folder / f"{spec.source_id}.warc.gz"
    path.unlink(missing_ok=True)
    archive = WarcArchive(path)
    count = size = 0
    try:
        for p in model.paths():
            found = model.page(p, rate)
            assert found is not None, p
            content_type, body = found
            url = spec.origin + p
            archive.write_exchange(url, _response(url, content_type, body), body)
            count, size = count + 1, size + len(body)
    finally:
        archive.close()
    return count, size, model


# ---------------------------------------------------------------------- registry, scrapers


def registry_sources(specs: list[SiteSpec], rate: float = 1.0) -> list[Source]:
    """Registry entries of the sites; each may fetch twice its pages and more, so that a
    shrunken Germany of a few huge sites is measured, not cut by the crawl budget."""
    return [Source(id=s.source_id, name=f"Selbsthilfegruppen {s.city.name} (Bench)",
                   publisher=f"Selbsthilfe-Kontaktstelle {s.city.name}", kind="html",
                   start_urls=[s.start_url], licence=LICENCE, policy="open",
                   rate_per_second=min(rate, 20), min_records=1,
                   max_pages=2 * s.records + 1_000) for s in specs]


def scraper_for(source_id: str) -> type:
    """The platform scraper under `source_id` (the id ends up in every record)."""
    platform = source_id.split("-")[1]
    base = PLATFORMS[platform]
    name = "Germany_" + source_id.replace("-", "_")
    return type(name, (base,), {"source_id": source_id, "__module__": _module(source_id)})


def _module(source_id: str) -> str:
    return "scrapers.sources." + source_id.replace("-", "_")


class _ScraperFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes `scrapers.sources.de_az_<town>` importable: a module holding `scraper_for(<id>)`."""

    def find_spec(self, fullname, path, target=None):
        if fullname.startswith(("scrapers.sources.de_az_", "scrapers.sources.de_tl_")):
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        sid = module.__name__.removeprefix("scrapers.sources.").replace("_", "-")
        module.Scraper = scraper_for(sid)


def install_scrapers() -> None:
    """Idempotent; also run in every pool worker that imports this module."""
    if not any(isinstance(f, _ScraperFinder) for f in sys.meta_path):
        sys.meta_path.append(_ScraperFinder())


install_scrapers()


def http_date() -> str:
    return email.utils.formatdate(usegmt=True)
