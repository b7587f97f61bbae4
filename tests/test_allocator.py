"""DuckDB's allocator is configured before DuckDB is loaded (`warehouse.ALLOCATOR_CONF`):
jemalloc reads its configuration once, when the library loads, so a value set after the
first `import duckdb` does nothing. Each entry point is imported in a fresh interpreter that
notes the variable at the moment duckdb is imported (by the module, or after it)."""

import subprocess
import sys

import pytest

from warehouse import ALLOCATOR_CONF

_PROBE = """
import importlib.abc, os, sys
seen = []
class Spy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "duckdb" and not seen:
            seen.append(os.environ.get("DUCKDB_JE_MALLOC_CONF"))
        return None
sys.meta_path.insert(0, Spy())
import {module}
import duckdb  # when the module itself loads it later, in a function
print(seen[0])
"""


@pytest.mark.parametrize("module", ["flows.cli", "flows.health", "flows.pipeline",
                                    "warehouse.db", "bench.run", "bench.publish"])
def test_duckdb_loads_with_the_allocator_configured(module):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}  # no DUCKDB_JE_MALLOC_CONF of our own
    done = subprocess.run([sys.executable, "-c", _PROBE.format(module=module)],
                          capture_output=True, text=True, env=env, check=True, timeout=120)
    assert done.stdout.strip() == ALLOCATOR_CONF


def test_an_operators_own_setting_wins():
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "DUCKDB_JE_MALLOC_CONF": "narenas:2"}
    done = subprocess.run([sys.executable, "-c", _PROBE.format(module="flows.cli")],
                          capture_output=True, text=True, env=env, check=True, timeout=120)
    assert done.stdout.strip() == "narenas:2"
