import subprocess
import sys
from pathlib import Path

import pytest

from schema.registry import RegistryError, load_registry
from tests.conftest import FIXTURES, ROOT
from tests.factories import registry_copy as write
from tools.site_server import serve_directory

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




def test_bundled_registry_loads():
    registry = load_registry(ROOT / "sources.toml")
    assert "herne" in registry.ids
    herne = registry.get("herne")
    assert herne.kind == "html" and herne.start_urls[0].startswith("https://www.herne.de/")
    assert herne.min_records >= 1


def test_good_registry(tmp_path):
    registry = load_registry(write(tmp_path, GOOD))
    source = registry.get("herne")
    assert source.policy == "open" and source.rate_per_second == 1.0 and source.cadence == "daily"


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


# ------------------------------------------- malformed registries: file, source entry and key

BUNDLED = (ROOT / "sources.toml").read_text("utf-8")


def line_of(text: str, needle: str, after: str = "") -> int:
    """1-based line of the first `needle` at or after the first `after`."""
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


def rejected(tmp_path: Path, text: str) -> str:
    with pytest.raises(RegistryError) as err:
        load_registry(write(tmp_path, text))
    return str(err.value)


# TOML syntax errors: (what is wrong, the bundled registry edited, line needle, line `after`,
# tomllib's reason) -- tomllib's message with its line and column
NOT_TOML = [
    ("toml syntax", ('[[source]]\nid = "hamm"', '[[source]\nid = "hamm"'),
     '[[source]\nid = "hamm"', "", "Expected ']]' at the end of an array declaration"),
    ("value syntax", ("min_records = 10\n", "min_records = 10 10\n"), "min_records = 10 10",
     "", "Expected newline or end of document after a statement"),
    ("key set twice", ('cadence = "weekly"\n', 'cadence = "weekly"\ncadence = "daily"\n'),
     'cadence = "daily"', 'id = "nakos-rot"', "Cannot overwrite a value"),
]


@pytest.mark.parametrize(("change", "needle", "after", "reason"),
                         [m[1:] for m in NOT_TOML], ids=[m[0] for m in NOT_TOML])
def test_toml_syntax_errors_name_file_line_and_column(tmp_path, change, needle, after, reason):
    text = BUNDLED.replace(*change, 1)
    assert text != BUNDLED
    message = rejected(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'sources.toml'}: not valid TOML: {reason} "
                              f"(at line {line_of(text, needle, after)}, column "), message


# invalid entries: (what is wrong, the bundled registry edited, parts of the message)
MALFORMED = [
    ("unknown key", ('policy = "withhold"\n', 'policy = "withhold"\ncolour = "red"\n'),
     ["sources.toml: source 'nakos-rot': key 'colour'", "Extra inputs"]),
    ("wrong type", ("min_records = 10\n", 'min_records = "zehn"\n'),
     ["sources.toml: source 'kreis-mettmann': key 'min_records'", "valid integer", "'zehn'"]),
    ("bad value", ('policy = "open"\n', 'policy = "public"\n'),
     ["sources.toml: source 'herne': key 'policy'", "'open' or 'withhold'"]),
    ("bad url", ('"https://www.nakos.de/adressen/blau/"', '"ftp://www.nakos.de/blau/"'),
     ["sources.toml: source 'nakos-blau': key 'start_urls.0'", "match pattern '^https?://'"]),
    ("duplicate id", ('id = "hamm"', 'id = "herne"'),
     ["sources.toml: source 'herne': key 'id': declared twice (sources #1 and #"]),
    ("missing key", ('publisher = "Der Paritätische NRW – Selbsthilfe-Kontaktstelle Hamm"\n', ""),
     ["sources.toml: source 'hamm': key 'publisher'", "required"]),
    ("missing nested key", ('name = "Gruppe"\n', ""),
     ["sources.toml: source 'datei-gruppen-xlsx': key 'file.columns.name'"]),
    ("nested wrong type", ('postcode = "anschrift.plz"', "postcode = 5"),
     ["sources.toml: source 'datei-einrichtungen-json': key 'file.columns.postcode'"]),
    ("not a text encoding", ('key = "Nr"\n', 'key = "Nr"\nencoding = "rot13"\n'),
     ["key 'file.encoding'", "not a text encoding"]),
    ("unknown top-level key", ("# The source registry.", 'titel = "x"\n# The source registry.'),
     ["sources.toml: unknown top-level key 'titel'"]),
]


@pytest.mark.parametrize(("change", "parts"), [m[1:] for m in MALFORMED],
                         ids=[m[0] for m in MALFORMED])
def test_malformed_registry_names_file_source_and_key(tmp_path, change, parts):
    text = BUNDLED.replace(*change, 1)
    assert text != BUNDLED
    message = rejected(tmp_path, text)
    for part in parts:
        assert part in message, message


def test_an_entry_without_an_id_is_named_by_its_position(tmp_path):
    message = rejected(tmp_path, GOOD + GOOD.replace('id = "herne"\n', ""))
    assert message == f"{tmp_path / 'sources.toml'}: source #2: key 'id': Field required"


def test_every_problem_is_listed_on_its_own_line(tmp_path):
    text = BUNDLED.replace('policy = "open"\n', 'policy = "public"\n', 1).replace(
        "min_records = 4\n", "min_records = -4\n")
    lines = rejected(tmp_path, text).splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("(got 'public')") and "key 'min_records'" in lines[1]
    assert "sources.toml: source '" in lines[1]


def test_multiline_values_and_comments_are_values(tmp_path):
    """Text in a multi-line string or array that looks like a table or key is no table."""
    tricky = ('attribution = """Stadt Herne\n[[source]]\nid = "schein"\n"""\n'
              'start_urls = [\n  "https://www.herne.de/Gesundheit/Selbsthilfe/Selbsthilfegruppen/",'
              '  # policy = "x"\n]\n')
    text = BUNDLED.replace('attribution = "Stadt Herne, buez – Selbsthilfe-Netzwerk"\n', tricky)
    text = text.replace('start_urls = ["https://www.herne.de/Gesundheit/Selbsthilfe/'
                        'Selbsthilfegruppen/"]\n', "", 1)
    assert load_registry(write(tmp_path, text)).get("herne").attribution.endswith('"schein"\n')
    bad = text.replace('cadence = "daily"\n', 'cadence = "hourly"\n', 1)
    message = rejected(tmp_path, bad)
    assert "sources.toml: source 'herne': key 'cadence'" in message


def test_not_utf8_and_unreadable_files_are_named(tmp_path):
    data = BUNDLED.encode("utf-8").replace(b"Paritaetischer", b"Parit\xe4tischer", 1)
    path = tmp_path / "sources.toml"
    path.write_bytes(data)
    with pytest.raises(RegistryError, match=rf"sources\.toml:{line_of(BUNDLED, 'Paritaetischer')}"
                                            r": not UTF-8 \(byte 0xe4\)"):
        load_registry(path)
    with pytest.raises(RegistryError, match=r"fehlt\.toml: cannot read the registry"):
        load_registry(tmp_path / "fehlt.toml")


def test_shg_run_rejects_a_malformed_registry_before_any_request(tmp_path):
    """The real command line: exit code 2, file, source and key on stderr, no request sent to
    the (loopback) site and nothing written."""
    bad = write(tmp_path, BUNDLED.replace('policy = "open"\n', 'policy = "public"\n', 1))
    shg = Path(sys.executable).with_name("shg")
    with serve_directory(FIXTURES / "herne") as (base, seen):
        done = subprocess.run(
            [str(shg), "--registry", str(bad), "--data", str(tmp_path / "data"), "run",
             "--source", "herne", "--public", str(tmp_path / "public"),
             "--map", f"https://www.herne.de={base}"],
            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"{bad}: source 'herne': key 'policy'" in done.stderr
    assert seen == []
    assert not (tmp_path / "data").exists() and not (tmp_path / "public").exists()


# ----------------------------- what an entry names is checked at load time (issue 17, item 10)

FILE_SOURCE = """
[[source]]
id = "datei-x"
name = "X"
publisher = "P"
kind = "file"
path = "eingang/liste.csv"
licence = "CC-BY-4.0"
policy = "open"

[source.file]
key = "Nr"

[source.file.columns]
name = "Name"
"""


@pytest.mark.parametrize(("change", "key", "why"), [
    (('kind = "html"', 'kind = "html"\nscraper = "gibtsnicht"'), "scraper",
     "no scraper module scrapers.sources.gibtsnicht"),
    # the module exists, but its Scraper's source_id is "nakos-rot"
    (('kind = "html"', 'kind = "html"\nscraper = "nakos_rot"'), "scraper",
     "scrapers.sources.nakos_rot defines no Scraper with that source_id"),
    (('id = "herne"', 'id = "herne-neu"'), "id",
     "no scraper module scrapers.sources.herne_neu"),
    (('kind = "html"', 'kind = "html"\nscraper = "../herne"'), "scraper",
     "String should match pattern"),
    (('licence = "CC-BY-4.0"', 'licence = " "'), "licence",
     "blank: an open source must name its licence"),
    (('licence = "CC-BY-4.0"', 'licence = "\\t"'), "licence", "blank"),
])
def test_what_an_html_entry_names_is_checked(tmp_path, change, key, why):
    text = GOOD.replace(*change)
    message = rejected(tmp_path, text)
    source = "herne-neu" if "herne-neu" in text else "herne"
    assert message.startswith(f"{tmp_path / 'sources.toml'}: "
                              f"source '{source}': key '{key}': "), message
    assert why in message, message


def test_a_withheld_source_may_leave_its_licence_to_be_found(tmp_path):
    text = GOOD.replace('licence = "CC-BY-4.0"', 'licence = " "').replace(
        'policy = "open"', 'policy = "withhold"')
    assert load_registry(write(tmp_path, text)).get("herne").licence == " "


def test_a_file_source_needs_its_file_beside_the_registry(tmp_path, monkeypatch):
    registry = tmp_path / "registry" / "sources.toml"
    registry.parent.mkdir()
    registry.write_text(FILE_SOURCE, "utf-8")
    with pytest.raises(RegistryError) as err:
        load_registry(registry)
    assert str(err.value) == (
        f"{registry}: source 'datei-x': key 'path': file 'eingang/liste.csv' not found "
        f"(relative to the registry: {registry.parent / 'eingang' / 'liste.csv'})")
    (registry.parent / "eingang").mkdir()
    (registry.parent / "eingang" / "liste.csv").write_text("Nr;Name\n1;Gruppe\n", "utf-8")
    monkeypatch.chdir(tmp_path)  # relative to the registry, not to the working folder
    assert load_registry(registry).get("datei-x").path == "eingang/liste.csv"
    (registry.parent / "eingang" / "liste.csv").unlink()
    (registry.parent / "eingang" / "liste.csv").mkdir()  # a folder is no file
    with pytest.raises(RegistryError, match=r"key 'path': file 'eingang/liste\.csv' not found"):
        load_registry(registry)


def test_a_utf8_bom_is_accepted_and_errors_still_name_the_key(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert load_registry(path).get("herne").name == "Herne"
    bad = GOOD.replace('policy = "open"', 'policy = "offen"')
    path.write_bytes(b"\xef\xbb\xbf" + bad.encode("utf-8"))
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    assert str(err.value).startswith(f"{path}: source 'herne': key 'policy': ")


def test_the_bundled_registry_and_a_bom_copy_of_it_load_alike(tmp_path):
    path = write(tmp_path, BUNDLED)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_registry(path).ids == load_registry(ROOT / "sources.toml").ids
