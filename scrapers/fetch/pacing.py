"""When the next request may go: one gate per host shared by every client of the process,
and the wait an answer asks for (Retry-After)."""

from __future__ import annotations

import asyncio
import email.utils
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx


@dataclass
class HostGate:
    """The request slots of one host, shared by every client in the process, so three sources
    on one host (the NAKOS lists) take turns; reserved under a thread lock, waited for outside."""

    interval: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0

    async def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            at = max(now, self.next_at)
            self.next_at = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


_GATES: dict[tuple[str, float], HostGate] = {}
_GATES_LOCK = threading.Lock()


def host_gate(host: str, interval: float) -> HostGate:
    """The process-wide gate of `host` at `interval` (clients at another rate, such as a
    test's, keep their own)."""
    with _GATES_LOCK:
        return _GATES.setdefault((host, interval), HostGate(interval))


def slot_wait(gate: HostGate | None) -> Callable[[], Awaitable[None]] | None:
    """What a probe awaits before asking: the gate's slot, or nothing."""
    return gate.wait if gate is not None else None


def retry_after(response: httpx.Response) -> float | None:
    """Seconds a 429 or 503 asks to wait (Retry-After in seconds or as a date), or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
