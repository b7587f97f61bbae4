"""The file-import path: directory files that contact centres send (CSV, XLSX, JSON), read by a
`[source.file]` mapping in the registry alone.

The three samples in snapshots/files/ (written by make_samples.py, invented data) are imported
once per module through registry blocks identical to the ones proposed for sources.toml; tmp
files cover encodings, delimiters, a new file mapped without code and broken mappings.
"""

import codecs
import hashlib
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.collect import RunContext, collect_source
from schema.normalise import to_listings
from schema.records import ScrapedRecord
from schema.registry import RegistryError, Source, load_registry
from scrapers.bases.base import ScrapeResult
from scrapers.errors import EmptyScrape, SiteChanged
from scrapers.importers.files.read import (
    FileMappingError,
    choose_encoding,
    file_facts,
    sniff_delimiter,
)
from scrapers.importers.files.stream import import_file, place_digest
from tests.conftest import ROOT

SAMPLES = ROOT / "snapshots" / "files"
CSV_FILE = SAMPLES / "kontaktstellen-beispiel.csv"
XLSX_FILE = SAMPLES / "gruppen-beispiel.xlsx"
JSON_FILE = SAMPLES / "einrichtungen-beispiel.json"

SAMPLE_REGISTRY = """
[[source]]
id = "datei-kontaktstellen-csv"
name = "Verzeichnis der Selbsthilfe-Kontaktstellen (Beispieldatei, CSV)"
publisher = "Landesnetzwerk Selbsthilfe Beispielland (erfunden)"
kind = "file"
path = "snapshots/files/kontaktstellen-beispiel.csv"
licence = "CC-BY-4.0"
policy = "open"
attribution = "Landesnetzwerk Selbsthilfe Beispielland"
cadence = "monthly"
min_records = 5

[source.file]
key = "Nr"
kind = "contact_centre"
hours_by_day = { mo = "Mo", di = "Di", mi = "Mi", do = "Do", fr = "Fr" }

[source.file.columns]
name = "Einrichtung"
carrier = "Träger"
street = "Straße"
postcode = "PLZ"
city = "Ort"
district = "Stadtteil"
phones_text = "Telefon"
emails_text = "E-Mail"
web_text = "Internet"
hours_text = "Sprechzeiten"

[[source]]
id = "datei-gruppen-xlsx"
name = "Selbsthilfegruppen im Landkreis Beispiel (Beispieldatei, XLSX)"
publisher = "Selbsthilfe-Kontaktstelle Musterstadt (erfunden)"
kind = "file"
path = "snapshots/files/gruppen-beispiel.xlsx"
licence = "CC-BY-4.0"
policy = "open"
attribution = "Selbsthilfe-Kontaktstelle Musterstadt"
cadence = "monthly"
min_records = 5

[source.file]
sheet = "Gruppen"
header_row = 3
key = "ID"
kind = "group"
split = { topics = "," }
branches = { suffixes = ["_2"] }

[source.file.columns]
name = "Gruppe"
topics = "Themen"
meeting_text = "Treffen"
street = "Treffpunkt"
postcode = "PLZ"
city = "Ort"
contact_person = "Ansprechperson"
phones_text = ["Telefon", "Telefon 2"]
emails_text = "E-Mail"
web_text = "Homepage"
online_text = "Online"

[[source]]
id = "datei-einrichtungen-json"
name = "Landesweite Selbsthilfe-Einrichtungen (Beispieldatei, JSON)"
publisher = "Landesnetzwerk Selbsthilfe Beispielland (erfunden)"
kind = "file"
path = "snapshots/files/einrichtungen-beispiel.json"
licence = "CC-BY-4.0"
policy = "open"
attribution = "Landesnetzwerk Selbsthilfe Beispielland"
cadence = "monthly"
min_records = 4

[source.file]
records = "data.einrichtungen"
key = "kennung"
kind = "organisation"
hours_by_day = "oeffnungszeiten.wochentage"
branches = { path = "aussenstellen", key = "nr" }

[source.file.columns]
name = "bezeichnung"
org_type = "typ"
street = "anschrift.strasse"
postcode = "anschrift.plz"
city = "anschrift.ort"
phones_text = "kontakt.telefon"
emails_text = "kontakt.email"
web_text = "kontakt.web"
topics = "themen"
hours_text = "oeffnungszeiten.text"
"""

SOURCE_FILES = {"datei-kontaktstellen-csv": CSV_FILE, "datei-gruppen-xlsx": XLSX_FILE,
                "datei-einrichtungen-json": JSON_FILE}
KINDS = {"datei-kontaktstellen-csv": "contact_centre", "datei-gruppen-xlsx": "group",
         "datei-einrichtungen-json": "organisation"}


def file_uri(path: Path) -> str:
    """Files are named relative to the registry (the repository root), never absolutely."""
    return "file:" + path.resolve().relative_to(ROOT).as_posix()


def write_registry(folder: Path, text: str) -> Path:
    """`text` as folder/sources.toml, the sample files laid out beside it as in the checkout
    (a file source's path is relative to its registry, and must exist when it is loaded)."""
    shutil.copytree(SAMPLES, folder / "snapshots" / "files", dirs_exist_ok=True)
    path = folder / "sources.toml"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    return load_registry(write_registry(tmp_path_factory.mktemp("registry"), SAMPLE_REGISTRY))


@pytest.fixture(scope="module")
def results(registry) -> dict[str, ScrapeResult]:
    return {s.id: import_file(s, ROOT) for s in registry.sources}


@pytest.fixture(scope="module")
def records(results) -> dict[str, dict[str, ScrapedRecord]]:
    return {sid: {r.source_key: r for r in res.records} for sid, res in results.items()}


@pytest.fixture(scope="module")
def csv_records(records):
    return records["datei-kontaktstellen-csv"]


@pytest.fixture(scope="module")
def xlsx_records(records):
    return records["datei-gruppen-xlsx"]


@pytest.fixture(scope="module")
def json_records(records):
    return records["datei-einrichtungen-json"]


# ----------------------------------------------------------------------- the CSV sample

def test_csv_sample_is_semicolon_windows_1252_as_excel_writes_it():
    raw = CSV_FILE.read_bytes()
    assert not raw.startswith(codecs.BOM_UTF8)
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("cp1252").splitlines()[0].startswith("Nr;Einrichtung;Träger;Straße;")


#: The CSV sample's row repeating KS-101: a branch keyed by its name and address.
NORD = "KS-101-" + place_digest({
    "name": "Selbsthilfe-Kontaktstelle Musterstadt – Außenstelle Nord",
    "address_text": "Birkenweg 3, 12347 Musterstadt", "district": "Nordviertel"})


def test_csv_records_and_failures(csv_records, results):
    assert sorted(csv_records) == ["KS-101", NORD, "KS-102", "KS-103", "KS-104", "KS-105",
                                   "KS-107"]
    assert results["datei-kontaktstellen-csv"].pages[0].encoding == "cp1252"


def test_csv_main_office_field_by_field(csv_records):
    r = csv_records["KS-101"]
    assert r.kind == "contact_centre"
    assert r.name == "Selbsthilfe-Kontaktstelle Musterstadt"
    assert r.carrier == "Verein „Miteinander“ e. V."  # cp1252-only quotes survive
    assert r.address_text == "Lindenstraße 12, 12345 Musterstadt"
    assert r.district == "Innenstadt"
    assert r.phones_text == ["(0 30) 2 31 25-100"]
    assert r.emails_text == ["kontakt@selbsthilfe-musterstadt.example.org"]
    assert r.web_text == ["www.selbsthilfe-musterstadt.example.org"]
    assert r.hours_text == "Mo, Di 9-12 Uhr; Do 14-17 Uhr"  # a quoted ";" stays in the cell
    assert r.parent_key is None
    assert r.notes == []
    assert [(d.day, d.note) for d in r.hours_days] == [("mo", "9-12"), ("di", "9-12"),
                                                       ("do", "14-17")]


def test_csv_repeated_id_becomes_a_branch_of_the_first_row(csv_records):
    r = csv_records[NORD]
    assert r.name == "Selbsthilfe-Kontaktstelle Musterstadt – Außenstelle Nord"
    assert r.address_text == "Birkenweg 3, 12347 Musterstadt"
    assert r.district == "Nordviertel"
    assert r.phones_text == ["030 23125-120"]
    assert r.hours_text == "Mi 10-13 Uhr"
    assert r.parent_key == "KS-101"
    assert r.notes == [f"source key 'KS-101' repeated from row 2; read as {NORD!r}"]
    assert r.source_url == f"file:snapshots/files/kontaktstellen-beispiel.csv#key={r.source_key}"


def hours_of(record: ScrapedRecord):
    """The listing's office hours and flags, by the real normaliser."""
    (item,), _ = to_listings([record], "CC-BY-4.0")
    return item.opening_hours, item.flags


def test_csv_disagreeing_hours_keep_both_and_the_per_weekday_hours_win(csv_records):
    r = csv_records["KS-103"]
    assert r.name == "Kontaktstelle für Selbsthilfe Grünau"
    assert r.carrier == "Stadt Grünau, Gesundheitsamt"
    assert r.address_text == "Am Anger 7, 34567 Grünau"
    assert r.web_text == ["https://www.gruenau.example.org/selbsthilfe"]
    assert r.hours_text == "Mo-Fr 9-12 Uhr, Mi 14-18 Uhr"
    assert r.notes == []
    hours, flags = hours_of(r)
    assert hours.original == "Mo-Fr 9-12 Uhr, Mi 14-18 Uhr"
    assert hours.osm == "Mo,Tu,Th,Fr 09:00-12:00; We 09:00-12:00,14:00-16:00"
    assert "hours_disagree:We" in flags


def test_csv_hours_only_per_weekday_are_written_out(csv_records):
    r = csv_records["KS-107"]
    assert r.name == "Selbsthilfe-Kontaktstelle Weißenfeld"
    assert r.address_text == "Schloßstraße 4, 56789 Weißenfeld"
    assert r.hours_text is None and r.notes == []
    hours, flags = hours_of(r)
    assert (hours.original, hours.osm) == ("Montag 9-12\nDonnerstag 15-18",
                                           "Mo 09:00-12:00; Th 15:00-18:00")
    assert not [f for f in flags if f.startswith("hours_disagree")]


# ---------------------------------------------------------------------- the XLSX sample

def test_xlsx_reads_the_named_sheet_below_its_title(xlsx_records):
    assert sorted(xlsx_records) == ["101", "101-2", "102", "103", "104", "105", "106", "107"]


def test_xlsx_group_field_by_field(xlsx_records):
    r = xlsx_records["101"]
    assert r.kind == "group"
    assert r.source_key == "101"  # a numeric id cell, not "101.0"
    assert r.name == "Angehörigengruppe Demenz"
    assert r.topics == ["Demenz", "Angehörige"]
    assert r.meeting_text == "jeden 2. Mittwoch im Monat, 18 Uhr"
    assert r.address_text == "Bürgerhaus Süd, Lindenstraße 40, 12345 Musterstadt"
    assert r.contact_person == "Erika Beispiel"
    assert r.phones_text == ["030 23125 610"]
    assert r.emails_text == ["demenz-angehoerige@example.org"]
    assert r.web_text == [] and r.online_text is None and r.notes == []
    assert r.source_url == "file:snapshots/files/gruppen-beispiel.xlsx#key=101"


def test_xlsx_second_meeting_place_in_suffixed_columns(xlsx_records):
    r = xlsx_records["101-2"]
    assert r.parent_key == "101"
    assert r.meeting_text == "jeden 4. Mittwoch im Monat, 18 Uhr"
    assert r.address_text == "Gemeindehaus Nord, Birkenweg 9, 12347 Musterstadt"
    # what the branch columns leave out comes from its row
    assert r.name == "Angehörigengruppe Demenz"
    assert r.topics == ["Demenz", "Angehörige"]
    assert r.phones_text == ["030 23125 610"]
    assert r.notes == []  # declared branches are no hazard
    assert r.source_url.endswith("#key=101-2")


def test_xlsx_two_phone_columns_and_online_group(xlsx_records):
    r = xlsx_records["104"]
    assert r.name == "Trauercafé Lichtblick"
    assert r.phones_text == ["040 66969 620", "0160 1234567"]
    assert r.web_text == ["https://trauercafe.example.org"]
    assert r.contact_person == "Max Mustermann"
    online = xlsx_records["105"]
    assert online.topics == ["Long Covid", "Fatigue"]
    assert online.online_text == "nur online (Videokonferenz)"
    assert online.address_text is None and online.phones_text == []


# ---------------------------------------------------------------------- the JSON sample

def test_json_records_under_a_nested_path(json_records):
    assert sorted(json_records) == ["5", "LV-01", "LV-02", "LV-02-N", "LV-02-S", "LV-03", "LV-04"]


def test_json_organisation_field_by_field(json_records):
    r = json_records["LV-01"]
    assert r.kind == "organisation"
    assert r.name == "Landesverband Schlafstörungen Beispielland e. V."
    assert r.org_type == "Landesverband"
    assert r.address_text == "Hauptstraße 10, 12345 Musterstadt"
    assert r.phones_text == ["030 23125 700", "030 23125 701"]
    assert r.emails_text == ["info@lv-schlaf.example.org"]
    assert r.web_text == ["https://lv-schlaf.example.org"]
    assert r.topics == ["Schlafapnoe", "Schlafstörungen"]
    assert r.hours_text == "Mo-Do 9-15 Uhr"
    assert r.notes == []
    assert r.source_url == "file:snapshots/files/einrichtungen-beispiel.json#key=LV-01"


def test_json_branches_keyed_by_their_own_number(json_records):
    north, south = json_records["LV-02-N"], json_records["LV-02-S"]
    assert north.parent_key == south.parent_key == "LV-02"
    assert north.name == "Rheuma Beispielland – Regionalbüro Nord"
    assert north.org_type == "Außenstelle"
    assert north.address_text == "Nordstraße 1, 23460 Nordhafen"
    assert north.phones_text == ["069 90009 711"]
    assert north.hours_text == "Di 10-12 Uhr" and north.notes == []
    # the south office names nothing but its place: the rest is the association's
    assert south.name == "Landesvereinigung Selbsthilfe Rheuma Beispielland"
    assert south.address_text == "Südweg 9, 23470 Südheim"
    assert south.phones_text == ["069 90009 712"]
    assert south.emails_text == ["post@rheuma-bl.example.org"]
    assert json_records["LV-02"].parent_key is None


def test_json_numeric_id_and_postcode_become_text(json_records):
    r = json_records["5"]
    assert r.address_text == "Zuckerweg 2, 56789 Weißenfeld"


# ----------------------------------------------------------------------------- hazards

@pytest.mark.parametrize(("source_id", "key", "note"), [
    ("datei-kontaktstellen-csv", "KS-102",
     "web_text holds an e-mail address (column 'Internet'); kept where it was"),
    ("datei-kontaktstellen-csv", "KS-102",
     "city holds a postcode (column 'Ort'); kept where it was"),
    ("datei-kontaktstellen-csv", "KS-105",
     "emails_text holds a web address (column 'E-Mail'); kept where it was"),
    ("datei-kontaktstellen-csv", "KS-104", "contact data identical to row 5 (e-mail, phone)"),
    ("datei-gruppen-xlsx", "103",
     "web_text holds an e-mail address (column 'Homepage'); kept where it was"),
    ("datei-gruppen-xlsx", "106", "contact data identical to row 7 (e-mail, phone)"),
    ("datei-gruppen-xlsx", "107",
     "postcode holds no five-digit postcode (column 'PLZ'); kept where it was"),
    ("datei-einrichtungen-json", "LV-04",
     "city holds a postcode (column 'anschrift.ort'); kept where it was"),
    ("datei-einrichtungen-json", "5", "contact data identical to row 1 (e-mail, phone)"),
])
def test_hazard_is_noted(records, source_id, key, note):
    assert note in records[source_id][key].notes


def test_misplaced_values_stay_where_the_file_put_them(csv_records, xlsx_records, json_records):
    assert csv_records["KS-102"].web_text == ["info@selbsthilfebuero-beispielhausen.example.org"]
    assert csv_records["KS-102"].emails_text == []
    assert csv_records["KS-102"].address_text == "Marktplatz 5, 23456 Beispielhausen"
    assert csv_records["KS-105"].emails_text == ["www.shz-ueberbach.example.org"]
    assert xlsx_records["107"].address_text == "Gasthaus Linde, Hauptstraße 3, 4711 Beispieldorf"
    assert json_records["LV-04"].web_text == ["post@angehoerige-bl.example.org"]


def test_notes_never_repeat_a_contact_value(results):
    for result in results.values():
        for r in result.records:
            for value in r.phones_text + r.emails_text + r.web_text:
                assert all(value not in note for note in r.notes), (r.source_key, value)


def test_branches_of_one_centre_may_share_contact_data(csv_records, xlsx_records):
    assert not any("identical" in n for n in csv_records[NORD].notes)
    assert not any("identical" in n for n in xlsx_records["101-2"].notes)


@pytest.mark.parametrize(("source_id", "row", "field"), [
    ("datei-kontaktstellen-csv", 8, "source_key"),
    ("datei-kontaktstellen-csv", 9, "name"),
    ("datei-gruppen-xlsx", 11, "source_key"),
    ("datei-einrichtungen-json", 6, "source_key"),
])
def test_rows_without_key_or_name_are_quarantined(results, source_id, row, field):
    failures = {f.url.rsplit("#", 1)[1]: f for f in results[source_id].failures}
    failure = failures[f"row={row}"]
    assert failure.field == field
    assert failure.reason.startswith(f"field '{field}': no value in column(s) ")
    assert failure.url.startswith(file_uri(SOURCE_FILES[source_id]) + "#row=")
    assert failure.raw  # the row itself, for the quarantine table


def test_json_rows_repeating_an_id_are_told_apart_by_their_own_column(tmp_path):
    (tmp_path / "orte.json").write_text(json.dumps([
        {"id": "A", "name": "Zentrum", "standort": "Mitte"},
        {"id": "A", "name": "Zentrum", "standort": "Nord"},
        {"id": "A", "name": "Zentrum", "standort": "Nord"},
        "kein Objekt",
    ]), "utf-8")
    source = Source.model_validate({
        "id": "datei-orte", "name": "O", "publisher": "P", "kind": "file", "path": "orte.json",
        "licence": "CC-BY-4.0", "policy": "open",
        "file": {"key": "id", "columns": {"name": "name"}, "branches": {"key": "standort"}}})
    result = import_file(source, tmp_path)
    assert [(r.source_key, r.parent_key) for r in result.records] == [("A", None),
                                                                      ("A-Nord", "A")]
    assert [(f.url.rsplit("#", 1)[1], f.field) for f in result.failures] == [
        ("row=3", "source_key"), ("row=4", None)]
    assert "'A-Nord' already used in row 2" in result.failures[0].reason


def test_failure_counts(results):
    assert {sid: len(r.failures) for sid, r in results.items()} == {
        "datei-kontaktstellen-csv": 2, "datei-gruppen-xlsx": 1, "datei-einrichtungen-json": 1}


# -------------------------------------------------------------------------- invariants

def test_invariants_over_all_records(results):
    for source_id, result in results.items():
        path = SOURCE_FILES[source_id]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        keys = [r.source_key for r in result.records]
        assert len(keys) == len(set(keys)), source_id
        for r in result.records:
            assert r.source_id == source_id and r.kind == KINDS[source_id]
            assert r.name and r.source_key
            assert r.source_url == f"{file_uri(path)}#key={r.source_key}"
            assert r.fetched_at == mtime and r.fetched_at.tzinfo is not None
            assert r.content_hash == digest
            for value in [r.name, r.address_text, *r.phones_text, *r.emails_text, *r.web_text]:
                assert value is None or value == value.strip()
        [page] = result.pages
        assert page.url == file_uri(path) and page.sha256 == digest


def test_keys_are_stable_between_runs(registry, results):
    for source in registry.sources:
        again = import_file(source, ROOT)
        assert [r.source_key for r in again.records] == \
            [r.source_key for r in results[source.id].records]


def test_samples_load_through_the_pipeline(registry, tmp_path):
    run = collect_source(registry.get("datei-kontaktstellen-csv"),
                         RunContext(run_id="t", data_dir=tmp_path, base_dir=ROOT))
    assert run.status == "ok", run.reason
    assert len(run.listings) == 7 and len(run.quarantine) == 2
    centre = next(li for li in run.listings if li.source_key == "KS-103")
    assert centre.address.postcode == "34567" and centre.phones[0].valid
    assert "hours_disagree:We" in centre.flags


# --------------------------------------------------------------- encodings, delimiters

ROWS = [["Nr", "Name", "Ort"], ["1", "Gesprächskreis Übergewicht", "Weißenfeld"],
        ["2", "Angehörige „Sucht“ – Gruppe", "Köln, Süd"]]


def file_source(path: Path, **file_settings) -> Source:
    return Source.model_validate({
        "id": "datei-test", "name": "Test", "publisher": "Test", "kind": "file",
        "path": path.name, "licence": "CC-BY-4.0", "policy": "open",
        "file": {"key": "Nr", "columns": {"name": "Name", "city": "Ort"}} | file_settings})


def write_csv(path: Path, delimiter: str, encoding: str, rows=ROWS) -> Path:
    def cell(v: str) -> str:
        return f'"{v}"' if delimiter in v or '"' in v else v
    text = "\r\n".join(delimiter.join(cell(v) for v in row) for row in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(("delimiter", "encoding", "found"), [
    (";", "cp1252", "cp1252"),
    (",", "utf-8-sig", "utf-8-sig"),       # BOM from Excel's "CSV UTF-8"
    ("\t", "utf-16", "utf-16"),            # Excel's "Unicode text": UTF-16 with BOM, tabs
    ("|", "utf-8", "utf-8"),
])
def test_encoding_and_delimiter_are_sniffed(tmp_path, delimiter, encoding, found):
    path = write_csv(tmp_path / "liste.csv", delimiter, encoding)
    result = import_file(file_source(path), tmp_path)
    assert [r.name for r in result.records] == ["Gesprächskreis Übergewicht",
                                                "Angehörige „Sucht“ – Gruppe"]
    assert result.records[1].address_text == "Köln, Süd"
    assert result.pages[0].encoding == found


def test_declared_encoding_and_delimiter_win(tmp_path):
    path = write_csv(tmp_path / "liste.txt", ";", "cp1252")
    result = import_file(file_source(path, encoding="cp1252", delimiter=";"), tmp_path)
    assert result.records[0].name == "Gesprächskreis Übergewicht"


def decode(content: bytes) -> tuple[str, str]:
    """(text, codec) of a file, as the importer chooses its codec from one pass over it."""
    facts = file_facts(io.BytesIO(content))
    codec, errors = choose_encoding(facts.head, facts.utf8)
    return content.decode(codec, errors), codec


def test_decode_order_bom_then_utf8_then_windows_1252():
    assert decode(codecs.BOM_UTF8 + "Straße".encode()) == ("Straße", "utf-8-sig")
    assert decode("Straße".encode()) == ("Straße", "utf-8")
    assert decode("Straße „x“".encode("cp1252")) == ("Straße „x“", "cp1252")


def test_sniffer_is_not_misled_by_commas_inside_cells():
    text = ("Nr;Name;Sprechzeiten\n1;Kontaktstelle A, Nord;Mo, Di, Do 9-12, 14-16\n"
            "2;B;Mo, Mi, Fr 10-12\n")
    assert sniff_delimiter(text) == ";"
    assert sniff_delimiter("a|b|c\n1|2|3\n") == "|"


def test_json_disagreeing_hours_are_flagged_on_the_listing(json_records):
    hours, flags = hours_of(json_records["LV-03"])
    assert "hours_disagree:Fr" in flags
    assert hours.osm is not None and "Fr 10:00-12:00" in hours.osm


# ------------------------------------------------------- a new file, by registry alone

NEW_REGISTRY = """
[[source]]
id = "datei-kreis-beispiel"
name = "Selbsthilfe im Kreis Beispiel (Tabelle der Kontaktstelle)"
publisher = "Kreis Beispiel"
kind = "file"
path = "eingang/shg-liste.csv"
licence = "CC-BY-4.0"
policy = "open"

[source.file]
key = ["Kreis", "LfdNr"]
kind = "group"
split = { topics = "/" }
branches = { suffixes = [" (2)"] }

[source.file.columns]
name = "Bezeichnung der Gruppe"
topics = "Stichworte"
address_text = "Anschrift Treffpunkt"
meeting_text = "Wann?"
phones_text = ["Tel. dienstlich", "Tel. privat"]
emails_text = "Mail"
contact_person = ["Vorname", "Nachname"]
"""

NEW_CSV = [
    ["Kreis", "LfdNr", "Bezeichnung der Gruppe", "Stichworte", "Anschrift Treffpunkt", "Wann?",
     "Anschrift Treffpunkt (2)", "Wann? (2)", "Tel. dienstlich", "Tel. privat", "Mail",
     "Vorname", "Nachname"],
    ["KB", "7", "Elternkreis Frühchen", "Frühgeburt / Eltern", "Kinderklinik, Ringstraße 1, "
     "34567 Grünau", "jeden 1. Montag, 10 Uhr", "Familienzentrum, Parkweg 2, 34568 Grünau",
     "jeden 3. Montag, 10 Uhr", "040 66969 800", "", "fruehchen@example.org", "Anna",
     "Beispiel"],
    ["KB", "8", "Selbsthilfegruppe Essstörungen", "Essstörungen", "", "dienstags 19 Uhr", "", "",
     "", "0152 000000", "", "", ""],
]


def test_new_csv_is_imported_by_a_registry_entry_alone(tmp_path):
    (tmp_path / "eingang").mkdir()
    write_csv(tmp_path / "eingang" / "shg-liste.csv", ",", "utf-8", NEW_CSV)
    registry = load_registry(write_registry(tmp_path, NEW_REGISTRY))
    result = import_file(registry.get("datei-kreis-beispiel"), registry.path.parent)
    records = {r.source_key: r for r in result.records}
    assert sorted(records) == ["KB-7", "KB-7-2", "KB-8"] and result.failures == []
    first = records["KB-7"]
    assert first.kind == "group"
    assert first.name == "Elternkreis Frühchen"
    assert first.topics == ["Frühgeburt", "Eltern"]
    assert first.address_text == "Kinderklinik, Ringstraße 1, 34567 Grünau"
    assert first.meeting_text == "jeden 1. Montag, 10 Uhr"
    assert first.phones_text == ["040 66969 800"]
    assert first.emails_text == ["fruehchen@example.org"]
    assert first.contact_person == "Anna Beispiel"
    second_place = records["KB-7-2"]
    assert second_place.parent_key == "KB-7"
    assert second_place.address_text == "Familienzentrum, Parkweg 2, 34568 Grünau"
    assert second_place.meeting_text == "jeden 3. Montag, 10 Uhr"
    assert second_place.name == "Elternkreis Frühchen"
    other = records["KB-8"]
    assert other.phones_text == ["0152 000000"] and other.address_text is None
    assert other.contact_person is None


# ------------------------------------------------------------------ broken mappings

def test_mapping_a_column_the_file_lacks_names_source_key_and_column(tmp_path):
    (tmp_path / "eingang").mkdir()
    write_csv(tmp_path / "eingang" / "shg-liste.csv", ",", "utf-8", NEW_CSV)
    registry = load_registry(write_registry(
        tmp_path, NEW_REGISTRY.replace('emails_text = "Mail"', 'emails_text = "E-Mail-Adresse"')))
    with pytest.raises(FileMappingError) as err:
        import_file(registry.get("datei-kreis-beispiel"), tmp_path)
    message = str(err.value)
    assert "source 'datei-kreis-beispiel'" in message
    assert "key 'file.columns.emails_text'" in message
    assert "column 'E-Mail-Adresse' is not in shg-liste.csv" in message
    assert err.value.failure_class == "config_error"  # the mapping needs its author


def test_missing_key_column_json_path_and_sheet_are_named(tmp_path):
    path = write_csv(tmp_path / "liste.csv", ";", "utf-8")
    with pytest.raises(FileMappingError, match=r"key 'file\.key': column 'Kennung'"):
        import_file(file_source(path, key="Kennung"), tmp_path)
    (tmp_path / "liste.json").write_text('{"data": [{"id": "1", "titel": "A"}]}', "utf-8")
    json_source = Source.model_validate({
        "id": "datei-json", "name": "J", "publisher": "P", "kind": "file",
        "path": "liste.json", "licence": "CC-BY-4.0", "policy": "open",
        "file": {"key": "id", "records": "data", "columns": {"name": "name"}}})
    with pytest.raises(FileMappingError,
                       match=r"source 'datei-json': key 'file\.columns\.name': path 'name'"):
        import_file(json_source, tmp_path)
    wrong_records = json_source.model_copy(update={"file": json_source.file.model_copy(
        update={"records": "daten.liste"})})
    with pytest.raises(FileMappingError, match=r"key 'file\.records'"):
        import_file(wrong_records, tmp_path)


def test_missing_sheet_is_named(registry):
    source = registry.get("datei-gruppen-xlsx")
    source = source.model_copy(update={"file": source.file.model_copy(update={"sheet": "Tab1"})})
    with pytest.raises(FileMappingError, match=r"key 'file\.sheet': no sheet 'Tab1' "
                                               r"\(sheets: Hinweise, Gruppen\)"):
        import_file(source, ROOT)


def test_header_only_file_is_an_empty_scrape_unless_allowed(tmp_path):
    path = write_csv(tmp_path / "leer.csv", ";", "utf-8", ROWS[:1])
    with pytest.raises(EmptyScrape, match=r"leer\.csv holds no records"):
        import_file(file_source(path), tmp_path)
    allowed = file_source(path).model_copy(update={"may_be_empty": True})
    assert import_file(allowed, tmp_path).records == []


def test_unreadable_files_fail_as_parse_errors_naming_the_file(tmp_path):
    (tmp_path / "kaputt.xlsx").write_bytes(b"not a zip file")
    (tmp_path / "kaputt.json").write_text("{", "utf-8")
    for name in ("kaputt.xlsx", "kaputt.json"):
        source = file_source(tmp_path / name)
        with pytest.raises(SiteChanged, match=name) as caught:
            import_file(source, tmp_path)
        assert caught.value.failure_class == "parse_error"


# ------------------------------------------------------------------ registry checks

BASE = """
[[source]]
id = "datei-x"
name = "X"
publisher = "P"
kind = "file"
path = "liste.csv"
licence = "CC-BY-4.0"
policy = "open"
"""
FILE = """
[source.file]
key = "Nr"

[source.file.columns]
name = "Name"
"""


@pytest.mark.parametrize(("text", "key", "message"), [
    (BASE + FILE.replace('key = "Nr"', 'key = "Nr"\ncolour = "red"'), "file.colour",
     "Extra inputs"),
    (BASE + FILE.replace('name = "Name"', 'name = "Name"\nphone = "Tel"'), "file.columns.phone",
     "Extra inputs"),
    (BASE + FILE.replace('key = "Nr"', 'key = "Nr"\nsplit = { name = "," }'), "file.split.name",
     "Input should be 'phones_text', 'emails_text'"),
    (BASE + FILE.replace('key = "Nr"', 'key = "Nr"\nhours_by_day = { mon = "Mo" }'),
     "file.hours_by_day", "unknown weekday(s) mon"),
    (BASE + FILE.replace('name = "Name"', 'name = "Name"\naddress_text = "A"\ncity = "Ort"'),
     "file.columns", "address_text or street/postcode/city"),
    (BASE.replace("liste.csv", "liste.dat") + FILE, "file", "cannot tell it from the extension"),
    (BASE.replace("liste.csv", "liste.json") + FILE.replace(
        'key = "Nr"', 'key = "Nr"\nbranches = { suffixes = ["_2"] }'), "file",
     "branches.suffixes applies to csv/xlsx"),
    (BASE + FILE.replace('name = "Name"', 'beschreibung = "B"'), "file.columns.name",
     "Field required"),
    (BASE, "(entry)", "a file source needs a [source.file] table"),
])
def test_bad_file_settings_are_named_with_source_and_key(tmp_path, text, key, message):
    with pytest.raises(RegistryError) as err:
        load_registry(write_registry(tmp_path, text))
    assert "source 'datei-x'" in str(err.value)
    assert f"key '{key}'" in str(err.value)
    assert message in str(err.value)


def test_file_settings_fill_in_the_format_and_html_sources_refuse_them(tmp_path):
    write_csv(tmp_path / "liste.csv", ";", "utf-8")
    source = load_registry(write_registry(tmp_path, BASE + FILE)).sources[0]
    assert source.file.format == "csv" and source.file.key == ["Nr"]
    html = BASE.replace('kind = "file"', 'kind = "html"\nstart_urls = ["https://x.example.org/"]')
    with pytest.raises(RegistryError, match=r"\[source.file\] applies to file sources only"):
        load_registry(write_registry(tmp_path, html + FILE))


# -------------------------------------------------------------------- large files stream

def _numbered_csv(path: Path, rows: int) -> Path:
    """A file of `rows` groups; every 7th repeats the key before it, every 11th has no name."""
    lines = ["Nr;Name;Ort"]
    for i in range(rows):
        key = f"G-{i - 1}" if i % 7 == 6 else f"G-{i}"
        lines.append(f"{key};{'' if i % 11 == 10 else f'Gruppe {i}'};Herne")
    path.write_text("\r\n".join(lines) + "\r\n", "utf-8")
    return path


def test_a_file_is_read_in_batches_as_they_are_asked_for(tmp_path):
    """A 200,000-row file was read, decoded and turned into records whole before the first
    was normalised (2.8 GB). Now the records come a batch at a time, and the rows past the
    first batch are read only when the next batch is asked for."""
    from scrapers.importers.files.stream import stream_file

    source = file_source(_numbered_csv(tmp_path / "liste.csv", 30))
    whole = import_file(source, tmp_path)
    streamed = stream_file(source, tmp_path, batch_size=4)
    batches = streamed.record_batches()
    first = next(batches)
    assert [r.source_key for r in first] == ["G-0", "G-1", "G-2", "G-3"]
    assert streamed.failures == []  # row 11's missing name not read yet
    rest = list(batches)
    assert [len(b) for b in [first, *rest]] == [4] * 7
    assert [r for b in [first, *rest] for r in b] == whole.records
    assert streamed.failures == whole.failures and len(whole.failures) == 2
    assert streamed.pages == whole.pages


def _collect_and_commit(source: Source, tmp_path: Path, name: str):
    from warehouse.storage.db import connect
    from warehouse.storage.runs import begin_run, commit_source_run, upsert_sources

    ctx = RunContext(run_id=name, data_dir=tmp_path / name, base_dir=tmp_path)
    run = collect_source(source, ctx)
    spooled = sorted(p.name for p in (ctx.data_dir / "spool").glob("*"))
    con = connect(ctx.data_dir / "atlas.duckdb")
    upsert_sources(con, [source])
    begin_run(con, name, "live", datetime.now(UTC))
    commit_source_run(con, name, run)
    stored = con.execute("SELECT * EXCLUDE (first_seen, changed_at, run_id) FROM listings "
                         "ORDER BY id").fetchall()
    quarantined = con.execute("SELECT source_key, url, field, reason FROM quarantine "
                              "ORDER BY url").fetchall()
    left = sorted(p.name for p in (ctx.data_dir / "spool").glob("*"))
    con.close()
    return run, spooled, stored, quarantined, left


def test_a_large_run_waits_for_the_writer_on_disk_and_loads_the_same(tmp_path, monkeypatch):
    """Past one batch a file source's listings are spilled (the collector and the writer
    hold one batch, not all), and the warehouse ends up exactly as when they were held."""
    import scrapers.importers.files.stream

    source = file_source(_numbered_csv(tmp_path / "liste.csv", 60))
    held = _collect_and_commit(source, tmp_path, "held")
    monkeypatch.setattr(scrapers.importers.files.stream, "BATCH_RECORDS", 8)
    spilled = _collect_and_commit(source, tmp_path, "spilled")
    assert held[1] == [] and spilled[1] == ["spilled-datei-test.rows"]
    assert spilled[0].listings.pending == [] and len(spilled[0].listings) == 0  # committed
    assert spilled[2] == held[2] and len(held[2]) == 55
    assert spilled[3] == held[3] and len(held[3]) == 5
    assert (spilled[0].parsed, spilled[0].counts, spilled[0].stats) == \
        (held[0].parsed, held[0].counts, held[0].stats)
    assert spilled[4] == []  # the spill file is gone once committed


LEAN_REGISTRY = """
[[source]]
id = "datei-gross-csv"
name = "Lean"
publisher = "Test"
kind = "file"
path = "gross.csv"
licence = "CC-BY-4.0"
policy = "open"
attribution = "Test"
cadence = "monthly"

[source.file]
key = "Nr"
kind = "group"

[source.file.columns]
name = "Gruppe"
description = "Beschreibung"
"""


def test_a_100000_row_import_stays_small(tmp_path):
    """Read, normalised, validated and committed in a process of its own, 100,000 rows peaked
    at 1.3 GB when the file, its records and its listings were each held whole; streamed,
    the process stays far below (the figure for a million rows is in docs/performance.md)."""
    from bench.file_import import import_once

    (tmp_path / "sources.toml").write_text(LEAN_REGISTRY, "utf-8")
    with (tmp_path / "gross.csv").open("w", encoding="utf-8") as out:
        out.write("Nr;Gruppe;Beschreibung\n")
        for i in range(100_000):
            out.write(f"G-{i};Gesprächskreis {i};Wir treffen uns jeden zweiten Mittwoch, "
                      f"Gruppe {i}.\n")
    result = import_once(tmp_path / "sources.toml", tmp_path / "data")
    assert (result["status"], result["inserted"], result["stored"]) == ("ok", 100_000, 100_000)
    assert result["peak_rss_mb"] < 900, result


def test_the_bench_command_imports_its_file_twice(tmp_path, capsys):
    """`python -m bench.file_import` at its smallest: the checks hold and the figures print."""
    from bench.file_import import main

    assert main(["--rows", "1000", "--again", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "file import: 1,000 rows" in out
    assert "inserted 999, unchanged 0, quarantined 1" in out
    assert "inserted 0, unchanged 999, quarantined 1" in out
    assert "FAILED" not in out and "peak RSS" in out


# ------------------------------------------------------------ files as they are really sent

#: A state's list as such files come: centres under one key per region, the region's name a
#: field of the object holding them, or the key itself; invented data.
REGIONS_JSON = {
    "stand": "2026-11-01",
    "regionen": {
        "arnsberg": {"name": "Regierungsbezirk Arnsberg", "stellen": [
            {"nr": "A1", "titel": "Selbsthilfe-Kontaktstelle Musterstadt",
             "info": "Beratung", "zusatz": "Gruppengründung"},
            {"nr": "A2", "titel": "Selbsthilfebüro Beispielhausen"}]},
        "detmold": {"name": "Regierungsbezirk Detmold", "stellen": [
            {"nr": "D1", "titel": "KISS Grünau", "info": "Räume für Gruppen"}]},
    },
    "sonstige": [{"nr": "S1", "titel": "Selbsthilfe-Netzwerk Überbach"}],
}


def toml_value(value: object) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def regions_source(tmp_path: Path, **file_settings) -> Source:
    (tmp_path / "regionen.json").write_text(json.dumps(REGIONS_JSON), "utf-8")
    text = f"""
[[source]]
id = "datei-land"
name = "Kontaktstellen im Land (Beispiel)"
publisher = "Landesnetzwerk (erfunden)"
kind = "file"
path = "regionen.json"
licence = "CC-BY-4.0"
policy = "open"

[source.file]
key = "nr"
kind = "contact_centre"
{chr(10).join(f"{k} = {toml_value(v)}" for k, v in file_settings.items())}

[source.file.columns]
name = "titel"
district = "^name"
description = ["info", "zusatz"]
"""
    (tmp_path / "sources.toml").write_text(text, "utf-8")
    return load_registry(tmp_path / "sources.toml").get("datei-land")


def test_a_wildcard_mapping_imports_a_multi_region_file_with_one_registry_entry(tmp_path):
    source = regions_source(tmp_path, records=["regionen.*.stellen", "sonstige"])
    result = import_file(source, tmp_path)
    got = {r.source_key: r for r in result.records}
    assert list(got) == ["A1", "A2", "D1", "S1"]
    assert got["A2"].district == "Regierungsbezirk Arnsberg"
    assert got["D1"].district == "Regierungsbezirk Detmold"
    assert got["S1"].district is None  # "sonstige" has no enclosing object with a name
    assert not result.failures


def test_the_key_a_wildcard_matched_is_a_column(tmp_path):
    source = regions_source(tmp_path, records="regionen.*.stellen")
    source = source.model_copy(update={"file": source.file.model_copy(update={
        "columns": source.file.columns.model_copy(update={"district": ["^*"]})})})
    assert {r.source_key: r.district for r in import_file(source, tmp_path).records} == {
        "A1": "arnsberg", "A2": "arnsberg", "D1": "detmold"}


def test_a_records_path_that_matches_nothing_is_a_config_error(tmp_path):
    source = regions_source(tmp_path, records=["regionen.*.stellen", "regionen.*.gruppen"])
    with pytest.raises(FileMappingError, match=r"source 'datei-land': key 'file\.records': "
                                               r"'regionen\.\*\.gruppen' matches no list") as err:
        import_file(source, tmp_path)
    assert err.value.failure_class == "config_error"


def test_text_fields_join_with_the_separator_the_registry_names(tmp_path):
    plain = {r.source_key: r for r in import_file(
        regions_source(tmp_path, records="regionen.*.stellen"), tmp_path).records}
    assert plain["A1"].description == "Beratung Gruppengründung"  # a space by default
    joined = {r.source_key: r for r in import_file(regions_source(
        tmp_path, records="regionen.*.stellen", join={"description": " | "}), tmp_path).records}
    assert joined["A1"].description == "Beratung | Gruppengründung"
    assert joined["D1"].description == "Räume für Gruppen"


def test_join_applies_to_text_fields_only(tmp_path):
    with pytest.raises(RegistryError, match=r"key 'file\.join': .*phones_text: only text "
                                            r"fields"):
        regions_source(tmp_path, records="regionen.*.stellen", join={"phones_text": ", "})


def test_branch_keys_stay_with_their_place_when_rows_are_reordered(tmp_path):
    rows = [ROWS[0], ["7", "Kontaktstelle Grünau", "Grünau"],
            ["7", "Kontaktstelle Grünau – Außenstelle West", "Grünau-West"],
            ["8", "Gruppe Mut", "Altdorf"],
            ["7", "Kontaktstelle Grünau – Außenstelle Ost", "Grünau-Ost"]]
    keys = []
    for order in (rows, [rows[0], rows[1], *reversed(rows[2:])]):
        write_csv(tmp_path / "liste.csv", ";", "utf-8", order)
        got = import_file(file_source(tmp_path / "liste.csv"), tmp_path).records
        keys.append({r.name: r.source_key for r in got})
    assert keys[0] == keys[1]
    assert len(set(keys[0].values())) == 4 and keys[0]["Kontaktstelle Grünau"] == "7"
