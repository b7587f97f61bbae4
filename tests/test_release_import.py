"""Federation fetch (issue 17, item 9), through the real client and pipeline over loopback:
`latest.json` may send the crawler to the release's own origin only, the size cap of a
release file is the registry key `max_bytes`, and a bad row goes to quarantine alone."""

import json

import duckdb
import pytest

from flows.pipeline import run_all
from schema.registry import load_registry
from tools.site_server import serve_directory

ORIGIN = "https://atlas-nord.example.org"
REGISTRY = f"""
[[source]]
id = "nord"
name = "selbsthilfe-atlas Nord"
publisher = "Regionale Instanz Nord"
kind = "release"
start_urls = ["{ORIGIN}/latest.json"]
licence = "CC-BY-4.0"
policy = "open"
"""


def row(key: str, **fields) -> dict:
    """A listings.json row as an atlas release writes it."""
    return {"id": key, "kind": "group", "name": f"Gesprächskreis {key}", "street": "Hauptstraße",
            "house_number": "5", "postcode": "24103", "city": "Kiel",
            "phones": "+494319012345", "meeting_text": "jeden Montag, 19 Uhr",
            "source_id": "kiel", "source_key": key, "fetched_at": "2026-11-20T02:00:00Z",
            "licence": "CC-BY-4.0"} | fields


def release(folder, rows: list, listings_path: str = "releases/r1/listings.json") -> None:
    (folder / "releases" / "r1").mkdir(parents=True, exist_ok=True)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (folder / "latest.json").write_text(json.dumps(
        {"files": {"listings.json": {"path": listings_path}}}), "utf-8")
    (folder / "releases" / "r1" / "listings.json").write_text(
        json.dumps({"meta": {}, "listings": rows}, ensure_ascii=False), "utf-8")


def night(tmp_path, site, registry_text: str = REGISTRY, reachable: tuple[str, ...] = ()
          ) -> dict:
    """One pipeline run of the release source; `reachable`: further loopback origins the
    client may reach (tests map every origin they allow)."""
    registry = tmp_path / "sources.toml"
    registry.write_text(registry_text, "utf-8")
    with serve_directory(site) as (base, seen):
        report = run_all(load_registry(registry), source_ids=["nord"],
                         data_dir=tmp_path / "data", public_dir=tmp_path / "public",
                         rewrite={ORIGIN: base} | {o: o for o in reachable},
                         rate_override=100)
    return report["sources"]["nord"] | {"seen": seen}


def query(tmp_path, sql: str) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "data" / "atlas.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


# ------------------------------------------------------------------ origin of latest.json

def test_latest_json_pointing_to_another_port_fails_the_source(tmp_path):
    """The other server (same host, another port) holds a valid release too: the crawler
    must not ask it at all, and the run report says why the source failed."""
    other = tmp_path / "other"
    release(other, [row("k1")])
    site = tmp_path / "site"
    with serve_directory(other) as (other_base, other_seen):
        release(site, [row("k1")], listings_path=f"{other_base}/releases/r1/listings.json")
        got = night(tmp_path, site, reachable=(other_base,))
    assert got["status"] == "failed" and got["failure_class"] == "site_changed", got
    assert got["reason"] == (
        f"nord: latest.json points to {other_base}/releases/r1/listings.json, which is not "
        f"on the release's origin https://atlas-nord.example.org: refused")
    assert other_seen == []
    assert got["seen"] == ["/robots.txt", "/latest.json"]


@pytest.mark.parametrize("elsewhere", [
    "http://atlas-nord.example.org/releases/r1/listings.json",       # another scheme
    "https://atlas-nord.example.org:8443/releases/r1/listings.json",  # another port
    "//intranet.example.org/releases/r1/listings.json",              # another host
    "https://atlas-nord.example.org.evil.example/listings.json",
    "https://[::1/listings.json",                                    # no host at all
])
def test_latest_json_may_only_point_to_its_own_origin(tmp_path, elsewhere):
    """Every other origin is refused before a request; each is mapped to a live loopback
    server, so following it would have succeeded."""
    import asyncio
    from urllib.parse import urlsplit

    from scrapers.errors import SiteChanged
    from scrapers.fetch.http import ClientSettings, PoliteClient
    from scrapers.fetch.transport import RewriteTransport
    from scrapers.importers.release import import_release

    site = tmp_path / "site"
    release(site, [row("k1")], listings_path=elsewhere)
    try:
        other = urlsplit(elsewhere)
        mapped = {f"{other.scheme or 'https'}://{other.netloc}"}
    except ValueError:  # no origin to map
        mapped = set()

    async def attempt(base: str) -> None:
        mapping = {ORIGIN: base} | dict.fromkeys(mapped, base)
        async with PoliteClient(ClientSettings(rate_per_host=None),
                                transport=RewriteTransport(mapping)) as client:
            await import_release("nord", f"{ORIGIN}/latest.json", client)

    with serve_directory(site) as (base, seen), \
            pytest.raises(SiteChanged, match="is not on the release's origin") as err:
        asyncio.run(attempt(base))
    assert err.value.failure_class == "site_changed"
    assert seen == ["/robots.txt", "/latest.json"]


def test_an_absolute_url_on_the_same_origin_is_followed(tmp_path):
    site = tmp_path / "site"
    release(site, [row("k1")], listings_path=f"{ORIGIN}:443/releases/r1/listings.json")
    got = night(tmp_path, site)
    assert got["status"] == "ok", got
    assert query(tmp_path, "SELECT source_key FROM listings") == [("k1",)]


# --------------------------------------------------------------------------- size cap

def big_rows(n: int, size: int) -> list[dict]:
    return [row(f"k{i}", description=f"Gruppe {i}. " + "Wir sprechen offen. " * (size // 20))
            for i in range(n)]


def test_a_release_above_ten_mib_loads_under_the_default_cap(tmp_path):
    """The old fixed cap (10 MiB, about 6,800 real listings) stopped a regional release."""
    site = tmp_path / "site"
    release(site, big_rows(400, 30_000))
    size = (site / "releases" / "r1" / "listings.json").stat().st_size
    assert size > 11 * 2**20
    got = night(tmp_path, site)
    assert got["status"] == "ok", got
    assert query(tmp_path, "SELECT count(*) FROM listings WHERE active") == [(400,)]


def test_the_size_cap_is_the_registry_key_max_bytes(tmp_path):
    site = tmp_path / "site"
    release(site, big_rows(40, 3_000))
    size = (site / "releases" / "r1" / "listings.json").stat().st_size
    capped = REGISTRY + f"\n[source.release]\nmax_bytes = {size - 1}\n"
    assert load_registry_text(tmp_path, capped).get("nord").release.max_bytes == size - 1
    got = night(tmp_path, site, capped)
    assert got["status"] == "failed" and got["failure_class"] == "http_error", got
    assert f"exceeds {size - 1}" in got["reason"] and "listings.json" in got["reason"]
    roomy = REGISTRY + f"\n[source.release]\nmax_bytes = {size}\n"
    assert night(tmp_path, site, roomy)["status"] == "ok"


def test_the_default_cap_holds_a_large_release():
    from schema.registry import ReleaseSettings

    assert ReleaseSettings().max_bytes == 256 * 2**20


def load_registry_text(tmp_path, text: str):
    path = tmp_path / "check.toml"
    path.write_text(text, "utf-8")
    return load_registry(path)


# ---------------------------------------------------------------------- a bad row

def test_a_bad_row_is_quarantined_and_the_rest_load(tmp_path):
    """Night 1 reads every row. Night 2: one row has a number for its postcode, one lacks its
    kind, and a good row changed: the good rows load, each bad one is quarantined with
    source, record and field, and the bad row's last good version stays current. Night 3:
    a row without an id and one that is no object: quarantined too, a new row is added and
    nothing vanishes (a row without its id could be any listing)."""
    site = tmp_path / "site"
    release(site, [row("k1"), row("k2"), row("k3")])
    assert night(tmp_path, site)["status"] == "ok"
    no_kind = row("k4")
    del no_kind["kind"]
    release(site, [row("k1", name="Gesprächskreis Neu"), row("k2", postcode=24103), row("k3"),
                   no_kind])
    got = night(tmp_path, site)
    assert got["status"] == "ok", got
    active = "SELECT source_key, name FROM listings WHERE active ORDER BY source_key"
    assert query(tmp_path, active) == [
        ("k1", "Gesprächskreis Neu"), ("k2", "Gesprächskreis k2"), ("k3", "Gesprächskreis k3")]
    bad = query(tmp_path, "SELECT source_id, source_key, field, reason FROM quarantine "
                          "ORDER BY url")
    assert [(s, k, f) for s, k, f, _ in bad] == [
        ("nord", "k2", "postcode"), ("nord", "k4", "kind")]
    assert bad[0][3].startswith("nord: https://atlas-nord.example.org/releases/r1/"
                                "listings.json#1: record k2: field postcode: ")
    assert "valid string" in bad[0][3] and "24103" in bad[0][3]
    assert "record k4: field kind: Field required" in bad[1][3]

    no_id = row("k5")
    del no_id["id"]
    release(site, [row("k1", name="Gesprächskreis Neu"), row("k3"), no_id, "kein Objekt",
                   row("k6")])
    got = night(tmp_path, site)
    assert got["status"] == "ok", got
    assert [k for k, _ in query(tmp_path, active)] == ["k1", "k2", "k3", "k6"]
    bad = query(tmp_path, "SELECT source_key, field, reason FROM quarantine "
                          "WHERE run_id = (SELECT max(run_id) FROM runs) ORDER BY url")
    assert [(k, f) for k, f, _ in bad] == [(None, "id"), (None, "(record)")]
    assert "record #2: field id: Field required" in bad[0][2]
    assert "record #3: field (record): not a JSON object but a string" in bad[1][2]


def test_a_bad_hsds_service_is_quarantined_and_the_rest_load(tmp_path):
    """An HSDS page holding a service without its name and one that is no object: both are
    failures naming record and field, the good service is a record."""
    import asyncio

    from scrapers.fetch.http import ClientSettings, PoliteClient
    from scrapers.fetch.transport import RewriteTransport
    from scrapers.importers.release import import_release

    site = tmp_path / "hsds"
    (site / "services").mkdir(parents=True)
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / "services" / "index.html").write_text(json.dumps({"contents": [
        {"id": "svc-1", "name": "Beratung"}, {"id": "svc-2"}, ["kein", "Objekt"]]}), "utf-8")

    async def attempt(base: str):
        async with PoliteClient(ClientSettings(rate_per_host=None), transport=RewriteTransport(
                {"https://hsds.example.org": base})) as client:
            return await import_release("hsds-x", "https://hsds.example.org/services/", client,
                                        fmt="hsds", kind="organisation")

    with serve_directory(site) as (base, _):
        result = asyncio.run(attempt(base))
    assert [r.source_key for r in result.records] == ["svc-1"]
    assert [(f.key, f.field, f.reason) for f in result.failures] == [
        ("svc-2", "name", "record svc-2: field name: missing"),
        (None, "(record)", "record #2: field (record): not a JSON object but an array")]
