"""Conditional GET: validators and bodies remembered between runs, per source."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class CacheEntry:
    etag: str | None
    last_modified: str | None
    sha256: str
    content_type: str | None


class ConditionalCache:
    """ETag / Last-Modified per URL plus the body they validate (a 304 is only useful if the
    body it confirms is still at hand); `save()` writes the index when a run ends."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._bodies = directory / "bodies"
        self._index_path = directory / "index.json"
        self._entries: dict[str, CacheEntry] = {}
        self._dirty = False  # entries stored since the index was read
        #: Names of the bodies at hand, listed once: a night asks for each of them.
        self._have: set[str] | None = None
        if self._index_path.exists():
            raw = json.loads(self._index_path.read_text("utf-8"))
            self._entries = {url: CacheEntry(**e) for url, e in raw.items()}

    def _has_body(self, digest: str) -> bool:
        if self._have is None:
            self._have = set(os.listdir(self._bodies)) if self._bodies.is_dir() else set()
        return digest in self._have

    def _entry(self, url: str) -> CacheEntry | None:
        """The entry of `url` if the body it validates is still at hand: else no 304 helps."""
        entry = self._entries.get(url)
        return entry if entry is not None and self._has_body(entry.sha256) else None

    def validators(self, url: str) -> dict[str, str]:
        if (entry := self._entry(url)) is None:
            return {}
        pairs = (("If-None-Match", entry.etag), ("If-Modified-Since", entry.last_modified))
        return {name: value for name, value in pairs if value}

    def body(self, url: str) -> tuple[bytes, str | None] | None:
        if (entry := self._entry(url)) is None:
            return None
        try:
            return (self._bodies / entry.sha256).read_bytes(), entry.content_type
        except FileNotFoundError:  # removed by hand since the listing
            return None

    def digest(self, url: str) -> str | None:
        """SHA-256 of the body a 304 for `url` confirms, if that body is still at hand."""
        return entry.sha256 if (entry := self._entry(url)) is not None else None

    def store(self, url: str, response: httpx.Response, content: bytes) -> None:
        etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
        if not (etag or modified):
            return
        digest = hashlib.sha256(content).hexdigest()
        self._bodies.mkdir(parents=True, exist_ok=True)
        if not self._has_body(digest):  # whole or not at all: a 304 serves it later
            tmp = self._bodies / f".{digest}.{os.getpid()}.{threading.get_ident()}"
            tmp.write_bytes(content)
            tmp.replace(self._bodies / digest)
            self._have.add(digest)
        content_type = response.headers.get("content-type")
        self._entries[url] = CacheEntry(etag, modified, digest, content_type)
        self._dirty = True

    def save(self) -> None:
        """Write the index, unless nothing was stored since it was read (a night of 304s)."""
        if not self._dirty and self._index_path.exists():
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self._index_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({u: vars(e) for u, e in self._entries.items()}), "utf-8")
        tmp.replace(self._index_path)
        self._dirty = False
