"""Metadata written into every release: `dcat.jsonld` (DCAT-AP.de, for portal harvesting,
e.g. GovData) and `README.md` (for people who download the folder).

Licences. A release mixes sources, so the licence is stated per distribution (every file holds
data of every contributing source) and the attribution text names each source. The licence
id of a source (SPDX id or `LicenseRef-…` in the registry) maps to a DCAT-AP.de licence URI
(`http://dcat-ap.de/def/licenses/<id>`) by `DCATDE_LICENCES`. The rule for a distribution:

- all contributing sources map to the same URI: that URI;
- any source has no DCAT-AP.de URI (a `LicenseRef-…` or an unknown id): `other-closed`, the
  most careful statement, with every source's licence named in `dct:rights` and
  `dcatde:licenseAttributionByText`;
- several different open licences: `other-open`, again naming each in the text.

Contributing sources are those with policy `open` and at least one active listing (what is in
the files); sources with policy `withhold` are never named here, in the DCAT document or in
the README.
"""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.release.entities import ENTITY_COLUMNS
from warehouse.release.formats import EXPORTERS
from warehouse.release.integrity import sha256_file, write_json
from warehouse.release.public import FORMAT_VERSION, PUBLIC_COLUMNS

_README = Path(__file__).with_name("release_readme.md")
_SLOT = re.compile(r"\{\{(\w+)\}\}")

PROJECT_URL = "https://github.com/selbsthilfe-atlas/selbsthilfe-atlas"
PUBLISHER = "selbsthilfe-atlas"
LICENCE_BASE = "http://dcat-ap.de/def/licenses/"

#: SPDX id (as in sources.toml) -> DCAT-AP.de licence URI.
DCATDE_LICENCES = {
    "CC-BY-4.0": LICENCE_BASE + "cc-by/4.0",
    "CC-BY-SA-4.0": LICENCE_BASE + "cc-by-sa/4.0",
    "CC0-1.0": LICENCE_BASE + "cc-zero",
    "dl-de-by-2.0": LICENCE_BASE + "dl-by-de/2.0",
    "dl-de-zero-2.0": LICENCE_BASE + "dl-zero-de/2.0",
    "ODbL-1.0": LICENCE_BASE + "odbl",
}
OTHER_CLOSED = LICENCE_BASE + "other-closed"
OTHER_OPEN = LICENCE_BASE + "other-open"

_IANA = "https://www.iana.org/assignments/media-types/"
_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
#: suffix -> (IANA media type, EU file-type authority code, German description), for files
#: no exporter writes (`warehouse.release.formats` declares its own).
FILE_KINDS = {
    ".csv": ("text/csv", "CSV", "CSV"),
    ".json": ("application/json", "JSON", "JSON"),
    ".jsonld": ("application/ld+json", "JSON_LD", "JSON-LD"),
    ".md": ("text/markdown", "TXT", "Beschreibung der Veröffentlichung (Markdown)"),
    ".html": ("text/html", "HTML", "Übersichtsseite mit durchsuchbarer Gruppenliste"),
    ".gz": ("application/gzip", "GZIP", "gzip-komprimierte Datei"),
    ".zip": ("application/zip", "ZIP", "ZIP-Archiv"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX",
              "Excel-Arbeitsmappe"),
}
_NAMED = {
    "datapackage.json": "Frictionless Data Package: Schema und Beschreibung der CSV-Dateien",
    "withheld.json": "Was aus Lizenz- oder Datenschutzgründen oder als ungültig nicht "
                     "veröffentlicht wurde",
    "latest.json": "Zeiger auf die neueste Veröffentlichung",
}
#: What one row of each published table is (German).
_TABLE_TITLES = {
    "listings": "Einträge, eine Zeile je Eintrag einer Quelle",
    "groups": "Selbsthilfegruppen, eine Zeile je Gruppe über alle Quellen",
    "contact_centres": "Selbsthilfekontaktstellen, eine Zeile je Stelle über alle Quellen",
    "organisations": "Selbsthilfeorganisationen, eine Zeile je Organisation über alle Quellen",
}


#: File name -> (media type, file-type code, description) of every exporter's files.
_EXPORTED = {exporter.FILES.format(stem=stem): (
    exporter.MEDIA_TYPE, exporter.FILE_TYPE,
    (f"{title}: " if "{stem}" in exporter.FILES else "") + exporter.DESCRIPTION)
    for exporter in EXPORTERS for stem, title in _TABLE_TITLES.items()}


def file_kind(name: str) -> tuple[str, str, str]:
    """(IANA media type, EU file-type code, German description) of the release file `name`."""
    if name in _EXPORTED:
        return _EXPORTED[name]
    media, code, description = FILE_KINDS.get(Path(name).suffix.lower(),
                                              ("application/octet-stream", "BIN", "Datei"))
    return media, code, _NAMED.get(name, description)


CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "adms": "http://www.w3.org/ns/adms#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}

KEYWORDS = ["Selbsthilfe", "Selbsthilfegruppen", "Selbsthilfekontaktstellen",
            "Selbsthilfeorganisationen", "Gesundheit", "Soziales", "Open Data"]
TITLE = "selbsthilfe-atlas: Selbsthilfegruppen, -kontaktstellen und -organisationen"
DESCRIPTION = (
    "Verzeichnis der Selbsthilfegruppen, Selbsthilfekontaktstellen und bundesweiten "
    "Selbsthilfeorganisationen in Deutschland, zusammengetragen aus den Stellen, die sie "
    "veröffentlichen, in ein einheitliches Schema gebracht und jede Nacht neu als offene "
    "Daten bereitgestellt (CSV, JSON, Parquet, DuckDB). Angaben zu Privatpersonen sind nicht "
    "enthalten; Quellen, deren Nutzungsbedingungen keine Weiterveröffentlichung erlauben, "
    "ebenfalls nicht.")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _typed(value: str, kind: str) -> dict:
    return {"@value": value, "@type": f"xsd:{kind}"}


def open_sources(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Sources with policy `open`, with the number of their active (published) listings."""
    return con.sql("""
        SELECT s.source_id, s.name, s.publisher, s.licence,
               coalesce(nullif(s.attribution, ''), s.publisher) AS attribution,
               coalesce(s.start_urls, []) AS start_urls,
               count(l.id) FILTER (WHERE l.active) AS listings
        FROM sources s LEFT JOIN listings l USING (source_id)
        WHERE s.policy = 'open'
        GROUP BY ALL ORDER BY s.source_id
    """).to_arrow_table().to_pylist()


def licence_uri(licence: str) -> str | None:
    """The DCAT-AP.de URI of an SPDX id, a DCAT-AP.de URI as is, else None."""
    if licence.startswith(LICENCE_BASE):
        return licence
    return DCATDE_LICENCES.get(licence)


def release_licence(sources: list[dict]) -> str:
    """One DCAT-AP.de licence URI for a file holding the data of `sources` (rule: module doc)."""
    uris = {licence_uri(s["licence"]) for s in sources}
    if not uris or None in uris:
        return OTHER_CLOSED
    if len(uris) == 1:
        return uris.pop()
    return OTHER_OPEN


def attribution_text(sources: list[dict]) -> str:
    return "; ".join(f"{s['attribution']} ({s['licence']})" for s in sources)


def contributing_sources(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return [s for s in open_sources(con) if s["listings"] > 0]


def _files(folder: Path, skip: set[str]) -> list[Path]:
    """Every file of the release, subfolders (the HSDS package) included."""
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not p.name.startswith(".")
                  and _rel(folder, p) not in skip)


def _rel(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def _distribution(path: Path, name: str, ctx, licence: str, rights: str,
                  issued: dict) -> dict:
    media, code, description = file_kind(name)
    release_url = f"{ctx.base_url}releases/{ctx.run_id}/{name}"
    return {
        "@id": release_url + "#distribution",
        "@type": "dcat:Distribution",
        "dct:title": name,
        "dct:description": description,
        "dcat:downloadURL": {"@id": release_url},
        "dcat:accessURL": [{"@id": release_url}, {"@id": f"{ctx.base_url}latest/{name}"}],
        "dcat:mediaType": {"@id": _IANA + media},
        "dct:format": {"@id": _FILE_TYPE + code},
        "dcat:byteSize": _typed(str(path.stat().st_size), "nonNegativeInteger"),
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
            "spdx:checksumValue": _typed(sha256_file(path), "hexBinary"),
        },
        "dct:license": {"@id": licence},
        "dcatde:licenseAttributionByText": rights,
        "dct:rights": {"@type": "dct:RightsStatement", "rdfs:label": rights},
        "dct:issued": issued,
        "dct:modified": issued,
    }


def dcat_document(con: duckdb.DuckDBPyConnection, folder: Path, ctx) -> dict:
    sources = contributing_sources(con)
    licence = release_licence(sources)
    rights = ("Enthält Daten aus folgenden Quellen (Namensnennung, Lizenz): "
              + attribution_text(sources) + ". Zusammenstellung: selbsthilfe-atlas."
              if sources else "Keine Einträge.")
    generated = _iso(ctx.generated)
    issued = _typed(generated, "dateTime")
    since = con.execute("""
        SELECT min(l.provenance.fetched_at) FROM listings l JOIN sources s USING (source_id)
        WHERE l.active AND s.policy = 'open'
    """).fetchone()[0]
    dataset = {
        "@id": f"{ctx.base_url}releases/{ctx.run_id}/#dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": f"selbsthilfe-atlas/{ctx.run_id}",
        "dct:title": {"@value": TITLE, "@language": "de"},
        "dct:description": {"@value": DESCRIPTION, "@language": "de"},
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/DEU"},
        "dct:publisher": {"@type": "foaf:Organization", "foaf:name": PUBLISHER,
                          "foaf:homepage": {"@id": PROJECT_URL}},
        "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": PUBLISHER,
                              "vcard:hasURL": {"@id": PROJECT_URL}},
        "dcat:landingPage": {"@id": f"{ctx.base_url}latest/README.md"},
        "dct:spatial": {"@id": "http://publications.europa.eu/resource/authority/country/DEU"},
        "dcatde:politicalGeocodingLevelURI": {
            "@id": "http://dcat-ap.de/def/politicalGeocoding/Level/federal"},
        "dct:temporal": {"@type": "dct:PeriodOfTime",
                         "dcat:startDate": _typed(_iso(since) if since else generated,
                                                  "dateTime"),
                         "dcat:endDate": issued},
        "dcat:theme": {"@id": "http://publications.europa.eu/resource/authority/data-theme/HEAL"},
        "dcat:keyword": KEYWORDS,
        "dct:issued": issued,
        "dct:modified": issued,
        "owl:versionInfo": ctx.run_id,
        "dct:accrualPeriodicity": {
            "@id": "http://publications.europa.eu/resource/authority/frequency/DAILY"},
        "dct:rights": {"@type": "dct:RightsStatement", "rdfs:label": rights},
        "dcat:distribution": [_distribution(p, _rel(folder, p), ctx, licence, rights, issued)
                              for p in _files(folder, {"dcat.jsonld", "SHA256SUMS"})],
    }
    return {"@context": CONTEXT, "@graph": [dataset]}


def write_dcat(con: duckdb.DuckDBPyConnection, folder: Path, ctx) -> Path:
    """`dcat.jsonld`: DCAT-AP.de metadata of the release, one distribution per file."""
    return write_json(folder / "dcat.jsonld", dcat_document(con, folder, ctx))


def human_size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError


def _column_table(columns: list[tuple[str, str, str, str]]) -> list[str]:
    """A Markdown table of a release table's columns, as the release README lists them."""
    return ["| Spalte | Typ | Beschreibung |", "|---|---|---|",
            *(f"| `{name}` | {kind} | {_md(description)} |"
              for name, kind, description, _ in columns)]


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def write_release_readme(con: duckdb.DuckDBPyConnection, folder: Path, ctx) -> Path:
    """`README.md` of the release (template `release_readme.md`): files, columns, sources,
    licences, what was withheld, how to cite."""
    sources = open_sources(con)
    contributing = [s for s in sources if s["listings"] > 0]
    files = [f"| `{_rel(folder, p)}` | {human_size(p.stat().st_size)} | "
             f"{_md(file_kind(_rel(folder, p))[2])} |" for p in _files(folder, {"README.md"})]
    if not (folder / "dcat.jsonld").exists():
        files.append("| `dcat.jsonld` | | Metadaten nach DCAT-AP.de (Harvesting durch "
                     "Datenportale), mit Größe und SHA-256 jeder Datei |")
    values = {
        "title": TITLE, "description": DESCRIPTION, "format_version": FORMAT_VERSION,
        "generated": _iso(ctx.generated), "run_id": ctx.run_id, "base_url": ctx.base_url,
        "files": "\n".join(files),
        "listing_columns": "\n".join(_column_table(PUBLIC_COLUMNS)),
        "entity_columns": "\n".join(_column_table(ENTITY_COLUMNS)),
        "sources": "\n".join(f"| {_md(s['name'])} (`{s['source_id']}`) | {_md(s['publisher'])} "
                             f"| `{s['licence']}` | {_md(s['attribution'])} | {s['listings']} |"
                             for s in sources),
        "licence": release_licence(contributing),
        "withheld": "\n".join(_withheld_lines(folder)),
        "attribution": attribution_text(contributing) or "keine",
    }
    path = folder / "README.md"
    path.write_text(render(_README.read_text("utf-8"), values), "utf-8")
    return path


def render(template: str, values: dict[str, object]) -> str:
    """`template`'s `{{slot}}`s filled in one pass, so a value that happens to contain
    "{{...}}" is never substituted again."""
    return _SLOT.sub(lambda m: str(values[m.group(1)]), template)


def _withheld_lines(folder: Path) -> list[str]:
    """A summary of `withheld.json` that counts, but does not name, the withheld sources."""
    path = folder / "withheld.json"
    if not path.exists():
        return ["Keine Angaben (`withheld.json` fehlt)."]
    report = json.loads(path.read_text("utf-8"))
    held = [entry for entry in report.values()
            if "fields_withheld" not in entry and entry.get("records_withheld")]
    records = sum(entry.get("records_withheld") or 0 for entry in held)
    fields: dict[str, int] = {}
    for entry in report.values():
        for field, detail in (entry.get("fields_withheld") or {}).items():
            fields[field] = fields.get(field, 0) + int(detail.get("count") or 0)
    lines = [f"- {records} Einträge aus {len(held)} Quelle(n), deren Nutzungsbedingungen "
             "keine Weiterveröffentlichung erlauben."]
    lines += [f"- `{field}`: {count} Angaben zu Privatpersonen ausgelassen"
              for field, count in sorted(fields.items())]
    invalid = sum(int((entry.get("values_withheld") or {}).get("count") or 0)
                  for entry in report.values())
    lines.append(f"- {invalid} ungültige Angaben (Telefon, E-Mail, Web, keine Adresse) "
                 "ausgelassen; je Eintrag in `withheld.json` unter `values_withheld` (id, "
                 "Feld, Grund), ohne den Wert; die Spalte `flags` nennt den Grund.")
    lines.append("- Einzelheiten: `withheld.json`.")
    return lines
