"""`shg` commands that need no Prefect server."""

from flows.cli import main
from tests.factories import listings, record, source
from warehouse.storage.db import connect
from warehouse.storage.runs import SourceRun, begin_run, commit_source_run, upsert_sources


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


def test_prefect_yaml_is_the_one_schedule_and_prefect_accepts_it():
    """`shg serve` and `prefect deploy` read the same file; Prefect's own model of
    prefect.yaml accepts it, and the cron fires once on every Berlin day at 03:30, also
    across both DST switches."""
    import asyncio
    from datetime import UTC, datetime

    import yaml
    from prefect.cli.deploy._models import PrefectYamlModel
    from prefect.server.schemas.schedules import CronSchedule

    from flows.nightly import deployment_spec, nightly
    from tests.conftest import ROOT

    spec = deployment_spec(ROOT / "prefect.yaml")
    assert (spec.cron, spec.timezone) == ("30 3 * * *", "Europe/Berlin")
    module, _, function = spec.entrypoint.partition(":")
    assert (ROOT / module).is_file() and function == nightly.fn.__name__
    assert set(spec.parameters) <= set(nightly.parameters.properties)
    assert spec.env == {"DUCKDB_JE_MALLOC_CONF": "dirty_decay_ms:0,muzzy_decay_ms:0"}
    model = PrefectYamlModel.model_validate(yaml.safe_load((ROOT / "prefect.yaml").read_text()))
    [deployment] = model.deployments
    assert deployment.work_pool.name and deployment.concurrency_limit == 1
    dates = asyncio.run(CronSchedule(cron=spec.cron, timezone=spec.timezone).get_dates(
        n=400, start=datetime(2026, 1, 1, tzinfo=UTC), end=datetime(2027, 1, 1, tzinfo=UTC)))
    assert len(dates) == len({d.date() for d in dates}) == 365
    assert {(d.hour, d.minute) for d in dates} == {(3, 30)}


def test_deployment_spec_rejects_a_schedule_without_timezone(tmp_path):
    import pytest

    from flows.nightly import deployment_spec

    bad = tmp_path / "prefect.yaml"
    bad.write_text("deployments:\n  - name: nightly\n    entrypoint: flows/nightly.py:nightly\n"
                   "    schedules:\n      - cron: '30 3 * * *'\n")
    with pytest.raises(ValueError, match="exactly one cron schedule with a timezone"):
        deployment_spec(bad)
    with pytest.raises(ValueError, match="no deployment named 'weekly'"):
        deployment_spec(bad, "weekly")


def test_serve_without_a_server_says_how_to_start_one(tmp_path, capsys, monkeypatch):
    from tests.conftest import ROOT

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    code = main(["--registry", str(ROOT / "sources.toml"), "--data", str(tmp_path), "serve",
                 "--prefect-file", str(ROOT / "prefect.yaml")])
    assert code == 2
    assert "prefect server start" in capsys.readouterr().err


STARTUP = """
import os
os.environ.pop("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", None)
if os.environ.get("GIVEN"):
    os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = os.environ["GIVEN"]
from flows.cli import _env_defaults
_env_defaults()
from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as timeout
print(timeout.value())
"""


def test_prefect_temporary_server_gets_minutes_to_start(tmp_path):
    """Prefect's default of 20 s failed `make run` on a busy 2-core machine: `shg run` gives
    its temporary server EPHEMERAL_STARTUP_SECONDS, as Prefect itself reads it; a value set
    in the environment stays."""
    import os
    import subprocess
    import sys

    from flows.cli import EPHEMERAL_STARTUP_SECONDS
    from tests.conftest import ROOT

    def timeout(given: str = "") -> int:
        env = os.environ | {"GIVEN": given, "PREFECT_HOME": str(tmp_path)}
        return int(subprocess.run([sys.executable, "-c", STARTUP], cwd=ROOT, env=env,
                                  capture_output=True, text=True, check=True).stdout)

    assert EPHEMERAL_STARTUP_SECONDS >= 120
    assert timeout() == EPHEMERAL_STARTUP_SECONDS
    assert timeout("45") == 45
