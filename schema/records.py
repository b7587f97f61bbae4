"""What a scraper may emit: raw strings exactly as the source shows them.

No ids, no cleaning, no guessing. Everything that turns these strings into typed values lives in
`schema.normalise`, so a parser stays a list of selectors and a normaliser can be re-run over
archived records.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schema.listing import UpstreamProvenance

RawKind = Literal["group", "contact_centre", "organisation", "rare_condition"]


class Upstream(UpstreamProvenance):
    """Where a federated record comes from: another publisher's release, as that release says,
    and the licence it gives the record."""

    id: str = Field(min_length=1, description="the upstream publisher's id of the record")
    licence: str | None = None


class HoursDay(BaseModel):
    """One entry of a file's structured hours, raw: a day as the file names it ("Montag",
    "tue"), from and to as given, and a note ("nach Vereinbarung", "appointment") or, without
    from/to, the day's value as text ("09:00–12:00")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: str
    opens: str | None = None
    closes: str | None = None
    note: str | None = None


class ScrapedRecord(BaseModel):
    """One entry of a source as scraped. All text fields are raw, possibly messy strings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_id: str
    source_key: str = Field(min_length=1, description="the source's own stable key")
    source_url: str
    fetched_at: datetime
    content_hash: str | None = Field(None, description="sha256 of the page the record came from")
    kind: RawKind = "group"

    name: str | None = None
    description: str | None = None
    carrier: str | None = Field(None, description="Träger as printed")
    address_text: str | None = None
    district: str | None = None
    phones_text: list[str] = Field(default_factory=list)
    emails_text: list[str] = Field(default_factory=list)
    web_text: list[str] = Field(default_factory=list)
    hours_text: str | None = None
    hours_days: list[HoursDay] = Field(
        default_factory=list, description="structured office hours of a file, per day")
    phone_hours_text: str | None = Field(None, description="phone hours as text")
    phone_hours_days: list[HoursDay] = Field(
        default_factory=list, description="structured phone hours of a file, per day")
    meeting_text: str | None = None
    topics: list[str] = Field(default_factory=list)
    contact_person: str | None = None
    accessibility_text: str | None = None
    online_text: str | None = Field(None, description='e.g. "Online-Treffen", "Forum"')

    # Organisations (NAKOS ROT/GRÜN): type, hierarchy and flags as printed.
    org_type: str | None = Field(None, description='e.g. "Selbsthilfekontaktstelle", "Außenstelle"')
    parent_key: str | None = Field(None, description="source key of a branch's main office")
    flags_text: list[str] = Field(default_factory=list,
                                  description='e.g. "Selbsthilfeorganisation", "Dachverband"')
    # Rare conditions (NAKOS BLAU): counts only, never a person.
    contact_count_text: str | None = Field(None, description="number of contacts as printed")
    # Place and presence (the file importer): "lat,lon", a map link, social-media links, and
    # the date the source gives for its data ("Stand").
    coordinates_text: str | None = Field(None, description='"51.54,7.22" as given')
    map_url: str | None = Field(None, description="an OpenStreetMap / Google Maps … link")
    social_text: list[str] = Field(default_factory=list)
    as_of_text: str | None = Field(None, description='"Stand: 01.03.2026" as given')
    # What the scraper or importer noticed while reading (a value found in the wrong column…).
    notes: list[str] = Field(default_factory=list)
    # Federation: the record as another publisher released it (ids and provenance kept).
    upstream: Upstream | None = None
