"""Federation: import another publisher's release through the same polite client.

Two formats: another selbsthilfe-atlas instance (`latest.json` -> `listings.json`) and an Open
Referral HSDS 3.0 JSON publisher (a service list, paged as HSDS's API pages it). Upstream ids
and provenance travel in `ScrapedRecord.upstream`; the upstream id is the record's source key,
so the listing id is the importing source's own (a release cannot reuse another source's ids).
An upstream is trusted with its data, not with where the crawler goes: `latest.json` may name
files on the release's own origin only. A row that does not read goes to quarantine alone.
"""

import json
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urljoin

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schema.records import RawKind, ScrapedRecord, Upstream
from scrapers.bases.base import Fetcher, Page, PageInfo, ParseFailure, ScrapeResult
from scrapers.errors import EmptyScrape, SiteChanged


class AtlasRow(BaseModel):
    """The columns of an atlas `listings.json` row this importer reads, typed as the release
    writes them (strict: a number where text belongs is a broken row, not a text)."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    id: str = Field(min_length=1)
    kind: RawKind
    name: str | None = None
    description: str | None = None
    carrier: str | None = None
    street: str | None = None
    house_number: str | None = None
    address_extra: str | None = None
    postcode: str | None = None
    city: str | None = None
    district: str | None = None
    phones: list[str] | str | None = None  # an array from format 0.3 on
    emails: list[str] | str | None = None  # an array from format 0.3 on
    websites: list[str] | str | None = None  # an array from format 0.3 on
    opening_hours_text: str | None = None
    phone_hours_text: str | None = None
    meeting_text: str | None = None
    topics: list[str] | str | None = None  # an array from format 0.3 on
    accessibility: str | None = None
    org_type: str | None = None
    contact_count: int | None = None
    source_id: str | None = None
    source_key: str | None = None
    source_url: str | None = None
    fetched_at: datetime | None = Field(None, strict=False)  # ISO text in JSON
    licence: str | None = None

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


def _split(value: list[str] | str | None) -> list[str]:
    """A list column: an array (format 0.3 on) or text joined with ' | ' (up to 0.2)."""
    items = value.split(" | ") if isinstance(value, str) else value or []
    return [v.strip() for v in items if v.strip()]


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) as httpx normalises them (case, default ports)."""
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port


def _same_origin(url: str, release_url: str, what: str) -> None:
    """Refuse `url` unless it is on the configured release URL's origin."""
    try:
        same = origin(url) == origin(release_url)
    except (httpx.InvalidURL, ValueError, UnicodeError):  # no origin at all: not ours
        same = False
    if not same:
        scheme, host, port = origin(release_url)
        home = f"{scheme}://{host}" + (f":{port}" if port else "")
        raise SiteChanged(f"{what} {url}, which is not on the release's origin {home}: "
                        f"refused")


async def _atlas(source_id: str, url: str, fetch: Fetcher, result: ScrapeResult) -> None:
    latest = await fetch.get(url)
    result.pages.append(latest.info())
    _same_origin(latest.url, url, "latest.json was answered from")
    index = _json(latest)
    try:
        path = index["files"]["listings.json"]["path"]
    except (KeyError, TypeError) as exc:
        raise SiteChanged("latest.json names no listings.json", url=latest.url) from exc
    if not isinstance(path, str) or not path:
        raise SiteChanged("latest.json: files.listings.json.path is not a path", url=latest.url)
    try:
        listings_url = urljoin(latest.url, path)
    except ValueError:  # e.g. a broken IPv6 host: no origin at all
        listings_url = path
    _same_origin(listings_url, url, "latest.json points to")
    page = await fetch.get(listings_url)
    info = page.info()
    result.pages.append(info)
    _same_origin(page.url, url, "listings.json was answered from")
    document = _json(page)
    del page  # body and text, freed before the rows become records
    rows = document.get("listings") if isinstance(document, dict) else None
    if not isinstance(rows, list):
        raise SiteChanged("listings.json holds no list `listings`", url=info.url)
    rows.reverse()  # popped from the end, each row is freed once it is a record
    for n in range(len(rows)):
        row = rows.pop()
        try:
            result.records.append(_atlas_record(source_id, row, info, latest.url))
        except ValidationError as exc:
            result.failures.append(_bad_row(info, n, row, exc))


def _atlas_record(source_id: str, raw: object, page: PageInfo, release_url: str
                  ) -> ScrapedRecord:
    row = AtlasRow.model_validate(raw)
    street = " ".join(filter(None, (row.street, row.house_number)))
    town = " ".join(filter(None, (row.postcode, row.city)))
    address = ", ".join(filter(None, (street, row.address_extra, town)))
    return ScrapedRecord(
        source_id=source_id, source_key=row.id, source_url=page.url,
        fetched_at=page.fetched_at, content_hash=page.sha256, kind=row.kind,
        name=row.name, description=row.description, carrier=row.carrier,
        address_text=address or None, district=row.district,
        phones_text=_split(row.phones), emails_text=_split(row.emails),
        web_text=_split(row.websites), hours_text=row.opening_hours_text,
        phone_hours_text=row.phone_hours_text,
        meeting_text=row.meeting_text, topics=_split(row.topics),
        accessibility_text=row.accessibility, org_type=row.org_type,
        contact_count_text=None if row.contact_count is None else str(row.contact_count),
        upstream=Upstream(
            id=row.id, release_url=release_url, source_id=row.source_id,
            source_key=row.source_key, source_url=row.source_url,
            fetched_at=row.fetched_at, licence=row.licence,
        ),
    )


_JSON_TYPES = {list: "an array", str: "a string", int: "a number", float: "a number",
               bool: "a boolean", type(None): "null"}


def _bad_row(page: Page | PageInfo, n: int, row: object, exc: Exception) -> ParseFailure:
    """A row that does not read, for quarantine: its key (the upstream id, when it has one,
    so its last good version stays current), the field and why."""
    key = row.get("id") if isinstance(row, dict) else None
    key = key if isinstance(key, str) and key else None
    field, why = "(record)", str(exc)
    if not isinstance(row, dict):
        why = f"not a JSON object but {_JSON_TYPES.get(type(row), type(row).__name__)}"
    elif isinstance(exc, ValidationError):
        err = exc.errors()[0]
        field = ".".join(map(str, err["loc"])) or "(record)"
        why = err["msg"] + (f" (got {err['input']!r})" if field != "(record)"
                            and len(repr(err.get("input"))) <= 60 else "")
    elif isinstance(exc, KeyError) and exc.args:
        field, why = str(exc.args[0]), "missing"
    return ParseFailure(url=f"{page.url}#{n}", field=field, key=key,
                        raw=row if isinstance(row, dict) else {"row": row},
                        reason=f"record {key or f'#{n}'}: field {field}: {why}")


async def _hsds(source_id: str, url: str, fetch: Fetcher, kind: RawKind,
                result: ScrapeResult) -> None:
    next_url = url
    for _ in range(_MAX_PAGES):
        page = await fetch.get(next_url)
        result.pages.append(page.info())
        data = _json(page)
        services = data if isinstance(data, list) else data.get("contents")
        if not isinstance(services, list):
            raise SiteChanged("neither a service list nor an HSDS page", url=page.url)
        for n, service in enumerate(services):
            try:
                result.records.append(_hsds_record(source_id, service, page, url, kind))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                result.failures.append(_bad_row(page, n, service, exc))
        if not isinstance(data, dict) or data.get("last_page", True):
            return
        next_url = urljoin(url, f"?page={int(data.get('page_number', 1)) + 1}")


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
