"""`python -m bench.file_import --rows 1000000`: import one large directory file (CSV, like
the contact centres' sample) into a fresh warehouse and print rows, seconds and the peak RSS
of the importing process against the 1 GB target.

The import is what a run does for the source up to its commit (read, normalise, validate,
load into DuckDB), in a child process of its own, so the figure is that process's peak and
nothing of the generator's. `--again` imports the same file a second time into the same
warehouse (every listing unchanged), as the next month's run does.

Exits 1 when a check fails (listings lost, a count that does not add up); timings and the
RSS target never fail it, they are figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

#: Peak RSS the import should stay under (issue 17, item 11).
TARGET_MB = 1024
SOURCE_ID = "datei-gross-csv"
#: Every this many rows: one without a name (quarantined) and one repeating the previous key
#: (read as a branch), so the bench exercises the quarantine and the key bookkeeping.
EVERY = 1000

REGISTRY = f"""
[[source]]
id = "{SOURCE_ID}"
name = "Großes Verzeichnis (Bench)"
publisher = "Bench"
kind = "file"
path = "gross.csv"
licence = "CC-BY-4.0"
policy = "open"
attribution = "Bench"
cadence = "monthly"
min_records = 1

[source.file]
key = "Nr"
kind = "contact_centre"
delimiter = ";"
encoding = "utf-8"
hours_by_day = {{ mo = "Mo", di = "Di", mi = "Mi", do = "Do", fr = "Fr" }}

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
"""

HEADER = ("Nr;Einrichtung;Träger;Straße;PLZ;Ort;Stadtteil;Telefon;E-Mail;Internet;"
          "Sprechzeiten;Mo;Di;Mi;Do;Fr")
_TOWNS = ("Musterstadt", "Beispielhausen", "Grünau", "Überbach", "Weißenfeld", "Altdorf")
_STREETS = ("Lindenstraße", "Birkenweg", "Marktplatz", "Am Anger", "Kirchgasse", "Schloßstraße")
_KINDS = ("Selbsthilfe-Kontaktstelle", "Selbsthilfebüro", "Selbsthilfezentrum",
          "Kontaktstelle für Selbsthilfe")


def row(i: int) -> str:
    """Row `i` of the file: distinct key, name, phone and mailbox per row."""
    town = _TOWNS[i % len(_TOWNS)]
    name = "" if i % EVERY == EVERY - 1 else f"{_KINDS[i % len(_KINDS)]} {town} {i}"
    key = f"KS-{i - 1}" if i % EVERY == EVERY - 2 else f"KS-{i}"
    hours = ("Mo, Di 9-12 Uhr; Do 14-17 Uhr", "9-12", "9-12", "", "14-17", "") if i % 2 else (
        "nach Vereinbarung", "", "", "", "", "")
    cells = (key, name, f"Verein Miteinander {i % 97} e. V.", f"{_STREETS[i % 6]} {i % 150 + 1}",
             f"{10000 + i % 89999:05d}", town, "Innenstadt" if i % 3 else "",
             f"030 {2000000 + i}", f"kontakt{i}@selbsthilfe.example.org",
             f"www.selbsthilfe-{i}.example.org", *hours)
    return ";".join(cells)


def write_corpus(folder: Path, rows: int) -> Path:
    """The registry and its file in `folder` (kept between runs of the same size)."""
    folder.mkdir(parents=True, exist_ok=True)
    registry = folder / "sources.toml"
    registry.write_text(REGISTRY, "utf-8")
    data = folder / "gross.csv"
    stamp = folder / "gross.rows"
    if not data.exists() or not stamp.exists() or stamp.read_text() != str(rows):
        with data.open("w", encoding="utf-8", newline="") as out:
            out.write(HEADER + "\r\n")
            for i in range(rows):
                out.write(row(i) + "\r\n")
        stamp.write_text(str(rows))
    return registry


def expected(rows: int) -> dict[str, int]:
    """Records and quarantined rows the file must give."""
    nameless = sum(1 for i in range(rows) if i % EVERY == EVERY - 1)
    return {"listings": rows - nameless, "quarantined": nameless}


#: Runs in the importing child: one source collected and committed as `run_all` does, up to
#: the commit (no linkage, no publishing).
CHILD = """
import json, resource, sys, time
from datetime import UTC, datetime
from pathlib import Path
from flows.collect import RunContext, collect_source
from flows.pipeline import new_run_id, refuse_shrunken
from schema.registry import load_registry
from warehouse.storage.db import connect, few_checkpoints
from warehouse.storage.runs import (begin_run, commit_source_run, finish_run, last_accepted_count,
                            upsert_sources)

registry_path, data_dir, source_id = sys.argv[1:4]
start = time.perf_counter()
registry = load_registry(registry_path)
source = registry.get(source_id)
con = connect(Path(data_dir) / "atlas.duckdb")
upsert_sources(con, registry.sources)
before = last_accepted_count(con, source_id)
started = datetime.now(UTC)
ctx = RunContext(run_id=new_run_id(started), data_dir=Path(data_dir),
                 base_dir=registry.path.parent)
begin_run(con, ctx.run_id, ctx.mode, started)
with few_checkpoints(con):
    run = refuse_shrunken(collect_source(source, ctx), source, before)
    commit_source_run(con, ctx.run_id, run)
finish_run(con, ctx.run_id, run.status, None, datetime.now(UTC))
stored = con.execute("SELECT count(*) FROM listings WHERE source_id = ? AND active",
                     [source_id]).fetchone()[0]
con.close()
c = run.counts
print(json.dumps({"status": run.status, "reason": run.reason, "parsed": run.parsed,
                  "quarantined": len(run.quarantine), "inserted": c.inserted,
                  "updated": c.updated, "unchanged": c.unchanged, "vanished": c.vanished,
                  "stored": stored, "seconds": round(time.perf_counter() - start, 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                       / 1024)}))
"""


def import_once(registry: Path, data_dir: Path) -> dict:
    """One import in a fresh process; its JSON line."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(registry), str(data_dir), SOURCE_ID],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run(rows: int, out: Path, again: bool) -> dict:
    start = time.perf_counter()
    registry = write_corpus(out, rows)
    generated = round(time.perf_counter() - start, 1)
    data_dir = out / "data"
    for name in ("atlas.duckdb", "atlas.duckdb.wal"):
        (data_dir / name).unlink(missing_ok=True)
    want = expected(rows)
    first = import_once(registry, data_dir)
    imports = [first]
    checks = {"first import ok": first["status"] == "ok",
              "every listing inserted": first["inserted"] == first["stored"] == want["listings"],
              "nameless rows quarantined": first["quarantined"] == want["quarantined"]}
    if again:
        second = import_once(registry, data_dir)
        imports.append(second)
        checks["second import: all unchanged"] = (
            second["status"] == "ok" and second["unchanged"] == want["listings"]
            and second["inserted"] == second["updated"] == second["vanished"] == 0)
    return {"rows": rows, "bytes": (out / "gross.csv").stat().st_size,
            "generated_s": generated, "imports": imports, "checks": checks}


def format_result(result: dict) -> str:
    lines = [f"file import: {result['rows']:,} rows, {result['bytes'] / 2**20:.0f} MiB CSV"]
    for n, imp in enumerate(result["imports"], start=1):
        verdict = "within" if imp["peak_rss_mb"] <= TARGET_MB else "OVER"
        lines.append(f"  import {n}: {imp['seconds']:.1f} s, peak RSS {imp['peak_rss_mb']} MB "
                     f"({verdict} the {TARGET_MB} MB target); inserted {imp['inserted']:,}, "
                     f"unchanged {imp['unchanged']:,}, quarantined {imp['quarantined']:,}")
    lines += [f"  check {name}: {'ok' if ok else 'FAILED'}"
              for name, ok in result["checks"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.file_import", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000, help="data rows (200,000)")
    parser.add_argument("--again", action="store_true",
                        help="import the same file a second time (all unchanged)")
    parser.add_argument("--out", type=Path, default=Path("build/bench-file"),
                        help="working folder (build/bench-file)")
    args = parser.parse_args(argv)
    if args.rows < EVERY:
        parser.error(f"--rows must be at least {EVERY}")
    result = run(args.rows, args.out, args.again)
    print(format_result(result))
    return 0 if all(result["checks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
