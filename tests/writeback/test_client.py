"""ZendeskClient against the sandbox over HTTP: reads, the one update per write (note, tags,
priority, fields), tags only added, safe_update and its bounded 409 retry, the bounded 429
budget, pacing, and errors as connector errors. No database needed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.errors import AuthError, NotFound, RateLimited, UpstreamError
from connectors.zendesk.client import ZendeskClient
from connectors.zendesk.models import NewComment
from connectors.zendesk.sandbox import ZendeskSandbox
from connectors.zendesk.settings import ZendeskSettings
from tests.writeback.conftest import OWN_TAGS, order_id

ORDER_FIELD = 360000000101  # the sandbox's Order ID field


def settings_of(sandbox: ZendeskSandbox, **changes: str) -> ZendeskSettings:
    values = {
        "subdomain": "acme",
        "base_url": sandbox.url,
        "email": sandbox.credentials.email,
        "api_token": sandbox.credentials.api_token,
        **changes,
    }
    return ZendeskSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def client(zendesk: ZendeskSandbox) -> Iterator[ZendeskClient]:
    with ZendeskClient(settings_of(zendesk), ratelimit_budget=5) as found:
        yield found


def routes(sandbox: ZendeskSandbox) -> list[tuple[str, int]]:
    return [(r.route, r.status) for r in sandbox.requests]


def test_reads_go_to_the_base_url_without_zenpys_global_variables(
    client: ZendeskClient, zendesk: ZendeskSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZENPY_FORCE_NETLOC", raising=False)
    monkeypatch.delenv("ZENPY_FORCE_SCHEME", raising=False)
    ticket = client.ticket(3)
    assert ticket.id == 3 and ticket.tags == OWN_TAGS
    assert ticket.updated_at.endswith("Z") and "T" in ticket.updated_at  # the full stamp
    assert [c.body for c in client.comments(3)] == [f"Order {order_id(3)} never arrived."]
    assert [a.ticket_id for a in client.audits(3)] == [3]
    assert client.user(1001).email == "lea@example.net"
    found = client.find_user_by_email("LEA@example.net")
    assert found is not None and found.id == 1001
    assert client.find_user_by_email("nobody@example.net") is None
    assert [f.title for f in client.ticket_fields()] == ["Order ID"]
    assert {r.headers["authorization"] for r in zendesk.requests} == {"[redacted]"}


def test_one_update_carries_note_tags_priority_and_fields(
    client: ZendeskClient, zendesk: ZendeskSandbox
) -> None:
    result = client.update_ticket(
        1,
        comment=NewComment("2 units claimable"),
        add_tags=["claimdesk_claim", "VIP"],
        priority="high",
        custom_fields={ORDER_FIELD: order_id(1)},
    )
    assert result.changed and result.attempts == 1 and result.conflicts == 0
    assert result.tags_added == ("claimdesk_claim",)  # "vip" was there already
    assert result.ticket.tags == (*OWN_TAGS, "claimdesk_claim")
    assert result.ticket.priority == "high"
    assert result.ticket.custom_fields[ORDER_FIELD] == order_id(1)
    update = [r for r in zendesk.requests if r.route == "tickets.update"]
    assert len(update) == 1
    sent = update[0].body["ticket"]
    assert sent["safe_update"] is True and sent["updated_stamp"] == "2026-10-20T09:00:00Z"
    assert sent["comment"] == {"body": "2 units claimable", "public": False}
    audit = client.audits(1)[-1]
    assert audit.id == result.audit_id
    assert audit.comment_bodies() == ["2 units claimable"]
    note = client.comments(1)[-1]
    assert not note.public and note.audit_id == result.audit_id


def test_an_update_that_changes_nothing_sends_nothing(
    client: ZendeskClient, zendesk: ZendeskSandbox
) -> None:
    result = client.update_ticket(2, add_tags=list(OWN_TAGS), priority="normal")
    assert not result.changed and result.attempts == 0
    assert [route for route, _ in routes(zendesk)] == ["tickets.show"]


def test_a_concurrent_change_is_a_409_then_a_reread_and_its_tags_survive(
    client: ZendeskClient, zendesk: ZendeskSandbox
) -> None:
    def agent_edits(sandbox: ZendeskSandbox) -> None:
        agent = sandbox.users[5001]
        ticket = sandbox.ticket(4)
        sandbox.advance(2)  # the agent's change is stamped later than our read
        sandbox.update_ticket(ticket, {"additional_tags": ["agent_tag"]}, agent, "web")

    zendesk.before("tickets.update", agent_edits)
    result = client.update_ticket(4, comment=NewComment("note"), add_tags=["claimdesk_claim"])
    assert result.conflicts == 1 and result.attempts == 2
    assert result.ticket.tags == (*OWN_TAGS, "agent_tag", "claimdesk_claim")
    assert routes(zendesk) == [
        ("tickets.show", 200),
        ("tickets.update", 409),
        ("tickets.show", 200),
        ("tickets.update", 200),
    ]
    assert [c.body for c in client.comments(4)].count("note") == 1


def test_conflicts_are_bounded(zendesk: ZendeskSandbox) -> None:
    zendesk.inject(409, 10, route="tickets.update")
    with ZendeskClient(settings_of(zendesk), max_conflicts=2) as client:
        with pytest.raises(UpstreamError) as failed:
            client.update_ticket(5, comment=NewComment("note"))
    assert failed.value.status == 409 and failed.value.code == "UpdateConflict"
    assert [s for r, s in routes(zendesk) if r == "tickets.update"] == [409, 409, 409]


def test_429s_are_waited_out_within_the_budget(zendesk: ZendeskSandbox) -> None:
    waited: list[float] = []
    zendesk.inject(429, 3, route="tickets.update", retry_after=2)
    with ZendeskClient(settings_of(zendesk), ratelimit_budget=10, sleep=waited.append) as client:
        result = client.update_ticket(6, comment=NewComment("after the storm"))
    assert result.changed and waited == [2.0, 2.0, 2.0]
    assert [s for r, s in routes(zendesk) if r == "tickets.update"] == [429, 429, 429, 200]


def test_a_storm_past_the_budget_raises_rate_limited_with_the_wait(
    zendesk: ZendeskSandbox,
) -> None:
    waited: list[float] = []
    zendesk.inject(429, 50, route="tickets.update", retry_after=4)
    with ZendeskClient(settings_of(zendesk), ratelimit_budget=10, sleep=waited.append) as client:
        with pytest.raises(RateLimited) as limited:
            client.update_ticket(6, comment=NewComment("storm-note"))
    assert limited.value.retry_after == 4.0 and sum(waited) <= 10
    assert [s for r, s in routes(zendesk) if r == "tickets.update"] == [429, 429, 429]
    assert all("storm-note" not in c.body for c in ZendeskClient(settings_of(zendesk)).comments(6))


def test_the_sandboxs_own_update_limit_is_a_429_the_budget_bounds(
    private_key: bytes,
) -> None:
    from connectors.zendesk.sandbox import start_sandbox
    from connectors.zendesk.sandbox_data import parse_seed
    from tests.writeback.conftest import ticket_seed

    sandbox = start_sandbox(
        parse_seed(ticket_seed(3), "limits"),
        private_key_pem=private_key,
        webhook_endpoint="http://127.0.0.1:9/unused",
        ticket_updates_per_ticket=2,
    )
    try:
        with ZendeskClient(settings_of(sandbox), ratelimit_budget=1) as client:
            client.update_ticket(1, comment=NewComment("one"))
            client.update_ticket(1, comment=NewComment("two"))
            with pytest.raises(RateLimited) as limited:
                client.update_ticket(1, comment=NewComment("three"))
        assert limited.value.retry_after is not None and limited.value.retry_after > 500
    finally:
        sandbox.stop()


class CountingPacer:
    """A Pacer that asks for waits and records the calls (the real one is Redis's)."""

    def __init__(self, update_wait: float):
        self.update_wait = update_wait
        self.calls: list[tuple[str, object]] = []

    def request(self, subdomain: str) -> float:
        self.calls.append(("request", subdomain))
        return 0.0

    def ticket_update(self, subdomain: str, ticket_id: int) -> float:
        self.calls.append(("update", ticket_id))
        return self.update_wait

    def throttled(self, subdomain: str, seconds: float) -> None:
        self.calls.append(("throttled", seconds))


def test_the_pacer_is_asked_before_each_request_and_told_of_429s(
    zendesk: ZendeskSandbox,
) -> None:
    pacer = CountingPacer(update_wait=0.5)
    waited: list[float] = []
    zendesk.inject(429, 1, route="tickets.show", retry_after=1)
    with ZendeskClient(
        settings_of(zendesk), pacer=pacer, ratelimit_budget=5, sleep=waited.append
    ) as client:
        client.update_ticket(7, comment=NewComment("paced"))
    assert pacer.calls == [
        ("request", "acme"),
        ("throttled", 1.0),
        ("request", "acme"),
        ("request", "acme"),
        ("update", 7),
    ]
    assert waited == [1.0, 0.5]
    slow = CountingPacer(update_wait=60)
    with ZendeskClient(settings_of(zendesk), pacer=slow, ratelimit_budget=5) as client:
        with pytest.raises(RateLimited) as limited:
            client.update_ticket(7, comment=NewComment("too slow"))
    assert limited.value.retry_after == 60


def test_errors_are_connector_errors(zendesk: ZendeskSandbox, client: ZendeskClient) -> None:
    with pytest.raises(NotFound):
        client.ticket(404)
    with pytest.raises(AuthError):
        ZendeskClient(settings_of(zendesk, api_token="wrong")).ticket(1)
    with pytest.raises(AuthError):
        ZendeskClient(settings_of(zendesk, api_token=""))
    closed = zendesk.ticket(8)
    closed.status = "closed"
    with pytest.raises(UpstreamError) as refused:
        client.update_ticket(8, comment=NewComment("late"))
    assert refused.value.status == 422 and refused.value.code == "RecordInvalid"
    assert "closed prevents ticket update" in str(refused.value)
    zendesk.inject(500, 1, route="tickets.show")
    with pytest.raises(UpstreamError) as failed:
        client.ticket(1)
    assert failed.value.status == 500
    with pytest.raises(UpstreamError) as nobody:
        ZendeskClient(settings_of(zendesk, base_url="http://127.0.0.1:9"), ratelimit_budget=1)
        ZendeskClient(settings_of(zendesk, base_url="http://127.0.0.1:9")).ticket(1)
    assert nobody.value.status == 0
    with pytest.raises(ValueError):
        NewComment("  ")


def test_create_ticket(client: ZendeskClient) -> None:
    created = client.create_ticket(
        subject="Refund?", comment=NewComment("Hello", public=True), tags=["New Tag"]
    )
    assert created.subject == "Refund?" and created.tags == ("new_tag",)
    assert client.comments(created.id)[0].public


def test_the_timing_of_a_full_read_and_write_is_small(client: ZendeskClient) -> None:
    started = time.monotonic()
    client.update_ticket(9, comment=NewComment(f"at {datetime.now(UTC).isoformat()}"))
    assert time.monotonic() - started < 5
