"""A static web server for fixture sites on 127.0.0.1, for tests and snapshot building.

It behaves like a plain municipal web server: ETag and Last-Modified on every file, 304 on a
matching conditional GET, `text/html` without a charset (so pages must declare their own).
"""

import contextlib
import email.utils
import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from scrapers.bases.base import Scraper, ScrapeResult
from scrapers.fetch.http import ClientSettings, PoliteClient
from scrapers.fetch.transport import RewriteTransport
from scrapers.fetch.warc import WarcArchive

_TYPES = {".html": "text/html", ".htm": "text/html", ".txt": "text/plain",
          ".json": "application/json", ".csv": "text/csv"}


class FixtureHandler(BaseHTTPRequestHandler):
    root: Path
    requests_seen: list[str]

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self.requests_seen.append(self.path)
        path = unquote(urlsplit(self.path).path)
        file = (self.root / path.lstrip("/")).resolve()
        if path.endswith("/"):
            file = file / "index.html"
        if not file.is_relative_to(self.root.resolve()) or not file.is_file():
            self.send_error(404)
            return
        body = file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = email.utils.formatdate(int(file.stat().st_mtime), usegmt=True)
        if self.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in self.headers
            and self.headers.get("If-Modified-Since") == modified
        ):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        # CMS paths like ".../key@2503" have no extension and are HTML pages
        self.send_header("Content-Type", _TYPES.get(file.suffix, "text/html"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.end_headers()
        self.wfile.write(body)


@contextlib.contextmanager
def serve_directory(root: Path, handler: type[FixtureHandler] = FixtureHandler
                    ) -> Iterator[tuple[str, list[str]]]:
    """Serve `root` on a free port; yields (base URL, list of request paths seen)."""
    seen: list[str] = []
    bound = type("BoundHandler", (handler,), {"root": Path(root), "requests_seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
    server.daemon_threads = True
    # a short poll interval: shutdown() waits up to one interval, and tests start many servers
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


async def crawl_fixture_site(scraper: Scraper, site: Path,
                             archive: WarcArchive | None = None) -> ScrapeResult:
    """Crawl a fixture site with the real client over loopback, the scraper's real origins
    rewritten to the local server: what tests and the snapshot builder both need."""
    origins = {f"{p.scheme}://{p.netloc}" for p in map(urlsplit, scraper.start_urls)}
    with serve_directory(site) as (base, _seen):
        transport = RewriteTransport(dict.fromkeys(origins, base))
        async with PoliteClient(ClientSettings(rate_per_host=None), transport=transport,
                                archive=archive) as client:
            return await scraper.scrape(client)
