"""The ``claimdesk`` command."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import date
from pathlib import Path

import click

from plugin.domain.policy import DEFAULT_POLICY, PolicyError, PolicyTable, parse_overrides


class _Day(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-10-31", param, ctx)


DAY = _Day()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Log what is read and skipped.")
def main(verbose: bool) -> None:
    """claimdesk: order context next to the Zendesk ticket, and the money Amazon owes."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def load_policy(path: Path | None) -> PolicyTable:
    """The default policy table plus overrides from ``--policy`` or CLAIMDESK_POLICY_FILE."""
    if path is None and os.environ.get("CLAIMDESK_POLICY_FILE"):
        path = Path(os.environ["CLAIMDESK_POLICY_FILE"])
    if path is None:
        return DEFAULT_POLICY
    try:
        rules, caps = parse_overrides(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, PolicyError) as exc:
        raise click.ClickException(f"policy file {path}: {exc}") from None
    return DEFAULT_POLICY.extend(rules, caps)


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--as-of", "as_of", type=DAY, default=None, help="The day to judge windows on (default: today)."
)
@click.option(
    "--costs",
    "costs",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Unit costs CSV (sku,unit_cost,currency); overrides costs in DIRECTORY.",
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON overrides of the claim-window table.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def reconcile(
    directory: Path, as_of: date | None, costs: Path | None, policy_file: Path | None, as_json: bool
) -> None:
    """Find what Amazon still owes in a folder of Amazon reports."""
    from plugin.reporting import claims_document, render_table
    from plugin.services.reconcile import reconcile_folder

    day = as_of or date.today()
    result = reconcile_folder(directory, day, costs_file=costs, policy=load_policy(policy_file))
    skipped = [(s.file, s.reason) for s in result.skipped_files]
    if as_json:
        click.echo(json.dumps(claims_document(day, result.claims, skipped), indent=1))
    else:
        click.echo(render_table(day, result.claims, skipped, source=str(directory)), nl=False)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", type=int, required=True, help="Same seed, same files.")
@click.option(
    "--skus",
    type=click.IntRange(min=1),
    default=40,
    show_default=True,
    help="Catalogue size (raised to what the planted scenarios need).",
)
@click.option(
    "--days",
    type=click.IntRange(min=30),
    default=400,
    show_default=True,
    help="Days of history before --as-of.",
)
@click.option(
    "--ledger-rows",
    "ledger_rows",
    type=click.IntRange(min=0),
    default=20_000,
    show_default=True,
    help="Inventory Ledger rows to write in all.",
)
@click.option(
    "--layout",
    type=click.Choice(["tsv", "csv"]),
    default="tsv",
    show_default=True,
    help="tsv: Amazon's downloads; csv: quoted, BOM, CRLF, sentence case, gzip.",
)
@click.option("--as-of", "as_of", type=DAY, default=None, help="Last day of data (default: today).")
def generate(
    directory: Path,
    seed: int,
    skus: int,
    days: int,
    ledger_rows: int,
    layout: str,
    as_of: date | None,
) -> None:
    """Write a realistic seller's Amazon files, with the claims planted in them."""
    from plugin.generator import generate_seller

    summary = generate_seller(
        directory,
        seed=seed,
        as_of=as_of or date.today(),
        skus=skus,
        days=days,
        ledger_rows=ledger_rows,
        layout=layout,
    )
    click.echo(
        f"wrote {len(summary.files)} files ({summary.ledger_rows:,} ledger rows, "
        f"{summary.planted} planted claims, as of {summary.as_of.isoformat()}) "
        f"to {directory}"
    )


@main.command()
@click.option(
    "--data",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-data"),
    show_default=True,
    help="Where to write the seller.",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--sync/--no-sync",
    "with_sync",
    default=True,
    show_default=True,
    help="Also serve the files from a local SP-API sandbox and sync them with a worker.",
)
@click.option(
    "--serve/--no-serve",
    "serve",
    default=True,
    show_default=True,
    help="Then run the Zendesk sandbox and the web app until Ctrl-C (needs --sync).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=5000,
    show_default=True,
    help="The web app's port (the manifest points at 5000; 0 picks a free one).",
)
def demo(directory: Path, seed: int, with_sync: bool, serve: bool, host: str, port: int) -> None:
    """Generate a realistic seller, show what claimdesk finds, sync it, and serve it in Zendesk."""
    from contextlib import ExitStack

    from plugin import demo as parts
    from plugin.generator import generate_seller
    from plugin.reporting import render_table
    from plugin.services.reconcile import reconcile_folder

    today = date.today()
    summary = generate_seller(directory, seed=seed, as_of=today)
    click.echo(
        f"Generated a seller in {directory}/ ({summary.ledger_rows:,} ledger rows, "
        f"{len(summary.files)} files).\n"
    )
    result = reconcile_folder(directory, today)
    skipped = [(s.file, s.reason) for s in result.skipped_files]
    click.echo(render_table(today, result.claims, skipped, source=str(directory)), nl=False)
    if not with_sync:
        click.echo(f"\nNext: claimdesk reconcile {directory} --json   (the same, as JSON)")
        return
    with ExitStack() as stack:
        parts.sync_seller(main, directory, today, stack)
        if not serve:
            click.echo(f"\nNext: claimdesk reconcile {directory} --json   (the same, as JSON)")
            return
        carriers_url = parts.serve_carriers(main, directory, stack)
        click.echo(f"Carrier sandboxes (UPS, FedEx, USPS, DHL) at {carriers_url}")
        agent_url, app_url = parts.serve_zendesk(main, directory, seed, host, port, stack)
        click.echo(f"\nOpen {agent_url}  (Zendesk sandbox: open a ticket; Ctrl-C stops the demo)")
        click.echo(f"Claims view: {agent_url}/apps/claimdesk   Web app: {app_url}")
        sys.stdout.flush()
        parts.wait_for_interrupt()
        click.echo("Stopping the demo …")


from plugin.commands_store import register  # noqa: E402  (the store's commands)

register(main)

from plugin.commands_sandbox import sandbox  # noqa: E402

main.add_command(sandbox)

from plugin.commands_sync import register_sync  # noqa: E402  (worker, sync)

register_sync(main)

from plugin.commands_manifest import register_manifest  # noqa: E402  (check, package)

register_manifest(main)

from plugin.commands_cases import register_cases  # noqa: E402  (cases, case …)

register_cases(main)

from plugin.commands_claims_view import claims_link  # noqa: E402  (claims-link)

main.add_command(claims_link)

from plugin.commands_dossier import dossier  # noqa: E402  (dossier NAME --order ID)

main.add_command(dossier)

from plugin.commands_templates import register_templates  # noqa: E402  (template, settings)

register_templates(main)

from plugin.commands_carrier import register_carrier  # noqa: E402  (carrier, connect carrier)

register_carrier(main)

from plugin.commands_triage import register_triage  # noqa: E402  (triage rules|sla|…)

register_triage(main)
