"""Run a measurement in a fresh interpreter and read back its wall time and peak memory.

Each measurement gets its own process so peak RSS (``ru_maxrss``) belongs to it alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_HARNESS = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"seconds": elapsed, "peak_mib": peak_kib / 1024, "result": result}}))
"""


def measure(body: str) -> dict[str, float]:
    """Run ``body`` (which sets ``result``) in a new Python; return seconds, peak MiB, result."""
    code = _HARNESS.format(root=str(ROOT), body=textwrap.dedent(body))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=1800
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


BASELINE = """
import csv, gzip, io, json
from pathlib import Path
rows = 0
for path in sorted(Path({directory!r}).rglob("*")):
    if not path.is_file() or any(p.startswith(".") for p in path.relative_to({directory!r}).parts):
        continue
    with path.open("rb") as raw:
        magic = raw.read(2)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            opened = gzip.open(path, "rb") if magic == b"\\x1f\\x8b" else path.open("rb")
            with opened as stream:
                text = io.TextIOWrapper(stream, encoding=encoding, newline="")
                first = text.read(1); text.seek(0)
                if first in "{{[":
                    json.load(text); rows += 1
                else:
                    header = text.readline(); text.seek(0)
                    for _ in csv.reader(text, delimiter="\\t" if "\\t" in header else ","):
                        rows += 1
            break
        except (UnicodeDecodeError, ValueError):
            continue
result = rows
"""

RECONCILE = """
from datetime import date
from pathlib import Path
from plugin.services.reconcile import reconcile_folder
outcome = reconcile_folder(Path({directory!r}), date.fromisoformat({as_of!r}))
result = len(outcome.claims)
"""
