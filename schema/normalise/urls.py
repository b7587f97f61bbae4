"""Web-site strings -> absolute http(s) URLs, the original kept beside each.

A web field holds one or more addresses: "https://…", "www.x.de", a bare "selbsthilfe-herne.de"
(taken only with a top-level domain from `BARE_TLDS`, so "St.Georg" or "gruppe.html" are not
sites) or a link relative to the page it was found on. "javascript:", "mailto:" and "tel:" are
no web sites: kept raw, invalid. Host names are checked with `idna` (UTS 46) and kept in Unicode
form, lower-cased; paths are kept as written.
"""

import functools
import ipaddress
import re
import unicodedata
from urllib.parse import urljoin, urlsplit, urlunsplit

import idna

from schema.listing import Website

#: Top-level domains a bare "name.tld" is read as a web site with (no scheme, no "www.").
BARE_TLDS = frozenset({
    "de", "com", "org", "net", "eu", "info", "at", "ch", "li", "lu", "nl", "be", "dk", "fr",
    "it", "pl", "biz", "io", "me", "app", "online", "site", "website", "jetzt", "shop", "team",
    "social", "help", "care", "health", "gmbh", "ag", "ev", "nrw", "ruhr", "koeln", "cologne",
    "berlin", "hamburg", "bayern", "saarland", "bremen", "sachsen", "example",
})
#: Schemes that are links but no web sites.
NOT_WEB = frozenset({"javascript", "mailto", "tel", "callto", "fax", "sms", "ftp", "file",
                     "data", "skype", "whatsapp", "webcal", "news"})

_SCHEME = re.compile(r"^([a-z][a-z0-9+\-]*):", re.IGNORECASE)
_SCHEME_TYPO = re.compile(r"^(https?)(?::/{1,3}|/{2,3}|:{2}/{2})(?=[^/])", re.IGNORECASE)
_BARE = re.compile(r"^[^\W_][\w\-]*(?:\.[^\W_][\w\-]*)*\.([^\W\d_]{2,24})(?::\d{1,5})?(?:[/?#]|$)")
_RELATIVE = re.compile(r"^(?:/|\./|\.\./|\?|[\w\-.~%]+(?:/|\.(?:s?html?|php\d?|aspx?|jsp|cfm)"
                       r"\b))")
_TOKEN = re.compile(r"[^\s|,;]+(?:[,;](?!\s)[^\s|,;]+)*")
#: Soft hyphens and zero-width characters pasted into a link text: dropped, as a browser does.
_PASTED = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
#: What is left of controls (C0, C1), format characters (bidi controls), surrogates and line
#: or paragraph separators makes a URL unusable.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_LEAD = "(<[\"'„“‚‘«»"
_TRAIL = ".,;:!?\"'“”‘’«»>]"


def urls(text: str | None, base: str | None = None) -> list[Website]:
    """Every web address in `text`; a string with none in it is kept raw, invalid."""
    if not text or not text.strip():
        return []
    found = find_urls(text, base)
    return found or [Website(original=text.strip())]


def find_urls(text: str, base: str | None = None, relative: bool = True) -> list[Website]:
    """The web addresses in `text` (valid or kept raw); prose around them is skipped.
    `relative=False` reads only absolute forms: for text that is not a web field."""
    found: list[Website] = []
    seen: set[str] = set()
    relative = relative and not re.search(r"\s", text.strip())  # an href, not prose
    for m in _TOKEN.finditer(text):
        token = _trim(m.group(0))
        site = _one(token, base, relative) if token else None
        if site is None or (site.url and site.url in seen):
            continue
        if site.url:
            seen.add(site.url)
        found.append(site)
    return found


def _trim(token: str) -> str:
    """Quotes and brackets around a token and punctuation after it are no part of a URL; a ")"
    stays when the URL opened it ("…/Selbsthilfe_(Medizin)")."""
    token = token.lstrip(_LEAD)
    end = len(token)
    opened = token.count("(")
    closed = token.count(")")
    while end and (token[end - 1] in _TRAIL or (token[end - 1] == ")" and opened < closed)):
        closed -= token[end - 1] == ")"
        end -= 1
    return token[:end]


def _one(token: str, base: str | None, relative: bool) -> Website | None:
    """A token as a web site, None when it is no address at all (a word, an e-mail)."""
    candidate = _SCHEME_TYPO.sub(lambda m: m.group(1) + "://", token)
    scheme = _SCHEME.match(candidate)
    # "Homepage:", "Internet:www.x.de": a label glued to what follows
    while scheme and scheme.group(1).lower() not in {*NOT_WEB, "http", "https"}:
        candidate = candidate[scheme.end():]
        scheme = _SCHEME.match(candidate)
    if not candidate:
        return None
    if scheme and scheme.group(1).lower() in NOT_WEB:
        return Website(original=token)
    if scheme:
        pass
    elif candidate.startswith("//"):
        candidate = "https:" + candidate
    elif candidate.lower().startswith("www."):
        candidate = "https://" + candidate
    elif "@" in candidate:
        return None
    elif (tld := _BARE.match(candidate)) and tld.group(1).lower() in BARE_TLDS:
        candidate = "https://" + candidate
    elif relative and _RELATIVE.match(candidate):
        if not base or _clean(base) is None:
            return Website(original=token)
        candidate = urljoin(base, candidate)
    else:
        return None
    url = _clean(candidate)
    return Website(url=url, original=token, valid=True) if url else Website(original=token)


def _invisible(text: str) -> bool:
    return not text.isascii() and any(unicodedata.category(c) in _INVISIBLE for c in text)


def _clean(candidate: str) -> str | None:
    """The URL with scheme and host lower-cased, or None unless it is a usable http(s) URL
    (none with a control, format or separator character: a bidi override would show a
    reader another address than the link's)."""
    candidate = candidate.translate(_PASTED)
    if re.search(r"[\s\x00-\x1f\x7f<>\"\\^`{}]", candidate) or _invisible(candidate):
        return None
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError:
        return None
    host = _host(parts.hostname or "")
    if parts.scheme.lower() not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, parts.query, parts.fragment))


@functools.lru_cache(maxsize=4096)
def _host(host: str) -> str | None:
    """A public-looking host name in Unicode form, or an IPv4 address; else None. Cached:
    a source repeats its few hosts thousands of times, and IDNA checks are slow."""
    try:
        ipaddress.IPv4Address(host)
        return host
    except ValueError:
        pass
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
        unicode_host = idna.decode(ascii_host)
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    labels = ascii_host.split(".")
    if len(labels) < 2 or not re.fullmatch(r"[a-z]{2,63}|xn--[a-z0-9\-]{2,59}", labels[-1]):
        return None
    if labels[0] == "www" and len(labels) == 2:  # "www.selbsthilfe": the domain was cut off
        return None
    return unicode_host
