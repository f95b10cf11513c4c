"""A small local HTTP server for ingestion tests: fixed routes, redirects, delays, chunked bodies."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What a path answers: status, headers, body; ``delay`` seconds late; ``chunked`` streams it."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunked: bool = False


Handler = Callable[[dict[str, str]], Route]


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]


class PageServer:
    """Serves ``routes`` (path → Route or handler of the request headers) on 127.0.0.1."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route | Handler] = {}
        self.requests: list[Seen] = []
        self.lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                with outer.lock:
                    outer.requests.append(Seen(self.path, headers))
                    route = outer.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    route = Route(404, b"not here", {"Content-Type": "text/plain"})
                elif not isinstance(route, Route):
                    route = route(headers)
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                if route.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self._chunks(route.body)
                    return
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                try:
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):  # the client stopped reading
                    self.close_connection = True

            def _chunks(self, body: bytes) -> None:
                try:
                    for start in range(0, len(body), 16384):
                        part = body[start:start + 16384]
                        self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The full URL of ``path`` on this server (optionally under another host name)."""
        return f"{self.scheme}://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        """Paths requested so far, in order."""
        with self.lock:
            return [r.path for r in self.requests]

    def start(self) -> PageServer:
        """Start serving in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
