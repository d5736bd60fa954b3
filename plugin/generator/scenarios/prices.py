"""Sales history of the scenario products that have no cost on file.

Kinds 1, 2 and 5 fall back to the average sale price; these orders make sure it exists in
every marketplace such a product sells in, however small the background is. The rows that
must not count (cancelled, no price yet) sit on a product a claim is valued by, with prices
far from the rest, so an engine that counted them would get a different amount.
"""

from __future__ import annotations

from plugin.generator.scenarios.builder import PlanBuilder
from plugin.generator.valuation import WAREHOUSE_LOST


def add_price_history(b: PlanBuilder) -> None:
    for name, product in b.catalog.roles.items():
        if product.cost is not None:
            continue
        for market in product.markets:
            listed = product.prices[market]
            b.order(product, market, 150)
            b.order(product, market, 95, 2, unit_cents=listed - listed // 10)
            b.order(product, market, 33)
        if name == "lost-price-us":
            _add_excluded_rows(b)


def _add_excluded_rows(b: PlanBuilder) -> None:
    product = b.role("lost-price-us")
    b.scenario(
        "sale_price_filters",
        WAREHOUSE_LOST,
        "orders the average sale price leaves out (a Cancelled item at 999.00, a Pending item "
        "without price, EUR sales at 45.00 for US claims); no claim of its own, it shows in "
        "the amounts of lost_waiting, lost_deadline_today and identical_lines_in_one_file",
    )
    b.order(product, "US", 70, status="Cancelled", unit_cents=99_900)
    b.order(product, "US", 1, status="Pending", item_status="Unshipped", price_cents=None)
    b.order(product, "DE", 64, 3, unit_cents=4_500)
