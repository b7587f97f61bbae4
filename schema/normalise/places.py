"""Coordinates, map links, social-media links and a source's as-of date, as files give them.

Coordinates come as "51.5413, 7.2207", as two cells, or inside a map link (OpenStreetMap's
`mlat=`/`#map=`, Google Maps' `@lat,lon` / `q=lat,lon` / `!3d…!4d…`, a `geo:` URI); a link
without them (a short link) is not followed (no network at run time). Social links are typed
by their host; a profile named like a person is a person's (see `personal.mailbox_holder`).
"""

import re
from datetime import date
from urllib.parse import parse_qsl, unquote, urlsplit

from schema.listing import Coordinates, SocialLink
from schema.normalise.urls import urls

# --- coordinates -------------------------------------------------------------------------

_NUMBER = r"[-+]?\d{1,3}(?:[.,]\d+)?"
#: "51.54, 7.22", "51,54; 7,22" (decimal commas need another separator), "51.54 7.22"
_PAIR = re.compile(rf"^\s*\(?\s*({_NUMBER})\s*(?:[;/|]|,(?=\s*[-+]?\d)|\s)\s*({_NUMBER})\s*\)?\s*$")
#: Germany with a margin: a pair inside it the other way round was written lon,lat.
_GERMANY_LAT, _GERMANY_LON = (47.0, 55.2), (5.5, 15.5)


def _float(text: str) -> float:
    return float(text.replace(",", "."))


def _inside_germany(lat: float, lon: float) -> bool:
    return (_GERMANY_LAT[0] <= lat <= _GERMANY_LAT[1]
            and _GERMANY_LON[0] <= lon <= _GERMANY_LON[1])


def coordinates(text: str | None) -> tuple[Coordinates | None, list[str]]:
    """(coordinates, flags) of a "lat,lon" text. A pair that only makes sense the other way
    round in Germany is swapped (flagged); a pair outside Germany is kept and flagged."""
    if not text or not text.strip():
        return None, []
    m = _PAIR.match(text)
    if m is None:
        return None, ["coordinates_invalid"]
    lat, lon = _float(m.group(1)), _float(m.group(2))
    if not _inside_germany(lat, lon) and _inside_germany(lon, lat):
        return Coordinates(lat=lon, lon=lat), ["coordinates_swapped_repaired"]
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0, 0):
        return None, ["coordinates_invalid"]
    return Coordinates(lat=lat, lon=lon), ([] if _inside_germany(lat, lon)
                                           else ["coordinates_outside_germany"])


_FLOAT = r"[-+]?\d{1,3}\.\d+"
#: Where map services put a point in their links, tried in order on the unquoted link.
_MAP_PATTERNS = (
    re.compile(rf"!3d({_FLOAT})!4d({_FLOAT})"),  # Google: the place's own pin
    re.compile(rf"[?&](?:mlat)=({_FLOAT})&(?:amp;)?mlon=({_FLOAT})"),  # OpenStreetMap marker
    re.compile(rf"[?&#](?:q|query|ll|sll|center|destination|daddr|loc|pin)="
               rf"(?:loc:)?({_FLOAT})\s*,\s*({_FLOAT})"),
    re.compile(rf"@({_FLOAT}),({_FLOAT})(?:,[\d.]+z)?"),  # Google: the map's centre
    re.compile(rf"#map=\d+(?:\.\d+)?/({_FLOAT})/({_FLOAT})"),  # OpenStreetMap: the view
    re.compile(rf"[?&]cp=({_FLOAT})~({_FLOAT})"),  # Bing
    re.compile(rf"^geo:({_FLOAT}),({_FLOAT})"),
)


def map_link_coordinates(url: str | None) -> tuple[Coordinates | None, list[str]]:
    """(coordinates, flags) from a map link; `map_link_unread` when it holds none."""
    if not url or not url.strip():
        return None, []
    text = unquote(url.strip())
    query = dict(parse_qsl(urlsplit(text).query)) if "://" in text else {}
    if "lat" in query and ("lon" in query or "lng" in query):
        text = f"?q={query['lat']},{query.get('lon', query.get('lng'))}"
    for pattern in _MAP_PATTERNS:
        if m := pattern.search(text):
            found, flags = coordinates(f"{m.group(1)};{m.group(2)}")
            return found, ["map_link_unread"] if found is None else flags
    return None, ["map_link_unread"]


def place_coordinates(text: str | None, map_url: str | None
                      ) -> tuple[Coordinates | None, list[str]]:
    """The record's coordinates: its own, else its map link's; two that disagree by more
    than about 200 m are flagged (the record's own are used), and so is a link without any."""
    own, flags = coordinates(text)
    linked, link_flags = map_link_coordinates(map_url)
    if own is None:
        return linked, flags + link_flags
    if linked is not None and (abs(own.lat - linked.lat) > 0.002
                               or abs(own.lon - linked.lon) > 0.003):
        flags.append("coordinates_disagree")
    return own, flags + link_flags


# --- the as-of date ----------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_GERMAN = re.compile(r"(?<!\d)(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?!\d)")


def as_of(text: str | None) -> tuple[date | None, list[str]]:
    """(date, flags) of "2026-03-01", "2026-03-01T10:00:00Z", "Stand: 1.3.2026" or
    "01.03.26"; `as_of_invalid` for a text that names no day."""
    if not text or not text.strip():
        return None, []
    for pattern, order in ((_ISO, (0, 1, 2)), (_GERMAN, (2, 1, 0))):
        if m := pattern.search(text):
            parts = [int(m.group(i + 1)) for i in order]
            if parts[0] < 100:
                parts[0] += 2000
            try:
                return date(*parts), []
            except ValueError:
                break
    return None, ["as_of_invalid"]


# --- social-media links ------------------------------------------------------------------

#: host (without "www.", "m.") -> platform
SOCIAL_HOSTS: dict[str, str] = {
    "facebook.com": "facebook", "fb.com": "facebook", "fb.me": "facebook",
    "de-de.facebook.com": "facebook", "instagram.com": "instagram", "instagr.am": "instagram",
    "twitter.com": "x", "x.com": "x", "youtube.com": "youtube", "youtu.be": "youtube",
    "tiktok.com": "tiktok", "linkedin.com": "linkedin", "de.linkedin.com": "linkedin",
    "xing.com": "xing", "t.me": "telegram", "telegram.me": "telegram", "wa.me": "whatsapp",
    "chat.whatsapp.com": "whatsapp", "whatsapp.com": "whatsapp", "bsky.app": "bluesky",
    "threads.net": "threads", "threads.com": "threads", "pinterest.com": "pinterest",
    "pinterest.de": "pinterest",
}
#: Mastodon and other fediverse servers: any host, a profile path "/@name".
_FEDIVERSE_PATH = re.compile(r"^/@[\w.]+/?$")
#: "@name@server.social": a fediverse handle, written as its profile URL.
_HANDLE = re.compile(r"^@([\w.]+)@((?:[\w-]+\.)+[a-z]{2,})$", re.IGNORECASE)


def platform_of(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    return SOCIAL_HOSTS.get(host) or ("mastodon" if _FEDIVERSE_PATH.match(parts.path) else "other")


def social_links(texts: list[str]) -> tuple[list[SocialLink], list[str]]:
    """(links, flags) of a record's social-media cells; an invalid link is kept raw and
    flagged `social_link_invalid` (withheld)."""
    links: list[SocialLink] = []
    flags: list[str] = []
    for text in texts:
        raw = (text or "").strip()
        if m := _HANDLE.match(raw):
            raw = f"https://{m.group(2)}/@{m.group(1)}"
        for site in urls(raw):
            if site.valid and site.url:
                links.append(SocialLink(platform=platform_of(site.url), url=site.url,
                                        original=text, valid=True))
            else:
                links.append(SocialLink(platform="other", original=text))
                flags.append(f"social_link_invalid:{text}")
    return links, flags


def profile_name(link: SocialLink) -> str | None:
    """The handle a profile link names ("petra.beispiel" of facebook.com/petra.beispiel), for
    the mailbox test of `personal`: a handle shaped like a person's name is a person's."""
    if not link.url:
        return None
    path = [p for p in urlsplit(link.url).path.split("/") if p]
    if not path or path[0] in ("groups", "pages", "pg", "channel", "c", "company", "events"):
        return None
    return path[0].lstrip("@")
