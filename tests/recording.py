"""Whole pages as a scraper saw them, for tests that read them: a scraper keeps only a
`PageInfo` of each page it parsed (`ScrapeResult.pages`), so the bodies are freed at once."""

from scrapers.bases.base import Fetcher, Page, Scraper, ScrapeResult


class RecordingFetcher:
    """Passes every request on and keeps each page it returns, by its (final) URL."""

    def __init__(self, fetch: Fetcher):
        self.fetch = fetch
        self.pages: dict[str, Page] = {}

    async def get(self, url: str) -> Page:
        page = await self.fetch.get(url)
        self.pages[page.url] = page
        return page


class RecordingScraper:
    """Stands in for `scraper` wherever a scraper is crawled (`crawl_fixture_site`), and keeps
    the pages it was served in `pages`."""

    def __init__(self, scraper: Scraper):
        self.scraper = scraper
        self.start_urls = scraper.start_urls
        self.pages: dict[str, Page] = {}
        self.result: ScrapeResult | None = None  # set by the tests that crawl through it

    async def scrape(self, fetch: Fetcher) -> ScrapeResult:
        recorder = RecordingFetcher(fetch)
        try:
            return await self.scraper.scrape(recorder)
        finally:
            self.pages = recorder.pages


def crawl_recorded(scraper: Scraper, site) -> RecordingScraper:
    """One crawl of a fixture site through `scraper`, its pages kept whole as served (the
    result itself keeps only PageInfo): what the per-source test modules parse once."""
    import asyncio

    from tools.site_server import crawl_fixture_site

    recording = RecordingScraper(scraper)
    recording.result = asyncio.run(crawl_fixture_site(recording, site))
    return recording
