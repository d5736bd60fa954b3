"""Amazon-shaped identifiers that never collide.

Each identifier is a bijection of a counter (multiplied modulo its range, then its digits
reversed, so that consecutive IDs do not look consecutive): no set of used IDs has to be kept,
and the background makes a million orders. The planted scenarios and the background count
from disjoint starts.
"""

from __future__ import annotations

import random

from plugin.generator.catalog import Market

PLANTED_START = 1
BACKGROUND_START = 1_000_000

_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Identifiers:
    """Counters for every kind of ID a seller's files carry."""

    def __init__(self, start: int, rng: random.Random) -> None:
        self._rng = rng
        self._orders = self._shipments = self._lpns = self._reimbursements = start
        self._references = self._outbound = self._removals = self._items = start
        self._cases = start

    def order_id(self, market: Market) -> str:
        """``111-1234567-1234567``: the prefix says the marketplace, as Amazon's do; the
        middle block is unique, the last one random."""
        n = self._orders = self._orders + 1
        prefix = market.order_prefixes[n % len(market.order_prefixes)]
        return f"{prefix}-{_decimal(n, 7)}-{self._rng.getrandbits(23):07d}"

    def shipment_id(self) -> str:
        """An inbound shipment, ``FBA15`` and seven letters or digits."""
        n = self._shipments = self._shipments + 1
        return "FBA15" + _base36((n + 1_618) * _GOLDEN_36 % 36**7, 7)[::-1]

    def lpn(self) -> str:
        n = self._lpns = self._lpns + 1
        return "LPNRR" + _decimal(n + 4_409, 9)

    def reimbursement_id(self) -> str:
        n = self._reimbursements = self._reimbursements + 1
        return "1" + _decimal(n + 27_183, 9)

    def case_id(self) -> str:
        n = self._cases = self._cases + 1
        return "1" + _decimal(n + 31_415, 10)

    def adjustment_id(self) -> str:
        """The Reference ID of a ledger adjustment: a transaction number."""
        n = self._references = self._references + 1
        return "4" + _decimal(n + 14_142, 8)

    def outbound_id(self) -> str:
        """The Reference ID of a customer shipment (Shipments and WhseTransfers rows)."""
        n = self._outbound = self._outbound + 1
        return "D" + f"{n * _GOLDEN_HEX % (1 << 36):09X}"[::-1]

    def removal_id(self) -> str:
        n = self._removals = self._removals + 1
        return "RMV-" + _decimal(n + 17_320, 8)

    def item_id(self) -> str:
        """An OrderAdjustmentItemId of a refund."""
        n = self._items = self._items + 1
        return "7" + _decimal(n + 22_360, 13)


def _coprime(value: int, primes: tuple[int, ...]) -> int:
    while any(value % p == 0 for p in primes):
        value += 1
    return value


# Multipliers near the golden ratio of each range spread consecutive counters evenly; being
# coprime with the base makes each map a bijection.
_GOLDEN = {width: _coprime(int(0.6180339887 * 10**width), (2, 5)) for width in range(6, 14)}
_GOLDEN_36 = _coprime(int(0.6180339887 * 36**7), (2, 3))
_GOLDEN_HEX = _coprime(int(0.6180339887 * (1 << 36)), (2,))


def _decimal(n: int, width: int) -> str:
    """``n`` as ``width`` digits that do not look like a counter (a bijection on the range)."""
    return f"{n * _GOLDEN[width] % 10**width:0{width}d}"[::-1]


def _base36(value: int, width: int) -> str:
    out = []
    for _ in range(width):
        value, digit = divmod(value, 36)
        out.append(_BASE36[digit])
    return "".join(reversed(out))
