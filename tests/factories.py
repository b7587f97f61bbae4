"""Small builders for raw records and source registries used across tests."""

import shutil
from datetime import UTC, datetime
from pathlib import Path

from schema.normalise import to_listings
from schema.records import ScrapedRecord
from schema.registry import Source
from tests.conftest import ROOT

FETCHED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def record(key: str, source_id: str = "herne", **fields) -> ScrapedRecord:
    base = {
        "source_id": source_id, "source_key": key,
        "source_url": f"https://www.example.de/gruppe-{key}.html", "fetched_at": FETCHED,
        "name": f"Selbsthilfegruppe {key}", "address_text": "Rathausstraße 6, 44649 Herne",
        "phones_text": ["0 23 23 / 16 - 36 36"], "emails_text": ["selbsthilfe@herne.de"],
        "meeting_text": "jeden 2. Mittwoch im Monat, 18 Uhr", "topics": ["Sucht"],
    }
    return ScrapedRecord(**(base | fields))


def listings(*records: ScrapedRecord, licence: str = "CC-BY-4.0"):
    result, rejected = to_listings(records, licence)
    assert not rejected, rejected
    return result


def source(source_id: str = "herne", policy: str = "open", **fields) -> Source:
    return Source(**({
        "id": source_id, "name": source_id.title(), "publisher": "Stadt",
        "kind": "html", "start_urls": [f"https://{source_id}.example.de/"],
        "licence": "CC-BY-4.0", "policy": policy, "min_records": 1,
    } | fields))


def registry_copy(tmp_path: Path, text: str) -> Path:
    """`text` as tmp_path/sources.toml, with the sample files the bundled registry names laid
    out beside it as in the checkout (a file source's path is relative to its registry)."""
    shutil.copytree(ROOT / "snapshots" / "files", tmp_path / "snapshots" / "files",
                    dirs_exist_ok=True)
    path = tmp_path / "sources.toml"
    path.write_text(text, "utf-8")
    return path
