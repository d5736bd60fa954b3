"""Issue 6's dossier acceptance, end to end: a generated seller synced through the SP-API
sandbox, tickets about its orders in the Zendesk sandbox (linked by the sidebar), agents'
actions recorded through the app, and the dossier written by ``claimdesk dossier`` and by the
sidebar's export. The zip's JSON is read back and checked against the store and Zendesk; the
HTML is opened in headless Chromium. Expected values always come from the store or the
sandbox, never from the test."""

from __future__ import annotations

import io
import json
import socket
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors.zendesk.models import NewComment
from plugin.services import dossier as service
from plugin.services import sidebar as sidebar_service
from plugin.services.installations import ensure_installation
from plugin.store import audit_queries, tracking_queries
from plugin.store import sidebar_queries as sq
from plugin.store.models import AuditEvent, Order, TicketLink, TicketTriage
from tests.dossier.conftest import AGENT_ID, E2E, Chromium

HOSTILE_NOTE = (
    'Internal: buyer says <script>window.__pwned = 1; alert("note")</script> '
    '<img src=x onerror="window.__pwned = 2"> & "quotes" </pre></body>'
)
TIMEOUT_MS = 20_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dossier"


def read_zip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {
            name.split("/", 1)[1]: archive.read(name).decode("utf-8") for name in archive.namelist()
        }


def chosen_order(stack: E2E) -> tuple[Order, list[int]]:
    """The order with the most linked tickets among those with a parcel (ties: the first)."""
    with stack_session(stack) as session:
        links = session.scalars(
            select(TicketLink).where(TicketLink.installation_id == stack.installation_id)
        ).all()
        by_order: dict[tuple[str, str], set[int]] = {}
        for link in links:
            by_order.setdefault((link.channel, link.order_id), set()).add(link.ticket_id)
        parcels = {
            s.order_id
            for s in tracking_queries.snapshots_for_orders(
                session, stack.installation_id, [order for _, order in by_order]
            )
        }
        candidates = sorted(
            (
                (key, tickets)
                for key, tickets in by_order.items()
                if key[1] in parcels and agent_replies(stack, min(tickets))
            ),
            key=lambda item: (-len(item[1]), item[0]),
        )
        assert candidates, "the seed links tickets with agent replies to orders with parcels"
        (channel, order_id), tickets = candidates[0]
        order = session.scalars(
            select(Order).where(
                Order.installation_id == stack.installation_id,
                Order.channel == channel,
                Order.order_id == order_id,
            )
        ).one()
        session.expunge(order)
        return order, sorted(tickets)


def agent_replies(stack: E2E, ticket_id: int) -> list[Any]:
    """The ticket's public comments by agents, as the sandbox holds them."""
    held = stack.zendesk.tickets[ticket_id]
    return [
        c
        for c in held.comments
        if c.public
        and c.author_id != held.requester_id
        and stack.zendesk.users[c.author_id].role in ("agent", "admin")
    ]


def stack_session(stack: E2E) -> Any:
    from plugin.extensions import resources

    return resources(stack.app).session()


@pytest.fixture(scope="module")
def prepared(e2e: E2E) -> tuple[E2E, Order, list[int]]:
    """The chosen order, with an internal note (hostile text) written to its first ticket
    through the Zendesk API, the agent's "Insert tracking" recorded through the app, and a
    triage decision on the ticket (an A-to-z claim, SLA two hours after it was opened)."""
    order, tickets = chosen_order(e2e)
    first = tickets[0]
    with e2e.zendesk_client() as zendesk:
        zendesk.update_ticket(first, comment=NewComment(body=HOSTILE_NOTE, public=False))
        created = datetime.fromisoformat(zendesk.ticket(first).created_at.replace("Z", "+00:00"))
    with stack_session(e2e) as session:
        parcel = tracking_queries.snapshots_for_orders(
            session, e2e.installation_id, [order.order_id]
        )[0]
        number = parcel.tracking_number
        session.add(
            TicketTriage(
                installation_id=e2e.installation_id,
                ticket_id=first,
                risk="high",
                categories=["a_to_z"],
                language="en",
                reasons=[{"rule": "a_to_z.en", "text": "A-to-z"}],
                ticket_created_at=created,
                sla_due_at=created + timedelta(hours=2),
                first_response_at=None,
                decided_at=created + timedelta(minutes=1),
                rules_version="test",
            )
        )
    answer = e2e.app.test_client().post(
        "/api/v1/audit/reply-insert",
        json={"ticket_id": str(first), "order_id": order.order_id, "tracking_number": number},
        headers=e2e.headers(),
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return e2e, order, tickets


@pytest.fixture(scope="module")
def written(prepared: tuple[E2E, Order, list[int]]) -> tuple[dict[str, str], Path]:
    """The dossier as ``claimdesk dossier shop --order ID --out FILE`` writes it."""
    stack, order, _ = prepared
    out = stack.workdir / f"dossier-{stack.backend.name}.zip"
    result = stack.backend.claimdesk(
        "dossier", "shop", "--order", order.order_id, "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.output
    files = read_zip(out.read_bytes())
    folder = stack.workdir / f"unpacked-{stack.backend.name}"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return files, folder


def test_the_zip_holds_the_page_the_json_and_its_schema(
    written: tuple[dict[str, str], Path],
) -> None:
    files, _ = written
    assert set(files) == {"dossier.html", "dossier.json", "SCHEMA.md"}
    document = json.loads(files["dossier.json"])
    assert document["schema"] == "claimdesk.dossier"
    assert document["schema_version"] == service.SCHEMA_VERSION
    documented = files["SCHEMA.md"]
    for field in document:
        assert f"`{field}`" in documented, f"{field} is not documented"
    assert document["gaps"] == []


def test_the_json_matches_the_store(
    prepared: tuple[E2E, Order, list[int]], written: tuple[dict[str, str], Path]
) -> None:
    stack, order, tickets = prepared
    document = json.loads(written[0]["dossier.json"])
    assert document["order"]["order_id"] == order.order_id
    assert document["order"]["channel"] == order.channel
    assert document["order"]["status"] == order.status
    assert document["order"]["purchased_at"] == order.purchased_at.isoformat()  # type: ignore[union-attr]
    with stack_session(stack) as session:
        snapshots = tracking_queries.snapshots_for_orders(
            session, stack.installation_id, [order.order_id]
        )
        claims = sq.claims_for_orders(
            session,
            stack.installation_id,
            [order.order_id],
            sidebar_service.ORDER_CLAIM_KINDS,
            include_gone=True,
        )
        events = audit_queries.events_for_order_or_tickets(
            session, stack.installation_id, order.order_id, tickets
        )
        timeline = sidebar_service.timelines(session, stack.installation_id, [order])
        stored_order = session.get(Order, order.id)
        assert stored_order is not None
        items = stored_order.data.get("orderItems", [])
    assert [t["ticket_id"] for t in document["tickets"]] == tickets
    assert [(p["carrier"], p["tracking_number"], p["status"]) for p in document["tracking"]] == [
        (s.carrier, s.tracking_number, s.status) for s in snapshots
    ]
    for parcel, snapshot in zip(document["tracking"], snapshots, strict=True):
        assert parcel["events"] == snapshot.events
        assert parcel["delivered_at"] == (
            snapshot.delivered_at.isoformat() if snapshot.delivered_at else None
        )
    assert [(c["kind"], c["sku"]) for c in document["claims"]] == [(c.kind, c.sku) for c in claims]
    assert [e["id"] for e in document["audit"]] == [e.id for e in events]
    assert [e["kind"] for e in document["timeline"]] == [e.kind for e in timeline[order.order_id]]
    assert [i["sku"] for i in document["order"]["items"]] == [
        i["product"]["sellerSku"] for i in items
    ]


def test_every_message_of_every_linked_ticket_is_there_with_its_source(
    prepared: tuple[E2E, Order, list[int]], written: tuple[dict[str, str], Path]
) -> None:
    stack, _, tickets = prepared
    document = json.loads(written[0]["dossier.json"])
    for ticket in document["tickets"]:
        held = stack.zendesk.tickets[ticket["ticket_id"]]
        assert ticket["read_from_zendesk"] is True
        assert ticket["subject"] == held.subject
        assert [m["id"] for m in ticket["messages"]] == [c.id for c in held.comments]
        for message, comment in zip(ticket["messages"], held.comments, strict=True):
            assert message["body"] == comment.body
            assert message["public"] == comment.public
            assert message["channel"] == comment.channel
            assert message["created_at"] == comment.created_at.astimezone(UTC).isoformat()
            role = stack.zendesk.users[comment.author_id].role
            expected = (
                "internal_note"
                if not comment.public
                else "agent_reply"
                if role in ("agent", "admin") and comment.author_id != held.requester_id
                else "customer_message"
            )
            assert message["kind"] == expected
    notes = [m for m in document["tickets"][0]["messages"] if m["kind"] == "internal_note"]
    assert HOSTILE_NOTE in [n["body"] for n in notes]


def test_response_times_are_measured_against_each_target(
    prepared: tuple[E2E, Order, list[int]], written: tuple[dict[str, str], Path]
) -> None:
    stack, _, tickets = prepared
    document = json.loads(written[0]["dossier.json"])
    first = document["tickets"][0]
    held = stack.zendesk.tickets[tickets[0]]
    replies = agent_replies(stack, tickets[0])
    response = first["response"]
    targets = {t["name"]: t for t in response["targets"]}
    assert set(targets) == {"internal_sla", "amazon_24h", "a_to_z_48h"}
    created = held.created_at.astimezone(UTC)
    assert targets["internal_sla"]["due_at"] == (created + timedelta(hours=2)).isoformat()
    assert targets["amazon_24h"]["due_at"] == (created + timedelta(hours=24)).isoformat()
    answered = replies[0].created_at.astimezone(UTC)
    assert response["first_reply_at"] == answered.isoformat()
    assert response["first_reply_by"] == replies[0].author_id
    assert response["response_seconds"] == int((answered - created).total_seconds())
    assert targets["internal_sla"]["met"] == (answered <= created + timedelta(hours=2))
    assert targets["amazon_24h"]["met"] == (answered <= created + timedelta(hours=24))
    assert targets["a_to_z_48h"]["met"] == (answered <= created + timedelta(hours=48))


def test_the_agents_reply_insert_is_in_the_audit_trail_with_its_proof(
    prepared: tuple[E2E, Order, list[int]], written: tuple[dict[str, str], Path]
) -> None:
    _, order, tickets = prepared
    document = json.loads(written[0]["dossier.json"])
    inserts = [e for e in document["audit"] if e["action"] == "reply_insert"]
    assert len(inserts) == 1
    event = inserts[0]
    assert event["actor"] == f"agent:{AGENT_ID}"
    assert event["ticket_id"] == tickets[0]
    assert event["order_id"] == order.order_id
    snapshot = event["proof"]["tracking_snapshot"]
    assert snapshot["tracking_number"] in [p["tracking_number"] for p in document["tracking"]]
    assert datetime.fromisoformat(event["at"]).utcoffset() == timedelta(0)


def test_the_page_opens_in_chromium_with_the_timeline_and_the_messages(
    chromium: Chromium, written: tuple[dict[str, str], Path]
) -> None:
    files, folder = written
    document = json.loads(files["dossier.json"])

    def check(page: Any) -> None:
        page.goto((folder / "dossier.html").as_uri())
        page.locator("#title").wait_for(timeout=TIMEOUT_MS)
        assert document["order"]["order_id"] in page.locator("#title").inner_text()
        assert page.locator("#timeline li").count() == len(document["timeline"])
        for event in document["timeline"]:
            assert event["text"] in page.locator("#timeline").inner_text()
        messages = [m for t in document["tickets"] for m in t["messages"]]
        assert page.locator("#messages .message").count() == len(messages)
        shown = page.locator("#messages").inner_text()
        for message in messages:
            first_line = message["body"].strip().splitlines()[0].strip()
            assert first_line in shown
        for parcel in document["tracking"]:
            assert parcel["tracking_number"] in page.locator("#tracking").inner_text()
        # Customer and note text stays text: nothing ran, nothing was added to the page.
        assert page.evaluate("window.__pwned") is None
        assert page.dialogs == []
        assert page.locator("script, img, iframe, svg").count() == 0
        # The chronology merges the order's steps, the messages and the audit trail, in order.
        rows = page.locator("#chronology tr.entry")
        assert rows.count() == len(document["timeline"]) + len(messages) + len(document["audit"])
        sources = [rows.nth(i).get_attribute("data-source") for i in range(rows.count())]
        assert sources.count("message") == len(messages)
        assert sources.count("audit") == len(document["audit"])
        assert HOSTILE_NOTE in page.locator("#internal-notes").inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"dossier-{folder.name}.png"), full_page=True)
        # Printable: the print stylesheet applies and nothing is hidden but the print hint.
        page.emulate_media(media="print")
        assert page.locator("#messages").is_visible()
        pdf = page.pdf(format="A4")  # what "Save as PDF" gives the agent
        assert pdf.startswith(b"%PDF")

    chromium.run(check)


def test_the_sidebar_export_gives_the_same_dossier(
    prepared: tuple[E2E, Order, list[int]], written: tuple[dict[str, str], Path]
) -> None:
    stack, order, _ = prepared
    token = stack.token()
    answer = stack.app.test_client().get(
        f"/api/v1/orders/{order.order_id}/dossier", query_string={"token": token}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["Content-Type"] == "application/zip"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.headers["Cache-Control"] == "no-store"
    exported = json.loads(read_zip(answer.data)["dossier.json"])
    expected = json.loads(written[0]["dossier.json"])
    for document in (exported, expected):
        document.pop("generated_at")
    assert exported == expected


def test_another_installation_cannot_export_the_order(
    prepared: tuple[E2E, Order, list[int]],
) -> None:
    stack, order, _ = prepared
    with stack_session(stack) as session:
        other, _ = ensure_installation(session, "other", datetime.now(UTC))
        other_id = other.id
    answer = stack.app.test_client().get(
        f"/api/v1/orders/{order.order_id}/dossier", headers=stack.headers(other_id)
    )
    assert answer.status_code == 404
    body = answer.get_data(as_text=True)
    assert order.order_id not in body
    # Nor can it record an action on this installation's parcels.
    with stack_session(stack) as session:
        number = tracking_queries.snapshots_for_orders(
            session, stack.installation_id, [order.order_id]
        )[0].tracking_number
        before = session.scalars(select(AuditEvent.id)).all()
    refused = stack.app.test_client().post(
        "/api/v1/audit/reply-insert",
        json={"order_id": order.order_id, "tracking_number": number},
        headers=stack.headers(other_id),
    )
    assert refused.status_code == 404
    with stack_session(stack) as session:
        assert session.scalars(select(AuditEvent.id)).all() == before


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_zendesk_unreachable_still_gives_a_dossier_that_says_what_is_missing(
    prepared: tuple[E2E, Order, list[int]], chromium: Chromium
) -> None:
    stack, order, tickets = prepared
    from plugin.extensions import resources

    found = resources(stack.app)
    dead = stack.zendesk_client(f"http://127.0.0.1:{unused_port()}")
    with found.session() as session:
        data = service.build_dossier(
            session,
            found.keyring,
            stack.installation_id,
            order.order_id,
            datetime.now(UTC),
            client=dead,
        )
    files = read_zip(data)
    document = json.loads(files["dossier.json"])
    assert {g["ticket_id"] for g in document["gaps"]} == set(tickets)
    assert {g["reason"] for g in document["gaps"]} == {service.UNREACHABLE}
    assert all(t["read_from_zendesk"] is False and t["messages"] == [] for t in document["tickets"])
    # What the store holds is all there; the SLA clock still comes from triage.
    assert document["tracking"] and document["timeline"] and document["audit"]
    first = document["tickets"][0]
    assert first["triage"]["categories"] == ["a_to_z"]
    assert {t["name"] for t in first["response"]["targets"]} == {
        "internal_sla",
        "amazon_24h",
        "a_to_z_48h",
    }
    folder = stack.workdir / f"down-{stack.backend.name}"
    folder.mkdir(exist_ok=True)
    (folder / "dossier.html").write_text(files["dossier.html"], encoding="utf-8")

    def check(page: Any) -> None:
        page.goto((folder / "dossier.html").as_uri())
        gaps = page.locator("#gaps")
        gaps.wait_for(timeout=TIMEOUT_MS)
        assert gaps.locator("li").count() == len(document["gaps"])
        assert "could not be read" in gaps.inner_text()

    chromium.run(check)


def test_zendesk_errors_become_gaps_for_that_ticket_only(
    prepared: tuple[E2E, Order, list[int]],
) -> None:
    """A 500 on one ticket's comments: that ticket's messages are missing, the others are
    read (the sandbox answers only the next call of the route with the fault)."""
    stack, order, tickets = prepared
    from plugin.extensions import resources

    found = resources(stack.app)
    stack.zendesk.inject(500, 1, route="comments.list")
    with found.session() as session, stack.zendesk_client() as zendesk:
        document = service.dossier_document(
            session,
            found.keyring,
            stack.installation_id,
            order.order_id,
            datetime.now(UTC),
            client=zendesk,
        )
    assert [g["ticket_id"] for g in document["gaps"]] == [tickets[0]]
    assert document["gaps"][0]["reason"] == service.UNREACHABLE
    read = [t["ticket_id"] for t in document["tickets"] if t["read_from_zendesk"]]
    assert read == tickets[1:]
