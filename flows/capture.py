"""`shg capture SOURCE`: record a source's live pages into a WARC, politely, which replays
with `shg run --replay DIR`; `extract_warc` lays its pages out as a fixture folder, so
refreshing fixtures after a site redesign takes minutes."""

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from flows.collect import RunContext, scrape_source
from schema.registry import Source
from scrapers.bases.base import ScrapeResult
from scrapers.fetch.warc import WarcReplayTransport


async def capture(source: Source, out: Path, *, rewrite: dict[str, str] | None = None,
                  rate: float | None = None) -> tuple[Path, ScrapeResult]:
    """Crawl `source` live (or through `rewrite`) into `out/<id>.warc.gz`, replaced only when
    the crawl succeeded, so a failed capture never leaves a half-written snapshot behind. The
    crawl is a live run's without a cache, with the budgets of a source's first run."""
    if source.kind != "html":
        raise ValueError(f"{source.id}: only html sources are captured (kind {source.kind!r})")
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{source.id}.warc.gz"
    ctx = RunContext(run_id="capture", data_dir=out / f".{source.id}.partial",
                     rewrite=rewrite or {}, rate_override=rate, use_cache=False)
    shutil.rmtree(ctx.data_dir, ignore_errors=True)
    try:
        result, _stats = await scrape_source(source, ctx)
        ctx.warc_path(source.id).replace(target)
    finally:
        shutil.rmtree(ctx.data_dir, ignore_errors=True)
    return target, result


class UnsafePath(ValueError):
    """A URL whose path cannot be laid out inside the fixture folder."""


#: A Windows drive ("C:"): on a Windows checkout, a segment like it restarts the path.
_DRIVE = re.compile(r"^[A-Za-z]:")


def _unsafe_segment(segment: str) -> str | None:
    """Why one decoded path segment may not become a file or folder name, or None."""
    if segment in (".", ".."):
        return f"dot segment {segment!r}"
    if "\\" in segment:
        return "backslash"
    if any(ord(c) < 0x20 or c == "\x7f" for c in segment):
        return "control character (NUL, line break …)"
    if _DRIVE.search(segment):
        return "drive letter"
    return None


def fixture_path(folder: Path, url: str) -> Path:
    """The file under `folder` for `url`, by its path (a trailing slash is `index.html`), as
    the fixture sites are laid out. A page's URL is the site's to choose: a path that would
    leave `folder` once decoded raises UnsafePath instead of naming a file."""
    raw = urlsplit(url).path or "/"
    path = unquote(raw)
    if unquote(path) != path:
        raise UnsafePath(f"encoded twice: {raw!r}")
    if not path.startswith("/"):
        raise UnsafePath(f"not an absolute URL path: {raw!r}")
    segments = path[1:].split("/")
    if segments[-1] == "":  # a directory: its index page
        segments[-1] = "index.html"
    for segment in segments:
        if not segment:
            raise UnsafePath(f"empty segment (an absolute path inside the URL): {raw!r}")
        if (why := _unsafe_segment(segment)) is not None:
            raise UnsafePath(f"{why}: {raw!r}")
    target = folder.joinpath(*segments)
    if not target.resolve().is_relative_to(folder.resolve()):  # e.g. through a symlink
        raise UnsafePath(f"resolves outside {folder}: {raw!r}")
    return target


@dataclass
class Extracted:
    """What `extract_warc` wrote, and the URLs it refused with the reason."""

    written: list[Path] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


async def extract_warc(warc: Path, folder: Path) -> Extracted:
    """Write every archived page to `folder` by URL path. A captured site may be hostile: a
    page whose path would leave `folder` is refused and listed, the others still written."""
    replay = WarcReplayTransport(warc)
    done = Extracted()
    async with httpx.AsyncClient(transport=replay) as client:
        for url in replay.urls():
            try:
                target = fixture_path(folder, url)
            except UnsafePath as exc:
                done.refused.append((url, str(exc)))
                continue
            response = await client.get(url)
            if response.status_code != 200:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(response.content)
            done.written.append(target)
    return done
