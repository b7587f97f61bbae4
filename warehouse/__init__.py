"""The DuckDB warehouse: DDL, load, publish. Imports `schema` only."""

import os

#: DuckDB's allocator (jemalloc) is to hand freed pages back to the system at once rather
#: than keep them for seconds: publishing 100,000 listings frees several hundred MB between
#: its steps, and pages kept add up to the night's peak RSS (a publish in a fresh process:
#: 1,003 -> 855 MB). jemalloc reads this when DuckDB is loaded, so it is set here, before
#: any module of the project imports duckdb (`flows` and `bench` import this package
#: first); an operator's own value wins.
ALLOCATOR_CONF = "dirty_decay_ms:0,muzzy_decay_ms:0"
os.environ.setdefault("DUCKDB_JE_MALLOC_CONF", ALLOCATOR_CONF)
