"""The release: public tables, one exporter per file format, metadata, validation, switch."""
