"""A merchant's website for tests: a real HTTP server on 127.0.0.1 with a random port.

The pages it serves can change while it runs (the verification token is only known
once the wizard has made it), and it records the paths it was asked for.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # Send the body in pieces this far apart (seconds), to play a slow site.
    drip: float = 0.0


class LocalSite:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self.pages: dict[str, Page] = {}
        self.requested: list[str] = []

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def serve(self, path: str, body: str | bytes, *, status: int = 200, **kwargs) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = Page(body=data, status=status, **kwargs)

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        self.pages[path] = Page(status=status, headers={"Location": location})

    def serve_meta_tag(self, token: str) -> None:
        self.serve(
            "/",
            "<!doctype html><html><head><title>Shop</title>"
            f'<meta name="inecopay-verification" content="{token}">'
            "</head><body><h1>Our shop</h1></body></html>",
        )

    def serve_well_known(self, token: str) -> None:
        self.serve("/.well-known/inecopay-verification.txt", token + "\n")


def _handler_for(site_ref: list[LocalSite]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            site = site_ref[0]
            site.requested.append(self.path)
            page = site.pages.get(self.path.split("?", 1)[0]) or Page(b"not found", 404)
            self.send_response(page.status)
            for name, value in page.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            try:
                if not page.drip:
                    self.wfile.write(page.body)
                    return
                for index in range(0, len(page.body), 16):
                    self.wfile.write(page.body[index : index + 16])
                    self.wfile.flush()
                    time.sleep(page.drip)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading, as a size or time cap does

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def local_site() -> Iterator[LocalSite]:
    site_ref: list[LocalSite] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(site_ref))
    server.daemon_threads = True
    site_ref.append(LocalSite(server))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield site_ref[0]
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """The URL of a port on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"
