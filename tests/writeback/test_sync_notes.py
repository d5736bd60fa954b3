"""End to end: a generated seller synced through the SP-API sandbox into the store; tickets
in the Zendesk sandbox linked to orders the claims engine finds claims on. The sync's claims
step enqueues one notes job per linked ticket; a burst worker writes one note each. A second
sync finds nothing new and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from connectors.amazon.sandbox import AmazonSandbox
from connectors.zendesk.sandbox import ZendeskSandbox
from plugin.extensions import resources
from plugin.store import queries
from plugin.store.sidebar_queries import link_ticket
from tests.sync.support import AS_OF, Backend, prepare
from tests.writeback.conftest import NOW, OWN_TAGS, connect

LINKED = 3


def order_claims(backend: Backend, seller: Path) -> dict[str, list[str]]:
    """Order id -> SKUs of the claims the engine finds on the seller's files, by order."""
    result = backend.claimdesk("reconcile", str(seller), "--json", "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    found: dict[str, list[str]] = {}
    for claim in json.loads(result.output)["claims"]:
        if claim["reference_id"].count("-") == 2:  # an Amazon order id: 123-1234567-1234567
            found.setdefault(claim["reference_id"], []).append(claim["sku"])
    return found


def test_a_sync_writes_one_note_per_linked_ticket_and_a_second_sync_none(
    backend: Backend,
    zendesk: ZendeskSandbox,
    seller: Callable[[int, str], Path],
    sandbox_for: Callable[[Path], AmazonSandbox],
) -> None:
    folder = seller(11, "tsv")
    amazon = sandbox_for(folder)
    prepare(backend, "shop", amazon.url, folder)
    connect(backend, zendesk)
    claims = order_claims(backend, folder)
    orders = sorted(claims)[:LINKED]
    assert len(orders) == LINKED, claims
    store = resources(backend.app())
    try:
        with store.session() as session:
            installation = queries.installation_by_name(session, "shop")
            assert installation is not None
            for ticket_id, order in enumerate(orders, start=1):
                link_ticket(
                    session, installation.id, ticket_id, [("amazon", order, "subject")], NOW
                )
        synced = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
        assert synced.exit_code == 0, synced.output
        drained = backend.run("worker", "--burst")
        assert drained.returncode == 0, drained.stderr
        for ticket_id, order in enumerate(orders, start=1):
            notes = [c for c in zendesk.ticket(ticket_id).comments if "claimdesk ref:" in c.body]
            assert len(notes) == 1, (ticket_id, [n.body for n in notes])
            assert order in notes[0].body and not notes[0].public
            for sku in claims[order]:
                assert f"SKU {sku}" in notes[0].body
            assert zendesk.ticket(ticket_id).tags[: len(OWN_TAGS)] == list(OWN_TAGS)
            assert "claimdesk_claim" in zendesk.ticket(ticket_id).tags
        unlinked = [c for c in zendesk.ticket(LINKED + 1).comments if "claimdesk" in c.body]
        assert unlinked == []
        updates = [r for r in zendesk.requests if r.route == "tickets.update"]
        assert len(updates) == LINKED
        again = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
        assert again.exit_code == 0, again.output
        drained = backend.run("worker", "--burst")
        assert drained.returncode == 0, drained.stderr
        assert len([r for r in zendesk.requests if r.route == "tickets.update"]) == LINKED
    finally:
        store.close()
