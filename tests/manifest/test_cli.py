"""``claimdesk manifest check`` and ``claimdesk manifest package`` through click's runner."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from plugin.cli import main
from plugin.manifest import DEFAULT_PACKAGE, rule_names

from .conftest import edit_json


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_check_passes_on_the_repository_package(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(DEFAULT_PACKAGE.parent)
    result = runner.invoke(main, ["manifest", "check"])
    assert result.exit_code == 0, result.output
    assert result.output == f"manifest/ is valid ({len(rule_names())} rules checked)\n"


def test_check_lists_each_problem_and_exits_1(runner: CliRunner, app: Path) -> None:
    edit_json(app / "manifest.json", lambda m: m.update(frameworkVersion="1.0"))
    (app / "assets" / "icon_nav_bar.svg").unlink()
    result = runner.invoke(main, ["manifest", "check", str(app)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        "manifest.json: 1.0 is not a valid framework version. Available versions are: 2.0.",
        "assets/icon_nav_bar.svg: missing: the nav_bar location needs this icon",
    ]
    assert "2 problem(s)" in result.stderr


def test_check_accepts_a_built_zip(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    assert runner.invoke(main, ["manifest", "package", "--out", str(out)]).exit_code == 0
    result = runner.invoke(main, ["manifest", "check", str(out)])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


def test_check_of_a_missing_path_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["manifest", "check", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_package_writes_the_zip_on_the_base_url(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "dist" / "claimdesk.zip"
    result = runner.invoke(
        main,
        ["manifest", "package", "--base-url", "https://claimdesk.example.com", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"wrote {out} (locations and webhook on https://claimdesk.example.com)\n"
    )
    with zipfile.ZipFile(out) as opened:
        manifest = json.loads(opened.read("manifest.json"))
    assert manifest["location"]["support"]["ticket_sidebar"]["url"] == (
        "https://claimdesk.example.com/sidebar"
    )


def test_package_defaults_to_dist_with_the_version(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["manifest", "package"])
    assert result.exit_code == 0, result.output
    version = json.loads((DEFAULT_PACKAGE / "manifest.json").read_text())["version"]
    assert (tmp_path / "dist" / f"claimdesk-{version}.zip").is_file()


def test_package_refuses_an_invalid_package(runner: CliRunner, app: Path, tmp_path: Path) -> None:
    edit_json(app / "manifest.json", lambda m: m["parameters"].append({"name": "api_key"}))
    out = tmp_path / "app.zip"
    result = runner.invoke(main, ["manifest", "package", "--source", str(app), "--out", str(out)])
    assert result.exit_code == 1
    assert "manifest.json: parameter api_key is named like a credential" in result.stderr
    assert "no zip written" in result.stderr
    assert not out.exists()


def test_package_refuses_a_plain_http_base_url(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "app.zip"
    result = runner.invoke(
        main,
        ["manifest", "package", "--base-url", "http://claimdesk.example.com", "--out", str(out)],
    )
    assert result.exit_code == 1
    assert "--base-url must be an https URL" in result.stderr
    assert not out.exists()
