"""The suite cannot reach the internet: only loopback sockets are allowed (pytest-socket)."""

import re
import socket

import pytest
from pytest_socket import SocketConnectBlockedError

from tests.conftest import ROOT


def test_non_loopback_connections_are_blocked():
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.1", 9), timeout=0.1)  # TEST-NET-1, never reached


def test_loopback_is_allowed():
    server = socket.create_server(("127.0.0.1", 0))
    with server, socket.create_connection(server.getsockname(), timeout=1):
        pass


#: Ways a file could reach the folder beside the clone (split, so this file does not match).
OUTSIDE = re.compile(r"\.\./" + "shared" + r"|parents?(\[\d\])?\s*/\s*['\"]" + "shared")
TEXT = {".py", ".md", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".sql", ".tmpl", ".html",
        ".txt", ".sh", ".json", ""}


def test_no_project_file_points_outside_the_clone():
    """A fresh clone has no folder `shared` beside it: the suite once read the HSDS schemas
    from there and failed with 5 errors. Nothing the project holds may point there."""
    skip = {".git", ".venv", "data", "public", "build", ".prefect", "__pycache__"}
    found = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if (parts & skip or any(p.endswith(".egg-info") for p in parts)  # pip's, not ours
                or not path.is_file() or path.suffix not in TEXT):
            continue
        text = path.read_text("utf-8", errors="replace")
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert found == []
