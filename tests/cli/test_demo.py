"""``claimdesk demo``: the generated seller, reconciled, then synced through the sandbox."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def test_demo_syncs_the_same_claims_reconcile_finds(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMDESK_")}
    done = subprocess.run(
        [sys.executable, "-c", "from plugin.cli import main; main()", "demo",
         "--data", str(tmp_path / "seller")],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    assert "Traceback" not in out + done.stderr
    synced = re.search(r"claims (\d+) new, 0 changed", out)
    assert synced is not None, out[-2000:]
    found = re.findall(r"^Claimable now: (.*)$", out, flags=re.M)
    assert len(found) == 2 and found[0] == found[1]  # reconcile's table, then the stored claims
    assert int(synced.group(1)) > 50
