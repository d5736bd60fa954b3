"""The ZAF SDK for the demo and tests, bundled from the npm package on the fly.

Production pages load Zendesk's build from its CDN. The demo and the browser tests use the
npm package ``zendesk_app_framework_sdk`` (installed by ``scripts/demo`` or ``npm ci``, never
copied into the repo), whose ``lib/`` is CommonJS. This is the smallest bundler that serves it:
each module becomes a function of ``(module, exports, require)``, ``./relative`` requires are
resolved from the requiring module's folder, and the entry's exports become ``window.ZAFClient``.

Only what the SDK uses is supported: relative requires with literal paths. A require of a
bare package name is an error here, so a new SDK version that needs more fails loudly.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "zendesk_app_framework_sdk"
GLOBAL_NAME = "ZAFClient"
_REQUIRE = re.compile(r"""\brequire\(\s*(['"])([^'"]+)\1\s*\)""")


class BundleError(Exception):
    """The SDK package is missing or has a module this bundler cannot resolve."""


@dataclass(frozen=True)
class Bundle:
    version: str
    source: str


def package_folder(root: Path) -> Path:
    """Where npm installs the SDK under the project ``root``."""
    return root / "node_modules" / PACKAGE


def bundle_sdk(folder: Path) -> Bundle:
    """One browser script defining ``window.ZAFClient`` from the package in ``folder``.

    Raises:
        BundleError: the package is not installed, or a require cannot be resolved.
    """
    manifest = folder / "package.json"
    if not manifest.is_file():
        raise BundleError(
            f"the ZAF SDK package is not installed ({folder} is missing): "
            "run scripts/demo or npm ci"
        )
    package = json.loads(manifest.read_text("utf-8"))
    main = str(package.get("main") or "lib/index.js")
    entry = _module_id(posixpath.normpath(main))
    modules: dict[str, str] = {}
    pending = [entry]
    while pending:
        module_id = pending.pop()
        if module_id in modules:
            continue
        path = folder / module_id
        if not path.is_file():
            raise BundleError(f"the ZAF SDK module {module_id} is missing from {folder}")
        source = path.read_text("utf-8")
        rewritten, needed = _link(module_id, source)
        modules[module_id] = rewritten
        pending.extend(needed)
    return Bundle(str(package.get("version") or "unknown"), _render(entry, modules))


def _module_id(path: str) -> str:
    return path if path.endswith(".js") else f"{path}.js"


def _link(module_id: str, source: str) -> tuple[str, list[str]]:
    """The module's source with each require naming a module id, and the ids it needs."""
    needed: list[str] = []
    base = posixpath.dirname(module_id)

    def resolve(match: re.Match[str]) -> str:
        target = match.group(2)
        if not target.startswith("./") and not target.startswith("../"):
            raise BundleError(f"{module_id} requires {target!r}: only relative modules are bundled")
        resolved = _module_id(posixpath.normpath(posixpath.join(base, target)))
        if resolved.startswith("../"):
            raise BundleError(f"{module_id} requires {target!r}, outside the package")
        needed.append(resolved)
        return f"require({json.dumps(resolved)})"

    return _REQUIRE.sub(resolve, source), needed


def _render(entry: str, modules: dict[str, str]) -> str:
    parts = [
        f"/* {PACKAGE}, bundled by claimdesk for development (production uses Zendesk's CDN) */",
        "(function (window) {",
        "  var definitions = {}, cache = {};",
        "  function require(id) {",
        "    if (cache[id]) { return cache[id].exports; }",
        "    if (!definitions[id]) { throw new Error('ZAF SDK bundle: no module ' + id); }",
        "    var module = cache[id] = { exports: {} };",
        "    definitions[id].call(module.exports, module, module.exports, require);",
        "    return module.exports;",
        "  }",
    ]
    for module_id in sorted(modules):
        parts.append(
            f"  definitions[{json.dumps(module_id)}] = function (module, exports, require) {{"
        )
        parts.append(modules[module_id])
        parts.append("  };")
    parts.append(f"  window.{GLOBAL_NAME} = require({json.dumps(entry)});")
    parts.append("})(window);")
    return "\n".join(parts) + "\n"
