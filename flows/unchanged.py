"""An unchanged source is confirmed, not collected again: its last accepted run's pages are
asked for conditionally, and when all are the same and so is the code, its records stand
without parsing (README "An unchanged night"). The manifest lives beside the source's HTTP
cache, where Dask workers see it and no warehouse is needed (the writer is one)."""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import os
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from schema.registry import Source
from schema.source_run import PageRow, SourceRun

MANIFEST = "accepted.json"
#: Pages checked at once after the first (the first alone: a new group changes the list page,
#: and then one request was enough to know). The host's rate limit still applies.
CONCURRENCY = 8
_PAGE_KEYS = ("url", "status", "sha256", "bytes", "encoding")


@dataclass(frozen=True)
class Manifest:
    """What an accepted run read and produced, enough to repeat it without parsing."""

    fingerprint: str
    run_id: str
    records: int  # valid listings of that run
    parsed: int
    pages: list[dict] = field(default_factory=list)  # raw_pages rows: url, status, sha256, …
    stats: list[dict] = field(default_factory=list)  # source_run_stats rows of that run


def manifest_path(data_dir: Path, source_id: str) -> Path:
    return data_dir / "http-cache" / source_id / MANIFEST


def read_manifest(path: Path) -> Manifest | None:
    """The manifest at `path`, or None when there is none or it cannot be read (then the
    source is simply collected)."""
    try:
        return Manifest(**json.loads(path.read_text("utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def keep_manifest(data_dir: Path, run_id: str, run: SourceRun) -> None:
    """After a commit: an accepted run that read every page becomes the source's manifest;
    any other accepted run changed the records in a way pages alone cannot repeat, so the
    manifest goes. A failed run changed nothing, and a confirmed one confirmed it."""
    if run.status != "ok" or run.unchanged_since:
        return
    path = manifest_path(data_dir, run.source_id)
    if not run.confirmable:
        path.unlink(missing_ok=True)
        return
    c = run.counts
    # of the raw_pages rows, what a repeat needs (no fetch time, no WARC file)
    pages = [{k: getattr(row, k) for k in _PAGE_KEYS} for row in run.pages]
    manifest = Manifest(fingerprint=run.fingerprint, run_id=run_id,
                        records=c.inserted + c.updated + c.unchanged, parsed=run.parsed,
                        pages=pages, stats=[asdict(q) for q in run.stats])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(asdict(manifest), default=str), "utf-8")
    os.replace(tmp, path)


_CODE_DIRS = ("schema", "scrapers", "flows")


@cache
def _code_digest(extra: tuple[str, ...]) -> str:
    root = Path(__file__).resolve().parent.parent
    files = sorted({p for d in _CODE_DIRS for p in (root / d).rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts}
                   | {Path(f) for f in extra})
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


_PLAIN = (str, int, float, bool, bytes, type(None))


def _stable_repr(value: object) -> str | None:
    """repr of a plain setting (strings, numbers, patterns, containers of them), the same in
    every process; None for anything else (functions, objects whose repr holds an address),
    whose code is covered by the files."""
    if isinstance(value, _PLAIN):
        return repr(value)
    if isinstance(value, re.Pattern):
        return f"re({value.pattern!r}, {value.flags})"
    if isinstance(value, (tuple, list, set, frozenset)):
        items = [_stable_repr(v) for v in value]
        if None in items:
            return None
        if isinstance(value, (set, frozenset)):
            items = sorted(items)
        return f"{type(value).__name__}({items})"
    if isinstance(value, dict):
        items = [(_stable_repr(k), _stable_repr(v)) for k, v in value.items()]
        return None if any(None in kv for kv in items) else f"dict({sorted(items)})"
    return None


def fingerprint(source: Source, scraper: type | None = None) -> str:
    """Changes when anything that turns the source's pages into records may have: its registry
    entry, schema/scrapers/flows (any change costs one full collection), and the modules and
    settings of its scraper class and bases wherever they live (a plug-in, the bench's)."""
    files, settings = set(), []
    for cls in (scraper.__mro__[:-1] if scraper is not None else ()):
        try:
            if module_file := inspect.getsourcefile(cls):
                files.add(str(Path(module_file).resolve()))
        except TypeError:  # made at run time (type(...)): its settings say what it does
            pass
        settings.append(repr(sorted((k, text) for k, v in vars(cls).items()
                                    if not k.startswith("__")
                                    and (text := _stable_repr(v)) is not None)))
    digest = hashlib.sha256(_code_digest(tuple(sorted(files))).encode())
    digest.update(source.model_dump_json().encode())
    digest.update("|".join(settings).encode())
    return digest.hexdigest()[:32]


async def confirm(client, manifest: Manifest) -> list[int] | None:
    """The HTTP status of every page of `manifest` (304, or 200 with the same bytes) when all
    serve what they served; None at the first page that differs, fails or cannot be asked
    for. Whatever was asked is kept by the client for the scrape that follows."""
    pages = manifest.pages
    if not pages:
        return None

    async def same(page: dict, cheap: bool = True) -> int | None:
        try:
            status, digest = await client.revalidate(page["url"], cheap=cheap)
        except Exception:  # the scrape that follows meets it again, and reports it properly
            return None
        return status if digest == page["sha256"] else None

    # the first page (a list page) the full way: when the site is down or broken, that one
    # answer, retries and all, is what the scrape that follows gets, never asked again
    statuses = [await same(pages[0], cheap=False)]
    if statuses[0] is None:
        return None
    rest = pages[1:]
    answers = await client.revalidate_many([p["url"] for p in rest], chunk=CONCURRENCY)
    if answers is not None:  # all on the process's probe loop
        if len(answers) < len(rest):
            return None
        statuses += [status if digest == page["sha256"] else None
                     for page, (status, digest) in zip(rest, answers, strict=True)]
        return None if None in statuses else statuses
    # no probe, or a page that came without validators: each through `revalidate`
    for start in range(0, len(rest), CONCURRENCY):
        statuses += await asyncio.gather(*(same(p) for p in rest[start:start + CONCURRENCY]))
        if None in statuses:
            return None
    return statuses


def confirmed_pages(manifest: Manifest, statuses: list[int], source_id: str, fetched_at
                    ) -> list[PageRow]:
    """`raw_pages` rows of a confirmed night: the manifest's pages as they were answered.
    No `warc_file`: the probe archives nothing, the bodies are in the WARC of the manifest's
    run (the night's own WARC would hold robots.txt at most)."""
    return [PageRow(**page | {"source_id": source_id, "status": status,
                              "not_modified": status == 304, "fetched_at": fetched_at,
                              "warc_file": None})
            for page, status in zip(manifest.pages, statuses, strict=True)]
