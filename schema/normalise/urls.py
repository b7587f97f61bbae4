"""Web-site strings -> absolute http(s) URLs."""

from urllib.parse import urljoin, urlsplit

from schema.listing import Website


def urls(text: str | None, base: str | None = None) -> list[Website]:
    if not text or not text.strip():
        return []
    original = text.strip()
    candidate = original
    if candidate.lower().startswith("www."):
        candidate = "https://" + candidate
    elif base:
        candidate = urljoin(base, candidate)
    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https") or "." not in parts.netloc or " " in candidate:
        return [Website(original=original)]
    return [Website(url=candidate, original=original, valid=True)]
