"""The SP-API sandbox's packages and buyers: valid tracking numbers for each carrier, statuses
that follow the sandbox clock, the same answer for the same order.

The check digits are verified here with implementations written from the carriers' published
rules, independently of the sandbox's own (``sandbox_data``), so one cannot hide the other's
mistake.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.amazon import sandbox_data
from connectors.amazon.client import AmazonClient
from connectors.amazon.sandbox import AmazonSandbox, start_sandbox
from connectors.amazon.sandbox_data import buyer_email, buyer_name, package_status
from tests.connectors.amazon_support import CREDENTIALS, client_for, running, small_seller
from tests.tracking.support import moving_order_ids, write_orders

EVERYTHING = ["BUYER", "FULFILLMENT", "PACKAGES", "PROCEEDS"]


def ups_valid(number: str) -> bool:
    """1Z + 15 characters + check: letters A=2 … (ASCII - 63 mod 10); digits in even places
    (1-based) doubled; check = what brings the sum to a multiple of ten."""
    if not re.fullmatch(r"1Z[0-9A-Z]{16}", number):
        return False
    values = [int(c) if c.isdigit() else (ord(c) - 63) % 10 for c in number[2:17]]
    total = sum(v * 2 if (i + 1) % 2 == 0 else v for i, v in enumerate(values))
    return (total + int(number[17])) % 10 == 0


def usps_valid(number: str) -> bool:
    """IMpb 22 digits, GS1 mod 10: the check digit included, weights 1, 3, 1 … from the right
    make the sum a multiple of ten."""
    if not re.fullmatch(r"9[1-5]\d{20}", number):
        return False
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(reversed(number)))
    return total % 10 == 0


def fedex_valid(number: str) -> bool:
    """12 digits; weights 3, 1, 7 repeated over the first 11 from the left; sum mod 11 mod 10."""
    if not re.fullmatch(r"\d{12}", number):
        return False
    weights = [3, 1, 7] * 4
    total = sum(int(d) * w for d, w in zip(number[:11], weights, strict=False))
    return total % 11 % 10 == int(number[11])


def dhl_valid(number: str) -> bool:
    """DHL Express 10 digits: the last is the first nine mod 7."""
    return bool(re.fullmatch(r"\d{10}", number)) and int(number[:9]) % 7 == int(number[9])


def amazon_valid(number: str) -> bool:
    return bool(re.fullmatch(r"TBA\d{12}", number))


VALID = {"UPS": ups_valid, "USPS": usps_valid, "FedEx": fedex_valid, "DHL": dhl_valid}


def valid_for(carrier: str, number: str) -> bool:
    check = VALID.get(carrier, amazon_valid if carrier.startswith("AMZN_") else None)
    assert check is not None, f"unexpected carrier {carrier}"
    return check(number)


def test_the_checkers_know_published_examples() -> None:
    assert ups_valid("1Z999AA10123456784") and not ups_valid("1Z999AA10123456785")
    assert fedex_valid("986578788855") and not fedex_valid("986578788856")
    assert dhl_valid("3318810025") and not dhl_valid("3318810026")


@pytest.mark.parametrize("carrier", ["UPS", "USPS", "FedEx", "DHL", "AMZN_US"])
def test_tracking_numbers_are_valid_for_their_carrier_and_change_when_a_digit_does(
    carrier: str,
) -> None:
    for n in range(300):
        number = sandbox_data.tracking_number(carrier, f"113-{n:07d}-{n * 7:07d}")
        assert valid_for(carrier, number), number
        if carrier.startswith("AMZN"):
            continue
        last = int(number[-1])
        assert not valid_for(carrier, number[:-1] + str((last + 1) % 10))


@pytest.fixture(scope="module")
def seller_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_seller(tmp_path_factory.mktemp("seller"))


@pytest.fixture
def sandbox(seller_dir: Path) -> Iterator[AmazonSandbox]:
    yield from running(seller_dir)


@pytest.fixture
def client(sandbox: AmazonSandbox) -> Iterator[AmazonClient]:
    with client_for(sandbox) as made:
        yield made


def test_orders_carry_their_buyer_and_the_packages_of_what_shipped(client: AmazonClient) -> None:
    orders = [
        order
        for page in client.search_orders(
            created_after=datetime(2026, 9, 1, tzinfo=UTC),
            created_before=datetime(2026, 10, 30, tzinfo=UTC),
            included_data=EVERYTHING,
        )
        for order in page.items
    ]
    assert len(orders) == 6
    for order in orders:
        order_id = order["orderId"]
        assert order["buyer"] == {
            "buyerName": buyer_name(order_id),
            "buyerEmail": buyer_email(order_id),
        }
        shipped = order["fulfillment"]["fulfillmentStatus"] == "SHIPPED"
        assert bool(order.get("packages")) == shipped, order_id
        items = {item["orderItemId"]: item["quantityOrdered"] for item in order["orderItems"]}
        packed: Counter[str] = Counter()
        for package in order.get("packages", []):
            assert valid_for(package["carrier"], package["trackingNumber"])
            created = datetime.fromisoformat(order["createdTime"].replace("Z", "+00:00"))
            left = datetime.fromisoformat(package["shipTime"].replace("Z", "+00:00"))
            assert created < left <= created + timedelta(hours=36)
            assert package["shippingService"]
            for item in package["packageItems"]:
                packed[item["orderItemId"]] += item["quantity"]
        if shipped:
            assert dict(packed) == items  # every unit is in exactly one package
            promised = order["fulfillment"]["deliverByWindow"]
            assert promised["earliestDateTime"] < promised["latestDateTime"]
    assert client.get_order(orders[0]["orderId"], included_data=EVERYTHING) == orders[0]
    plain = client.get_order(orders[0]["orderId"])
    assert "buyer" not in plain and "packages" not in plain


def test_a_parcel_moves_with_the_sandbox_clock(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    (order_id,) = moving_order_ids(1, now)
    folder = write_orders(tmp_path / "seller", [(order_id, now - timedelta(minutes=5))])
    with start_sandbox(folder, time_scale=500.0, credentials=CREDENTIALS) as sandbox:
        with client_for(sandbox) as client:
            seen = []
            for _ in range(8 * 8):  # eight days, every three hours
                package = client.get_order(order_id, included_data=["PACKAGES"])["packages"][0]
                seen.append(package["packageStatus"]["detailedStatus"])
                sandbox.advance(3 * 3600)
    assert list(dict.fromkeys(seen)) == [
        "PENDING_PICK_UP",
        "PICKED_UP",
        "AT_ORIGIN_FC",
        "AT_DESTINATION_FC",
        "OUT_FOR_DELIVERY",
        "DELIVERED",
    ]


def test_most_parcels_arrive_a_few_stick_and_a_few_go_back() -> None:
    shipped = datetime(2026, 10, 1, tzinfo=UTC)
    later = shipped + timedelta(days=30)
    statuses = Counter(
        package_status(f"111-{n:07d}-0000000", shipped, later)["detailedStatus"]
        for n in range(4000)
    )
    assert statuses["DELIVERED"] > 0.9 * 4000
    assert 0.02 * 4000 < statuses["AT_DESTINATION_FC"] < 0.06 * 4000
    assert 0.01 * 4000 < statuses["RETURNED_TO_SELLER"] < 0.04 * 4000
    assert set(statuses) == {"DELIVERED", "AT_DESTINATION_FC", "RETURNED_TO_SELLER"}
    # Two days after leaving, nothing has arrived yet; the same order always says the same.
    early = {
        package_status(f"111-{n:07d}-0000000", shipped, shipped + timedelta(hours=40))["status"]
        for n in range(500)
    }
    assert early <= {"IN_TRANSIT"}
    assert package_status("111-0000001-0000000", shipped, later) == package_status(
        "111-0000001-0000000", shipped, later
    )
