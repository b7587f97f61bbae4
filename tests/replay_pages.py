"""The bundled offline snapshot with some pages replaced, for tests that feed bad or changed
pages through the real replay path (`RunContext(replay=...)` -> PoliteClient ->
WarcReplayTransport -> scraper).

A replay folder holds links to the snapshot WARCs plus, per source, an extra WARC with the
replacement responses; a replay serves the newest response per URL, so the extra records win.
"""

from pathlib import Path

import httpx
from warcio.archiveiterator import ArchiveIterator

from scrapers.fetch.warc import WarcArchive
from tests.conftest import ROOT

SNAPSHOTS = ROOT / "snapshots"


def archived_pages(source_id: str) -> dict[str, bytes]:
    """URL -> body of every response in the source's snapshot (the fixture site as served)."""
    pages: dict[str, bytes] = {}
    with (SNAPSHOTS / f"{source_id}.warc.gz").open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response" and record.http_headers is not None:
                url = record.rec_headers.get_header("WARC-Target-URI")
                pages[url] = record.content_stream().read()
    return pages


def replay_folder(folder: Path, source_ids: list[str], replaced: dict[str, bytes],
                  content_type: str = "text/html") -> Path:
    """`folder` set up to replay `source_ids` from the snapshot with `replaced` URLs answered
    by the given bytes (status 200, `content_type`). A source replays only archives named for
    it, so each replacement goes to `changed/<source>.warc.gz` of the source that served the
    URL (the first source, for a URL none of them served)."""
    folder.mkdir(parents=True, exist_ok=True)
    for source_id in source_ids:
        (folder / f"{source_id}.warc.gz").symlink_to(SNAPSHOTS / f"{source_id}.warc.gz")
    owner = {url: sid for sid in reversed(source_ids) for url in archived_pages(sid)}
    for url, body in replaced.items():
        archive = WarcArchive(folder / "changed" / f"{owner.get(url, source_ids[0])}.warc.gz")
        try:
            response = httpx.Response(200, headers={"content-type": content_type},
                                      content=body, request=httpx.Request("GET", url))
            archive.write_exchange(url, response, body)
        finally:
            archive.close()
    return folder
