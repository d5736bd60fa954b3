"""A slow, second reading of spec §1-3 over a generated folder: the generator's own check.

It is not the engine and shares no code with it or with the generator's answer key: it reads
the files as they are on disk (any layout, gzip, BOM, cp1252), nets and values them by the
spec's words, and returns claims in the shape of ``.planted/claims.json``. When it agrees with
the planted claims, the scenarios say what they mean and the background made no claim.
Only what the generator writes is supported (no online-view ledger, no order reversals
without their original).
"""

from __future__ import annotations

import calendar
import csv
import gzip
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

EUROPE = {"GB", "DE", "FR", "IT", "ES", "NL", "BE", "IE", "SE", "PL", "AT"}
CURRENCY = {"US": "USD", "GB": "GBP", "DE": "EUR", "FR": "EUR"}
CHANNELS = {"amazon.com": "US", "amazon.co.uk": "GB", "amazon.de": "DE", "amazon.fr": "FR"}
FLAG_REASONS = {"DEFECTIVE", "DAMAGED_BY_FC", "DAMAGED_BY_CARRIER", "QUALITY_UNACCEPTABLE",
                "MISSING_PARTS", "SWITCHEROO"}  # fmt: skip

Row = dict[str, str]


@dataclass
class Folder:
    """Rows of each kind, merged across files (spec §1: max count over the files)."""

    ledger: list[Row] = field(default_factory=list)
    reimbursements: list[Row] = field(default_factory=list)
    returns: list[Row] = field(default_factory=list)
    orders: list[Row] = field(default_factory=list)
    costs: list[Row] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def decode(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def normalize(column: str) -> str:
    text = column.strip().strip('"').strip().lower()
    for char in (" ", "_", "/"):
        text = text.replace(char, "-")
    while "--" in text:
        text = text.replace("--", "-")
    return text


def read_folder(folder: Path) -> Folder:
    counts: dict[str, list[Counter[Any]]] = defaultdict(list)
    values: dict[Any, Any] = {}
    result = Folder()
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        text = decode(path)
        keys: Counter[Any] = Counter()
        if text.lstrip().startswith("{"):
            kind, entries = _json_entries(json.loads(text))
            for entry in entries:
                key: Any = (kind, json.dumps(entry, sort_keys=True))
                values[key] = entry
                keys[key] += 1
        else:
            kind, rows = _table(text)
            for row in rows:
                key = (kind, tuple(sorted(row.items())))
                values[key] = row
                keys[key] += 1
        if kind is None:
            result.skipped.append(path.name)
            continue
        counts[kind].append(keys)
    for kind, files in counts.items():
        merged: Counter[Any] = Counter()
        for keys in files:
            for key, count in keys.items():
                merged[key] = max(merged[key], count)
        target = getattr(result, kind)
        for key in sorted(merged, key=str):
            target.extend([values[key]] * merged[key])
    return result


def _json_entries(document: Any) -> tuple[str | None, list[Any]]:
    payload = document.get("payload", document)
    events = payload.get("FinancialEvents", payload)
    if "RefundEventList" in events:
        return "refunds", events["RefundEventList"]
    if "ShipmentData" in payload:
        return "shipments", payload["ShipmentData"]
    if "ItemData" in payload:
        return "items", payload["ItemData"]
    return None, []


def _table(text: str) -> tuple[str | None, list[Row]]:
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if "\t" in first else ",")
    header = [normalize(c) for c in next(reader, [])]
    names = set(header)
    if {"fnsku", "event-type", "reference-id"} <= names:
        kind = "ledger"
    elif "reimbursement-id" in names:
        kind = "reimbursements"
    elif {"detailed-disposition", "license-plate-number"} <= names:
        kind = "returns"
        header = ["order-id" if c == "amazon-order-id" else c for c in header]
    elif {"amazon-order-id", "purchase-date", "item-price"} <= names:
        kind = "orders"
    elif header == ["sku", "unit-cost", "currency"]:
        kind = "costs"
    else:
        return None, []
    return kind, [dict(zip(header, (v.strip() for v in r), strict=True)) for r in reader if r]


# -- claims ---------------------------------------------------------------------------------


def market(value: str | None) -> str | None:
    if not value:
        return None
    if value.lower() in CHANNELS:
        return CHANNELS[value.lower()]
    return "GB" if value.upper() == "UK" else value.upper()


def us_date(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def iso_date(text: str) -> date:
    return date.fromisoformat(text[:10])


def add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window(kind: str, marketplace: str | None, event: date) -> tuple[date, date]:
    if kind in ("warehouse_lost", "warehouse_damaged"):
        late = event >= date(2024, 10, 23)
        deadline = event + timedelta(days=60) if late else add_months(event, 18)
        return event + timedelta(days=30), deadline
    if kind == "inbound_shortage":
        return event + timedelta(days=15), event + timedelta(days=180)
    if marketplace in EUROPE:
        return event + timedelta(days=45), event + timedelta(days=105)
    return event + timedelta(days=60), event + timedelta(days=120)


def money(quantity: int, unit: Fraction, marketplace: str | None) -> str:
    if marketplace == "US":
        unit = min(unit, Fraction(5000))
    value = quantity * unit * 100
    cents = int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))
    return f"{cents // 100}.{cents % 100:02d}"


@dataclass
class Loss:
    kind: str
    day: date
    reference: str
    sku: str
    fnsku: str
    country: str
    units: int
    cap: int | None
    order: int


def find_claims(folder: Folder, as_of: date) -> list[dict[str, Any]]:
    catalogue = {r["msku"]: (r["fnsku"], r["asin"]) for r in folder.ledger}
    costs = {r["sku"]: (Fraction(r["unit-cost"]), r["currency"]) for r in folder.costs}
    sums: defaultdict[tuple[str, str], Fraction] = defaultdict(Fraction)
    units: Counter[tuple[str, str]] = Counter()
    channels: dict[str, str] = {}
    for r in folder.orders:
        channels.setdefault(r["amazon-order-id"], r["sales-channel"])
        if int(r["quantity"]) > 0 and r["item-price"] and r["item-status"] != "Cancelled":
            sums[(r["sku"], r["currency"])] += Fraction(r["item-price"])
            units[(r["sku"], r["currency"])] += int(r["quantity"])
    reimbursements = _effective_reimbursements(folder.reimbursements)

    def inventory_value(sku: str, mp: str | None, qty: int) -> tuple[Any, Any, Any]:
        if sku in costs:
            cost, cost_currency = costs[sku]
            return money(qty, cost, mp), cost_currency, "manufacturing_cost"
        currency = CURRENCY.get(mp or "")
        if currency and units[(sku, currency)]:
            average = sums[(sku, currency)] / units[(sku, currency)]
            return money(qty, average, mp), currency, "sale_price_estimate"
        return None, None, "unknown"

    claims: list[dict[str, Any]] = []

    def add(kind: str, ref: str, sku: str, mp: str | None, qty: int, event: date | None,
            value: tuple[Any, Any, Any], reason: str | None = None) -> None:  # fmt: skip
        opens = deadline = None
        if kind == "return_disputed_grading":
            status = "review"
        elif event is None:
            status = "waiting"
        else:
            opens, deadline = window(kind, mp, event)
            status = "waiting" if as_of < opens else "expired" if as_of > deadline else "claimable"
        fnsku, asin = catalogue.get(sku, (None, None))
        claims.append({
            "kind": kind, "reference_id": ref, "sku": sku, "fnsku": fnsku, "asin": asin,
            "marketplace": mp, "quantity": qty, "event_date": _iso(event),
            "opens_on": _iso(opens), "deadline": _iso(deadline), "status": status,
            "estimated_amount": value[0], "currency": value[1], "valuation_basis": value[2],
            "status_reason": reason,
        })  # fmt: skip

    for loss_kind, reasons, offset_reason in (
        ("warehouse_lost", ("M", "5"), "Lost_Warehouse"),
        ("warehouse_damaged", ("E",), "Damaged_Warehouse"),
    ):
        for loss in _net_warehouse(folder, reimbursements, loss_kind, reasons, offset_reason):
            mp = market(loss.country)
            add(loss_kind, loss.reference, loss.sku, mp, loss.units, loss.day,
                inventory_value(loss.sku, mp, loss.units))  # fmt: skip
    for ref, sku, mp, qty, event in _net_inbound(folder, reimbursements):
        reason = None if event else "undated"
        add("inbound_shortage", ref, sku, mp, qty, event, inventory_value(sku, mp, qty), reason)
    _order_claims(folder, reimbursements, channels, add)
    claims.sort(key=lambda c: (c["kind"], c["reference_id"], c["sku"]))
    return claims


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass
class Paid:
    """A reimbursement row; ``units`` after reversals (a reversal's: the units it re-opens)."""

    day: date
    reason: str
    sku: str
    fnsku: str
    order: str
    units: int
    original_type: str


def _effective_reimbursements(rows: list[Row]) -> list[Paid]:
    """Reimbursements with reversals applied to their originals when present."""
    out = [
        Paid(iso_date(r["approval-date"]), r["reason"], r["sku"], r["fnsku"],
             r["amazon-order-id"], int(r["quantity-reimbursed-total"]),
             r["original-reimbursement-type"])
        for r in rows
    ]  # fmt: skip
    by_id = {
        r["reimbursement-id"]: paid
        for r, paid in zip(rows, out, strict=True)
        if r["reason"] != "Reimbursement_Reversal"
    }
    for r, paid in zip(rows, out, strict=True):
        if r["reason"] == "Reimbursement_Reversal":
            back = -paid.units
            original = by_id.get(r["original-reimbursement-id"])
            if original is not None:
                original.units = max(0, original.units - back)
                paid.units = 0
            else:
                paid.units = back  # re-opens this many units
    return out


def _net_warehouse(folder: Folder, reimbursements: list[Paid], kind: str,
                   reasons: tuple[str, ...], offset_reason: str) -> list[Loss]:  # fmt: skip
    losses: dict[str, list[Loss]] = defaultdict(list)
    offsets: dict[str, list[tuple[date, int, int, str]]] = defaultdict(list)  # day, rank, units
    for n, r in enumerate(folder.ledger):
        if r["event-type"] != "Adjustments":
            continue
        qty = int(r["quantity"])
        if r["reason"] in reasons and qty < 0:
            cap = abs(int(r["unreconciled-quantity"])) if r["unreconciled-quantity"] else None
            losses[r["fnsku"]].append(
                Loss(
                    kind,
                    us_date(r["date"]),
                    r["reference-id"],
                    r["msku"],
                    r["fnsku"],
                    r["country"],
                    -qty,
                    cap,
                    n,
                )
            )
        elif kind == "warehouse_lost" and r["reason"] == "F" and qty > 0:
            offsets[r["fnsku"]].append((us_date(r["date"]), 0, qty, "found"))
    for pay in reimbursements:
        if pay.reason == offset_reason and pay.units > 0:
            offsets[pay.fnsku].append((pay.day, 1, pay.units, "paid"))
        elif pay.reason == "Reimbursement_Reversal" and pay.original_type == (
            offset_reason) and pay.units > 0:  # fmt: skip
            offsets[pay.fnsku].append((pay.day, 1, pay.units, "reopen"))
    remaining: list[Loss] = []
    for fnsku, rows in losses.items():
        rows.sort(key=lambda loss: (loss.day, loss.order))
        open_units = [loss.units for loss in rows]
        closed_by_payment: list[int] = []
        for day, _, count, what in sorted(offsets.get(fnsku, []), key=lambda o: o[:2]):
            for _ in range(count):
                if what == "reopen":
                    if closed_by_payment:
                        open_units[closed_by_payment.pop()] += 1
                    continue
                index = next((i for i, loss in enumerate(rows)
                              if open_units[i] > 0 and loss.day <= day), None)  # fmt: skip
                if index is not None:
                    open_units[index] -= 1
                    if what == "paid":
                        closed_by_payment.append(index)
        grouped: dict[tuple[str, str], Loss] = {}
        for loss, units in zip(rows, open_units, strict=True):
            units = min(units, loss.cap) if loss.cap is not None else units
            if units <= 0:
                continue
            key = (loss.reference, loss.sku)
            if key in grouped:
                grouped[key].units += units
            else:
                grouped[key] = Loss(kind, loss.day, loss.reference, loss.sku, fnsku,
                                    loss.country, units, None, loss.order)  # fmt: skip
        remaining.extend(grouped.values())
    return remaining


def _net_inbound(folder: Folder, reimbursements: list[Paid]
                 ) -> list[tuple[str, str, str | None, int, date | None]]:  # fmt: skip
    status = {s["ShipmentId"]: s["ShipmentStatus"] for s in folder.shipments}
    clock: dict[str, tuple[date, str]] = {}
    for r in folder.ledger:
        if r["event-type"] == "Receipts":
            day = us_date(r["date"])
            if r["reference-id"] not in clock or day > clock[r["reference-id"]][0]:
                clock[r["reference-id"]] = (day, r["country"])
    shortages: defaultdict[str, list[list[Any]]] = defaultdict(list)  # sku -> [ref, clock, units]
    per_item: Counter[tuple[str, str]] = Counter()
    for item in folder.items:
        if status.get(item["ShipmentId"]) == "CLOSED":
            key = (item["ShipmentId"], item["SellerSKU"])
            per_item[key] += item["QuantityShipped"] - item["QuantityReceived"]
    for (ref, sku), short in per_item.items():
        if short > 0:
            shortages[sku].append([ref, clock.get(ref), short])
    for pay in sorted(reimbursements, key=lambda pay: pay.day):
        if pay.reason not in ("Lost_Inbound", "Damaged_Inbound"):
            continue
        for _ in range(pay.units):
            dated = sorted((s for s in shortages[pay.sku] if s[1] and s[2] > 0
                            and s[1][0] <= pay.day), key=lambda s: s[1][0])  # fmt: skip
            undated = [s for s in shortages[pay.sku] if not s[1] and s[2] > 0]
            target = dated[0] if dated else undated[0] if undated else None
            if target is not None:
                target[2] -= 1
    return [
        (ref, sku, market(when[1]) if when else None, units, when[0] if when else None)
        for sku, rows in shortages.items()
        for ref, when, units in rows
        if units > 0
    ]


def _order_claims(folder: Folder, reimbursements: list[Paid],
                  channels: dict[str, str], add: Any) -> None:  # fmt: skip
    refunded: Counter[tuple[str, str]] = Counter()
    principal: defaultdict[tuple[str, str], Fraction] = defaultdict(Fraction)
    first: dict[tuple[str, str], tuple[str, str | None, str]] = {}
    for event in folder.refunds:
        posted = event["PostedDate"][:10]
        for item in event["ShipmentItemAdjustmentList"]:
            key = (event["AmazonOrderId"], item["SellerSKU"])
            refunded[key] += item["QuantityShipped"]
            for charge in item["ItemChargeAdjustmentList"]:
                if charge["ChargeType"] == "Principal":
                    principal[key] += Fraction(str(charge["ChargeAmount"]["CurrencyAmount"]))
                    currency = charge["ChargeAmount"]["CurrencyCode"]
            if key not in first or posted < first[key][0]:
                first[key] = (posted, event.get("MarketplaceName"), currency)
    returned: Counter[tuple[str, str]] = Counter()
    damaged: Counter[tuple[str, str]] = Counter()
    damaged_first: dict[tuple[str, str], str] = {}
    flags: Counter[tuple[str, str]] = Counter()
    flag_first: dict[tuple[str, str], str] = {}
    for row in folder.returns:
        key, day = (row["order-id"], row["sku"]), row["return-date"][:10]
        returned[key] += int(row["quantity"])
        if row["detailed-disposition"] in ("DAMAGED", "CARRIER_DAMAGED"):
            damaged[key] += int(row["quantity"])
            damaged_first[key] = min(day, damaged_first.get(key, day))
        if row["detailed-disposition"] == "SELLABLE" and row["reason"] in FLAG_REASONS:
            flags[key] += int(row["quantity"])
            flag_first[key] = min(day, flag_first.get(key, day))
    paid: Counter[tuple[str, str]] = Counter()
    for pay in reimbursements:
        if pay.order and pay.reason != "Reimbursement_Reversal":
            paid[(pay.order, pay.sku)] += pay.units
    for key in sorted(set(refunded) | set(damaged)):
        order, sku = key
        not_back = max(0, refunded[key] - returned[key])
        k3 = max(0, not_back - paid[key])
        left = max(0, paid[key] - not_back)
        k4 = max(0, damaged[key] - left)
        if key in first:
            posted, name, currency = first[key]
            mp = market(name) or market(channels.get(order))
            unit = abs(principal[key]) / refunded[key]
            refund_day = date.fromisoformat(posted)
            for kind, qty in (("return_not_received", k3), ("return_damaged_by_amazon", k4)):
                if qty > 0:
                    add(kind, order, sku, mp, qty, refund_day,
                        (money(qty, unit, mp), currency, "refunded_principal"))  # fmt: skip
        elif k4 > 0:
            mp = market(channels.get(order))
            add("return_damaged_by_amazon", order, sku, mp, k4,
                date.fromisoformat(damaged_first[key]), (None, None, "unknown"))  # fmt: skip
    for (order, sku), qty in sorted(flags.items()):
        add("return_disputed_grading", order, sku, market(channels.get(order)), qty,
            date.fromisoformat(flag_first[(order, sku)]), (None, None, None))  # fmt: skip
