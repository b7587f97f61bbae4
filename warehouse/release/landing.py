"""`index.html` of a release and, for a large release, one search page per Bundesland.

Every page is self-contained: the facts (counts per source and per Bundesland, source
health, downloads with sizes and checksums, licences and attribution) are rendered here as
plain HTML, so they show without JavaScript; the group search is a small inline script over
group data embedded as JSON. No CDN, no fonts, no requests, no fetch(): a portal developer can
open the pages from a downloaded release (file://), and a reader's browser contacts nobody.

At 100,000 groups a single page with every group would weigh ~30 MB. So a release with more
than `EMBED_LIMIT` groups gets `laender/<slug>.html`, one page per Bundesland holding only
that state's groups, and `index.html` links to them; a small release keeps one page. The
embedded data is columnar and only what the search shows: repeated values (topics, cities,
postcodes, meeting texts) become a dictionary, most frequent value first, and one small
index per group (`_column`), which keeps a state page at well under 100 bytes per group.

Every value is escaped here (`html.escape`) or set as text by the script (`textContent`),
never parsed as markup, so a source's text cannot become page code.
"""

import html
import json
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from warehouse.release.integrity import sha256_file
from warehouse.release.metadata import human_size, render
from warehouse.release.public import FORMAT_VERSION

_HERE = Path(__file__).parent

#: A release with at most this many groups keeps every group on `index.html`.
EMBED_LIMIT = 2_000
#: Folder of the per-state pages, and the page of groups without a known state.
STATE_DIR = "laender"
UNKNOWN = "unbekannt"

#: Group columns the search shows or searches; `website` is the first http(s) web site.
GROUP_FIELDS = ("name", "topics", "postcode", "city", "district", "meeting_text",
                "contact_route", "website")

#: Files listed under "metadata" without a checksum: written after the page.
_LATER = ("dcat.jsonld", "SHA256SUMS")
_FIRST_WEB = r"(?:^| \| )(?P<url>https?://.*?)(?: \| |$)"
#: (digits, first index with that many digits) of a dictionary index.
_DIGITS = [(d, 10 ** (d - 1) if d > 1 else 0) for d in range(1, 10)]
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _td(value: object) -> str:
    return (f'<td class="num">{value}</td>' if isinstance(value, int)
            else f"<td>{_e(value)}</td>")


def _rows(cells: list[list[object]]) -> str:
    return "\n".join("<tr>" + "".join(map(_td, row)) + "</tr>" for row in cells)


def _counts(column: pa.ChunkedArray) -> dict:
    """Value -> number of rows (None for null), without a Python object per row."""
    counts = pc.value_counts(column)
    return dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(),
                    strict=True))


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
        for state, n in _counts(tables[stem].column("state")).items():
            per.setdefault(state or UNKNOWN, [0, 0, 0])[i] += n
    return [[state, *n] for state, n in sorted(per.items())]


def _download_rows(folder: Path) -> str:
    """Data files with size and checksum; the state pages are linked from the search."""
    files = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
             if p.is_file() and not p.name.startswith(".")
             and p.relative_to(folder).parts[0] != STATE_DIR}
    return "\n".join(
        f'<tr><td><a href="{_e(name)}" download>{_e(name)}</a></td>'
        f"<td>{_e(human_size(p.stat().st_size))}</td><td><code>{_e(sha256_file(p))}</code></td>"
        "</tr>" for name, p in files.items())


def state_slug(state: str | None) -> str:
    """ASCII file name of a state's page: "Baden-Württemberg" -> "baden-wuerttemberg"."""
    ascii_ = (state or "").lower().translate(_ASCII)
    return re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-") or UNKNOWN


def _column(values: pa.ChunkedArray) -> list | dict:
    """A text column as JSON: plain values, or - when shorter - {"v": dictionary, "i":
    index per row} with the most frequent value first, so common values cost one digit."""
    counts = pc.value_counts(values)
    order = pa.table({"v": counts.field("values"), "c": counts.field("counts")}).sort_by(
        [("c", "descending"), ("v", "ascending")])
    distinct, counts = order.column("v"), order.column("c")
    # JSON bytes, escapes aside: '"value",' or 'null,' once per row, or once per distinct
    # value plus an index per row, whose digits grow at 10, 100, 1000, ...
    sizes = pc.add(pc.fill_null(pc.binary_length(distinct), 2), 3)
    plain = pc.sum(pc.multiply(sizes, counts)).as_py() or 0
    coded = (pc.sum(sizes).as_py() or 0) + sum(
        (digits + 1) * (pc.sum(counts.slice(start, 10 ** digits - start)).as_py() or 0)
        for digits, start in _DIGITS if start < len(counts))
    if plain <= coded:
        return values.to_pylist()
    index = pc.index_in(values, value_set=distinct.combine_chunks(), skip_nulls=False)
    return {"v": distinct.to_pylist(), "i": index.to_pylist()}


def _search_columns(groups: pa.Table) -> pa.Table:
    """The columns the search needs, in reading order (city, then name)."""
    website = pc.struct_field(pc.extract_regex(groups.column("websites"), _FIRST_WEB), "url")
    table = groups.select(list(GROUP_FIELDS[:-1])).append_column("website", website)
    return table.sort_by([("city", "ascending"), ("name", "ascending")])


def _embedded(groups: pa.Table) -> str:
    """Group data as compact columnar JSON that is safe inside a <script> element."""
    table = _search_columns(groups)
    data = {"n": table.num_rows, "columns": {f: _column(table.column(f)) for f in GROUP_FIELDS}}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _template(name: str) -> str:
    """A page template with the shared style (our own text, composed before any value)."""
    return (_HERE / name).read_text("utf-8").replace(
        "{{style}}", (_HERE / "landing_style.html").read_text("utf-8"))


def _search(groups: pa.Table, root: str) -> tuple[str, dict[str, object]]:
    """The search section (template text) and its values, for `groups`."""
    return ((_HERE / "landing_search.html").read_text("utf-8"),
            {"data": _embedded(groups), "root": root})


def _by_state(groups: pa.Table) -> dict[str, tuple[list[str], pa.Table]]:
    """Page slug -> (state names, that state's groups); no state -> `UNKNOWN`."""
    states: dict[str, list[str]] = {}
    for state in _counts(groups.column("state")):
        states.setdefault(state_slug(state), []).append(state)
    out = {}
    for slug, names in sorted(states.items()):
        mask = pc.is_in(groups.column("state"), value_set=pa.array(names, pa.string()),
                        skip_nulls=False)  # a null state matches the None of `names`
        known = [s for s in names if s is not None]
        out[slug] = (sorted(known) or [UNKNOWN], groups.filter(mask))
    return out


def _state_page(ctx, names: list[str], groups: pa.Table, attribution: str) -> str:
    search, values = _search(groups, "../")
    title = " / ".join(n if n != UNKNOWN else "ohne bekanntes Bundesland" for n in names)
    values |= {"generated": ctx.generated.strftime("%Y-%m-%d %H:%M UTC"),
               "run_id": _e(ctx.run_id), "format_version": FORMAT_VERSION,
               "state": _e(title), "n_groups": groups.num_rows, "attribution": _e(attribution)}
    return render(_template("landing_state.html").replace("{{search}}", search), values)


def write_state_pages(folder: Path, ctx, groups: pa.Table,
                      attribution: str) -> list[tuple[str, int, Path]]:
    """`laender/<slug>.html` for every state with groups: (title, groups, path) each."""
    (folder / STATE_DIR).mkdir(exist_ok=True)
    written = []
    for slug, (names, table) in _by_state(groups).items():
        path = folder / STATE_DIR / f"{slug}.html"
        path.write_text(_state_page(ctx, names, table, attribution), "utf-8")
        written.append((" / ".join(names), table.num_rows, path))
    return written


def _state_links(folder: Path, pages: list[tuple[str, int, Path]]) -> str:
    items = "\n".join(
        f'<li><a href="{_e(p.relative_to(folder).as_posix())}">{_e(title)}</a> '
        f"({n} Gruppen, {_e(human_size(p.stat().st_size))})</li>" for title, n, p in pages)
    return ('<section id="search">\n<h2>Gruppen suchen</h2>\n<p>Die Gruppensuche gibt es je '
            "Bundesland, damit jede Seite leicht bleibt:</p>\n"
            f'<ul id="state-pages">\n{items}\n</ul>\n</section>')


def write_landing_page(con: duckdb.DuckDBPyConnection, folder: Path, ctx,
                       tables: dict[str, pa.Table], attribution: str, withheld: dict,
                       *, embed_limit: int = EMBED_LIMIT) -> Path:
    """`index.html` with the group search, or, above `embed_limit` groups, with links to the
    state pages it writes first."""
    listings, groups = tables["listings"], tables["groups"]
    withheld_sources = sorted(s for s, w in withheld.items() if w.get("records_withheld"))
    template = _template("landing.html")
    values: dict[str, object] = {}
    if groups.num_rows > embed_limit:
        values["search"] = _state_links(folder,
                                        write_state_pages(folder, ctx, groups, attribution))
    else:
        search, values = _search(groups, "")
        template = template.replace("{{search}}", search)
    values |= {
        "generated": ctx.generated.strftime("%Y-%m-%d %H:%M UTC"),
        "run_id": _e(ctx.run_id),
        "format_version": FORMAT_VERSION,
        "n_groups": groups.num_rows,
        "n_centres": tables["contact_centres"].num_rows,
        "n_organisations": tables["organisations"].num_rows,
        "n_listings": listings.num_rows,
        "source_rows": _rows(_sources(con, _counts(listings.column("source_id")))),
        "state_rows": _rows(_states(tables)),
        "download_rows": _download_rows(folder),
        "later_files": " ".join(f'<a href="{f}">{f}</a>' for f in _LATER),
        "attribution": _e(attribution),
        "withheld": _e(", ".join(withheld_sources) or "keine"),
    }
    path = folder / "index.html"
    path.write_text(render(template, values), "utf-8")
    return path
