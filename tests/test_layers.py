"""Dependencies point down only: checked on the import statements of the source files.

``connectors/`` knows nothing of the plugin, Flask, RQ, Redis or the database, and
``plugin/domain/`` does no I/O: it imports no I/O library and calls no ``open``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CONNECTORS_MUST_NOT_IMPORT = frozenset({"plugin", "flask", "rq", "redis", "sqlalchemy"})
DOMAIN_MUST_NOT_IMPORT = frozenset(
    {
        "requests",
        "httpx",
        "urllib",
        "urllib3",
        "http",
        "socket",
        "subprocess",
        "redis",
        "rq",
        "flask",
        "sqlalchemy",
        "psycopg",
        "psycopg2",
    }
)
# Layers above the domain: the domain may use connectors' models, never these.
DOMAIN_MUST_NOT_IMPORT_PLUGIN = frozenset(
    {"services", "jobs", "store", "cli", "generator", "sidebar", "admin", "webhooks", "security"}
)


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Yield (line, dotted module name) for every absolute import in ``tree``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:  # "from plugin import services" names a module too
                yield node.lineno, f"{node.module}.{alias.name}"


def open_calls(tree: ast.AST) -> Iterator[int]:
    """Yield the line of every call to the builtin ``open`` or ``io.open``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "open":
                yield node.lineno
            elif (
                isinstance(func, ast.Attribute)
                and func.attr == "open"
                and isinstance(func.value, ast.Name)
                and func.value.id == "io"
            ):
                yield node.lineno


def connector_violations(source: str) -> list[str]:
    return [
        f"line {line}: imports {name}"
        for line, name in imported_modules(ast.parse(source))
        if name.split(".")[0] in CONNECTORS_MUST_NOT_IMPORT
    ]


def domain_violations(source: str) -> list[str]:
    tree = ast.parse(source)
    found = []
    for line, name in imported_modules(tree):
        parts = name.split(".")
        if parts[0] in DOMAIN_MUST_NOT_IMPORT or (
            parts[0] == "plugin" and len(parts) > 1 and parts[1] in DOMAIN_MUST_NOT_IMPORT_PLUGIN
        ):
            found.append(f"line {line}: imports {name}")
    found.extend(f"line {line}: calls open()" for line in open_calls(tree))
    return found


def python_files(folder: str) -> list[Path]:
    files = sorted((ROOT / folder).rglob("*.py"))
    assert files, f"no Python files under {folder}/"
    return files


@pytest.mark.parametrize("path", python_files("connectors"), ids=lambda p: str(p.relative_to(ROOT)))
def test_connectors_import_nothing_from_plugin_web_queue_or_database(path: Path) -> None:
    assert connector_violations(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "path", python_files("plugin/domain"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_domain_does_no_io(path: Path) -> None:
    assert domain_violations(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "import flask",
        "from plugin.domain import claims",
        "from plugin import domain",
        "import redis.asyncio as r",
        "def f():\n    from sqlalchemy import select",
    ],
)
def test_the_connector_check_catches_forbidden_imports(source: str) -> None:
    assert connector_violations(source)


@pytest.mark.parametrize(
    "source",
    [
        "import requests",
        "from urllib.request import urlopen",
        "import http.client",
        "import subprocess",
        "from socket import create_connection",
        "from plugin import services",
        "from plugin.store.queries import rows",
        "def load(p):\n    with open(p) as f:\n        return f.read()",
        "import io\nio.open('x')",
    ],
)
def test_the_domain_check_catches_io(source: str) -> None:
    assert domain_violations(source)


@pytest.mark.parametrize(
    "source",
    [
        "from connectors.amazon.models import LedgerRow",
        "from plugin.domain.policy import DEFAULT_POLICY",
        "import json\nfrom decimal import Decimal",
        "from datetime import date",
    ],
)
def test_the_domain_check_allows_pure_imports(source: str) -> None:
    assert domain_violations(source) == []
