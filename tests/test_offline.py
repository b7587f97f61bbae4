"""The suite cannot reach the internet: only loopback sockets are allowed (pytest-socket)."""

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_non_loopback_connections_are_blocked():
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.1", 9), timeout=0.1)  # TEST-NET-1, never reached


def test_loopback_is_allowed():
    server = socket.create_server(("127.0.0.1", 0))
    with server, socket.create_connection(server.getsockname(), timeout=1):
        pass
