"""`warehouse.memory.trim_heap`: freed memory goes back to the system between steps."""

import subprocess
import sys

from tests.conftest import ROOT

DRIVER = """
import psutil
from warehouse.memory import trim_heap

rss = lambda: psutil.Process().memory_info().rss >> 20
chunks = [bytes(1500) for _ in range(150_000)]  # about 220 MB on the C heap
keep = chunks[-1]  # the heap's top stays in use: freeing alone cannot shrink it
del chunks
before = rss()
print(trim_heap(), before, rss())
"""


def test_trim_heap_hands_the_freed_c_heap_back():
    """A step's freed objects (here 220 MB of them, under one still in use) stay in the
    process's RSS until trimmed; `trim_heap` returns them."""
    out = subprocess.run([sys.executable, "-c", DRIVER], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    trimmed, before, after = out[0] == "True", int(out[1]), int(out[2])
    assert trimmed
    assert before - after > 150, (before, after)
