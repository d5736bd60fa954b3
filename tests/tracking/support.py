"""A seller folder whose orders were placed moments ago, so their parcels are still moving
when a test starts (the generated and hand-made sellers' parcels arrived long ago)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from connectors.amazon import sandbox_data
from tests.connectors.amazon_support import ORDERS_HEADER


def moving_order_ids(count: int, now: datetime, *, start: int = 0) -> list[str]:
    """Order ids whose parcel, for an order placed at ``now``, will be delivered (not stuck,
    not returned) and ships with a carrier that has a check digit or TBA."""
    found = []
    n = start
    while len(found) < count:
        order_id = f"113-{n:07d}-{(n * 7919) % 10**7:07d}"
        n += 1
        if sandbox_data.package_fate(order_id) == sandbox_data.DELIVERS:
            found.append(order_id)
    return found


def write_orders(directory: Path, orders: Iterable[tuple[str, datetime]]) -> Path:
    """An All Orders file: one shipped FBA line per ``(order id, purchase time)``."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = []
    for order_id, purchased in orders:
        stamp = purchased.isoformat()
        updated = (purchased + timedelta(minutes=1)).isoformat()
        lines.append(
            f"{order_id}\t\t{stamp}\t{updated}\tShipped\tAmazon\tAmazon.com\t\tStandard\t"
            f"Mug\tMUG-1\tB001\tShipped\t1\tUSD\t12.99\t0.00\n"
        )
    (directory / "orders.txt").write_text(ORDERS_HEADER + "".join(lines))
    return directory
