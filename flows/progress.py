"""Progress of a run on stderr, one line per event of each source and of the run: only on a
terminal or with SHG_PROGRESS=1 (0 silences it), since a run under cron or a work pool has its
log and report instead."""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schema.source_run import SourceRun

_LOCK = threading.Lock()


def enabled() -> bool:
    forced = os.environ.get("SHG_PROGRESS", "")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or a closed one
        return False


def say(text: str) -> None:
    """One line, stamped with the time of day, written whole (threads share stderr)."""
    if not enabled():
        return
    line = f"{time.strftime('%H:%M:%S')} {text}\n"
    with _LOCK:
        sys.stderr.write(line)
        sys.stderr.flush()


def source(source_id: str, event: str) -> None:
    say(f"{source_id}: {event}")


def done(run: SourceRun) -> None:
    if run.status != "ok":
        source(run.source_id, f"done, {run.status} [{run.failure_class}]: {run.reason}")
    elif run.unchanged_since:
        source(run.source_id, f"done, unchanged since run {run.unchanged_since}")
    else:
        source(run.source_id, f"done, ok: {len(run.listings):,} valid records, "
                              f"{len(run.quarantine):,} to quarantine")
