"""Wiring: the Prefect flow, the plain pipeline steps it calls, and the `shg` CLI."""

import warehouse  # noqa: F401  (DuckDB's allocator set before anything loads duckdb)
