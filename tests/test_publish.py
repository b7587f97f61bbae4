"""Releases: files, validation, licence and privacy gates, atomic switch of `latest`."""

import csv
import hashlib
import json

import frictionless
import pyarrow.parquet as pq
import pytest

from tests.factories import listings, record, source
from warehouse.release.public import PUBLIC_COLUMNS
from warehouse.release.publish import PublishError, publish, validate_release
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources

PRIVATE = {
    "contact_person": "Erika Mustermann",
    "phones_text": ["0 23 23 / 16 - 36 36", "Mobil: 0171 2345678"],
    "emails_text": ["selbsthilfe@herne.de", "erika.m(at)gmx.de"],
}


@pytest.fixture
def con(tmp_path, now):
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [source("herne"), source("nakos-rot", policy="withhold")])
    begin_run(con, "r1", "live", now)
    yield con
    con.close()


def load(con, now, source_id, *records):
    commit_source_run(con, "r1", SourceRun(source_id, now, now, listings=listings(*records)))


def all_text(folder) -> str:
    texts = [p.read_text("utf-8", errors="replace") for p in folder.rglob("*")
             if p.is_file() and p.suffix != ".parquet"]
    return "\n".join(texts) + str(pq.read_table(folder / "listings.parquet").to_pylist())


def test_empty_release_still_has_a_header_and_validates(con, tmp_path, now):
    release = publish(con, tmp_path / "public", "r1", now)
    rows = list(csv.reader((release.path / "listings.csv").open(encoding="utf-8")))
    assert rows == [[c[0] for c in PUBLIC_COLUMNS]]
    assert release.rows == 0
    assert frictionless.validate(str(release.path / "datapackage.json")).valid


def test_release_files_agree_and_validate(con, tmp_path, now):
    load(con, now, "herne", record("1"), record("2", name='=HYPERLINK("x")'))
    release = publish(con, tmp_path / "public", "r1", now)
    with (release.path / "listings.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    document = json.loads((release.path / "listings.json").read_text("utf-8"))
    parquet = pq.read_table(release.path / "listings.parquet").to_pylist()
    assert [r["source_key"] for r in rows] == ["1", "2"]
    assert [r["id"] for r in rows] == [r["id"] for r in document["listings"]] == \
        [r["id"] for r in parquet]
    assert document["meta"]["count"] == 2
    assert rows[0]["phones"] == "+492323163636" and rows[0]["postcode"] == "44649"
    assert rows[1]["name"] == '=HYPERLINK("x")'  # the machine CSV stays exact
    package = json.loads((release.path / "datapackage.json").read_text("utf-8"))
    assert package["licenses"] == [{"name": "CC-BY-4.0", "title": "licence of source herne"}]
    assert frictionless.validate(str(release.path / "datapackage.json")).valid
    assert (tmp_path / "public" / "latest").resolve() == release.path.resolve()
    latest = json.loads((tmp_path / "public" / "latest.json").read_text("utf-8"))
    assert latest["run_id"] == "r1" and latest["counts"] == {
        "listings": 2, "groups": 2, "contact_centres": 0, "organisations": 0}
    entry = latest["files"]["listings.json"]
    data = (tmp_path / "public" / entry["path"]).read_bytes()
    assert entry["bytes"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_no_private_data_and_no_withheld_source_reaches_any_file(con, tmp_path, now):
    load(con, now, "herne", record("1", **PRIVATE))
    load(con, now, "nakos-rot", record("k@1", source_id="nakos-rot",
                                       name="Kontaktstelle Geheim"))
    release = publish(con, tmp_path / "public", "r1", now)
    text = all_text(release.path)
    for leak in ("Mustermann", "2345678", "erika.m", "gmx.de", "Kontaktstelle Geheim"):
        assert leak not in text.replace("withheld.json", "")
    assert "selbsthilfe@herne.de" in text and "+492323163636" in text
    withheld = json.loads((release.path / "withheld.json").read_text("utf-8"))
    assert withheld["nakos-rot"]["records_withheld"] == 1
    fields = withheld["herne"]["fields_withheld"]
    assert (fields["contact_person"]["count"], fields["phones"]["count"],
            fields["emails"]["count"]) == (1, 1, 1)


def test_invalid_release_is_rejected_by_validation(con, tmp_path, now):
    load(con, now, "herne", record("1"))
    release = publish(con, tmp_path / "public", "r1", now)
    csv_path = release.path / "listings.csv"
    lines = csv_path.read_text("utf-8").splitlines()
    csv_path.write_text("\n".join([lines[0], lines[1], lines[1]]) + "\n", "utf-8")
    with pytest.raises(PublishError, match="primary-key"):
        validate_release(release.path)


def test_failed_publish_leaves_latest_on_the_previous_release(con, tmp_path, now, monkeypatch):
    load(con, now, "herne", record("1"))
    public = tmp_path / "public"
    first = publish(con, public, "r1", now)
    with pytest.raises(PublishError, match="exists already"):
        publish(con, public, "r1", now)

    def broken(folder):
        raise PublishError(f"release {folder.name} failed validation: injected")

    monkeypatch.setattr("warehouse.release.publish.validate_release", broken)
    with pytest.raises(PublishError, match="injected"):
        publish(con, public, "r2", now)
    assert (public / "latest").resolve() == first.path.resolve()
    assert sorted(p.name for p in public.iterdir()) == [
        "current", "history.json", "latest", "latest.json", "releases", "states"]
    assert json.loads((public / "latest.json").read_text("utf-8"))["run_id"] == "r1"
    assert sorted(p.name for p in (public / "releases").iterdir()) == ["r1"]


def duplicate_first_row(path):
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join([lines[0], lines[1], lines[1]]) + "\n", "utf-8")


def test_broken_hsds_file_fails_naming_its_package(con, tmp_path, now):
    load(con, now, "herne", record("1"), record("2"))
    release = publish(con, tmp_path / "public", "r1", now)
    links = release.path / "hsds" / "service_at_location.csv"
    row = next(csv.DictReader(links.open(encoding="utf-8", newline="")))
    with links.open("a", encoding="utf-8", newline="") as f:  # a service that does not exist
        csv.DictWriter(f, row.keys()).writerow(
            row | {"id": "00000000-0000-5000-8000-000000000001",
                   "service_id": "00000000-0000-5000-8000-000000000002"})
    with pytest.raises(PublishError, match=r"hsds/datapackage\.json failed validation: "
                                           r"foreign-key"):
        validate_release(release.path)


def test_a_failing_step_removes_the_build(con, tmp_path, now,
                                                              monkeypatch):
    load(con, now, "herne", record("1"))
    public = tmp_path / "public"
    first = publish(con, public, "r1", now)

    def broken_dcat(con, folder, ctx):
        raise RuntimeError("dcat broke")

    monkeypatch.setattr("warehouse.release.publish.write_dcat", broken_dcat)
    with pytest.raises(RuntimeError, match="dcat broke"):
        publish(con, public, "r2", now)
    assert not list(public.glob(".building-*"))
    assert (public / "latest").resolve() == first.path.resolve()
