"""The planted scenarios: every claim kind in every status, with decoys around them (pure)."""

from __future__ import annotations

import random
from datetime import date

from plugin.generator.catalog import Catalog, RoleSpec
from plugin.generator.scenarios import inbound, warehouse
from plugin.generator.scenarios.builder import Expectation, Plan, PlanBuilder, RefundValue, Scenario
from plugin.generator.scenarios.inbound import add_inbound_scenarios
from plugin.generator.scenarios.prices import add_price_history
from plugin.generator.scenarios.returns import add_return_scenarios
from plugin.generator.scenarios.warehouse import add_warehouse_scenarios

ROLES: tuple[RoleSpec, ...] = warehouse.ROLES + inbound.ROLES

__all__ = ["ROLES", "Expectation", "Plan", "RefundValue", "Scenario", "build_plan"]


def build_plan(catalog: Catalog, as_of: date, rng: random.Random) -> Plan:
    """Plant every scenario for ``as_of``; the catalogue must have been built with ``ROLES``."""
    builder = PlanBuilder(catalog, as_of, rng)
    add_price_history(builder)
    add_warehouse_scenarios(builder)
    add_inbound_scenarios(builder)
    add_return_scenarios(builder)
    return builder.plan
