"""Why a source run failed, as classes the run report and `shg sources` can sort by."""

from typing import Literal

FailureClass = Literal[
    "dns", "refused", "timeout", "http_error", "robots", "parse_error", "site_changed",
    "exception", "crawl_budget",
]


class SourceError(Exception):
    """A source could not be scraped; `failure_class` says why in one word."""

    failure_class: FailureClass = "exception"

    def __init__(self, message: str, *, url: str | None = None):
        super().__init__(message if url is None else f"{message} ({url})")
        self.url = url


class FetchError(SourceError):
    def __init__(self, message: str, *, url: str | None = None, failure_class: FailureClass,
                 status: int | None = None):
        super().__init__(message, url=url)
        self.failure_class = failure_class
        #: The HTTP status that failed the request, when it was an HTTP answer.
        self.status = status

    @property
    def gone(self) -> bool:
        """The server says the page no longer exists (404, 410): its record is gone."""
        return self.status in (404, 410)


class RobotsDisallowed(SourceError):
    failure_class = "robots"


class ResponseTooLarge(SourceError):
    failure_class = "http_error"


class EncodingRefused(SourceError):
    """A response in a Content-Encoding we do not decode: stacked codings, or one not asked
    for."""

    failure_class = "http_error"


class ArchiveUnreadable(SourceError):
    """A replay archive (WARC) that is cut off, damaged or no WARC at all."""

    failure_class = "parse_error"


class TruncatedPage(SourceError):
    """A page arrived whole by HTTP's account, but its HTML stops before the end."""

    failure_class = "parse_error"


class SiteChanged(SourceError):
    """The page came back fine but the expected structure is gone (selectors match nothing)."""

    failure_class = "site_changed"


class EmptyScrape(SourceError):
    failure_class = "site_changed"  # a source that says nothing has changed, it is not empty


class FieldError(ValueError):
    """A page parsed, but a required field is missing or unreadable; names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"field {field!r}: {message}")
        self.field = field


class CrawlBudgetExceeded(Exception):
    """A source or the run reached its budget: the whole source fails, its previous records
    stay current. Not a SourceError, which scrapers absorb page by page: the crawl stops."""

    failure_class: FailureClass = "crawl_budget"

    def __init__(self, message: str, *, pages: int):
        super().__init__(message)
        #: Pages fetched when the budget ran out.
        self.pages = pages


class AlreadyFetched(SourceError):
    """A page asked for a second time in one run, under the same canonical URL: a crawler
    that does not notice it has been there (a scraper's bug) must not fetch it again."""

    failure_class = "http_error"
