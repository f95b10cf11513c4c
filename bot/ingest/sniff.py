"""Is a response what we asked for? Content-Type first, then the first bytes (sniffing)."""

from __future__ import annotations

from bot.domain.errors import FetchError

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
                        "application/rdf+xml", "application/feed+xml", "text/html", "text/plain",
                        "application/x-rss+xml", "application/octet-stream", ""})
_MAGIC = (
    (b"%PDF", "a PDF file"), (b"\x89PNG", "a PNG image"), (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"), (b"PK\x03\x04", "a ZIP archive"), (b"\x1f\x8b", "gzip data"),
    (b"RIFF", "a RIFF media file"), (b"ID3", "an MP3 file"), (b"\x00\x00\x00", "a media file"),
    (b"OggS", "an Ogg media file"), (b"\x7fELF", "a program"), (b"MZ", "a program"),
)


IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


def image_type(head: bytes) -> str | None:
    """The media type of a JPEG, PNG, WebP or GIF from its first bytes, else ``None``."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _check_image(url: str, content_type: str, head: bytes) -> None:
    """Images are judged by their bytes; the header only rules out what is surely not one."""
    if content_type.startswith(("text/", "application/json", "application/xml")):
        raise FetchError(f"{url}: not an image (Content-Type {content_type})")
    if head and image_type(head) is None:
        found = _binary(head) or ("markup" if head.lstrip().startswith(b"<") else "unknown data")
        raise FetchError(f"{url}: not a JPEG, PNG, WebP or GIF image (the body is {found})")


def check_kind(url: str, kind: str, content_type: str, head: bytes) -> None:
    """``FetchError`` unless the type and the first bytes fit ``kind`` ("html", "feed", "image")."""
    if kind == "image":
        _check_image(url, content_type, head)
        return
    if kind == "html":
        if content_type and content_type not in HTML_TYPES:
            raise FetchError(f"{url}: not an HTML page (Content-Type {content_type})")
    elif content_type not in FEED_TYPES and not content_type.endswith("+xml"):
        raise FetchError(f"{url}: not a feed (Content-Type {content_type})")
    if not head:
        return
    binary = _binary(head)
    if binary:
        raise FetchError(f"{url}: not {'an HTML page' if kind == 'html' else 'a feed'} "
                         f"(the body is {binary})")
    text = head.lstrip(b"\xef\xbb\xbf\xfe\xff\x00 \t\r\n").lower()
    if not text.startswith(b"<"):
        what = "an HTML page" if kind == "html" else "a feed"
        raise FetchError(f"{url}: not {what} (the body does not start with markup)")


def _binary(head: bytes) -> str | None:
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a byte-order mark is text
        return None
    if b"\x00" in head:
        return "binary data"
    return None
