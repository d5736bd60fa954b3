"""``claimdesk demo``: the generated seller, reconciled, synced through the SP-API sandbox, then
served in the Zendesk sandbox with our web app."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests


def demo_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CLAIMDESK_")}


def test_demo_syncs_the_same_claims_reconcile_finds(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from plugin.cli import main; main()", "demo",
         "--data", str(tmp_path / "seller"), "--no-serve"],
        capture_output=True, text=True, env=demo_env(), timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout
    assert "Traceback" not in out + done.stderr
    synced = re.search(r"claims (\d+) new, 0 changed", out)
    assert synced is not None, out[-2000:]
    found = re.findall(r"^Claimable now: (.*)$", out, flags=re.M)
    assert len(found) == 2 and found[0] == found[1]  # reconcile's table, then the stored claims
    assert int(synced.group(1)) > 50


def test_demo_serves_the_zendesk_sandbox_with_our_app_until_stopped(tmp_path: Path) -> None:
    log = (tmp_path / "demo.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", "from plugin.cli import main; main()", "demo",
         "--data", str(tmp_path / "seller"), "--port", "0"],
        stdout=log, stderr=subprocess.STDOUT, env=demo_env(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        opened = None
        while time.monotonic() < deadline and process.poll() is None:
            opened = re.search(r"^Open (http://\S+/agent) ", Path(log.name).read_text(), re.M)
            if opened:
                break
            time.sleep(0.5)
        output = Path(log.name).read_text()
        assert opened is not None, output[-3000:]
        agent = requests.get(opened.group(1), timeout=10)
        assert agent.status_code == 200
        assert agent.text.count('class="ticket"') >= 20
        app_url = re.search(r"Web app: (http://\S+)", output)
        assert app_url is not None
        assert requests.get(f"{app_url.group(1)}/health", timeout=10).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
        log.close()
    output = Path(log.name).read_text()
    assert code == 0, output[-3000:]
    assert "Traceback" not in output
