"""Rows of one seller's order across the store, written the way the sync writes them."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from connectors.amazon.models import Source
from plugin.domain.claims import Claim
from plugin.domain.policy import RETURN_DISPUTED_GRADING, RETURN_NOT_RECEIVED, WAREHOUSE_LOST
from plugin.services.claim_store import claim_values, save_claims
from plugin.services.tracking import order_snapshots
from plugin.store import queries, tracking_queries
from plugin.store.models import (
    AuditEvent,
    RefundEventRecord,
    ReimbursementRecord,
    ReturnRecord,
    RowColumns,
)

NOW = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
AMAZON_ORDER = "112-1234567-7654321"
BUYER = "3k8x2m9q7w1zt5@marketplace.amazon.com"
TRACKING_NUMBER = "1Z999AA10123456784"
DEADLINE = NOW.date() + timedelta(days=10)  # of the refund claim: 10 days after NOW


def _bookkeeping(key: str, index: int = 0) -> dict[str, Any]:
    return {
        "row_hash": hashlib.sha256(f"{key}:{index}".encode()).hexdigest()[:32],
        "occurrence": 1,
        "copies": 1,
        "document_id": "test-doc",
        "source_file": "test.tsv",
        "source_line": index + 2,
        "ingested_at": NOW,
    }


def _add_rows(
    session: Session, installation_id: int, model: type[RowColumns], rows: list[dict[str, Any]]
) -> None:
    values = [{**_bookkeeping(f"{model.__name__}:{row}", i), **row} for i, row in enumerate(rows)]
    queries.upsert_rows(session, installation_id, model, values)


def order_document(
    order_id: str = AMAZON_ORDER,
    *,
    ship_time: str | None = "2026-09-02T08:00:00Z",
    marketplace_name: str = "Amazon.com",
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "orderId": order_id,
        "createdTime": "2026-09-01T22:30:00Z",
        "lastUpdatedTime": "2026-09-05T10:00:00Z",
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": "ATVPDKIKX0DER",
            "marketplaceName": marketplace_name,
        },
        "orderItems": [
            {"orderItemId": "1", "quantityOrdered": 1, "product": {"sellerSku": "MUG-1"}}
        ],
        "fulfillment": {"fulfillmentStatus": "SHIPPED", "fulfilledBy": "MERCHANT"},
    }
    if ship_time is not None:
        document["packages"] = [
            {
                "packageReferenceId": "1",
                "carrier": "UPS",
                "trackingNumber": TRACKING_NUMBER,
                "shipTime": ship_time,
                "packageStatus": {"status": "IN_TRANSIT", "detailedStatus": "AT_ORIGIN_FC"},
            }
        ]
    return document


def add_order(
    session: Session,
    installation_id: int,
    order_id: str = AMAZON_ORDER,
    *,
    buyer: str | None = BUYER,
    channel: str = "amazon",
    purchased_at: datetime = datetime(2026, 9, 1, 22, 30, tzinfo=UTC),
    document: dict[str, Any] | None = None,
) -> None:
    queries.upsert_orders(
        session,
        installation_id,
        [
            {
                "channel": channel,
                "order_id": order_id,
                "marketplace_id": "ATVPDKIKX0DER" if channel == "amazon" else None,
                "status": "SHIPPED",
                "purchased_at": purchased_at,
                "last_updated_at": purchased_at,
                "buyer_email": buyer,
                "data": document if document is not None else order_document(order_id),
            }
        ],
        NOW,
    )


def add_tracking(
    session: Session, installation_id: int, order_id: str = AMAZON_ORDER, *, fetched: datetime
) -> None:
    """The snapshot the sync stores from the order's packages, fetched at ``fetched``."""
    rows = order_snapshots(order_document(order_id), fetched)
    tracking_queries.upsert_snapshots(session, installation_id, rows)


def add_history(
    session: Session,
    installation_id: int,
    order_id: str = AMAZON_ORDER,
    *,
    deadline: date = DEADLINE,
) -> None:
    """A return graded sellable despite damage, a refund, a reimbursement, claims, a case."""
    _add_rows(
        session,
        installation_id,
        ReturnRecord,
        [
            {
                "return_date": date(2026, 9, 20),
                "order_id": order_id,
                "sku": "MUG-1",
                "asin": "B0CDEF1234",
                "fnsku": "X00AB12CD3",
                "quantity": 1,
                "fulfillment_center": "PHX7",
                "disposition": "SELLABLE",
                "reason": "DEFECTIVE",
                "status": "Unit returned to inventory",
                "license_plate_number": "LPN1",
            }
        ],
    )
    _add_rows(
        session,
        installation_id,
        RefundEventRecord,
        [
            {
                "order_id": order_id,
                "marketplace_name": "Amazon.com",
                "posted_date": date(2026, 9, 12),
                "items": [
                    {"sku": "MUG-1", "quantity": 1, "principal": "-19.99", "currency": "USD"}
                ],
                "identity": f"refund:{order_id}",
            }
        ],
    )
    _add_rows(
        session,
        installation_id,
        ReimbursementRecord,
        [
            {
                "approval_date": date(2026, 10, 30),
                "reimbursement_id": "R-77",
                "case_id": "C-9",
                "amazon_order_id": order_id,
                "reason": "CustomerReturn",
                "sku": "MUG-1",
                "fnsku": "X00AB12CD3",
                "asin": "B0CDEF1234",
                "currency": "USD",
                "amount_per_unit": Decimal("8.90"),
                "amount_total": Decimal("8.90"),
                "quantity_cash": 1,
                "quantity_inventory": 0,
                "quantity_total": 1,
                "original_reimbursement_id": "",
                "original_reimbursement_type": "",
            }
        ],
    )
    evidence = (Source("returns.tsv", 2),)
    save_claims(
        session,
        installation_id,
        [
            Claim(
                kind=RETURN_DISPUTED_GRADING,
                reference_id=order_id,
                sku="MUG-1",
                fnsku="X00AB12CD3",
                asin="B0CDEF1234",
                marketplace="US",
                quantity=1,
                event_date=date(2026, 9, 20),
                opens_on=None,
                deadline=None,
                status="review",
                estimated_amount=None,
                currency=None,
                valuation_basis=None,
                evidence=evidence,
            ),
            Claim(
                kind=RETURN_NOT_RECEIVED,
                reference_id=order_id,
                sku="MUG-1",
                fnsku="X00AB12CD3",
                asin="B0CDEF1234",
                marketplace="US",
                quantity=1,
                event_date=date(2026, 9, 12),
                opens_on=date(2026, 10, 27),
                deadline=deadline,
                status="claimable",
                estimated_amount=Decimal("19.99"),
                currency="USD",
                valuation_basis="refunded_principal",
                evidence=evidence,
            ),
        ],
        NOW - timedelta(days=5),
    )
    session.add(
        AuditEvent(
            installation_id=installation_id,
            at=NOW - timedelta(days=1),
            actor="agent:7",
            action="case_open",
            ticket_id=42,
            order_id=order_id,
            sku="MUG-1",
            summary="Opened case C-9",
            detail={"case_id": "C-9"},
            proof=None,
        )
    )


def add_warehouse_claim(session: Session, installation_id: int, sku: str, fnsku: str) -> None:
    """A lost-in-the-warehouse claim: its reference is an FNSKU's ledger event, not an order."""
    claim = Claim(
        kind=WAREHOUSE_LOST,
        reference_id=f"{fnsku}-2026-09-20",
        sku=sku,
        fnsku=fnsku,
        asin=None,
        marketplace="US",
        quantity=2,
        event_date=date(2026, 9, 20),
        opens_on=date(2026, 10, 20),
        deadline=date(2026, 11, 19),
        status="claimable",
        estimated_amount=Decimal("17.80"),
        currency="USD",
        valuation_basis="manufacturing_cost",
        evidence=(Source("ledger.tsv", 812),),
    )
    # Added beside the stored claims (save_claims would mark the others gone: a full run).
    values = {**claim_values(claim), "first_seen_at": NOW, "updated_at": NOW, "gone_at": None}
    queries.upsert_claims(session, installation_id, [values])
