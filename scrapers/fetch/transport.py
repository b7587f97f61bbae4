"""The transports below the polite client: one shared TLS context, origins rewritten to
loopback servers (tests, benchmarks, fixture sites), and transport errors in the run
report's failure classes."""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client of the process (thread-safe): httpx builds
    one per client and transport, each parsing certifi's bundle again."""
    return httpx.create_ssl_context()


class RewriteTransport(httpx.AsyncBaseTransport):
    """Send requests for some origins to others (https://www.herne.de -> 127.0.0.1:8123), so a
    loopback fixture site behaves like the real one; unmapped origins are refused."""

    def __init__(self, mapping: dict[str, str], inner: httpx.AsyncBaseTransport | None = None):
        self.mapping = {k.rstrip("/"): v.rstrip("/") for k, v in mapping.items()}
        self.inner = inner or httpx.AsyncHTTPTransport(verify=shared_ssl_context())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        target = self.mapping.get(origin)
        if target is None:
            raise httpx.ConnectError(f"no route to {origin} (not in the rewrite map)",
                                     request=request)
        new_url = httpx.URL(target + url.raw_path.decode("ascii"))
        headers = request.headers.copy()
        headers["host"] = new_url.netloc.decode("ascii")
        forwarded = httpx.Request(request.method, new_url, headers=headers,
                                  stream=request.stream, extensions=request.extensions)
        return await self.inner.handle_async_request(forwarded)

    async def aclose(self) -> None:
        await self.inner.aclose()


def classify_transport_error(exc: httpx.TransportError) -> str:
    """Map an httpx error to a failure class of the run report."""
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        dns_words = ("name or service", "name resolution", "nodename", "getaddrinfo", "no address")
        return "dns" if any(w in text for w in dns_words) else "refused"
    return "http_error"
