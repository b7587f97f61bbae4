"""`shg` commands that need no Prefect server."""

from flows.cli import main
from tests.factories import listings, record, source
from warehouse.db import connect
from warehouse.runs import SourceRun, begin_run, commit_source_run, upsert_sources


def test_bad_registry_is_rejected_before_any_run(tmp_path, capsys):
    bad = tmp_path / "sources.toml"
    bad.write_text('[[source]]\nid = "herne"\nname = "H"\npublisher = "P"\nkind = "html"\n'
                   'start_urls = ["https://x.de/"]\nlicence = "CC0-1.0"\npolicy = "maybe"\n')
    assert main(["--registry", str(bad), "--data", str(tmp_path), "run"]) == 2
    err = capsys.readouterr().err
    assert "source 'herne'" in err and "key 'policy'" in err
    assert not (tmp_path / "atlas.duckdb").exists()


def test_sources_lists_last_status_and_reason(tmp_path, capsys, now):
    registry = tmp_path / "sources.toml"
    registry.write_text(
        '[[source]]\nid = "herne"\nname = "H"\npublisher = "P"\nkind = "html"\n'
        'start_urls = ["https://x.de/"]\nlicence = "CC0-1.0"\npolicy = "open"\n\n'
        '[[source]]\nid = "hamm"\nname = "Hamm"\npublisher = "P"\nkind = "html"\n'
        'start_urls = ["https://y.de/"]\nlicence = "CC0-1.0"\npolicy = "withhold"\n')
    con = connect(tmp_path / "atlas.duckdb")
    upsert_sources(con, [source("herne")])
    begin_run(con, "r1", "live", now)
    commit_source_run(con, "r1", SourceRun("herne", now, now, listings=listings(record("1"))))
    begin_run(con, "r2", "live", now.replace(hour=4))
    later = now.replace(hour=4)
    commit_source_run(con, "r2", SourceRun("herne", later, later, status="failed",
                                           failure_class="timeout",
                                           reason="herne: timeout: no answer in time"))
    con.close()
    assert main(["--registry", str(registry), "--data", str(tmp_path), "sources"]) == 0
    out = capsys.readouterr().out.splitlines()
    herne = next(line for line in out if line.startswith("herne"))
    hamm = next(line for line in out if line.startswith("hamm"))
    assert "failed" in herne and "2026-11-23 03:00" in herne
    assert herne.split()[4] == "1"  # records still current after the failed run
    assert herne.split()[6] == "1"  # one failure in a row
    assert "[timeout] herne: timeout: no answer in time" in out[out.index(herne) + 1]
    assert "never" in hamm and "withhold" in hamm
