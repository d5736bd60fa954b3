"""``claimdesk cases`` and ``claimdesk case …``: reimbursement cases from scripts.

The same service as the app's JSON API (``plugin.services.cases``). Claims are named
``KIND:REFERENCE:SKU`` (everything after the second ``:`` is the SKU). Actions are recorded
in the audit trail as actor ``cli:<os user>`` (the login running the command), so a script's
actions are told apart from the app's agents (``agent:<id>``) and claimdesk's own
(``claimdesk``).
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from plugin.commands_store import _store

if TYPE_CHECKING:
    from plugin.services.cases import CaseView, ClaimKey


def register_cases(main: click.Group) -> None:
    """Add ``cases`` and ``case`` to the ``claimdesk`` group."""
    main.add_command(cases)
    main.add_command(case)


def cli_actor() -> str:
    """``cli:<os user>`` (``cli:unknown`` when the system names no user)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (containers without a passwd entry)
        user = "unknown"
    return f"cli:{user}"[:100]


def _now() -> datetime:
    return datetime.now(UTC)


def _keys(values: tuple[str, ...]) -> list[ClaimKey]:
    from plugin.services.cases import CaseError, parse_claim_key

    try:
        return [parse_claim_key(value) for value in values]
    except CaseError as error:
        raise click.UsageError(str(error)) from None


def _case_id(text: str) -> int:
    """``12`` or ``C-000012``."""
    value = text.strip().upper().removeprefix("C-")
    if not value.isdigit():
        raise click.UsageError(f"{text!r} is not a case (write its number or C-000123)")
    return int(value)


def _describe(view: CaseView) -> str:
    paid = f"{view.reimbursed_units}/{view.claimed_units} units paid"
    if view.reimbursed_amount is not None:
        paid += f", {view.reimbursed_amount:.2f} {view.currency or ''}".rstrip()
    amazon = f"Amazon case {view.amazon_case_id}" if view.amazon_case_id else "no Amazon case ID"
    line = f"{view.reference}  {view.status:<10}  {view.kind}  {view.sku}  {amazon}; {paid}"
    if view.close_reason:
        line += f"; closed: {view.close_reason}"
    return line


def _print(view: CaseView, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(view.to_json(), indent=1))
    else:
        click.echo(_describe(view))
        for claim in view.claims:
            click.echo(f"  {':'.join(claim.key)}  {claim.quantity} unit(s)")


@click.command()
@click.argument("name")
@click.option(
    "--status",
    type=click.Choice(["open", "reimbursed", "closed"]),
    default=None,
    help="Only cases in this status.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def cases(name: str, status: str | None, as_json: bool) -> None:
    """List installation NAME's cases, with what Amazon reimbursed and to whom."""
    from plugin.services import cases as service
    from plugin.services import installations

    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        found = service.list_cases(session, installation.id, status=status)
        totals = service.reimbursement_totals(session, installation.id)
    if as_json:
        document: dict[str, Any] = {
            "cases": [view.to_json() for view in found],
            "totals": totals.to_json(),
        }
        click.echo(json.dumps(document, indent=1))
        return
    if not found:
        click.echo(f"No cases for {name}.")
    for view in found:
        click.echo(_describe(view))
    for owner, total in totals.by_attribution.items():
        amounts = ", ".join(
            f"{amount:.2f} {currency}" for currency, amount in total.amounts.items()
        )
        click.echo(f"Reimbursed ({owner}): {total.units} units{'; ' + amounts if amounts else ''}")


@click.group()
def case() -> None:
    """Open, record, close or delete a reimbursement case; its text and workbook."""


@case.command("open")
@click.argument("name")
@click.option(
    "--claim", "claims", multiple=True, required=True, metavar="KIND:REFERENCE:SKU",
    help="A claim to file (repeat for several of the same SKU and kind).",
)  # fmt: skip
@click.option("--case-id", "amazon_case_id", default=None, help="Seller Central's case ID.")
@click.option("--json", "as_json", is_flag=True, help="Print the case as JSON.")
def case_open(
    name: str, claims: tuple[str, ...], amazon_case_id: str | None, as_json: bool
) -> None:
    """Open a case in installation NAME for claims of one SKU and kind."""
    from plugin.services import cases as service
    from plugin.services import installations

    keys = _keys(claims)
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        view = service.open_case(
            session,
            installation.id,
            keys,
            actor=cli_actor(),
            now=_now(),
            amazon_case_id=amazon_case_id,
        )
    _print(view, as_json)


@case.command("record")
@click.argument("name")
@click.argument("case_ref", metavar="CASE")
@click.option("--case-id", "amazon_case_id", required=True, help="Seller Central's case ID.")
@click.option("--json", "as_json", is_flag=True, help="Print the case as JSON.")
def case_record(name: str, case_ref: str, amazon_case_id: str, as_json: bool) -> None:
    """Record the case ID Seller Central gave case CASE."""
    from plugin.services import cases as service
    from plugin.services import installations

    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        view = service.record_case_id(
            session, installation.id, _case_id(case_ref), amazon_case_id,
            actor=cli_actor(), now=_now(),
        )  # fmt: skip
    _print(view, as_json)


@case.command("close")
@click.argument("name")
@click.argument("case_ref", metavar="CASE")
@click.option("--reason", required=True, help="Why the case closes without reimbursement.")
@click.option("--json", "as_json", is_flag=True, help="Print the case as JSON.")
def case_close(name: str, case_ref: str, reason: str, as_json: bool) -> None:
    """Close case CASE without reimbursement."""
    from plugin.services import cases as service
    from plugin.services import installations

    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        view = service.close_case(
            session, installation.id, _case_id(case_ref), reason, actor=cli_actor(), now=_now()
        )
    _print(view, as_json)


@case.command("delete")
@click.argument("name")
@click.argument("case_ref", metavar="CASE")
def case_delete(name: str, case_ref: str) -> None:
    """Delete case CASE (recorded by mistake): its claims are free again, as they were."""
    from plugin.services import cases as service
    from plugin.services import installations

    case_id = _case_id(case_ref)
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        service.delete_case(session, installation.id, case_id, actor=cli_actor(), now=_now())
    click.echo(f"Deleted case {service.case_reference(case_id)}.")


@case.command("text")
@click.argument("name")
@click.option("--claim", "claim", required=True, metavar="KIND:REFERENCE:SKU")
@click.option("--lang", "language", default="en", show_default=True, help="en, fr or zh-cn.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def case_text(name: str, claim: str, language: str, as_json: bool) -> None:
    """Print the case text to paste into Seller Central, its link and checklist."""
    from plugin.services import cases as service
    from plugin.services import installations

    (key,) = _keys((claim,))
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        found = service.case_text(session, installation.id, key, language)
    if as_json:
        click.echo(json.dumps(found.to_json(), indent=1))
        return
    click.echo(f"{found.title}\n\n{found.body}\n\nFile it at: {found.seller_central_url}\n")
    click.echo("Attach:")
    for item in found.checklist:
        click.echo(f"  [ ] {item}")


@case.command("workbook")
@click.argument("name")
@click.option("--claim", "claims", multiple=True, required=True, metavar="KIND:REFERENCE:SKU")
@click.option("--lang", "language", default="en", show_default=True, help="en, fr or zh-cn.")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the .xlsx workbook.",
)
def case_workbook(name: str, claims: tuple[str, ...], language: str, out: Path) -> None:
    """Write the evidence workbook for claims: a summary, one sheet per claim, checklists."""
    from plugin.services import evidence, installations

    keys = _keys(claims)
    with _store() as store, store.session() as session:
        installation = installations.get_installation(session, name)
        ids = evidence.claim_ids_for(session, installation.id, keys)
        data = evidence.build_workbook(session, installation.id, ids, language)
    try:
        out.write_bytes(data)
    except OSError as error:
        raise click.ClickException(
            f"{out}: cannot be written ({error.strerror or error})"
        ) from None
    click.echo(f"Wrote {out} ({len(keys)} claim(s), {len(data):,} bytes).")
