"""Shared test set-up. Sockets to anything but loopback are blocked (pytest-socket, see
pyproject addopts); Prefect runs against its own throw-away home with analytics off."""

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="shg-prefect-"))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# a loaded CI machine can take longer than Prefect's default 20 s to start its local server
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
