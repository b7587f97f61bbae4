"""The Scrapy peer: a spider over the synthetic Germany (`bench.germany`, served by
`bench.server`) reading the same pages and the same fields as our Herne (A–Z list + detail
pages) and Düsseldorf (topic pages, groups inline) scrapers, and item pipelines doing the
cleaning the way Scrapy projects do it (All the Places: whitespace, phone numbers through
phonenumbers, e-mails, one record per id).

Written as a Scrapy user would write it, with Scrapy's own stack (parsel/lxml selectors,
robots.txt middleware, per-host download slots, dupefilter); nothing of ours is imported, so
the figure is Scrapy's. Each site's host name resolves to the loopback server through Scrapy's
DNS cache, so URLs, Host headers, robots.txt and politeness slots are per site as on the web.
"""

from __future__ import annotations

import copy
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import phonenumbers
import scrapy
from lxml import html as lxml_html
from scrapy.exceptions import DropItem

#: Printed label -> item field: the labels our scrapers read (scrapers.bases.html.COMMON_LABELS
#: and the Herne/Düsseldorf extras) as far as the corpus prints them.
LABELS = {
    "themenbereich": "topics", "treffen": "meeting_text", "treffzeiten": "meeting_text",
    "treffpunkt": "address_text", "ort": "address_text", "anschrift": "address_text",
    "sprechstunde": "hours_text", "sprechzeiten": "hours_text", "öffnungszeiten": "hours_text",
    "ansprechpartner": "contact_person", "ansprechpartnerin": "contact_person",
    "kontakt": "contact_person", "telefon": "phones_text", "tel.": "phones_text",
    "mobil": "phones_text", "kontakttelefon": "phones_text", "telefax": "fax_text",
    "internet": "web_text", "homepage": "web_text", "träger": "carrier", "verband": "carrier",
}
LIST_FIELDS = frozenset({"topics", "phones_text", "web_text"})
AZ_LIST_PATH = "/Gesundheit/Selbsthilfe/Selbsthilfegruppen/"
TL_INDEX_PATH = "/gesundheit/selbsthilfe/gruppen/"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
POSTCODE_CITY = re.compile(r"^(\d{5})\s+(.+)$")
E164 = phonenumbers.PhoneNumberFormat.E164
STREET_NUMBER = re.compile(r"^(.+?)\s+(\d+\s?[a-zA-Z]?(?:-\d+)?)$")


def _lines(node: Any) -> list[str]:
    """Text of an lxml node, one entry per <br>-separated line, whitespace collapsed."""
    for br in node.iter("br"):
        br.tail = "\n" + (br.tail or "")
    return [" ".join(line.split()) for line in node.text_content().split("\n")
            if line.strip()]


def _strong_pairs(p: Any) -> list[tuple[str, Any]]:
    """`<p><strong>Label:</strong> value<br><strong>Other:</strong> …</p>` -> (label, a
    <span> holding the value's nodes) per <strong>."""
    pairs: list[tuple[str, Any]] = []
    for child in p:
        if child.tag == "strong":
            value = lxml_html.Element("span")
            value.text = (child.tail or "").lstrip(": ")
            pairs.append((child.text_content(), value))
        elif pairs:
            pairs[-1][1].append(copy.deepcopy(child))  # with its tail text
    return pairs


def labelled(block: Any) -> list[tuple[str, Any]]:
    """(label, value node) of every "Label: value" pair in a block: <dl>, <table> rows and
    <p><strong> labels."""
    pairs = [(dt.text_content(), dd) for dt in block.iter("dt")
             if (dd := dt.getnext()) is not None and dd.tag == "dd"]
    pairs += [(th.text_content(), td) for tr in block.iter("tr")
              if (th := tr.find("th")) is not None and (td := tr.find("td")) is not None]
    for p in block.iter("p"):
        pairs += _strong_pairs(p)
    return pairs


def cf_decode(hexed: str) -> str:
    key = int(hexed[:2], 16)
    return bytes(int(hexed[i:i + 2], 16) ^ key for i in range(2, len(hexed), 2)).decode()


def emails(block: Any) -> list[str]:
    """Addresses behind mailto links, Cloudflare's data-cfemail, "(at)" and TYPO3's
    "@remove-this." spellings."""
    found = [a.get("href")[7:] for a in block.iter("a")
             if (a.get("href") or "").startswith("mailto:")]
    found += [cf_decode(s.get("data-cfemail")) for s in block.iter("span")
              if s.get("data-cfemail")]
    text = block.text_content().replace("(at)", "@").replace("@remove-this.", "@")
    found += EMAIL.findall(text)
    return list(dict.fromkeys(e for e in found if "?" not in e))


def record(block: Any, url: str, **fixed: Any) -> dict[str, Any]:
    """One raw item from a group's or a centre's block: heading, labelled fields, e-mails."""
    heading = next(iter(block.xpath(".//h1|.//h2|.//h3")), None)
    item: dict[str, Any] = {"source_url": url, "name": heading.text_content() if
                            heading is not None else "", "emails": emails(block)}
    about = block.xpath(".//*[contains(@class,'beschreibung') or contains(@class,'intro') "
                        "or contains(@class,'ce-bodytext')]")
    item["description"] = about[0].text_content() if about else None
    for label, value in labelled(block):
        field = LABELS.get(" ".join(label.split()).rstrip(":").strip().lower())
        if field is None:
            continue
        lines = _lines(value)
        if field == "web_text":
            lines = [urljoin(url, a.get("href")) for a in value.iter("a") if a.get("href")]
        if field in LIST_FIELDS:
            item[field] = item.get(field, []) + lines
        elif lines:
            item.setdefault(field, "\n".join(lines))
    return item | fixed


class GermanySpider(scrapy.Spider):
    """Every site of the plan: A–Z sites (`az`) and topic-list sites (`tl`)."""

    name = "germany"

    def __init__(self, sites: list[dict], port: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.sites, self.port = sites, port

    def loopback(self, url: str) -> str:
        """The site's URL on the bench server's port (its host resolves to 127.0.0.1)."""
        parts = urlsplit(url)
        return f"http://{parts.hostname}:{self.port}{parts.path}"

    async def start(self):
        for site in self.sites:
            meta = {"site": site}
            start = self.loopback(site["start_url"])
            if site["platform"] == "az":
                yield scrapy.Request(start, self.parse_az_list, meta=meta)
            else:
                yield scrapy.Request(start, self.parse_tl_index, meta=meta)
            yield scrapy.Request(urljoin(start, "../"), self.parse_centre, meta=meta)

    def _tree(self, response: scrapy.http.Response) -> Any:
        return response.selector.root

    def parse_az_list(self, response):
        meta = response.meta
        for href in response.css("ul.az-liste a[href*='gruppe-']::attr(href)").getall():
            yield response.follow(href.split("#")[0], self.parse_az_detail, meta=meta)
        for href in response.css("nav.az-nav a[href], p.seitenhinweis a[href]")\
                .xpath("@href").getall():
            url = response.urljoin(href.split("#")[0]).removesuffix("index.html")
            yield scrapy.Request(url, self.parse_az_list, meta=meta)

    def parse_az_detail(self, response):
        main = response.selector.css("main")[0].root
        key = re.search(r"gruppe-(\d+)\.html", response.url).group(1)
        yield record(main, response.url, source_id=response.meta["site"]["source_id"],
                     source_key=key, kind="group")

    def parse_tl_index(self, response):
        for link in response.css("div.frame-type-menu_subpages a[href]"):
            label = " ".join(link.xpath("string()").get().split())
            yield response.follow(link, self.parse_tl_topic,
                                  meta=response.meta | {"topic": label})

    def parse_tl_topic(self, response):
        sid = response.meta["site"]["source_id"]
        for block in response.css("div.frame-type-shg_gruppe[id]"):
            node = block.root
            key = node.get("id")[1:]
            item = record(node, f"{response.url}#c{key}", source_id=sid, source_key=key,
                          kind="group")
            item["topics"] = [response.meta["topic"]]
            yield item

    def parse_centre(self, response):
        main = response.selector.css("main")[0].root
        site = response.meta["site"]
        yield record(main, response.url, source_id=site["source_id"],
                     source_key=site["centre_key"], kind="contact_centre")


class CleanPipeline:
    """The cleaning step: whitespace, E.164 phone numbers (phonenumbers), lower-case e-mails,
    the address split into street, number, postcode and city, the real origin in the URL."""

    def __init__(self, port: int):
        self.port = f":{port}"

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getint("BENCH_PORT"))

    def process_item(self, item: dict) -> dict:
        if not (name := " ".join(item["name"].split())):
            raise DropItem(f"no name on {item['source_url']}")
        item["name"] = name
        item["source_url"] = item["source_url"].replace("http://", "https://", 1)\
            .replace(self.port, "", 1)
        if item.get("description"):
            item["description"] = " ".join(item["description"].split())
        numbers = "\n".join(item.pop("phones_text", []))
        item["phones"] = [phonenumbers.format_number(m.number, E164)
                          for m in phonenumbers.PhoneNumberMatcher(numbers, "DE")]
        item["emails"] = sorted({e.lower() for e in item["emails"]})
        item["address"] = address(item.pop("address_text", None))
        item["id"] = f"{item['source_id']}:{item['source_key']}"
        return item


def address(text: str | None) -> dict | None:
    if not text:
        return None
    lines = re.split(r"\n|,\s*", text)  # one line per <br>, or commas on one line
    found: dict[str, str | None] = {"original": text}
    for i, line in enumerate(lines):
        if m := POSTCODE_CITY.match(line):
            found |= {"postcode": m.group(1), "city": m.group(2)}
            if i and (street := STREET_NUMBER.match(lines[i - 1])):
                found |= {"street": street.group(1), "house_number": street.group(2)}
    return found


class MergePipeline:
    """One record per id: a group filed under several topics arrives once per topic page; its
    topics are merged into the first and the repeat is dropped. The records are written as
    JSON lines when the spider closes; the stats say how long that took (the bench's own
    writing, not Scrapy's work)."""

    def __init__(self, out: str, stats: Any):
        self.out, self.stats, self.items = Path(out), stats, {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("BENCH_OUT"), crawler.stats)

    def process_item(self, item: dict) -> dict:
        first = self.items.setdefault(item["id"], item)
        if first is not item:
            first["topics"] = list(dict.fromkeys(first.get("topics", []) + item["topics"]))
            raise DropItem(f"repeat of {item['id']}")
        return item

    def close_spider(self) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        with self.out.open("w", encoding="utf-8") as fh:
            for item in self.items.values():
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        self.stats.set_value("bench/write_wall_s", time.perf_counter() - wall)
        self.stats.set_value("bench/write_cpu_s", time.thread_time() - cpu)
