"""The sandbox's REST API subset: auth, tickets, comments, tags, audits, users, fields, paging,
error bodies, safe_update conflicts and Zendesk's rate limits on an advanced clock."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from connectors.zendesk.sandbox import ZendeskSandbox

from .conftest import ORDER_FIELD, Start

NOT_FOUND = {"error": "RecordNotFound", "description": "Not found"}


def put(api: requests.Session, sandbox: ZendeskSandbox, ticket_id: int, **ticket: Any):
    return api.put(f"{sandbox.url}/api/v2/tickets/{ticket_id}.json", json={"ticket": ticket})


# --- authentication


@pytest.mark.parametrize(
    "auth",
    [
        None,
        ("claimdesk@acme.test/token", "wrong-token"),
        ("someone@acme.test/token", "sandbox-api-token"),
        ("claimdesk@acme.test", "sandbox-api-token"),  # a password login, not an API token
    ],
)
def test_refuses_missing_or_wrong_credentials_with_zendesks_body(
    sandbox: ZendeskSandbox, auth: tuple[str, str] | None
) -> None:
    response = requests.get(f"{sandbox.url}/api/v2/tickets/1.json", auth=auth)
    assert response.status_code == 401
    assert response.json() == {"error": "Couldn't authenticate you"}


def test_accepts_the_api_token_and_masks_it_in_recorded_requests(
    sandbox: ZendeskSandbox, api: requests.Session
) -> None:
    response = api.get(f"{sandbox.url}/api/v2/tickets/1.json")
    assert response.status_code == 200
    assert response.json()["ticket"]["subject"] == "Colis jamais reçu (111-8267731-3182180)"
    recorded = sandbox.requests[-1]
    assert recorded.route == "tickets.show" and recorded.status == 200
    assert recorded.headers["authorization"] == "[redacted]"
    token = base64.b64encode(b"claimdesk@acme.test/token:sandbox-api-token").decode()
    assert token not in repr(sandbox.requests)


# --- tickets


def test_missing_ticket_is_record_not_found(sandbox: ZendeskSandbox, api: requests.Session) -> None:
    response = api.get(f"{sandbox.url}/api/v2/tickets/999.json")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert put(api, sandbox, 999, tags=["x"]).json() == NOT_FOUND


def test_ticket_shows_fields_tags_and_description(
    sandbox: ZendeskSandbox, api: requests.Session
) -> None:
    ticket = api.get(f"{sandbox.url}/api/v2/tickets/2").json()["ticket"]
    assert ticket["description"] == "The mug is cracked."
    assert ticket["requester_id"] == 1001
    assert {"id": ORDER_FIELD, "value": "113-8760632-7699197"} in ticket["custom_fields"]
    assert ticket["updated_at"] == "2026-10-23T08:00:00Z"


def test_show_many_returns_the_tickets_that_exist(
    sandbox: ZendeskSandbox, api: requests.Session
) -> None:
    body = api.get(f"{sandbox.url}/api/v2/tickets/show_many.json?ids=3,999,1").json()
    assert [t["id"] for t in body["tickets"]] == [3, 1]
    bad = api.get(f"{sandbox.url}/api/v2/tickets/show_many.json?ids=1,x")
    assert bad.status_code == 400


def test_update_adds_a_private_note_tags_and_the_order_field(
    sandbox: ZendeskSandbox, api: requests.Session
) -> None:
    response = put(
        api,
        sandbox,
        1,
        comment={"body": "claimdesk: order delivered 2026-10-19", "public": False},
        additional_tags=["claimdesk_linked", "Amazon"],
        custom_fields=[{"id": ORDER_FIELD, "value": "111-8267731-3182180"}],
        priority="high",
    )
    assert response.status_code == 200
    ticket, audit = response.json()["ticket"], response.json()["audit"]
    assert ticket["tags"] == ["amazon", "claimdesk_linked"]  # added, lower case, no repeat
    assert ticket["priority"] == "high"
    assert {"id": ORDER_FIELD, "value": "111-8267731-3182180"} in ticket["custom_fields"]
    kinds = [(e["type"], e.get("field_name")) for e in audit["events"]]
    assert kinds[0] == ("Comment", None)
    assert ("Change", "tags") in kinds and ("Change", str(ORDER_FIELD)) in kinds
    assert audit["author_id"] == sandbox.api_user_id and audit["via"]["channel"] == "api"
    comments = api.get(f"{sandbox.url}/api/v2/tickets/1/comments.json").json()["comments"]
    assert comments[-1]["public"] is False
    assert comments[-1]["body"] == "claimdesk: order delivered 2026-10-19"


def test_update_with_a_bad_field_changes_nothing(
    sandbox: ZendeskSandbox, api: requests.Session
) -> None:
    before = api.get(f"{sandbox.url}/api/v2/tickets/1.json").json()["ticket"]
    response = put(api, sandbox, 1, additional_tags=["new"], priority="whenever")
    assert response.status_code == 422
    assert response.json()["error"] == "RecordInvalid"
    assert "priority" in response.json()["details"]
    assert api.get(f"{sandbox.url}/api/v2/tickets/1.json").json()["ticket"] == before


def test_malformed_json_is_a_400(sandbox: ZendeskSandbox, api: requests.Session) -> None:
    response = api.put(
        f"{sandbox.url}/api/v2/tickets/1.json",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "InvalidJSON"


def test_safe_update_with_a_stale_stamp_is_a_409_and_changes_nothing(
    sandbox: ZendeskSandbox, api: requests.Session
) -> None:
    stamp = api.get(f"{sandbox.url}/api/v2/tickets/1.json").json()["ticket"]["updated_at"]
    first = put(
        api,
        sandbox,
        1,
        comment={"body": "one", "public": False},
        safe_update=True,
        updated_stamp=stamp,
    )
    assert first.status_code == 200
    newer = first.json()["ticket"]["updated_at"]
    assert newer > stamp
    stale = put(
        api,
        sandbox,
        1,
        comment={"body": "two", "public": False},
        safe_update=True,
        updated_stamp=stamp,
    )
    assert stale.status_code == 409
    assert stale.json()["error"] == "UpdateConflict"
    assert "Safe Update prevented the update" in stale.json()["description"]
    fresh = put(
        api,
        sandbox,
        1,
        comment={"body": "three", "public": False},
        safe_update=True,
        updated_stamp=newer,
    )
    assert fresh.status_code == 200
    bodies = [
        c["body"]
        for c in api.get(f"{sandbox.url}/api/v2/tickets/1/comments.json").json()["comments"]
    ]
    assert "two" not in bodies and bodies[-2:] == ["one", "three"]


def test_updates_in_the_same_second_get_later_stamps(
    sandbox: ZendeskSandbox, api: requests.Session
) -> None:
    stamps = [
        put(api, sandbox, 3, additional_tags=[f"t{i}"]).json()["ticket"]["updated_at"]
        for i in range(3)
    ]
    assert stamps == sorted(set(stamps))


def test_create_ticket_with_a_new_requester(sandbox: ZendeskSandbox, api: requests.Session) -> None:
    response = api.post(
        f"{sandbox.url}/api/v2/tickets.json",
        json={
            "ticket": {
                "subject": "Hello",
                "comment": {"body": "Where is my parcel?"},
                "requester": {"name": "Jonas Müller", "email": "jonas@example.de"},
                "tags": ["web"],
            }
        },
    )
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert ticket["id"] == 4 and ticket["status"] == "new" and ticket["tags"] == ["web"]
    assert response.headers["Location"].endswith("/api/v2/tickets/4.json")
    found = api.get(
        f"{sandbox.url}/api/v2/users/search.json", params={"query": "email:jonas@example.de"}
    ).json()
    assert [u["id"] for u in found["users"]] == [ticket["requester_id"]]
    blank = api.post(f"{sandbox.url}/api/v2/tickets.json", json={"ticket": {"subject": "x"}})
    assert blank.status_code == 422 and blank.json()["error"] == "RecordInvalid"


# --- tags


def test_tags_endpoints_add_set_and_remove(sandbox: ZendeskSandbox, api: requests.Session) -> None:
    url = f"{sandbox.url}/api/v2/tickets/1/tags.json"
    assert api.get(url).json() == {"tags": ["amazon"]}
    assert api.put(url, json={"tags": ["claimdesk", "High_Risk"]}).json() == {
        "tags": ["amazon", "claimdesk", "high_risk"]
    }
    assert api.delete(url, json={"tags": ["amazon"]}).json() == {"tags": ["claimdesk", "high_risk"]}
    assert api.post(url, json={"tags": ["only"]}).json() == {"tags": ["only"]}


def test_tags_safe_update_conflicts_too(sandbox: ZendeskSandbox, api: requests.Session) -> None:
    url = f"{sandbox.url}/api/v2/tickets/2/tags.json"
    response = api.put(
        url, json={"tags": ["x"], "safe_update": "true", "updated_stamp": "2026-10-01T00:00:00Z"}
    )
    assert response.status_code == 409
    assert api.get(url).json() == {"tags": []}


# --- comments, audits, users, fields: paging


def test_comments_cursor_paging_follows_links_next(
    sandbox: ZendeskSandbox, api: requests.Session
) -> None:
    url: str | None = f"{sandbox.url}/api/v2/tickets/2/comments.json?page[size]=2"
    seen, pages = [], 0
    while url:
        body = api.get(url).json()
        pages += 1
        seen += [c["body"] for c in body["comments"]]
        assert body["meta"]["has_more"] == (body["links"]["next"] is not None)
        url = body["links"]["next"]
    assert pages == 3
    assert seen == [
        "The mug is cracked.",
        "Sorry! Checking.",
        "Internal: photos look real",
        "Any news?",
        "Hello??",
    ]


@pytest.mark.parametrize("query", ["page[size]=0", "page[size]=101", "page[after]=nonsense"])
def test_bad_paging_parameters_are_400(
    sandbox: ZendeskSandbox, api: requests.Session, query: str
) -> None:
    response = api.get(f"{sandbox.url}/api/v2/tickets/2/comments.json?{query}")
    assert response.status_code == 400


def test_comments_offset_paging_counts(sandbox: ZendeskSandbox, api: requests.Session) -> None:
    body = api.get(f"{sandbox.url}/api/v2/tickets/2/comments.json?per_page=2&page=2").json()
    assert body["count"] == 5 and len(body["comments"]) == 2
    assert body["next_page"].endswith("page=3") and body["previous_page"].endswith("page=1")


def test_audits_record_api_changes(sandbox: ZendeskSandbox, api: requests.Session) -> None:
    put(api, sandbox, 3, additional_tags=["triaged"])
    body = api.get(f"{sandbox.url}/api/v2/tickets/3/audits.json?page[size]=100").json()
    last = body["audits"][-1]
    assert body["meta"]["has_more"] is False
    assert last["events"] == [
        {
            "id": last["events"][0]["id"],
            "type": "Change",
            "field_name": "tags",
            "value": ["triaged"],
            "previous_value": [],
        }
    ]
    assert body["audits"][0]["events"][0]["type"] == "Comment"


def test_users_show_search_and_missing(sandbox: ZendeskSandbox, api: requests.Session) -> None:
    user = api.get(f"{sandbox.url}/api/v2/users/1001.json").json()["user"]
    assert (user["email"], user["locale"], user["role"]) == ("lea@example.net", "fr", "end-user")
    by_email = api.get(f"{sandbox.url}/api/v2/users/search.json?query=email:LEA@example.net")
    assert [u["id"] for u in by_email.json()["users"]] == [1001]
    nobody = api.get(f"{sandbox.url}/api/v2/users/search.json?query=email:x@y.z").json()
    assert nobody["users"] == [] and nobody["count"] == 0
    assert api.get(f"{sandbox.url}/api/v2/users/4242.json").json() == NOT_FOUND


def test_ticket_fields_list_the_order_id_requirement(
    sandbox: ZendeskSandbox, api: requests.Session
) -> None:
    fields = api.get(f"{sandbox.url}/api/v2/ticket_fields.json").json()["ticket_fields"]
    assert [(f["id"], f["title"], f["key"]) for f in fields] == [
        (ORDER_FIELD, "Order ID", "order_id")
    ]


# --- rate limits


def test_account_rate_limit_headers_429_and_the_next_minute(make_sandbox: Start) -> None:
    sandbox = make_sandbox(plan_rpm=5)
    session = requests.Session()
    session.auth = (f"{sandbox.credentials.email}/token", sandbox.credentials.api_token)
    url = f"{sandbox.url}/api/v2/users/me.json"
    sandbox.advance(60 - sandbox.clock() % 60 + 0.01)  # the start of a minute
    remaining = []
    for _ in range(5):
        response = session.get(url)
        assert response.status_code == 200
        assert (
            response.headers["X-Rate-Limit"] == "5" and response.headers["ratelimit-limit"] == "5"
        )
        remaining.append(int(response.headers["X-Rate-Limit-Remaining"]))
        assert response.headers["ratelimit-remaining"] == response.headers["X-Rate-Limit-Remaining"]
        assert 1 <= int(response.headers["ratelimit-reset"]) <= 60
    assert remaining == [4, 3, 2, 1, 0]
    limited = session.get(url)
    assert limited.status_code == 429
    assert limited.json()["error"] == "APIRateLimitExceeded"
    wait = int(limited.headers["Retry-After"])
    assert 1 <= wait <= 60
    sandbox.advance(wait)
    assert session.get(url).status_code == 200


def test_thirty_updates_per_ticket_per_ten_minutes(make_sandbox: Start) -> None:
    sandbox = make_sandbox(plan_rpm=2500)
    session = requests.Session()
    session.auth = (f"{sandbox.credentials.email}/token", sandbox.credentials.api_token)
    for i in range(30):
        assert put(session, sandbox, 1, additional_tags=[f"n{i}"]).status_code == 200
        sandbox.advance(1)  # under 100 a minute: only the per-ticket limit applies
    limited = put(session, sandbox, 1, additional_tags=["over"])
    assert limited.status_code == 429
    assert 500 <= int(limited.headers["Retry-After"]) <= 600
    assert put(session, sandbox, 2, additional_tags=["other"]).status_code == 200
    assert session.get(f"{sandbox.url}/api/v2/tickets/1.json").status_code == 200  # reads pass
    sandbox.advance(int(limited.headers["Retry-After"]))
    assert put(session, sandbox, 1, additional_tags=["later"]).status_code == 200


def test_hundred_ticket_updates_per_minute_per_account(make_sandbox: Start) -> None:
    sandbox = make_sandbox(plan_rpm=2500)
    session = requests.Session()
    session.auth = (f"{sandbox.credentials.email}/token", sandbox.credentials.api_token)
    for _ in range(2):  # five tickets: 20 updates each stay under 30 per ticket
        new = {"ticket": {"subject": "s", "comment": {"body": "b"}}}
        assert session.post(f"{sandbox.url}/api/v2/tickets.json", json=new).status_code == 201
    sandbox.advance(60 - sandbox.clock() % 60 + 0.01)  # the start of a minute
    for i in range(100):
        response = put(session, sandbox, 1 + i % 5, additional_tags=[f"u{i}"])
        assert response.status_code == 200, i
    limited = session.put(f"{sandbox.url}/api/v2/tickets/1/tags.json", json={"tags": ["x"]})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    sandbox.advance(int(limited.headers["Retry-After"]))
    assert put(session, sandbox, 1, additional_tags=["next-minute"]).status_code == 200


def test_injected_faults_answer_first(sandbox: ZendeskSandbox, api: requests.Session) -> None:
    sandbox.inject(503, 2, route="tickets.update", retry_after=3)
    assert api.get(f"{sandbox.url}/api/v2/tickets/1.json").status_code == 200
    first = put(api, sandbox, 1, additional_tags=["a"])
    assert first.status_code == 503 and first.headers["Retry-After"] == "3"
    assert put(api, sandbox, 1, additional_tags=["a"]).status_code == 503
    assert put(api, sandbox, 1, additional_tags=["a"]).status_code == 200


def test_control_endpoints_advance_and_fault(
    sandbox: ZendeskSandbox, api: requests.Session
) -> None:
    before = sandbox.clock()
    assert requests.post(f"{sandbox.url}/_sandbox/advance", json={"seconds": 120}).ok
    assert sandbox.clock() >= before + 120
    assert requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"status": 429, "retry_after": 7}
    ).ok
    limited = api.get(f"{sandbox.url}/api/v2/tickets/1.json")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    listed = requests.get(f"{sandbox.url}/_sandbox/requests").json()["requests"]
    assert listed[-1]["status"] == 429 and listed[-1]["headers"]["authorization"] == "[redacted]"
