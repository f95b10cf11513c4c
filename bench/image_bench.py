"""Images: what fitting costs, and what an image adds to an X post, against the fake X API.

* fit: ``fit()`` on a 1200×800 JPEG (within the limits: untouched), a 6000×4000 photo-like JPEG
  (scaled to 4096 px) and a 3200×3200 noisy PNG of about 30 MB (re-encoded under 5 MB); median
  seconds over ``--repeat`` runs.
* post: N posts through ``XPublisher`` one at a time, text only vs with a ~200 KB JPEG uploaded
  first (INIT, APPEND, FINALIZE, metadata, then the post); the fake X API runs as a separate
  process. Reports posts/s, the ratio, and this process's CPU time per post (the fake's own
  multipart parsing and image decoding are not ours).

Usage::

    .venv/bin/python bench/image_bench.py [-n 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from bot.domain.images import X_IMAGE_LIMITS  # noqa: E402
from bot.domain.models import Platform, Post  # noqa: E402
from bot.domain.ports import PublishRequest  # noqa: E402
from bot.ingest.image import fit, read_image  # noqa: E402

X_CREDS = {"consumer_key": "test-consumer-key", "consumer_secret": "test-consumer-secret",
           "access_token": "1000-test-access-token", "access_token_secret": "test-access-secret"}


def photo_like(width: int, height: int, quality: int = 92) -> bytes:
    """A JPEG with smooth gradients plus mild noise: compresses like a photograph."""
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 24)
    picture = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def noisy_png(side: int) -> bytes:
    """Random pixels as PNG: about 3 bytes a pixel."""
    raw = random.Random(1).randbytes(side * side * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), raw).save(out, "PNG", compress_level=1)
    return out.getvalue()


def bench_fit(repeat: int) -> None:
    """Median time of ``fit`` per case."""
    cases = {
        "1200x800 JPEG (within limits)": photo_like(1200, 800),
        "6000x4000 JPEG (over 4096 px)": photo_like(6000, 4000),
        "3200x3200 noisy PNG": noisy_png(3200),
    }
    for name, data in cases.items():
        image = read_image(data)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fitted = fit(image, X_IMAGE_LIMITS)
            times.append(time.perf_counter() - start)
        print(f"fit {name}: {len(data) / 1e6:.1f} MB -> {fitted.size / 1e6:.2f} MB "
              f"{fitted.width}x{fitted.height} {fitted.media_type}, "
              f"median {statistics.median(times):.3f} s")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def bench_posts(url: str, n: int, with_image: bool, seed: int) -> tuple[float, float]:
    """Posts per second through ``XPublisher``, optionally each with an uploaded image."""
    from bot.publish.x import XPublisher

    image = read_image(photo_like(1200, 800))
    publisher = XPublisher(api_base_url=url, **X_CREDS)
    try:
        await publisher.me()
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            media: tuple[str, ...] = ()
            if with_image:
                media = (await publisher.upload_image(image, "A harbour crane at dawn"),)
            post = Post(Platform.X, (f"Run {seed} post {i} with{'' if with_image else 'out'} image",))
            await publisher.publish(PublishRequest(
                delivery_id=i, article_id=i, target="xa", platform=Platform.X, chat="",
                url="https://example.org", post=post, media_ids=media))
        return n / (time.perf_counter() - start), (time.process_time() - cpu) / n
    finally:
        await publisher.aclose()


def main() -> None:
    """Run both parts and print the numbers."""
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench_fit(args.repeat)
    port = free_port()
    fake = subprocess.Popen([sys.executable, "-m", "tests.fakes.x_server", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert fake.stdout is not None
        url = fake.stdout.readline().decode().strip()
        plain, images = [], []
        for r in range(args.repeat):
            plain.append(asyncio.run(bench_posts(url, args.n, False, r)))
            images.append(asyncio.run(bench_posts(url, args.n, True, r)))
        p, i = statistics.median(r[0] for r in plain), statistics.median(r[0] for r in images)
        pc, ic = statistics.median(r[1] for r in plain), statistics.median(r[1] for r in images)
        size = read_image(photo_like(1200, 800)).size
        print(f"posts, text only: {p:.0f}/s ({pc * 1000:.1f} ms CPU each); with a "
              f"{size / 1e3:.0f} KB image: {i:.0f}/s ({ic * 1000:.1f} ms CPU each); "
              f"{i / p:.0%} of the text-only rate")
    finally:
        fake.terminate()
        fake.wait(timeout=10)


if __name__ == "__main__":
    main()
