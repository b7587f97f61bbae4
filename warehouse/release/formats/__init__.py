"""The release's file formats: one exporter module each, listed in `EXPORTERS`.

An exporter declares `FILES` (its file name, `{stem}` for one file per table), `MEDIA_TYPE`,
`FILE_TYPE` (EU file-type authority code), `DESCRIPTION` (German, for DCAT and the release's
README) and `write(con, folder, tables, package) -> [paths]`, which writes its files from the
public tables (`ReleaseTable`). A new format is one module here and one test.
"""

from types import ModuleType

from warehouse.release.formats import csv_exact, excel_csv, json_document, parquet, snapshot

EXPORTERS: tuple[ModuleType, ...] = (csv_exact, excel_csv, json_document, parquet, snapshot)


def file_names(exporter: ModuleType, stems: list[str]) -> list[str]:
    """The names of the files `exporter` writes for tables `stems`."""
    if "{stem}" not in exporter.FILES:
        return [exporter.FILES]
    return [exporter.FILES.format(stem=stem) for stem in stems]
