"""Import a directory file that a contact centre sends (CSV, XLSX or JSON), driven only by the
`[source.file]` mapping in sources.toml, so adding a file is an edit of the registry, not code.

Files from spreadsheets are messy in known ways, and this package reads them as they are:
semicolons, a BOM or Windows-1252, a title row above the headers, the same id on a centre's
branches, values in the wrong column, contact data copied between rows, opening hours given twice
(as text and per day: both are kept raw; the normaliser decides and flags a disagreement).
Values stay raw and where the file put them; what looks wrong is written to `notes`, because
moving a value would hide the mistake from the people who can fix the file.

Reading bytes into rows: `read`; rows into places and values at paths: `cells`; places into
fields and hours: `mapping`; the importer and what it keeps across rows: `stream`.
"""
