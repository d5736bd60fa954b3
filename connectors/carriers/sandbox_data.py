"""The parcels the carrier sandboxes know, and how each moves through its life over time.

A seed is a list of shipments: carrier, tracking number, ship time, hours in transit and a
fate. What a carrier says about a parcel is computed from the sandbox clock, so a parcel
looked at again later has moved on:

    label created (ship time - 2 h) -> picked up (ship time) -> departed (1/4 of transit)
    -> arrived at the destination hub (1/2) -> out for delivery (transit - 8 h)
    -> delivered (transit)

Fates other than ``delivers``: ``stuck`` (held at the destination hub from half-way on),
``exception`` (two failed attempts), ``returned`` (a failed attempt, back to the sender a
week later), ``pickup`` (left at a pickup point, collected two days later), ``cancelled``
(the label is voided a day after it was made, never picked up). Before its label exists a
number is unknown, as are numbers that are not in the seed.

The seed file is JSON: ``{"shipments": [{"carrier": "ups", "number": "1Z…", "shipped_at":
"2026-11-20T15:00:00Z", "transit_hours": 72, "fate": "delivers", "service": "UPS Ground",
"origin": "Louisville, KY, US", "destination": "Seattle, WA, US", "recipient": "J. Doe"}]}``;
only the first three are required. ``seed_from_seller`` builds one from a generated seller's
packages (what the SP-API sandbox serves), so the demo's parcels exist at the carriers and
agree with Amazon about where they are.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.carriers.models import CARRIERS, DHL, FEDEX, UPS, USPS
from connectors.errors import ReportError

DELIVERS = "delivers"
STUCK = "stuck"
EXCEPTION = "exception"
RETURNED = "returned"
PICKUP = "pickup"
CANCELLED = "cancelled"
FATES = (DELIVERS, STUCK, EXCEPTION, RETURNED, PICKUP, CANCELLED)

# Stages of a parcel's life, in the sandbox's own words; each carrier renders them.
LABEL_CREATED = "label_created"
PICKED_UP = "picked_up"
DEPARTED = "departed"
ARRIVED = "arrived"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
ATTEMPT_FAILED = "attempt_failed"
HELD = "held"
READY_FOR_PICKUP = "ready_for_pickup"
RETURNING = "returning"
RETURNED_TO_SENDER = "returned_to_sender"
LABEL_CANCELLED = "label_cancelled"

_US_CITIES = (
    ("Louisville", "KY", "40209"),
    ("Memphis", "TN", "38118"),
    ("Indianapolis", "IN", "46241"),
    ("Ontario", "CA", "91761"),
    ("Dallas", "TX", "75261"),
    ("Chicago", "IL", "60666"),
    ("Newark", "NJ", "07114"),
    ("Seattle", "WA", "98108"),
    ("Denver", "CO", "80239"),
    ("Atlanta", "GA", "30320"),
)
_EU_CITIES = (  # (city, region, postal code, country)
    ("Leipzig", "SN", "04435", "DE"),
    ("Bonn", "NW", "53113", "DE"),
    ("Amsterdam", "NH", "1043", "NL"),
    ("Paris", "IDF", "75012", "FR"),
    ("Milan", "MI", "20121", "IT"),
)
_NAMES = ("J. SMITH", "M. GARCIA", "A. NGUYEN", "R. JOHNSON", "L. MARTIN", "K. MUELLER")
_DOOR = ("Front Door", "Mailbox", "Reception", "Side Door", "Garage")


class SeedError(ReportError):
    """A seed file that cannot be served; says which entry and why."""


@dataclass(frozen=True)
class Place:
    city: str
    region: str
    postal_code: str
    country: str

    def line(self) -> str:
        return f"{self.city}, {self.region}, {self.country}"


@dataclass(frozen=True)
class Milestone:
    """One scan of a parcel: when, what (a stage), where; ``note`` says why for exceptions."""

    time: datetime
    stage: str
    place: Place
    note: str = ""


@dataclass(frozen=True)
class Shipment:
    carrier: str
    number: str
    shipped_at: datetime
    transit_hours: int = 72
    fate: str = DELIVERS
    service: str | None = None
    origin: str | None = None  # "City, Region, CC"; derived from the number when None
    destination: str | None = None
    recipient: str | None = None
    door: str | None = None

    def places(self) -> tuple[Place, Place, Place, Place]:
        """Origin, origin hub, destination hub, destination (stable for a number)."""
        digest = hashlib.sha256(f"places:{self.number}".encode()).digest()
        cities = _EU_CITIES if self.carrier == DHL else tuple(c + ("US",) for c in _US_CITIES)

        def pick(index: int) -> Place:
            return Place(*cities[digest[index] % len(cities)])

        origin = _place(self.origin) if self.origin else pick(0)
        destination = _place(self.destination) if self.destination else pick(3)
        return origin, pick(1), pick(2), destination

    def signer(self) -> str:
        digest = hashlib.sha256(f"signer:{self.number}".encode()).digest()
        return self.recipient or _NAMES[digest[0] % len(_NAMES)]

    def door_name(self) -> str:
        digest = hashlib.sha256(f"door:{self.number}".encode()).digest()
        return self.door or _DOOR[digest[0] % len(_DOOR)]

    def label_time(self) -> datetime:
        return self.shipped_at - timedelta(hours=2)

    def due(self) -> datetime:
        """When the carrier expects to deliver (the estimated delivery it shows)."""
        return self.shipped_at + timedelta(hours=self.transit_hours)


@dataclass
class Seed:
    shipments: list[Shipment] = field(default_factory=list)

    def by_number(self) -> dict[tuple[str, str], Shipment]:
        return {(s.carrier, s.number): s for s in self.shipments}


def milestones(shipment: Shipment, now: datetime) -> list[Milestone]:
    """The scans of ``shipment`` that have happened by ``now``, oldest first (empty: the
    carrier does not know the number yet)."""
    origin, origin_hub, destination_hub, destination = shipment.places()
    start = shipment.shipped_at
    transit = timedelta(hours=shipment.transit_hours)
    due = start + transit
    plan: list[Milestone] = [Milestone(shipment.label_time(), LABEL_CREATED, origin)]
    fate = shipment.fate
    if fate == CANCELLED:
        plan.append(Milestone(shipment.label_time() + timedelta(hours=22), LABEL_CANCELLED, origin))
    else:
        plan += [
            Milestone(start, PICKED_UP, origin),
            Milestone(start + transit / 4, DEPARTED, origin_hub),
            Milestone(start + transit / 2, ARRIVED, destination_hub),
        ]
        last_mile = due - timedelta(hours=8)
        if fate == STUCK:
            plan.append(
                Milestone(start + transit / 2 + timedelta(hours=6), HELD, destination_hub, "delay")
            )
        elif fate == PICKUP:
            plan += [
                Milestone(last_mile, READY_FOR_PICKUP, destination),
                Milestone(due + timedelta(hours=48), DELIVERED, destination),
            ]
        else:
            plan.append(Milestone(last_mile, OUT_FOR_DELIVERY, destination))
            if fate == DELIVERS:
                plan.append(Milestone(due, DELIVERED, destination))
            elif fate == EXCEPTION:
                plan += [
                    Milestone(due, ATTEMPT_FAILED, destination, "no access"),
                    Milestone(due + timedelta(hours=16), OUT_FOR_DELIVERY, destination),
                    Milestone(due + timedelta(hours=24), ATTEMPT_FAILED, destination, "no access"),
                ]
            elif fate == RETURNED:
                plan += [
                    Milestone(due, ATTEMPT_FAILED, destination, "refused"),
                    Milestone(due + timedelta(hours=24), RETURNING, destination),
                    Milestone(due + timedelta(days=7), RETURNED_TO_SENDER, origin),
                ]
    return [m for m in plan if m.time <= now]


# --- seeds ---------------------------------------------------------------------------------------


def load_seed(path: Path | str) -> Seed:
    """Read and check a seed file (raises SeedError naming the entry at fault)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SeedError(str(path), f"cannot be read ({error.strerror or error})") from None
    except ValueError as error:
        raise SeedError(str(path), f"is not JSON ({error})") from None
    return parse_seed(document, str(path))


def parse_seed(document: Any, name: str) -> Seed:
    if not isinstance(document, dict) or not isinstance(document.get("shipments"), list):
        raise SeedError(name, 'the seed must be a JSON object with a "shipments" list')
    shipments = []
    seen: set[tuple[str, str]] = set()
    for index, entry in enumerate(document["shipments"]):
        where = f"shipments[{index}]"
        shipment = _shipment(entry, where, name)
        key = (shipment.carrier, shipment.number)
        if key in seen:
            raise SeedError(name, f"{shipment.number} is listed twice", path=where)
        seen.add(key)
        shipments.append(shipment)
    return Seed(shipments)


def _shipment(entry: Any, where: str, name: str) -> Shipment:
    if not isinstance(entry, dict):
        raise SeedError(name, "a shipment must be a JSON object", path=where)
    carrier = entry.get("carrier")
    if carrier not in CARRIERS:
        raise SeedError(name, f"carrier must be one of {', '.join(CARRIERS)}", path=where)
    number = entry.get("number")
    if not isinstance(number, str) or not number.strip():
        raise SeedError(name, "number must be a non-empty string", path=where)
    shipped = entry.get("shipped_at")
    moment = None
    if isinstance(shipped, str):
        try:
            moment = datetime.fromisoformat(shipped.replace("Z", "+00:00"))
        except ValueError:
            moment = None
    if moment is None or moment.tzinfo is None:
        raise SeedError(name, "shipped_at must be an ISO time with a zone", path=where)
    transit = entry.get("transit_hours", 72)
    if isinstance(transit, bool) or not isinstance(transit, int) or not 9 <= transit <= 2000:
        raise SeedError(name, "transit_hours must be a whole number from 9 to 2000", path=where)
    fate = entry.get("fate", DELIVERS)
    if fate not in FATES:
        raise SeedError(name, f"fate must be one of {', '.join(FATES)}", path=where)
    texts: dict[str, str | None] = {}
    for key in ("service", "origin", "destination", "recipient", "door"):
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise SeedError(name, f"{key} must be a string", path=where)
        texts[key] = value
    for key in ("origin", "destination"):
        line = texts[key]
        if line is not None and len(line.split(",")) != 3:
            raise SeedError(name, f'{key} must read "City, Region, CC"', path=where)
    return Shipment(
        carrier=carrier,
        number="".join(number.split()).upper(),
        shipped_at=moment.astimezone(UTC),
        transit_hours=transit,
        fate=fate,
        **texts,
    )


def write_seed(seed: Seed, path: Path) -> Path:
    """Write ``seed`` as a seed file (the CLI's ``--seller`` keeps it beside the seller)."""
    document = {
        "shipments": [
            {
                k: (v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v)
                for k, v in asdict(s).items()
                if v is not None
            }
            for s in seed.shipments
        ]
    }
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    return path


def demo_seed(now: datetime, per_carrier: int = 12) -> Seed:
    """Parcels of every carrier at every stage and fate around ``now`` (no seller needed)."""
    from connectors.amazon.sandbox_data import tracking_number

    names = {UPS: "UPS", FEDEX: "FedEx", USPS: "USPS", DHL: "DHL"}
    start = now.astimezone(UTC).replace(microsecond=0)
    shipments = []
    for carrier in (UPS, FEDEX, USPS, DHL):
        for index in range(per_carrier):
            fate, hours_ago = _DEMO[index % len(_DEMO)]
            shipments.append(
                Shipment(
                    carrier=carrier,
                    number=tracking_number(names[carrier], f"demo-{carrier}-{index}"),
                    shipped_at=start - timedelta(hours=hours_ago),
                    transit_hours=72,
                    fate=fate,
                )
            )
    return Seed(shipments)


# (fate, hours since the pickup) of the demo's parcels, transit 72 h: every status once.
_DEMO = (
    (DELIVERS, -1),  # label created, pickup in an hour: pending
    (DELIVERS, 2),  # picked up
    (DELIVERS, 30),  # in transit
    (DELIVERS, 68),  # out for delivery
    (DELIVERS, 100),  # delivered
    (STUCK, 100),  # on hold at the destination hub
    (EXCEPTION, 100),  # two failed attempts
    (RETURNED, 120),  # on its way back
    (RETURNED, 300),  # back at the sender
    (PICKUP, 70),  # waiting at a pickup point
    (PICKUP, 150),  # collected
    (CANCELLED, 30),  # label voided
)


def seed_from_seller(directory: Path, now: datetime | None = None) -> Seed:
    """The parcels of a generated seller's shipped orders (UPS, FedEx, USPS and DHL; Amazon's
    own parcels are not at a carrier), with the same ship times and fates the SP-API sandbox
    gives them."""
    from connectors.amazon import sandbox_data as amazon

    moment = now or datetime.now(UTC)
    seller = amazon.load_seller(directory)
    names = {"UPS": UPS, "FedEx": FEDEX, "USPS": USPS, "DHL": DHL}
    fates = {amazon.STUCK_IN_TRANSIT: STUCK, amazon.RETURNED: RETURNED, amazon.DELIVERS: DELIVERS}
    shipments: dict[tuple[str, str], Shipment] = {}
    for order_id, lines in amazon.group_orders(seller.orders).items():
        for package in amazon.packages_json(order_id, lines, moment):
            carrier = names.get(package["carrier"])
            if carrier is None:
                continue
            shipped = datetime.fromisoformat(package["shipTime"].replace("Z", "+00:00"))
            shipment = Shipment(
                carrier=carrier,
                number=package["trackingNumber"],
                shipped_at=shipped,
                transit_hours=amazon.transit_hours(order_id),
                fate=fates[amazon.package_fate(order_id)],
                service=package.get("shippingService"),
                recipient=amazon.buyer_name(order_id).upper(),
            )
            shipments[(carrier, shipment.number)] = shipment
    return Seed(list(shipments.values()))


def numbers_of(seed: Seed, carriers: Iterable[str] = CARRIERS) -> dict[str, list[str]]:
    """The seeded numbers per carrier."""
    wanted = set(carriers)
    found: dict[str, list[str]] = {c: [] for c in wanted}
    for shipment in seed.shipments:
        if shipment.carrier in wanted:
            found[shipment.carrier].append(shipment.number)
    return found


def _place(line: str) -> Place:
    city, region, country = (part.strip() for part in line.split(","))
    return Place(city, region, "", country)
