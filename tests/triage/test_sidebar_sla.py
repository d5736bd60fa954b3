"""The sidebar shows the ticket's SLA clock once triage decided (HTML and JSON)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plugin.security.app_token import mint_app_token
from plugin.services import triage as service
from plugin.store import triage_queries as tq
from tests.triage.conftest import Stack
from tests.triage.test_service import create_ticket, installation_id


def bearer(stack: Stack, owner: int) -> dict[str, str]:
    token = mint_app_token(
        stack.app.config["SECRET_KEY"], installation_id=owner, user_id=1,
        location="ticket_sidebar", now=datetime.now(UTC),
    )  # fmt: skip
    return {"Authorization": f"Bearer {token}"}


def test_the_clock_in_the_sidebar(stack: Stack) -> None:
    owner = installation_id(stack)
    ticket = create_ticket(stack, "<b>Broken</b>", "The mug arrived broken, <script>x</script>")
    now = datetime.now(UTC)
    service.triage_ticket(stack.store, owner, ticket, {"event": "created"}, now=now)
    client = stack.app.test_client()
    query = {"ticket_id": str(ticket), "subject": "Broken", "description": "x", "fresh": "1"}
    panels = client.get("/sidebar/panels", query_string=query, headers=bearer(stack, owner))
    assert panels.status_code == 200, panels.get_data(as_text=True)
    html = panels.get_json()["orders"]
    assert 'id="sla"' in html and "sla-due" in html and "risk-high" in html
    assert "High risk" in html and "left)" in html and "Amazon" in html
    document = client.get(
        "/api/v1/sidebar/context", query_string=query, headers=bearer(stack, owner)
    ).get_json()
    sla = document["sla"]
    assert sla["risk"] == "high" and not sla["overdue"]
    assert 0 < sla["remaining_seconds"] <= 2 * 3600
    # Past the target, the clock says overdue (the store's row moved back three hours).
    with stack.store.session() as session:
        row = tq.triage_of(session, owner, ticket)
        assert row is not None and row.sla_due_at is not None
        row.sla_due_at = row.sla_due_at - timedelta(hours=3)
        session.commit()
    later = client.get("/sidebar/panels", query_string=query, headers=bearer(stack, owner))
    assert "sla-overdue" in later.get_json()["orders"]
    french = client.get(
        "/sidebar/panels", query_string={**query, "locale": "fr"}, headers=bearer(stack, owner)
    )
    assert "Première réponse" in french.get_json()["orders"]
    assert "<script>" not in french.get_json()["orders"]


def test_no_clock_before_triage(stack: Stack) -> None:
    owner = installation_id(stack)
    client = stack.app.test_client()
    query = {"ticket_id": "1", "subject": "Hello", "description": "sizes?", "fresh": "1"}
    document = client.get(
        "/api/v1/sidebar/context", query_string=query, headers=bearer(stack, owner)
    ).get_json()
    assert document["sla"] is None
