"""Blueprint ``audit``: agents' actions recorded from the sidebar, and an order's dossier.

- ``POST /api/v1/audit/reply-insert``: the sidebar inserted a tracking link into the reply
  (``{"ticket_id", "order_id", "tracking_number", "carrier"?, "channel"?}``). Recorded as
  ``reply_insert`` by ``agent:<user id>`` (from the app token), with the tracking snapshot as
  it stood as proof. 201 with the event's id; 404 when this installation's order has no
  such parcel (the proof must exist: an event never names a parcel we do not hold).
- ``GET /api/v1/orders/<order_id>/dossier``: the order's A-to-z dossier as a zip
  (``?token=`` for the download link, ``?channel=`` when two channels share the id,
  ``?locale=``). 404 for an order this installation does not have: never another's.

The installation is always the app token's; nothing in the request chooses it. There is no
route that changes or deletes an audit event.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_file
from werkzeug.exceptions import BadRequest, NotFound

from plugin import i18n
from plugin.extensions import resources
from plugin.security.web import app_token_required, current_identity
from plugin.services import audit, dossier
from plugin.store import tracking_queries

bp = Blueprint("audit", __name__)

MAX_TEXT = 200


def _now() -> datetime:
    return datetime.now(UTC)


@bp.post("/api/v1/audit/reply-insert")
@app_token_required
def reply_insert() -> tuple[Response, int]:
    """Record that the agent inserted a parcel's tracking into a reply."""
    values = request.get_json(silent=True)
    if not isinstance(values, dict):
        raise BadRequest("send a JSON object (Content-Type: application/json)")
    ticket_id = _ticket_id(values.get("ticket_id"))
    order_id = _text(values, "order_id", required=True, limit=64)
    channel = _text(values, "channel", required=False, limit=20) or None
    carrier = _text(values, "carrier", required=False, limit=40)
    number = _text(values, "tracking_number", required=True, limit=64)
    identity = current_identity()
    now = _now()
    with resources().session() as session:
        snapshot = next(
            (
                found
                for found in tracking_queries.snapshots_for_orders(
                    session, identity.installation_id, [order_id]
                )
                if found.tracking_number == number
            ),
            None,
        )
        if snapshot is None:
            raise NotFound("this order has no parcel with this tracking number")
        proof = dossier.snapshot_document(snapshot)
        event = audit.record(
            session,
            identity.installation_id,
            actor=identity.actor,
            action=audit.REPLY_INSERT,
            summary=f"Inserted tracking {snapshot.carrier} {number} into the reply",
            ticket_id=ticket_id,
            order_id=order_id,
            asin=dossier.single_asin(session, identity.installation_id, order_id, channel),
            detail={
                "carrier": snapshot.carrier,
                "tracking_number": number,
                "channel": channel,
                "shown_as": carrier or None,
            },
            proof={"tracking_snapshot": proof},
            now=now,
        )
        event_id = event.id  # committed when the block ends
    return jsonify({"id": event_id, "at": now.isoformat()}), 201


@bp.get("/api/v1/orders/<order_id>/dossier")
@app_token_required
def order_dossier(order_id: str) -> Response:
    """The order's dossier zip (dossier.html, dossier.json, SCHEMA.md)."""
    if not 0 < len(order_id) <= 64:
        raise BadRequest("the order id is 1 to 64 characters")
    channel = request.args.get("channel") or None
    locale = i18n.locale_of(request.args.get("locale"))
    identity = current_identity()
    found = resources()
    with found.session() as session:
        try:
            data = dossier.build_dossier(
                session,
                found.keyring,
                identity.installation_id,
                order_id,
                _now(),
                channel=channel,
                locale=locale,
            )
        except dossier.OrderNotFound:
            raise NotFound("no such order for this installation") from None
        except dossier.DossierError as error:
            raise BadRequest(str(error)) from None
    response = send_file(
        io.BytesIO(data),
        mimetype="application/zip",
        as_attachment=True,
        download_name=dossier.file_name(order_id),
    )
    response.headers["Cache-Control"] = "no-store"  # customer data
    return response


def _ticket_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit() or not 0 < int(text) < 2**63:
        raise BadRequest("ticket_id must be a positive whole number")
    return int(text)


def _text(values: dict[str, Any], name: str, *, required: bool, limit: int = MAX_TEXT) -> str:
    value = values.get(name)
    if value is None or value == "":
        if required:
            raise BadRequest(f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be text")
    text = value.strip()
    if len(text) > limit or re.search(r"[\x00-\x1f\x7f]", text):
        raise BadRequest(f"{name} must be at most {limit} printable characters")
    return text
