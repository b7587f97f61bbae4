"""`index.html` of a release: a static landing page that works from disk, offline.

Everything is in the one file: the facts (counts per source and per Bundesland, source
health, downloads with sizes and checksums, licences and attribution) are rendered here as
plain HTML, so they show without JavaScript; the group table is a small inline script over
the public group rows, embedded as JSON. No CDN, no fonts, no requests: a portal developer
can open it from a downloaded release, and a reader's browser contacts nobody.

Every value is escaped here (`html.escape`) or set as text by the script (`textContent`),
never parsed as markup, so a source's text cannot become page code.
"""

import html
import json
import re
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.integrity import sha256_file
from warehouse.metadata import human_size
from warehouse.public import FORMAT_VERSION

_TEMPLATE = Path(__file__).with_name("landing.html")
_SLOT = re.compile(r"\{\{(\w+)\}\}")

#: Group columns the page's table needs (a compact subset of groups.csv).
GROUP_FIELDS = ("id", "name", "topics", "topic_codes", "postcode", "city", "district",
                "state", "meeting_text", "contact_route", "websites", "sources")

#: Files listed under "metadata" without a checksum: written after the page.
_LATER = ("dcat.jsonld", "SHA256SUMS")


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)



def _td(value: object) -> str:
    return (f'<td class="num">{value}</td>' if isinstance(value, int)
            else f"<td>{_e(value)}</td>")


def _rows(cells: list[list[object]]) -> str:
    return "\n".join("<tr>" + "".join(map(_td, row)) + "</tr>" for row in cells)


def _sources(con: duckdb.DuckDBPyConnection, counts: dict[str, int]) -> list[list[object]]:
    rows = con.execute("""
        SELECT s.source_id, s.name, s.publisher, s.licence, coalesce(s.attribution, s.publisher),
               h.last_status, h.failure_class, h.consecutive_failures,
               strftime(h.last_ok_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M UTC')
        FROM sources s LEFT JOIN source_health h USING (source_id)
        WHERE s.policy = 'open' ORDER BY s.source_id""").fetchall()
    out = []
    for sid, name, publisher, licence, attribution, status, cls, fails, last_ok in rows:
        health = ("noch nicht gelaufen" if status is None else "ok" if status == "ok"
                  else f"Fehler ({cls}), {fails}× in Folge")
        out.append([sid, f"{name} ({publisher})", counts.get(sid, 0), health,
                    last_ok or "–", licence, attribution])
    return out


def _states(tables: dict[str, pa.Table]) -> list[list[object]]:
    kinds = ("groups", "contact_centres", "organisations")
    per: dict[str, list[int]] = {}
    for i, stem in enumerate(kinds):
        for state in tables[stem].column("state").to_pylist():
            per.setdefault(state or "unbekannt", [0, 0, 0])[i] += 1
    return [[state, *n] for state, n in sorted(per.items())]


def _downloads(folder: Path) -> list[list[object]]:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [[p.relative_to(folder).as_posix(), human_size(p.stat().st_size), sha256_file(p)]
            for p in files]


def _download_rows(rows: list[list[object]]) -> str:
    return "\n".join(
        f'<tr><td><a href="{_e(name)}" download>{_e(name)}</a></td><td>{_e(size)}</td>'
        f"<td><code>{_e(sha)}</code></td></tr>" for name, size, sha in rows)


def _embedded(groups: pa.Table) -> str:
    """Group rows as JSON that is safe inside a <script> element."""
    rows = [[row[f] for f in GROUP_FIELDS] for row in groups.select(list(GROUP_FIELDS))
            .to_pylist()]
    text = json.dumps({"fields": GROUP_FIELDS, "rows": rows}, ensure_ascii=False,
                      separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def landing_page(con: duckdb.DuckDBPyConnection, folder: Path, ctx,
                 tables: dict[str, pa.Table], attribution: str, withheld: dict) -> str:
    listings = tables["listings"]
    per_source: dict[str, int] = {}
    for sid in listings.column("source_id").to_pylist():
        per_source[sid] = per_source.get(sid, 0) + 1
    withheld_sources = sorted(s for s, w in withheld.items() if w.get("records_withheld"))
    values = {
        "generated": ctx.generated.strftime("%Y-%m-%d %H:%M UTC"),
        "run_id": _e(ctx.run_id),
        "format_version": FORMAT_VERSION,
        "n_groups": tables["groups"].num_rows,
        "n_centres": tables["contact_centres"].num_rows,
        "n_organisations": tables["organisations"].num_rows,
        "n_listings": listings.num_rows,
        "source_rows": _rows(_sources(con, per_source)),
        "state_rows": _rows(_states(tables)),
        "download_rows": _download_rows(_downloads(folder)),
        "later_files": " ".join(f'<a href="{f}">{f}</a>' for f in _LATER),
        "attribution": _e(attribution),
        "withheld": _e(", ".join(withheld_sources) or "keine"),
        "data": _embedded(tables["groups"]),
    }
    # one pass, so a value that happens to contain "{{...}}" is never substituted again
    return _SLOT.sub(lambda m: str(values[m.group(1)]), _TEMPLATE.read_text("utf-8"))


def write_landing_page(con: duckdb.DuckDBPyConnection, folder: Path, ctx,
                       tables: dict[str, pa.Table], attribution: str, withheld: dict) -> Path:
    path = folder / "index.html"
    path.write_text(landing_page(con, folder, ctx, tables, attribution, withheld), "utf-8")
    return path
