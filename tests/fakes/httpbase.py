"""The HTTP plumbing shared by the fake platform servers (stdlib only).

An app (``FakeApp`` subclass) turns a parsed ``Request`` into a ``Reply``; a reply may ask to be
sent late (``delay``) or not at all (``drop``: the connection is closed without an answer).
``FakeServer`` runs an app on a ``ThreadingHTTPServer`` in a background thread and serves the
control endpoints every fake shares: ``GET /_fake/state``, ``POST /_fake/config``,
``POST /_fake/reset``, plus ``/_fake/<name>`` hooks of the app.

``GET /_fake/state`` answers ``{"requests": [{"t", "method", "path", "status", ...}],
"violations": [{"t", "key", "path", "blocked_until", "early_by"}], "blocked": {key: until},
"faults": {...}}`` plus the app's deliveries (``messages`` and ``chats`` for Telegram, ``tweets``
for X). Times are epoch seconds. ``POST /_fake/config`` takes ``{"faults": {"rate", "seed",
"kinds", "slow_seconds", "retry_after", "next": [...]}}`` and app keys.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.faults import FaultPlan, Limits


@dataclass
class Request:
    """One parsed HTTP request: query, form, multipart and JSON bodies merged into ``params``."""

    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]
    query: dict[str, str]
    json: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    host: str = ""


@dataclass
class Reply:
    """What to answer: status, JSON body, headers; ``delay`` seconds late, or ``drop`` it."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False


class FakeApp:
    """Base of a fake platform: request log, fault plan, announced limits, stop signal."""

    name = "fake"

    def __init__(self, *, faults: FaultPlan | None = None) -> None:
        self.faults = faults or FaultPlan()
        self.limits = Limits()
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.RLock()
        self.stopping = threading.Event()

    @property
    def violations(self) -> list[dict[str, Any]]:
        """Requests that came before an announced retry_after / reset."""
        return self.limits.violations

    def handle(self, request: Request) -> Reply:
        """Answer one platform request (subclasses)."""
        raise NotImplementedError

    def log(self, request: Request, reply: Reply, **extra: Any) -> None:
        """Record a request with its time, outcome and any extra facts."""
        entry = {"t": time.time(), "method": request.method, "path": request.path}
        entry["status"] = None if reply.drop else reply.status
        entry.update(extra)
        with self.lock:
            self.requests.append(entry)

    def state(self) -> dict[str, Any]:
        """Everything recorded, as JSON-ready data (subclasses add their deliveries)."""
        with self.lock:
            requests = list(self.requests)
        return {
            "requests": requests,
            "violations": list(self.limits.violations),
            "blocked": self.limits.blocked(),
            "faults": self.faults.describe(),
        }

    def configure(self, values: dict[str, Any]) -> None:
        """Change settings at run time (faults; subclasses add their own keys)."""
        self.faults.configure(values.get("faults", {}))

    def reset(self) -> None:
        """Forget every request, delivery, limit and violation."""
        with self.lock:
            self.requests.clear()
        self.limits.clear()

    def control(self, name: str, request: Request) -> Reply:
        """App-specific control endpoint ``/_fake/<name>`` (subclasses)."""
        return Reply(404, {"error": f"no control endpoint {name!r}"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK stall
    server: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the app keeps its own request log."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        app = self.server.app
        try:
            request = self._parse()
        except ValueError as exc:
            self._write(Reply(400, {"error": f"unreadable request body: {exc}"}))
            return
        try:
            control = request.path.startswith("/_fake/")
            reply = self._control(app, request) if control else app.handle(request)
        except Exception as exc:  # a bug in the fake: say so loudly, as a 599
            reply = Reply(599, {"fake_error": repr(exc)})
        if reply.delay and app.stopping.wait(reply.delay):
            reply.drop = True
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._write(reply)

    def _control(self, app: FakeApp, request: Request) -> Reply:
        name = request.path[len("/_fake/") :].strip("/")
        if name == "state" and request.method == "GET":
            return Reply(200, app.state())
        if name == "config" and request.method == "POST":
            app.configure(request.json or request.params)
            return Reply(200, {"ok": True, "faults": app.faults.describe()})
        if name == "reset" and request.method == "POST":
            app.reset()
            return Reply(200, {"ok": True})
        return app.control(name, request)

    def _write(self, reply: Reply) -> None:
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout); nothing to do
            self.close_connection = True

    def _parse(self) -> Request:
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        params: dict[str, Any] = dict(query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        parsed_json: Any = None
        files: dict[str, bytes] = {}
        if body and ctype.startswith("application/json"):
            parsed_json = json.loads(body)
            if isinstance(parsed_json, dict):
                params.update(parsed_json)
        elif body and ctype.startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        elif body and ctype.startswith("multipart/form-data"):
            _parse_multipart(ctype, body, params, files)
        headers = {k.lower(): v for k, v in self.headers.items()}
        return Request(
            method=self.command,
            path=split.path,
            headers=headers,
            params=params,
            query=query,
            json=parsed_json,
            files=files,
            host=headers.get("host", ""),
        )


def _parse_multipart(ctype: str, body: bytes, params: dict[str, Any], files: dict[str, bytes]) -> None:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        if part.get_filename():
            files[name] = payload
        else:
            params[name] = payload.decode()


class FakeServer(ThreadingHTTPServer):
    """Serves one ``FakeApp`` on ``host:port`` (0 = a free port) in a background thread."""

    daemon_threads = False
    block_on_close = True
    request_queue_size = 128

    def __init__(self, app: FakeApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.app = app
        self._thread: threading.Thread | None = None
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track each client connection so ``stop`` can cut idle keep-alive ones."""
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget a finished connection, then close it."""
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8081``."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeServer:
        """Serve in a background thread; returns ``self``."""
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name=self.app.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers, close every socket."""
        self.app.stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        with self._open_lock:
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that went away; a fake must not spam stderr."""


def serve_forever_cli(server: FakeServer, banner: str) -> None:
    """Run a fake in the foreground for staging: print its URL, serve until Ctrl-C / SIGTERM."""
    import signal

    print(server.url, flush=True)
    print(banner, flush=True)

    def _interrupt(*_: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the stop
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)
    server.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        server.stop()
