"""Every source in the registry is complete: a scraper (or file), fixtures, a snapshot, a test."""

import pytest

from schema.registry import load_registry
from scrapers.bases.base import Scraper
from scrapers.registry import scraper_class
from tests.conftest import FIXTURES, ROOT

REGISTRY = load_registry(ROOT / "sources.toml")
HTML = [s for s in REGISTRY.sources if s.kind == "html"]
FILES = [s for s in REGISTRY.sources if s.kind == "file"]


def test_ids_are_unique_and_every_source_has_licence_and_policy():
    assert len(set(REGISTRY.ids)) == len(REGISTRY.ids)
    for source in REGISTRY.sources:
        assert source.licence and source.policy in ("open", "withhold"), source.id


@pytest.mark.parametrize("source", HTML, ids=lambda s: s.id)
def test_html_source_has_scraper_fixtures_snapshot_and_test(source):
    cls = scraper_class(source.scraper or source.id)
    assert issubclass(cls, Scraper) and cls.source_id == (source.scraper or source.id)
    assert (FIXTURES / source.id / "robots.txt").is_file()
    assert any((FIXTURES / source.id).rglob("*.html"))
    assert (ROOT / "snapshots" / f"{source.id}.warc.gz").is_file()
    assert (ROOT / "tests" / f"test_{source.id.replace('-', '_')}.py").is_file()


@pytest.mark.parametrize("source", FILES, ids=lambda s: s.id)
def test_file_source_has_its_file_and_is_tested(source):
    assert (REGISTRY.path.parent / source.path).is_file()
    assert source.path.rsplit("/", 1)[-1] in (ROOT / "tests" / "test_file_import.py").read_text()


def test_nakos_lists_are_withheld_by_default():
    nakos = [s for s in REGISTRY.sources if s.id.startswith("nakos-")]
    assert all(s.policy == "withhold" for s in nakos)
