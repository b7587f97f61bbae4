"""Federation: import another publisher's release through the same polite client.

Two formats: another selbsthilfe-atlas instance (`latest.json` -> `listings.json`) and an Open
Referral HSDS 3.0 JSON publisher (a service list, paged as HSDS's API pages it). Upstream ids
and provenance travel in `ScrapedRecord.upstream`; the normaliser keeps the upstream id as the
listing id, so a regional and a state-level release name each group alike.
"""

import json
from typing import Any, Literal
from urllib.parse import urljoin

from schema.records import RawKind, ScrapedRecord, Upstream
from scrapers.base import Fetcher, ParseFailure, ScrapeResult
from scrapers.errors import EmptyScrape, SiteChanged
from scrapers.page import Page

ReleaseFormat = Literal["atlas", "hsds"]
_MAX_PAGES = 1000  # an HSDS publisher that pages forever is a broken publisher


async def import_release(source_id: str, url: str, fetch: Fetcher, *,
                         fmt: ReleaseFormat = "atlas", kind: RawKind = "group") -> ScrapeResult:
    result = ScrapeResult()
    if fmt == "atlas":
        await _atlas(source_id, url, fetch, result)
    else:
        await _hsds(source_id, url, fetch, kind, result)
    if not result.records and not result.failures:
        raise EmptyScrape(f"{source_id}: the release at {url} holds no records", url=url)
    return result


def _json(page: Page) -> Any:
    try:
        return json.loads(page.text)
    except json.JSONDecodeError as exc:
        raise SiteChanged(f"not JSON: {exc}", url=page.url) from exc


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(" | ") if v.strip()]


async def _atlas(source_id: str, url: str, fetch: Fetcher, result: ScrapeResult) -> None:
    latest = await fetch.get(url)
    result.pages.append(latest.info())
    index = _json(latest)
    try:
        listings_url = urljoin(latest.url, index["files"]["listings.json"]["path"])
    except (KeyError, TypeError) as exc:
        raise SiteChanged("latest.json names no listings.json", url=latest.url) from exc
    page = await fetch.get(listings_url)
    result.pages.append(page.info())
    document = _json(page)
    for n, row in enumerate(document.get("listings", [])):
        try:
            result.records.append(_atlas_record(source_id, row, page, latest.url))
        except (KeyError, ValueError) as exc:
            result.failures.append(ParseFailure(url=f"{page.url}#{n}", reason=str(exc),
                                                field="id", raw=row))


def _atlas_record(source_id: str, row: dict, page: Page, release_url: str) -> ScrapedRecord:
    street = " ".join(filter(None, (row.get("street"), row.get("house_number"))))
    town = " ".join(filter(None, (row.get("postcode"), row.get("city"))))
    address = ", ".join(filter(None, (street, row.get("address_extra"), town)))
    return ScrapedRecord(
        source_id=source_id, source_key=row["id"], source_url=page.url,
        fetched_at=page.fetched_at, content_hash=page.sha256, kind=row["kind"],
        name=row.get("name"), description=row.get("description"), carrier=row.get("carrier"),
        address_text=address or None, district=row.get("district"),
        phones_text=_split(row.get("phones")), emails_text=_split(row.get("emails")),
        web_text=_split(row.get("websites")), hours_text=row.get("opening_hours_text"),
        meeting_text=row.get("meeting_text"), topics=_split(row.get("topics")),
        accessibility_text=row.get("accessibility"), org_type=row.get("org_type"),
        contact_count_text=None if row.get("contact_count") is None
        else str(row["contact_count"]),
        upstream=Upstream(
            id=row["id"], release_url=release_url, source_id=row.get("source_id"),
            source_key=row.get("source_key"), source_url=row.get("source_url"),
            fetched_at=row.get("fetched_at"), licence=row.get("licence"),
        ),
    )


async def _hsds(source_id: str, url: str, fetch: Fetcher, kind: RawKind,
                result: ScrapeResult) -> None:
    next_url: str | None = url
    for _ in range(_MAX_PAGES):
        if next_url is None:
            return
        page = await fetch.get(next_url)
        result.pages.append(page.info())
        data = _json(page)
        services = data if isinstance(data, list) else data.get("contents")
        if not isinstance(services, list):
            raise SiteChanged("neither a service list nor an HSDS page", url=page.url)
        for n, service in enumerate(services):
            try:
                result.records.append(_hsds_record(source_id, service, page, url, kind))
            except (KeyError, TypeError, ValueError) as exc:
                result.failures.append(ParseFailure(url=f"{page.url}#{n}", reason=str(exc),
                                                    field="id", raw=service))
        next_url = None
        if isinstance(data, dict) and not data.get("last_page", True):
            number = int(data.get("page_number", 1)) + 1
            next_url = urljoin(url, f"?page={number}")


def _hsds_record(source_id: str, service: dict, page: Page, release_url: str,
                 kind: RawKind) -> ScrapedRecord:
    locations = [sal.get("location") or {} for sal in service.get("service_at_locations") or []]
    address = next((a for loc in locations for a in loc.get("addresses") or []), None)
    address_text = None
    if address:
        street = ", ".join(filter(None, (address.get("address_1"), address.get("address_2"))))
        town = " ".join(filter(None, (address.get("postal_code"), address.get("city"))))
        address_text = ", ".join(filter(None, (street, town)))
    schedules = service.get("schedules") or []
    terms = [a.get("taxonomy_term", {}).get("name") for a in service.get("attributes") or []]
    return ScrapedRecord(
        source_id=source_id, source_key=service["id"], source_url=page.url,
        fetched_at=page.fetched_at, content_hash=page.sha256, kind=kind,
        name=service["name"], description=service.get("description"),
        carrier=(service.get("organization") or {}).get("name"), address_text=address_text,
        phones_text=[p["number"] for p in service.get("phones") or [] if p.get("number")],
        emails_text=[service["email"]] if service.get("email") else [],
        web_text=[service["url"]] if service.get("url") else [],
        meeting_text=next((s.get("description") for s in schedules if s.get("description")),
                          None),
        topics=[t for t in terms if t],
        upstream=Upstream(id=service["id"], release_url=release_url, source_url=page.url),
    )
