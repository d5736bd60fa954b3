"""The real clients against the carriers' sandbox over HTTP: every status, the request shapes
each carrier requires, OAuth (an expired token refreshed once), rate limits and faults."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import requests

from connectors.amazon.ratelimit import TokenBucket
from connectors.carriers import client_for, models
from connectors.carriers.sandbox import CarrierSandbox, Credentials, RatePlan, start_sandbox
from connectors.carriers.sandbox_data import Seed, numbers_of
from connectors.errors import AuthError, RateLimited, UpstreamError

from .conftest import CARRIERS, SettingsFor, settings_for

OAUTH = ("ups", "fedex", "usps")


def unknown_number(carrier: str) -> str:
    return {
        "ups": "1Z999AA10123456784",
        "fedex": "999999999999",
        "usps": "9400100000000000000000",
        "dhl": "1234567890",
    }[carrier]


@pytest.mark.parametrize("carrier", CARRIERS)
def test_every_status_round_trips(
    carrier: str, seed: Seed, carrier_sandbox: CarrierSandbox, make_settings: SettingsFor
) -> None:
    client = client_for(carrier, make_settings(carrier))
    numbers = numbers_of(seed)[carrier]
    found = client.track([*numbers, unknown_number(carrier)])
    assert [t.number for t in found] == [*numbers, unknown_number(carrier)]
    assert {t.status for t in found} == set(models.STATUSES)  # the demo has every status
    assert not found[-1].found
    assert all(t.carrier == carrier for t in found)
    delivered = [t for t in found if t.status == models.DELIVERED]
    assert delivered and all(t.delivered_at and t.proof_of_delivery for t in delivered)
    for tracking in found:
        times = [e.time for e in tracking.events]
        assert times == sorted(times, reverse=True)
        assert all(e.time.utcoffset() == timedelta(0) for e in tracking.events)
    moving = [t for t in found if t.status in (models.IN_TRANSIT, models.OUT_FOR_DELIVERY)]
    assert all(t.estimated_delivery is not None for t in moving)


def test_ups_request_shape(
    carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for("ups", make_settings("ups"))
    number = numbers_of(seed)["ups"][2]
    client.track([f" {number[:6]} {number[6:]} "])  # spaces and all, as customers paste them
    token_call, track_call = carrier_sandbox.requests
    assert token_call.route == "token" and token_call.headers["authorization"] == "[redacted]"
    assert token_call.body == {"grant_type": "client_credentials"}
    assert track_call.path == f"/api/track/v1/details/{number}"
    assert track_call.query["locale"] == ["en_US"]
    assert 0 < len(track_call.headers["transid"]) <= 32
    assert track_call.headers["transactionsrc"] == "claimdesk"


def test_fedex_sends_at_most_30_numbers_a_call(
    carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for("fedex", make_settings("fedex"))
    known = numbers_of(seed)["fedex"]
    numbers = (known * 3)[:31]
    found = client.track(numbers)
    assert [t.number for t in found] == numbers
    calls = [r for r in carrier_sandbox.requests if r.route == "track"]
    assert [len(r.body["trackingInfo"]) for r in calls] == [30, 1]
    assert calls[0].body["includeDetailedScans"] is True
    assert calls[0].headers["x-locale"] == "en_US"
    assert client.max_batch == 30


def test_numbers_are_sent_without_spaces_in_upper_case(
    carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    number = numbers_of(seed)["usps"][0]
    typed = " ".join([number[:4], number[4:12].lower(), number[12:]])
    (found,) = client_for("usps", make_settings("usps")).track([typed])
    assert found.number == number
    (call,) = [r for r in carrier_sandbox.requests if r.route == "track"]
    assert call.body == [{"trackingNumber": number}]


def test_usps_and_dhl_request_shapes(
    carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    usps = client_for("usps", make_settings("usps"))
    usps.track(numbers_of(seed)["usps"][:3])
    dhl = client_for("dhl", make_settings("dhl"))
    dhl.track(numbers_of(seed)["dhl"][:1])
    token_call, usps_call, dhl_call = carrier_sandbox.requests
    assert token_call.body["client_secret"] == "[redacted]"
    assert token_call.body["scope"] == "tracking"
    assert usps_call.path == "/tracking/v3r2/tracking"
    assert usps_call.body == [{"trackingNumber": n} for n in numbers_of(seed)["usps"][:3]]
    assert dhl_call.query["trackingNumber"] == [numbers_of(seed)["dhl"][0]]
    assert dhl_call.headers["dhl-api-key"] == "[redacted]"


def test_parcels_move_on_with_the_clock(
    carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for("fedex", make_settings("fedex"))
    number = numbers_of(seed)["fedex"][2]  # 30 hours into 72
    assert client.track([number])[0].status == models.IN_TRANSIT
    carrier_sandbox.advance(36 * 3600)
    assert client.track([number])[0].status == models.OUT_FOR_DELIVERY
    carrier_sandbox.advance(8 * 3600)
    later = client.track([number])[0]
    assert later.status == models.DELIVERED and later.delivered_at is not None


# --- OAuth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("carrier", OAUTH)
def test_an_expired_token_is_refreshed_once(
    carrier: str, carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for(carrier, make_settings(carrier))
    number = numbers_of(seed)[carrier][4]
    assert client.track([number])[0].status == models.DELIVERED
    carrier_sandbox.expire_tokens(carrier)  # the carrier revoked it (or it aged out)
    assert client.track([number])[0].status == models.DELIVERED
    statuses = [(r.route, r.status) for r in carrier_sandbox.requests]
    assert statuses == [
        ("token", 200),
        ("track", 200),
        ("track", 401),
        ("token", 200),
        ("track", 200),
    ]
    stats = client.transport.stats  # type: ignore[attr-defined]
    assert (stats.token_requests, stats.token_refreshes) == (2, 1)
    assert carrier_sandbox.tokens_issued(carrier) == 2
    assert carrier_sandbox.tokens_issued() == 2  # no other carrier's


@pytest.mark.parametrize("carrier", OAUTH)
def test_a_token_that_ages_out_is_refused_then_replaced(
    carrier: str, carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for(carrier, make_settings(carrier, token_margin=0.0))
    number = numbers_of(seed)[carrier][4]
    client.track([number])
    carrier_sandbox.advance(carrier_sandbox.token_lifetimes[carrier] + 1)
    assert client.track([number])[0].found
    assert [r.status for r in carrier_sandbox.requests if r.route == "track"] == [200, 401, 200]


@pytest.mark.parametrize("carrier", CARRIERS)
def test_wrong_credentials_are_an_auth_error(
    carrier: str, carrier_sandbox: CarrierSandbox, seed: Seed
) -> None:
    wrong = Credentials(
        ups_client_secret="nope",
        fedex_client_secret="nope",
        usps_client_secret="nope",
        dhl_api_key="nope",
    )
    client = client_for(
        carrier, settings_for(carrier, carrier_sandbox, wrong, rate=500.0, burst=50)
    )
    with pytest.raises(AuthError) as raised:
        client.track(numbers_of(seed)[carrier][:1])
    assert "nope" not in str(raised.value)
    assert raised.value.status == 401


@pytest.mark.parametrize("carrier", OAUTH)
def test_a_token_refused_twice_is_an_auth_error(
    carrier: str, carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for(carrier, make_settings(carrier))
    carrier_sandbox.inject(401, 2, carrier=carrier, route="track")
    with pytest.raises(AuthError):
        client.track(numbers_of(seed)[carrier][:1])
    assert [r.route for r in carrier_sandbox.requests] == ["token", "track", "token", "track"]


# --- rate limits and faults ----------------------------------------------------------------------


@pytest.mark.parametrize("carrier", CARRIERS)
def test_429_then_success_within_the_budget(
    carrier: str, carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for(carrier, make_settings(carrier))
    carrier_sandbox.inject(429, 2, carrier=carrier, route="track", retry_after=0)
    found = client.track(numbers_of(seed)[carrier][4:5])
    assert found[0].status == models.DELIVERED
    assert [r.status for r in carrier_sandbox.requests if r.route == "track"] == [429, 429, 200]
    assert client.transport.stats.throttled == 2  # type: ignore[attr-defined]


@pytest.mark.parametrize("carrier", CARRIERS)
def test_429_beyond_the_budget_is_rate_limited(
    carrier: str, carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for(carrier, make_settings(carrier, max_retries=2))
    carrier_sandbox.inject(429, 5, carrier=carrier, route="track", retry_after=0)
    with pytest.raises(RateLimited):
        client.track(numbers_of(seed)[carrier][:1])
    assert [r.status for r in carrier_sandbox.requests if r.route == "track"] == [429] * 3


def test_a_retry_after_longer_than_allowed_is_rate_limited_at_once(
    carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for("ups", make_settings("ups", max_wait=5.0))
    carrier_sandbox.inject(429, 1, carrier="ups", route="track", retry_after=3600)
    with pytest.raises(RateLimited) as raised:
        client.track(numbers_of(seed)["ups"][:1])
    assert raised.value.retry_after == 3600


def test_a_long_retry_after_holds_every_worker_back(
    carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    """A quota spent (Retry-After beyond the budget) is told to the shared limiter: the next
    worker gives up at once instead of calling (or sleeping an hour)."""
    limiter = TokenBucket()
    first, second = (
        client_for("usps", make_settings("usps", max_wait=30.0), limiter=limiter) for _ in range(2)
    )
    carrier_sandbox.inject(429, 1, carrier="usps", route="track", retry_after=3600)
    with pytest.raises(RateLimited):
        first.track(numbers_of(seed)["usps"][:1])
    with pytest.raises(RateLimited) as raised:
        second.track(numbers_of(seed)["usps"][:1])
    assert raised.value.retry_after is not None and raised.value.retry_after > 3500
    assert [r.route for r in carrier_sandbox.requests] == ["token", "track"]


def test_the_sandbox_enforces_its_plan_and_the_client_paces_under_it(seed: Seed) -> None:
    """DHL's plan at one call per 5 s, run 50 times faster: paced calls never see a 429,
    unpaced ones do and wait out Retry-After."""
    plans = {"dhl": RatePlan(((1, 5.0),))}
    with start_sandbox(seed, plans=plans, time_scale=50.0) as server:
        numbers = numbers_of(seed)["dhl"][:4]
        paced = client_for("dhl", settings_for("dhl", server, rate=50 / 5 * 0.9, burst=1))
        assert all(t.found for t in paced.track(numbers))
        assert [r.status for r in server.requests] == [200] * 4
        server.clear_requests()
        server.advance(10)
        eager = client_for("dhl", settings_for("dhl", server, rate=1000.0, burst=10, max_retries=5))
        assert all(t.found for t in eager.track(numbers))
        statuses = Counter(r.status for r in server.requests)
        assert statuses[200] == 4 and statuses[429] >= 1
        retry_after = [r for r in server.requests if r.status == 429]
        assert retry_after


@pytest.mark.parametrize("carrier", CARRIERS)
def test_5xx_is_retried_then_an_upstream_error(
    carrier: str, carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for(carrier, make_settings(carrier, max_retries=2))
    carrier_sandbox.inject(503, 2, carrier=carrier, route="track")
    assert client.track(numbers_of(seed)[carrier][:1])[0].found
    carrier_sandbox.inject(500, 3, carrier=carrier, route="track")
    with pytest.raises(UpstreamError) as raised:
        client.track(numbers_of(seed)[carrier][:1])
    assert raised.value.status == 500


def test_ups_malformed_number_is_not_found_but_other_4xx_is_an_error(
    carrier_sandbox: CarrierSandbox, make_settings: SettingsFor
) -> None:
    client = client_for("ups", make_settings("ups"))
    short = client.track(["1Z12"])[0]  # UPS takes 7 to 34 characters
    assert not short.found and short.status_detail == "Invalid tracking number"
    carrier_sandbox.inject(409, 1, carrier="ups", route="track")
    with pytest.raises(UpstreamError) as raised:
        client.track(["1Z999AA10123456784"])
    assert raised.value.status == 409


def test_a_stalled_carrier_times_out(
    carrier_sandbox: CarrierSandbox, make_settings: SettingsFor, seed: Seed
) -> None:
    client = client_for("dhl", make_settings("dhl", timeout=(1.0, 0.3), max_retries=1))
    carrier_sandbox.inject(200, 2, carrier="dhl", route="track", delay=1.0)
    with pytest.raises(UpstreamError) as raised:
        client.track(numbers_of(seed)["dhl"][:1])
    assert raised.value.status == 0


def test_error_bodies_are_the_carriers_own(carrier_sandbox: CarrierSandbox) -> None:
    base = carrier_sandbox.base_url
    ups = requests.get(f"{base('ups')}/api/track/v1/details/1Z1", timeout=5)
    assert ups.status_code == 401
    assert ups.json()["response"]["errors"][0]["code"] == "250002"
    fedex = requests.post(f"{base('fedex')}/track/v1/trackingnumbers", json={}, timeout=5)
    assert fedex.json()["errors"][0]["code"] == "NOT.AUTHORIZED.ERROR"
    usps = requests.post(f"{base('usps')}/oauth2/v3/token", data={"grant_type": "x"}, timeout=5)
    assert usps.json()["error"] == "unsupported_grant_type"
    dhl = requests.get(f"{base('dhl')}/track/shipments", timeout=5)
    assert dhl.status_code == 401
    assert dhl.headers["Content-Type"] == "application/problem+json"
    assert dhl.json()["title"] == "Unauthorized"


def test_client_for_refuses_unknown_carriers_and_foreign_settings(
    make_settings: SettingsFor,
) -> None:
    with pytest.raises(ValueError, match="no tracking client"):
        client_for("ontrac", make_settings("ups"))
    with pytest.raises(ValueError, match="ups needs UpsSettings"):
        client_for("ups", make_settings("dhl"))


def test_settings_hide_secrets(carrier_sandbox: CarrierSandbox, make_settings: SettingsFor) -> None:
    given = carrier_sandbox.credentials
    secrets = [
        given.ups_client_secret,
        given.fedex_client_secret,
        given.usps_client_secret,
        given.dhl_api_key,
    ]
    for carrier in CARRIERS:
        shown = repr(make_settings(carrier))
        assert carrier_sandbox.base_url(carrier) in shown
        assert not [s for s in secrets if s in shown]
