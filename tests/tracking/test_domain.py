"""The pure tracking rules: statuses, time to live, staleness, links, carrier names."""

from __future__ import annotations

import ast
import inspect
import re
from datetime import UTC, datetime, timedelta

import pytest

from plugin.domain import tracking
from plugin.domain.tracking import (
    DELIVERED,
    IN_TRANSIT,
    OUT_FOR_DELIVERY,
    STATUSES,
    TTL_POLICY,
    UNKNOWN,
    amazon_status,
    carrier_code,
    expires_at,
    is_stale,
    parse_policy,
    tracking_url,
    ttl_for,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def test_every_status_has_a_time_to_live_and_it_follows_how_fast_parcels_move() -> None:
    assert set(TTL_POLICY) == set(STATUSES)
    assert ttl_for(OUT_FOR_DELIVERY) <= timedelta(minutes=15)
    assert ttl_for(IN_TRANSIT) == timedelta(hours=2)
    assert ttl_for(UNKNOWN) == ttl_for("pending") == timedelta(hours=1)
    assert ttl_for(DELIVERED) >= timedelta(days=1)
    assert ttl_for(OUT_FOR_DELIVERY) < ttl_for(IN_TRANSIT) < ttl_for(DELIVERED)
    assert ttl_for("a status from the future") == ttl_for(UNKNOWN)


def test_a_policy_table_overrides_the_defaults_and_bad_ones_are_refused() -> None:
    policy = parse_policy({"in_transit": 600})
    assert ttl_for(IN_TRANSIT, policy) == timedelta(minutes=10)
    assert ttl_for(DELIVERED, policy) == TTL_POLICY[DELIVERED]
    assert expires_at(IN_TRANSIT, NOW, policy) == NOW + timedelta(minutes=10)
    with pytest.raises(ValueError, match="unknown tracking status 'lost'"):
        parse_policy({"lost": 60})
    for bad in (0, -5, "60", 1.5, True):
        with pytest.raises(ValueError, match="whole seconds"):
            parse_policy({"delivered": bad})


def test_a_snapshot_is_stale_from_its_expiry_on() -> None:
    expiry = expires_at(OUT_FOR_DELIVERY, NOW)
    assert not is_stale(expiry, NOW)
    assert not is_stale(expiry, expiry - timedelta(seconds=1))
    assert is_stale(expiry, expiry)
    assert is_stale(expiry, expiry + timedelta(hours=1))


@pytest.mark.parametrize(
    ("status", "detailed", "expected"),
    [
        ("PENDING", "PENDING_PICK_UP", "pending"),
        ("SHIPPED", "PICKED_UP", "picked_up"),
        ("SHIPPED", None, "in_transit"),
        ("IN_TRANSIT", "AT_ORIGIN_FC", "in_transit"),
        ("IN_TRANSIT", "OUT_FOR_DELIVERY", "out_for_delivery"),
        ("DELIVERED", "DELIVERED", "delivered"),
        ("DELIVERED", None, "delivered"),
        ("UNDELIVERABLE", "RETURNING_TO_SELLER", "return_to_sender"),
        ("UNDELIVERABLE", "RETURNED_TO_SELLER", "return_to_sender"),
        ("UNDELIVERABLE", "REJECTED_BY_BUYER", "return_to_sender"),
        ("UNDELIVERABLE", "LOST", "delivery_failed"),
        ("UNDELIVERABLE", None, "delivery_failed"),
        ("CANCELLED", "LABEL_CANCELLED", "cancelled"),
        ("TELEPORTED", None, "unknown"),
        (None, None, "unknown"),
    ],
)
def test_amazon_package_statuses_map_to_ours(
    status: str | None, detailed: str | None, expected: str
) -> None:
    assert amazon_status(status, detailed) == expected


def test_every_status_of_amazons_model_is_mapped() -> None:
    """The enum and the documented detailed statuses of the official model, all known."""
    from spapi.models.orders_v2026_01_01.package_status import PackageStatus

    setter = inspect.getsource(PackageStatus.status.fset)  # type: ignore[attr-defined]
    found = re.search(r"allowed_values = (\[[^\]]*\])", setter)
    assert found is not None
    assert set(ast.literal_eval(found.group(1))) == set(tracking.AMAZON_STATUS)
    documented = PackageStatus.detailed_status.__doc__ or ""
    for word in tracking.AMAZON_DETAILED_STATUS:
        assert f"`{word}`" in documented


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("UPS", "ups"),
        ("USPS", "usps"),
        ("FedEx", "fedex"),
        ("FEDEX", "fedex"),
        ("DHL", "dhl"),
        ("AMZN_US", "amazon"),
        ("AMZN_UK", "amazon"),
        ("Amazon Logistics", "amazon"),
        ("OnTrac", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_carrier_names_become_our_codes(name: str | None, code: str) -> None:
    assert carrier_code(name) == code


def test_tracking_links_follow_each_carriers_format() -> None:
    assert tracking_url("ups", "1z 8w7e39 0268192801") == (
        "https://www.ups.com/track?loc=en_US&tracknum=1Z8W7E390268192801"
    )
    assert tracking_url("fedex", "108568192800") == (
        "https://www.fedex.com/fedextrack/?trknbr=108568192800"
    )
    assert tracking_url("usps", "9400111462757559168801") == (
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400111462757559168801"
    )
    assert tracking_url("dhl", "1568192802") == (
        "https://www.dhl.com/us-en/home/tracking/tracking-parcel.html?submit=1"
        "&tracking-id=1568192802"
    )
    assert tracking_url("amazon", "TBA275755916880") == (
        "https://track.amazon.com/tracking/TBA275755916880"
    )
    assert tracking_url("other", "X1") is None
    assert tracking_url("ups", "  ") is None
    # Whatever a seller typed cannot escape the query string.
    assert (
        tracking_url("ups", "1Z&x=<b>")
        == "https://www.ups.com/track?loc=en_US&tracknum=1Z%26X%3D%3CB%3E"
    )


def test_a_parcel_without_a_named_carrier_gets_the_one_its_number_shows() -> None:
    body = "A12B34" + "03" + "7654321"
    total = sum(
        (int(c) if c.isdigit() else (ord(c) - 3) % 10) * (2 if i % 2 else 1)
        for i, c in enumerate(body)
    )
    ups = f"1Z{body}{(10 - total % 10) % 10}"
    assert tracking.carrier_of(None, ups) == "ups"
    assert tracking.carrier_of("  ", ups) == "ups"
    # A named carrier is taken at its word, even an unknown one.
    assert tracking.carrier_of("OnTrac", ups) == "other"
    assert tracking.carrier_of("FedEx", ups) == "fedex"
    # A number whose check digit fails is nobody's.
    wrong = ups[:-1] + str((int(ups[-1]) + 1) % 10)
    assert tracking.carrier_of(None, wrong) == "other"
    assert tracking.carrier_of(None, "whatever") == "other"


def test_links_come_from_carrier_detection() -> None:
    from connectors.carriers import detect

    assert tracking.TRACKING_URLS is detect.LINKS
    # A USPS barcode read with its routing prefix links the number USPS knows.
    assert tracking_url("usps", "420 22153 9101026837331000039521") == (
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=9101026837331000039521"
    )
