"""The development ZAF SDK: the npm package bundled into one script that really runs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.sidebar.sdk_bundle import BundleError, bundle_sdk, package_folder

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed")
needs_sdk = pytest.mark.skipif(
    not (package_folder(ROOT) / "package.json").is_file(),
    reason="the npm ZAF SDK is not installed (npm ci)",
)

# A browser as little as the SDK touches at load and init: location, postMessage, listeners.
HARNESS = """
const fs = require("fs"), vm = require("vm");
const posted = [];
const search = process.argv[2];
const window = {
  location: { search: search, hash: "" },
  addEventListener: function () {},
  parent: { postMessage: function (message, origin) { posted.push([message, origin]); } },
};
window.top = window.parent;
window.window = window;
const context = vm.createContext({ window: window, document: { location: window.location },
  setTimeout: setTimeout, clearTimeout: clearTimeout, console: console, Promise: Promise });
vm.runInContext(fs.readFileSync(process.argv[1], "utf8"), context);
const client = window.ZAFClient.init();
console.log(JSON.stringify({
  type: typeof window.ZAFClient.init,
  client: client === false ? false : typeof client.get,
  posted: posted.length,
  origin: posted.length ? posted[0][1] : null,
}));
"""


def run_in_node(script: Path, search: str) -> dict[str, object]:
    assert NODE is not None
    result = subprocess.run(
        [NODE, "-e", HARNESS, str(script), search],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    found: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


@needs_node
@needs_sdk
def test_the_bundle_route_serves_a_working_zafclient(client: FlaskClient, tmp_path: Path) -> None:
    response = client.get("/vendor/zaf_sdk.js")
    assert response.status_code == 200
    assert response.content_type.startswith("application/javascript")
    assert response.headers["X-ZAF-SDK-Version"].startswith("2.0.")
    script = tmp_path / "zaf_sdk.js"
    script.write_bytes(response.data)

    signed = run_in_node(script, "?origin=https://acme.zendesk.com&app_guid=g-1")
    assert signed == {
        "type": "function",
        "client": "function",
        "posted": 1,  # the SDK announces itself to its host
        "origin": "https://acme.zendesk.com",
    }
    # Without origin and app_guid the real SDK refuses to start: the page must keep them.
    assert run_in_node(script, "")["client"] is False


def test_a_missing_package_is_a_clear_404(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    app.config["ZAF_SDK_PACKAGE"] = str(tmp_path / "node_modules" / "zendesk_app_framework_sdk")
    response = client.get("/vendor/zaf_sdk.js")
    assert response.status_code == 404
    assert "run scripts/demo or npm ci" in response.get_data(as_text=True)


def write_package(folder: Path, files: dict[str, str], main: str = "lib/index.js") -> Path:
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"version": "9.9.9", "main": main}))
    for name, source in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return folder


@needs_node
def test_relative_requires_resolve_once_each(tmp_path: Path) -> None:
    folder = write_package(
        tmp_path / "pkg",
        {
            "lib/index.js": "var a = require('./a'), b = require('./sub/b.js');"
            "module.exports = { init: function () { return a.n + b.n; } };",
            "lib/a.js": "exports.n = 1; exports.count = (exports.count || 0) + 1;",
            "lib/sub/b.js": "var a = require('../a'); module.exports = { n: a.n + 40 };",
        },
    )
    bundle = bundle_sdk(folder)
    assert bundle.version == "9.9.9"
    script = tmp_path / "bundle.js"
    script.write_text(bundle.source)
    assert NODE is not None
    check = (
        "const vm=require('vm'),fs=require('fs');const window={};"
        "vm.runInNewContext(fs.readFileSync(process.argv[1],'utf8'),{window});"
        "console.log(window.ZAFClient.init())"
    )
    out = subprocess.run(
        [NODE, "-e", check, str(script)], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.strip() == "42"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"lib/index.js": "require('left-pad')"}, "only relative modules"),
        ({"lib/index.js": "require('./missing')"}, "lib/missing.js is missing"),
        ({"lib/index.js": "require('../../etc/passwd')"}, "outside the package"),
    ],
)
def test_what_cannot_be_bundled_fails_loudly(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    with pytest.raises(BundleError, match=message):
        bundle_sdk(write_package(tmp_path / "pkg", files))


def test_a_missing_package_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="run scripts/demo or npm ci"):
        bundle_sdk(tmp_path / "nothing")
