"""Draw the app's marketplace logos: manifest/assets/logo.png and logo-small.png.

Run ``python scripts/make_logos.py`` after changing the mark. The output is deterministic
(same bytes on every run) and the script needs only the standard library, so the logos stay
reproducible without an image library in the project's dependencies.

The mark: a parcel box (rounded square) holding a check, in claimdesk teal.
- logo.png (320x320) fills the whole square: Zendesk rounds the corners itself, and marketplace
  review rejects logos that already have rounded corners.
- logo-small.png (128x128) is the rounded box alone on a transparent background (PNG-24 with alpha).
logo.svg and icon_nav_bar.svg are written by hand; they draw the same shapes.
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "manifest" / "assets"
TEAL = (0x0F, 0x6E, 0x62)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # per axis: 16 samples per pixel smooth the edges

# The check, in unit coordinates (0..1 across the image), and its stroke width.
CHECK = ((0.30, 0.52), (0.44, 0.66), (0.71, 0.37))
CHECK_WIDTH = 0.085

Shape = Callable[[float, float], bool]


def _segment_distance(x: float, y: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - (ax + t * dx), y - (ay + t * dy))


def _in_check(x: float, y: float) -> bool:
    return any(
        _segment_distance(x, y, CHECK[i], CHECK[i + 1]) <= CHECK_WIDTH / 2
        for i in range(len(CHECK) - 1)
    )


def _rounded_square(margin: float, radius: float) -> Shape:
    low, high = margin, 1.0 - margin

    def inside(x: float, y: float) -> bool:
        if not (low <= x <= high and low <= y <= high):
            return False
        cx = min(max(x, low + radius), high - radius)
        cy = min(max(y, low + radius), high - radius)
        return math.hypot(x - cx, y - cy) <= radius

    return inside


def _lid(x: float, y: float) -> bool:
    """The box's lid: a white band across the top of the mark."""
    return 0.24 <= x <= 0.76 and 0.215 <= y <= 0.255


def draw(size: int, *, background: bool) -> bytes:
    """RGBA rows of the mark at ``size`` pixels, supersampled."""
    box = _rounded_square(0.0, 0.0) if background else _rounded_square(0.06, 0.16)
    rows = bytearray()
    step = 1.0 / (size * SAMPLES)
    for py in range(size):
        rows.append(0)  # PNG filter type 0 (None) for this row
        for px in range(size):
            covered = white = 0
            for sy in range(SAMPLES):
                y = (py * SAMPLES + sy + 0.5) * step
                for sx in range(SAMPLES):
                    x = (px * SAMPLES + sx + 0.5) * step
                    if box(x, y):
                        covered += 1
                        if _in_check(x, y) or _lid(x, y):
                            white += 1
            total = SAMPLES * SAMPLES
            if covered == 0:
                rows += b"\x00\x00\x00\x00"
                continue
            # Colour = mix of teal and white over the covered samples; alpha = coverage.
            mix = white / covered
            rgb = bytes(round(t + (w - t) * mix) for t, w in zip(TEAL, WHITE, strict=True))
            rows += rgb + bytes([round(255 * covered / total)])
    return bytes(rows)


def png(size: int, rgba_rows: bytes) -> bytes:
    """A PNG file: 8-bit RGBA (colour type 6), no interlace, fixed zlib level."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


def main() -> int:
    ASSETS.mkdir(parents=True, exist_ok=True)
    for name, size, background in (("logo.png", 320, True), ("logo-small.png", 128, False)):
        target = ASSETS / name
        target.write_bytes(png(size, draw(size, background=background)))
        print(f"wrote {target} ({size}x{size})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
