"""Importers that read records from files rather than crawling: a publisher's CSV/XLSX/JSON
file and another release of this project (federation)."""
