"""A tiny local web server serving story pages, for tests that fetch a bare URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Harbour Gazette</title>
<meta property="og:title" content="{title}">
<link rel="canonical" href="{url}"></head>
<body><article><h1>{title}</h1>
<p>The harbour reopened on Monday morning after a week of repairs to the storm wall, the port
authority said, and the first ferry left for the islands at seven o'clock sharp.</p>
<p>Fishermen who had waited since the storm crowded the quay before dawn. Many said the repairs
had taken longer than promised, but all were glad to get back to sea before the season ends.</p>
<p>The authority expects traffic to return to normal by the end of the week, it added in a
statement, and it thanked residents for their patience during the closure.</p>
</article></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if not self.path.startswith("/story/"):
            self.send_error(404)
            return
        slug = self.path.rsplit("/", 1)[-1]
        url = f"http://{self.headers['Host']}{self.path}"
        body = PAGE.format(title=f"Harbour reopens: {slug}", url=url).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        return


@contextmanager
def story_pages() -> Iterator[str]:
    """Serve ``/story/<slug>`` pages on a free local port; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
