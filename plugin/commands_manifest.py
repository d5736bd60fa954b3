"""``claimdesk manifest``: check the Zendesk app package and write its upload zip."""

from __future__ import annotations

import os
from pathlib import Path

import click

from plugin.manifest import (
    DEFAULT_PACKAGE,
    ManifestError,
    build_package,
    check_package,
    package_version,
    rule_names,
)


def register_manifest(main: click.Group) -> None:
    """Add the ``manifest`` group to the ``claimdesk`` group."""
    main.add_command(manifest)


@click.group()
def manifest() -> None:
    """Check and package the Zendesk app in manifest/."""


def _shown(path: Path) -> str:
    """The path as the user would type it: relative to the working folder when inside it."""
    try:
        shown = os.path.relpath(path.resolve(), Path.cwd())
    except ValueError:  # another drive on Windows
        shown = str(path)
    if shown.startswith(".."):
        shown = str(path)
    return shown + "/" if path.is_dir() and not shown.endswith("/") else shown


@manifest.command("check")
@click.argument(
    "path",
    required=False,
    type=click.Path(exists=True, path_type=Path),
    default=DEFAULT_PACKAGE,
)
def check(path: Path) -> None:
    """Validate the app folder (or a built zip) against Zendesk's rules and ours.

    Prints one line per problem, as ``file: message``, and exits 1 if there is any.
    """
    try:
        problems = check_package(path)
    except ManifestError as error:
        raise click.ClickException(str(error)) from None
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s) in {_shown(path)}", err=True)
        raise SystemExit(1)
    click.echo(f"{_shown(path)} is valid ({len(rule_names())} rules checked)")


@manifest.command("package")
@click.option(
    "--base-url",
    "base_url",
    help="The claimdesk server's public https URL; every location URL and the webhook "
    "endpoint are moved onto it in the zip. Without it the zip keeps the local demo server.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the zip (default: dist/claimdesk-<version>.zip).",
)
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=DEFAULT_PACKAGE,
    show_default="manifest/",
    help="The app folder to package.",
)
def package(base_url: str | None, out: Path | None, source: Path) -> None:
    """Validate the app, then write the zip to upload to Zendesk (refused on any problem)."""
    target = out or Path("dist") / f"claimdesk-{package_version(source)}.zip"
    try:
        written = build_package(source, target, base_url=base_url)
    except ManifestError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{error}; no zip written") from None
    where = base_url.rstrip("/") if base_url else "the local demo server"
    click.echo(f"wrote {written} (locations and webhook on {where})")
