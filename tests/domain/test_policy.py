"""The dated policy table (plugin.domain.policy) and its overrides as the engine uses them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from plugin.domain.policy import (
    DEFAULT_POLICY,
    INBOUND_SHORTAGE,
    RETURN_DAMAGED_BY_AMAZON,
    RETURN_NOT_RECEIVED,
    WAREHOUSE_DAMAGED,
    WAREHOUSE_LOST,
    PolicyError,
    PolicyTable,
    Window,
    WindowRule,
    add_months,
    parse_overrides,
)

from .builders import (
    OTHER_FNSKU,
    OTHER_SKU,
    SKU,
    costs,
    inbound,
    item,
    ledger,
    lost,
    money,
    one,
    receipt,
    refund,
    run,
    shipment,
)

# ---------------------------------------------------------------------------------------------
# The table itself
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 8, 31), 18, date(2026, 2, 28)),
        (date(2022, 8, 31), 18, date(2024, 2, 29)),
        (date(2024, 10, 22), 18, date(2026, 4, 22)),
        (date(2023, 10, 31), 18, date(2025, 4, 30)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 5, 31), 18, date(2025, 11, 30)),
    ],
)
def test_add_months_clamps_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("kind", "marketplace", "event", "expected"),
    [
        (WAREHOUSE_LOST, "US", date(2026, 9, 20), Window(date(2026, 10, 20), date(2026, 11, 19))),
        (WAREHOUSE_LOST, None, date(2024, 10, 23), Window(date(2024, 11, 22), date(2024, 12, 22))),
        (WAREHOUSE_LOST, "DE", date(2024, 10, 22), Window(date(2024, 11, 21), date(2026, 4, 22))),
        (WAREHOUSE_DAMAGED, "US", date(2024, 8, 31), Window(date(2024, 9, 30), date(2026, 2, 28))),
        (
            RETURN_NOT_RECEIVED,
            "US",
            date(2026, 1, 10),
            Window(date(2026, 3, 11), date(2026, 5, 10)),
        ),
        (
            RETURN_NOT_RECEIVED,
            "GB",
            date(2026, 1, 10),
            Window(date(2026, 2, 24), date(2026, 4, 25)),
        ),
        (
            RETURN_NOT_RECEIVED,
            None,
            date(2026, 1, 10),
            Window(date(2026, 3, 11), date(2026, 5, 10)),
        ),
        (
            RETURN_DAMAGED_BY_AMAZON,
            "DE",
            date(2026, 1, 10),
            Window(date(2026, 2, 24), date(2026, 4, 25)),
        ),
        (
            RETURN_DAMAGED_BY_AMAZON,
            "JP",
            date(2026, 1, 10),
            Window(date(2026, 3, 11), date(2026, 5, 10)),
        ),
        (INBOUND_SHORTAGE, "US", date(2026, 3, 9), Window(date(2026, 3, 24), date(2026, 9, 5))),
        (INBOUND_SHORTAGE, None, date(2026, 3, 9), Window(date(2026, 3, 24), date(2026, 9, 5))),
    ],
)
def test_default_windows(kind: str, marketplace: str | None, event: date, expected: Window) -> None:
    assert DEFAULT_POLICY.window(kind, marketplace, event) == expected


def test_no_rule_is_a_policy_error() -> None:
    with pytest.raises(PolicyError):
        PolicyTable(rules=()).window(WAREHOUSE_LOST, "US", date(2026, 1, 1))


def test_default_caps() -> None:
    assert DEFAULT_POLICY.unit_value_cap("US") == Decimal("5000")
    assert DEFAULT_POLICY.unit_value_cap("DE") is None
    assert DEFAULT_POLICY.unit_value_cap(None) is None


@pytest.mark.parametrize(
    "document",
    [
        {"windows": [{"kind": "nope", "opens_after_days": 1, "deadline_days": 2}]},
        {"windows": [{"kind": WAREHOUSE_LOST, "opens_after_days": 1}]},
        {
            "windows": [
                {
                    "kind": WAREHOUSE_LOST,
                    "opens_after_days": 1,
                    "deadline_days": 2,
                    "deadline_months": 3,
                }
            ]
        },
        {"windows": [{"kind": WAREHOUSE_LOST, "deadline_days": 2}]},
        {
            "windows": [
                {
                    "kind": WAREHOUSE_LOST,
                    "opens_after_days": 1,
                    "deadline_days": 2,
                    "valid_from": "someday",
                }
            ]
        },
        {"unit_value_caps": {"BR": "a lot"}},
    ],
)
def test_bad_overrides_are_policy_errors(document: dict) -> None:
    with pytest.raises(PolicyError):
        parse_overrides(document)


# ---------------------------------------------------------------------------------------------
# Overrides change the engine's windows for their marketplace only
# ---------------------------------------------------------------------------------------------


def _shortage(country: str, policy: PolicyTable):
    return one(
        run(
            "2026-04-01",
            shipments=[shipment("FBA1")],
            items=[inbound("FBA1", 10, 7)],
            ledger=[receipt("2026-03-09", "FBA1", country=country)],
            policy=policy,
        )
    )


def test_inbound_override_from_configuration_applies_to_its_marketplace_only() -> None:
    # the docstring's own example: US inbound deadline 270 days for events from 2025-01-01
    rules, caps = parse_overrides(
        {
            "windows": [
                {
                    "kind": "inbound_shortage",
                    "marketplaces": ["us"],
                    "valid_from": "2025-01-01",
                    "opens_after_days": 15,
                    "deadline_days": 270,
                }
            ]
        }
    )
    policy = DEFAULT_POLICY.extend(rules, caps)
    us = _shortage("US", policy)
    assert (us.opens_on, us.deadline) == (date(2026, 3, 24), date(2026, 12, 4))  # 03-09 + 270
    de = _shortage("DE", policy)
    assert (de.opens_on, de.deadline) == (date(2026, 3, 24), date(2026, 9, 5))  # default 180


def test_inbound_override_with_deadline_months() -> None:
    policy = DEFAULT_POLICY.extend(
        [WindowRule(INBOUND_SHORTAGE, 10, deadline_months=6, marketplaces=frozenset({"GB"}))]
    )
    gb = _shortage("UK", policy)  # Country UK is the GB marketplace
    assert (gb.opens_on, gb.deadline) == (date(2026, 3, 19), date(2026, 9, 9))
    us = _shortage("US", policy)
    assert (us.opens_on, us.deadline) == (date(2026, 3, 24), date(2026, 9, 5))


def test_warehouse_override_for_one_marketplace() -> None:
    policy = DEFAULT_POLICY.extend(
        [WindowRule(WAREHOUSE_LOST, 0, deadline_days=90, marketplaces=frozenset({"GB"}))]
    )
    rows = [
        lost("2026-09-20", ref="GB1", country="UK"),
        lost("2026-09-20", ref="US1"),
        ledger("2026-09-20", -1, "E", ref="GB2", country="UK"),
    ]
    claims = {c.reference_id: c for c in run("2026-10-01", ledger=rows, policy=policy)}
    # GB lost: opens on the event day, deadline 2026-09-20 + 90 d = 2026-12-19: claimable
    assert (claims["GB1"].opens_on, claims["GB1"].deadline, claims["GB1"].status) == (
        date(2026, 9, 20),
        date(2026, 12, 19),
        "claimable",
    )
    # US lost: the default 30 / 60 days: still waiting on 10-01
    assert (claims["US1"].opens_on, claims["US1"].deadline, claims["US1"].status) == (
        date(2026, 10, 20),
        date(2026, 11, 19),
        "waiting",
    )
    # GB damaged: another kind, unchanged
    assert (claims["GB2"].opens_on, claims["GB2"].deadline) == (
        date(2026, 10, 20),
        date(2026, 11, 19),
    )


def test_override_valid_from_only_covers_later_events() -> None:
    rules, _ = parse_overrides(
        {
            "windows": [
                {
                    "kind": WAREHOUSE_LOST,
                    "marketplaces": ["US"],
                    "valid_from": "2026-10-01",
                    "opens_after_days": 30,
                    "deadline_days": 90,
                }
            ]
        }
    )
    policy = DEFAULT_POLICY.extend(rules)
    rows = [lost("2026-09-20", ref="BEFORE"), lost("2026-10-05", ref="AFTER")]
    claims = {c.reference_id: c for c in run("2026-10-31", ledger=rows, policy=policy)}
    assert claims["BEFORE"].deadline == date(2026, 11, 19)  # default + 60 d
    assert claims["AFTER"].deadline == date(2027, 1, 3)  # 2026-10-05 + 90 d


def test_return_override_for_one_eu_marketplace() -> None:
    policy = DEFAULT_POLICY.extend(
        [WindowRule(RETURN_NOT_RECEIVED, 30, deadline_days=90, marketplaces=frozenset({"DE"}))]
    )
    events = [
        refund("O-DE", "2026-01-10", item(1, "-10.00", currency="EUR"), marketplace="Amazon.de"),
        refund("O-FR", "2026-01-10", item(1, "-10.00", currency="EUR"), marketplace="Amazon.fr"),
    ]
    claims = {c.reference_id: c for c in run("2026-03-01", refunds=events, policy=policy)}
    assert (claims["O-DE"].opens_on, claims["O-DE"].deadline) == (
        date(2026, 2, 9),
        date(2026, 4, 10),
    )  # + 30 d, + 90 d
    assert (claims["O-FR"].opens_on, claims["O-FR"].deadline) == (
        date(2026, 2, 24),
        date(2026, 4, 25),
    )  # EU default + 45 d, + 105 d


def test_cap_override_for_another_marketplace() -> None:
    _, caps = parse_overrides({"unit_value_caps": {"br": "19250"}})
    policy = DEFAULT_POLICY.extend([], caps)
    rows = [
        lost("2026-09-20", ref="BR1", country="BR", msku=SKU),
        lost("2026-09-20", ref="US1", country="US", msku=OTHER_SKU, fnsku=OTHER_FNSKU),
    ]
    claims = {
        c.reference_id: c
        for c in run(
            "2026-10-31",
            ledger=rows,
            policy=policy,
            costs=costs((SKU, "20000", "BRL"), (OTHER_SKU, "6000", "USD")),
        )
    }
    assert money(claims["BR1"]) == ("19250.00", "BRL", "manufacturing_cost")
    assert money(claims["US1"]) == ("5000.00", "USD", "manufacturing_cost")  # US cap kept
    # without the override Brazil has no cap
    default = one(
        run(
            "2026-10-31",
            ledger=[lost("2026-09-20", country="BR")],
            costs=costs((SKU, "20000", "BRL")),
        )
    )
    assert money(default) == ("20000.00", "BRL", "manufacturing_cost")


def test_cap_override_replaces_the_us_cap() -> None:
    policy = DEFAULT_POLICY.extend([], {"US": Decimal("1000")})
    claim = one(
        run(
            "2026-10-31",
            ledger=[lost("2026-09-20", 2)],
            policy=policy,
            costs=costs((SKU, "1500", "USD")),
        )
    )
    assert money(claim) == ("2000.00", "USD", "manufacturing_cost")  # 2 x min(1500, 1000)
