"""`shg check-source ID`: one source collected and reported, nothing written."""

import shutil
from pathlib import Path

from flows.cli import main
from tests.conftest import ROOT
from tests.factories import registry_copy


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below `folder` with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def test_check_source_reports_a_file_and_a_replayed_site_and_writes_nothing(tmp_path, capsys):
    registry = registry_copy(tmp_path, (ROOT / "sources.toml").read_text("utf-8"))
    shutil.copytree(ROOT / "snapshots", tmp_path / "snapshots", dirs_exist_ok=True)
    before = tree(tmp_path)
    data = tmp_path / "data"
    base = ["--registry", str(registry), "--data", str(data)]
    assert main([*base, "check-source", "datei-einrichtungen-json"]) == 0
    out = capsys.readouterr().out
    assert "datei-einrichtungen-json: ok" in out
    assert "records parsed 7, valid 7, to quarantine 1" in out
    assert "no value in column(s) kennung" in out  # the quarantine reason
    assert "flag email_moved_from_web_field (repaired): 1" in out
    assert main([*base, "check-source", "herne", "--replay", str(tmp_path / "snapshots"),
                 "--show", "1"]) == 0
    out = capsys.readouterr().out
    assert "herne: ok" in out and "pages 16, records parsed 13, valid 13" in out
    assert out.count("\n  - ") == 1  # one listing shown
    assert not data.exists()  # no warehouse, archive, cache or spool
    assert not (tmp_path / "public").exists()
    assert tree(tmp_path) == before


def test_check_source_names_a_mapping_error_and_fails(tmp_path, capsys):
    text = (ROOT / "sources.toml").read_text("utf-8").replace(
        'name = "bezeichnung"', 'name = "titel"', 1)
    registry = registry_copy(tmp_path, text)
    code = main(["--registry", str(registry), "--data", str(tmp_path / "data"), "check-source",
                 "datei-einrichtungen-json"])
    out = capsys.readouterr().out
    assert code == 1
    assert "datei-einrichtungen-json: failed [config_error]" in out
    assert "key 'file.columns.name': path 'titel' is in no record" in out
    assert not (tmp_path / "data").exists()
