"""The canonical, typed, normalised record: what the warehouse stores and releases publish.

Every normalised value keeps the original text beside it (`original`), so a researcher can always
see what the source said. The shape maps onto Open Referral HSDS 3.0 (organization, service,
location, address, phone, schedule, taxonomy) without a rewrite.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Kind(StrEnum):
    group = "group"
    contact_centre = "contact_centre"
    organisation = "organisation"
    rare_condition = "rare_condition"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


PhoneType = Literal["landline", "mobile", "fax", "switchboard", "unknown"]


OrgFlag = Literal["self_help_organisation", "umbrella", "anonymous", "forum", "institution"]


class Phone(_Model):
    e164: str | None = Field(None, description="E.164 form, None when it could not be parsed")
    extension: str | None = None
    type: PhoneType = "unknown"
    original: str
    valid: bool = False
    personal: bool = Field(False, description="a private person's number: never published")


class EmailAddress(_Model):
    address: str | None = Field(None, description="validated address; None when invalid")
    original: str
    valid: bool = False
    personal: bool = Field(False, description="a private person's address: never published")


class Website(_Model):
    url: str | None = Field(None, description="absolute http(s) URL; None when invalid")
    original: str
    valid: bool = False


SocialPlatform = Literal["facebook", "instagram", "x", "mastodon", "bluesky", "threads",
                         "youtube", "tiktok", "linkedin", "xing", "telegram", "whatsapp",
                         "pinterest", "other"]


class SocialLink(_Model):
    """A social-media presence, kept apart from web sites and typed by platform."""

    platform: SocialPlatform
    url: str | None = Field(None, description="absolute https URL; None when invalid")
    original: str
    valid: bool = False
    personal: bool = Field(False, description="a private person's profile: never published")


class Address(_Model):
    street: str | None = None
    house_number: str | None = None
    extra: str | None = Field(None, description='"Geb. E", "c/o …", "2. OG" kept apart')
    postcode: str | None = None
    city: str | None = None
    district: str | None = None
    state: str | None = Field(None, description="Bundesland")
    country: str = "DE"
    original: str | None = None
    notes: list[str] = Field(default_factory=list,
                             description='repairs and doubts, e.g. "postcode taken from city"')


class Coordinates(_Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class OpeningHours(_Model):
    osm: str | None = Field(None, description="OpenStreetMap opening_hours syntax, when confident")
    original: str
    by_appointment: bool = Field(False, description='"nach Vereinbarung" is offered')


class Schedule(_Model):
    """A meeting rhythm in HSDS 3.0 schedule terms (RFC 5545 RRULE parts), only when the text
    was understood with confidence."""

    freq: Literal["WEEKLY", "MONTHLY", "YEARLY"]
    interval: int = Field(1, ge=1, description="every n-th week/month: 14-tägig is WEEKLY, 2")
    byday: list[str] = Field(default_factory=list,
                             description='RRULE BYDAY with ordinals: "WE", "2WE", "-1FR"')
    opens_at: str | None = Field(None, pattern=r"^\d{2}:\d{2}$")
    closes_at: str | None = Field(None, pattern=r"^\d{2}:\d{2}$")
    timezone: str = "Europe/Berlin"


class Meeting(_Model):
    """A group's meeting rhythm: the text as published, and a schedule when understood."""

    original: str
    on_request: bool = Field(False, description="place/time only on request")
    schedule: Schedule | None = None


Area = Literal["chronic_illness", "addiction", "mental_health", "disability",
               "family_life", "rare_condition", "other"]
Audience = Literal["affected", "relatives", "parents"]


class Topic(_Model):
    code: str | None = Field(None, description="controlled code, None when not mapped")
    label: str = Field(description="the source's own label")
    preferred: str | None = Field(None, description="the taxonomy's preferred label")
    area: Area | None = None
    audience: Audience | None = Field(None, description="Betroffene, Angehörige, Eltern")


class UpstreamProvenance(_Model):
    """A federated listing's origin: the upstream release and that release's own provenance."""

    id: str
    release_url: str = Field(description="URL of the upstream release document")
    source_id: str | None = None
    source_key: str | None = None
    source_url: str | None = None
    fetched_at: datetime | None = None


class Provenance(_Model):
    source_url: str
    fetched_at: datetime
    content_hash: str | None = None
    as_of: date | None = Field(None, description="the date the source gives for its data "
                                                  "(a file's or record's \"Stand\")")
    upstream: UpstreamProvenance | None = None


class Listing(_Model):
    id: UUID
    source_id: str
    source_key: str
    kind: Kind
    name: str = Field(min_length=1)
    description: str | None = None
    topics: list[Topic] = Field(default_factory=list)
    carrier: str | None = None
    address: Address | None = None
    coordinates: Coordinates | None = None
    phones: list[Phone] = Field(default_factory=list)
    emails: list[EmailAddress] = Field(default_factory=list)
    websites: list[Website] = Field(default_factory=list)
    social_links: list[SocialLink] = Field(
        default_factory=list, description="social-media links: platform, URL, original, valid, "
                                          "personal")
    opening_hours: OpeningHours | None = None
    phone_hours: OpeningHours | None = Field(
        None, description="phone hours (times to call), never office hours: OpenStreetMap "
                          "syntax when understood, original text")
    meeting: Meeting | None = None
    accessibility: str | None = None
    online: bool | None = None
    org_type: str | None = Field(None, description="organisation type as the source names it")
    parent_id: UUID | None = Field(None, description="id of the parent listing (branches)")
    org_flags: list[OrgFlag] = Field(default_factory=list)
    contact_count: int | None = Field(None, ge=0, description="rare conditions: contacts known")
    contact_route: str | None = Field(
        None, description='how to reach the group through an institution ("über das BüZ")')
    contact_person: str | None = Field(None, description="personal data: never published")
    personal_fields: list[str] = Field(
        default_factory=list, description="fields that hold data about a private person"
    )
    flags: list[str] = Field(default_factory=list, description=(
        'quality flags, "code" or "code:detail": codes of schema.normalise.flags (repaired, '
        "doubtful, withheld); releases publish the codes only, the detail may be personal"))
    provenance: Provenance
    licence: str
