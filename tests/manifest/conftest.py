"""A fresh copy of the real manifest/ for each test, and small helpers to break it."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plugin.manifest import DEFAULT_PACKAGE


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """A copy of the repository's app package that a test may change."""
    return Path(shutil.copytree(DEFAULT_PACKAGE, tmp_path / "app"))


def edit_json(path: Path, change: Callable[[Any], object]) -> None:
    """Load ``path``, let ``change`` mutate the document in place, write it back."""
    document = json.loads(path.read_text("utf-8"))
    change(document)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), "utf-8")


def make_png(width: int, height: int, colour_type: int = 6) -> bytes:
    """A minimal valid PNG (8-bit, one flat colour) of the given size and colour type."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    rows = b"".join(b"\x00" + b"\x7f" * (width * channels) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
