"""The DuckDB warehouse: DDL, load, publish. Imports `schema` only."""
