from pathlib import Path

import pytest

from schema.registry import RegistryError, load_registry
from tests.conftest import ROOT

GOOD = """
[[source]]
id = "herne"
name = "Herne"
publisher = "Stadt Herne"
kind = "html"
start_urls = ["https://www.herne.de/x/"]
licence = "CC-BY-4.0"
policy = "open"
min_records = 3
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, "utf-8")
    return path


def test_bundled_registry_loads():
    registry = load_registry(ROOT / "sources.toml")
    assert "herne" in registry.ids
    herne = registry.get("herne")
    assert herne.kind == "html" and herne.start_urls[0].startswith("https://www.herne.de/")
    assert herne.min_records >= 1


def test_good_registry(tmp_path):
    registry = load_registry(write(tmp_path, GOOD))
    source = registry.get("herne")
    assert source.publishable and source.rate_per_second == 1.0 and source.cadence == "daily"


@pytest.mark.parametrize(("change", "key"), [
    (("policy = \"open\"", "policy = \"public\""), "policy"),
    (("min_records = 3", "min_records = -1"), "min_records"),
    (("licence = \"CC-BY-4.0\"", "licence = \"\""), "licence"),
    (("kind = \"html\"", "kind = \"html\"\ncolour = \"red\""), "colour"),
    (("kind = \"html\"", "kind = \"html\"\nrate_per_second = 0"), "rate_per_second"),
])
def test_bad_key_is_named_with_its_source(tmp_path, change, key):
    with pytest.raises(RegistryError) as err:
        load_registry(write(tmp_path, GOOD.replace(*change)))
    assert "source 'herne'" in str(err.value)
    assert f"key '{key}'" in str(err.value)


def test_html_source_without_urls_is_rejected(tmp_path):
    text = GOOD.replace('start_urls = ["https://www.herne.de/x/"]', "")
    with pytest.raises(RegistryError, match=r"source 'herne'.*start_urls"):
        load_registry(write(tmp_path, text))


def test_duplicate_ids_and_bad_toml(tmp_path):
    with pytest.raises(RegistryError, match="declared twice"):
        load_registry(write(tmp_path, GOOD + GOOD))
    with pytest.raises(RegistryError, match="not valid TOML"):
        load_registry(write(tmp_path, "[[source]\nid="))
