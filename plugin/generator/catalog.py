"""The seller's catalogue and the marketplaces it sells in.

Every report row names a product, and a claim's value depends on the product's cost or sale
prices, so products are built once, up front, and shared by the planted scenarios and the
background noise. Titles carry commas, inch marks and accented letters on purpose: they make
quoting and encoding matter. Every character is in cp1252, so any file may be written in it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

# Fewest regular (non-scenario) products: the background needs some to lose and find.
MIN_REGULAR = 8


@dataclass(frozen=True, slots=True)
class Market:
    """One Amazon marketplace as the reports spell it."""

    code: str  # two-letter code a claim reports
    channel: str  # sales-channel / MarketplaceName
    currency: str
    countries: tuple[str, ...]  # ledger Country spellings ("UK" and "GB" for Britain)
    fcs: tuple[str, ...]
    order_prefixes: tuple[str, ...]
    summer_offset: str  # local UTC offset, "-0700"
    winter_offset: str
    dst: str  # "us" or "eu" daylight-saving calendar
    tax_percent: int
    price_percent: int  # price level against the US list price
    addresses: tuple[tuple[str, str, str], ...]  # (city, state, postal code)
    share: int  # percent of background orders


MARKETS: dict[str, Market] = {
    "US": Market(
        "US", "Amazon.com", "USD", ("US",), ("PHX7", "ONT8", "BFI4", "MDW2", "SDF8", "TEB9"),
        ("111", "112", "113", "114"), "-0700", "-0800", "us", 7, 100,
        (("Phoenix", "AZ", "85004"), ("Seattle", "WA", "98101"), ("Austin", "TX", "78701"),
         ("Columbus", "OH", "43215"), ("Brooklyn", "NY", "11201")), 70,
    ),
    "DE": Market(
        "DE", "Amazon.de", "EUR", ("DE",), ("LEJ1", "DTM2", "FRA7", "MUC3"),
        ("302", "303", "304", "305", "306"), "+0200", "+0100", "eu", 19, 95,
        (("Berlin", "", "10115"), ("München", "BY", "80331"), ("Köln", "NW", "50667")), 12,
    ),
    "GB": Market(
        "GB", "Amazon.co.uk", "GBP", ("UK", "GB"), ("BHX4", "LTN1", "MAN1", "EDI4"),
        ("202", "203", "204", "205", "206"), "+0100", "+0000", "eu", 20, 85,
        (("London", "", "SW1A 1AA"), ("Manchester", "", "M1 1AE"), ("Leeds", "", "LS1 4DY")),
        10,
    ),
    "FR": Market(
        "FR", "Amazon.fr", "EUR", ("FR",), ("ORY1", "LYS1", "MRS1"),
        ("402", "403", "404", "405", "406", "407"), "+0200", "+0100", "eu", 20, 95,
        (("Paris", "", "75001"), ("Lyon", "", "69002"), ("Orléans", "", "45000")), 8,
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cost:
    """A row of the seller's costs file: the unit cost as written, and its currency."""

    unit_cost: str
    currency: str


@dataclass(frozen=True, slots=True, eq=False)
class Product:
    """One SKU; compared by identity, so it can key dictionaries cheaply."""

    sku: str
    fnsku: str
    asin: str
    title: str
    markets: tuple[str, ...]  # where it sells; empty for a product that never sold
    prices: Mapping[str, int] = field(repr=False)  # list price in cents, by market code
    cost: Cost | None
    role: str | None  # the scenario role it was made for; None for the regular catalogue

    @property
    def home(self) -> Market:
        """The marketplace it is stocked in first (US for a product that never sold)."""
        return MARKETS[self.markets[0] if self.markets else "US"]


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """What a scenario needs from its own product: where it sells and what it cost."""

    name: str
    markets: tuple[str, ...]
    cost: Cost | None = None
    family: str | None = None  # product family code, for a title that fits the cost


@dataclass(frozen=True)
class Catalog:
    products: tuple[Product, ...]
    regular: tuple[Product, ...]
    roles: Mapping[str, Product]
    sellers: Mapping[str, tuple[Product, ...]]  # market code -> products sold there

    def role(self, name: str) -> Product:
        return self.roles[name]


# (code, title template, sizes, price range in US cents). {c} colour, {s} size.
_FAMILIES: tuple[tuple[str, str, tuple[str, ...], tuple[int, int]], ...] = (
    ("MUG", "Ceramic Coffee Mug {s} oz, {c}", ("11", "12", "15"), (1299, 2499)),
    ("TMB", "Insulated Tumbler {s} oz – {c}, Leak-Proof Lid", ("20", "30", "40"), (1899, 3499)),
    ("YOGA", 'Non-Slip Yoga Mat 72" x 24", {c} ({s} mm)', ("4", "6", "8"), (2499, 4999)),
    ("CAFE", "Café Latte Glasses, Set of {s} – {c}", ("2", "4", "6"), (1999, 3999)),
    ("BOWL", "Müsli Bowl {c}, Stoneware {s} ml", ("450", "650", "900"), (1499, 2799)),
    ("BAND", "ProGrip™ Resistance Bands, {s}-Pack ({c})", ("3", "5"), (1599, 2999)),
    ("CASE", "Slim Phone Case for Galaxy S{s}, {c}", ("23", "24", "25"), (999, 1999)),
    ("LAMP", 'Desk Lamp {s}" LED, Dimmable – {c}', ("14", "18"), (3499, 6999)),
    ("BTL", "Glass Water Bottle {s} oz, Bamboo Lid ({c})", ("18", "24", "32"), (1799, 2999)),
    ("TEA", "Crème Brûlée Tea Tin {s} g, {c} Edition", ("100", "250"), (899, 1799)),
    ("KNF", "Chef's Knife {s}\", German Steel – {c} Handle", ("6", "8", "10"), (3999, 8999)),
    ("SOCK", "Merino Hiking Socks, Size {s}, {c} – 3 Pairs", ("S", "M", "L"), (1999, 2999)),
)
_TELESCOPE = ("SCOPE", "StarView™ Pro Telescope {s} mm, {c} – GoTo Mount", ("127", "150"),
              (719900, 849900))  # fmt: skip
_COLORS = ("Blue", "Black", "White", "Sage", "Coral", "Grey", "Navy", "Sand", "Rosé", "Olive")
_ALNUM = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def build_catalog(rng: random.Random, size: int, roles: Sequence[RoleSpec]) -> Catalog:
    """Make ``size`` products (raised to what ``roles`` need), one per role plus regulars."""
    total = max(size, len(roles) + MIN_REGULAR)
    names = _names(rng)
    used_codes: set[str] = set()
    products: list[Product] = []
    role_products: dict[str, Product] = {}
    regular_count = total - len(roles)
    for index in range(regular_count):
        markets = _regular_markets(index, rng)
        products.append(_make(rng, next(names), markets, None, None, used_codes, index))
    for spec in roles:
        family = _family_name(spec.family, rng) if spec.family else next(names)
        product = _make(rng, family, spec.markets, spec.cost, spec.name, used_codes, len(products))
        role_products[spec.name] = product
        products.append(product)
    sellers = {code: tuple(p for p in products if code in p.markets) for code in MARKETS}
    return Catalog(
        products=tuple(products),
        regular=tuple(p for p in products if p.role is None),
        roles=role_products,
        sellers=sellers,
    )


def _regular_markets(index: int, rng: random.Random) -> tuple[str, ...]:
    """Spread the regular catalogue so every marketplace has sellers."""
    pattern = (("US", "DE", "GB", "FR"), ("US",), ("US", "DE"), ("US", "GB"), ("US", "DE", "FR"),
               ("DE", "FR"), ("US",), ("GB", "US"))  # fmt: skip
    if index < len(pattern):
        return pattern[index]
    roll = rng.random()
    if roll < 0.5:
        return ("US",)
    if roll < 0.8:
        return ("US",) + tuple(m for m in ("DE", "GB", "FR") if rng.random() < 0.6)
    if roll < 0.95:
        return tuple(m for m in ("DE", "FR", "GB") if rng.random() < 0.7) or ("DE",)
    return ()  # discontinued: stock, but no sales in the period


_Name = tuple[str, str, tuple[int, int]]  # (msku, title, price range)


def _names(rng: random.Random) -> Iterator[_Name]:
    """Yield distinct (msku, title, price range) combinations in a seeded order."""
    combos = [
        (code, template, size, colour, prices)
        for code, template, sizes, prices in _FAMILIES
        for size in sizes
        for colour in _COLORS
    ]
    rng.shuffle(combos)
    round_number = 0
    while True:
        round_number += 1
        for code, template, size, colour, prices in combos:
            msku = f"{code}-{_sku_word(colour)}-{size}"
            if round_number > 1:
                msku += f"-V{round_number}"
            yield msku, template.format(s=size, c=colour), prices


def _family_name(code: str, rng: random.Random) -> _Name:
    assert code == _TELESCOPE[0], f"unknown family {code}"
    _, template, sizes, prices = _TELESCOPE
    size, colour = rng.choice(sizes), rng.choice(("Black", "White"))
    return f"{code}-{_sku_word(colour)}-{size}", template.format(s=size, c=colour), prices


def _sku_word(colour: str) -> str:
    return colour.upper().replace("É", "E")


def _make(
    rng: random.Random,
    name: _Name,
    markets: tuple[str, ...],
    cost: Cost | None,
    role: str | None,
    used_codes: set[str],
    index: int,
) -> Product:
    msku, title, (low, high) = name
    us_cents = rng.randint(low // 100, high // 100) * 100 + 99
    prices = {
        code: max(99, (us_cents * market.price_percent // 100) // 100 * 100 + 99)
        for code, market in MARKETS.items()
    }
    if role is None and cost is None and index % 5 in (0, 2):
        # Regular products: two in five have a cost on file, about a third of the US price.
        cost = Cost(_cents_text(us_cents * rng.randint(25, 38) // 100), "USD")
    return Product(
        sku=msku,
        fnsku="X00" + _code(rng, 7, used_codes),
        asin="B0" + _code(rng, 8, used_codes),
        title=title,
        markets=markets,
        prices=prices,
        cost=cost,
        role=role,
    )


def _code(rng: random.Random, length: int, used: set[str]) -> str:
    while True:
        code = "".join(rng.choice(_ALNUM) for _ in range(length))
        if code not in used:
            used.add(code)
            return code


def _cents_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
