"""Blueprint ``webhooks``: ``POST /webhooks/zendesk``, the triage trigger's endpoint.

The raw body is read before anything parses it (the signature covers the exact bytes). The
view answers at once: 202 after logging the delivery and enqueueing the triage job; 200
"already_received" for a delivery seen before (logged, nothing queued); or a 4xx naming the
refusal (also logged, with its reason, in ``webhook_deliveries``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify, request

from plugin.extensions import resources
from plugin.security.webhook import (
    BAD_SIGNATURE,
    MALFORMED,
    MISSING_SIGNATURE,
    NO_SECRET,
    REPLAY,
    UNKNOWN_ACCOUNT,
    WebhookRefused,
)
from plugin.services import triage

bp = Blueprint("webhooks", __name__)

SIGNATURE = "X-Zendesk-Webhook-Signature"
TIMESTAMP = "X-Zendesk-Webhook-Signature-Timestamp"
INVOCATION = "X-Zendesk-Webhook-Invocation-Id"
# Status per refusal: Zendesk retries 409 and 5xx only, so a bad delivery is not retried. A
# replay is answered 200 (see ``zendesk``), never 409: Zendesk would retry it, each retry
# refused again, and the failures count towards the webhook's circuit breaker.
STATUS = {
    MALFORMED: 400,
    UNKNOWN_ACCOUNT: 404,
    NO_SECRET: 403,
    MISSING_SIGNATURE: 401,
    BAD_SIGNATURE: 401,
}


def _now() -> datetime:
    return datetime.now(UTC)


@bp.post("/webhooks/zendesk")
def zendesk() -> tuple[Response, int]:
    """Verify, log and queue one delivery of the triage trigger."""
    length = request.content_length
    store = resources()
    if length is not None and length > triage.MAX_BODY:
        body = b"\0" * (triage.MAX_BODY + 1)  # refused as malformed without reading it all
    else:
        body = request.get_data(cache=False)
    with store.session() as session:
        try:
            receipt = triage.receive_delivery(
                session,
                store.keyring,
                body=body,
                signature=request.headers.get(SIGNATURE),
                timestamp=request.headers.get(TIMESTAMP),
                now=_now(),
                invocation=request.headers.get(INVOCATION),
            )
        except WebhookRefused as refused:
            session.commit()  # the refusal's log row
            if refused.reason == REPLAY:
                # Most often Zendesk's own retry of a delivery whose 202 it did not see: the
                # first is queued already, so this one succeeds without doing anything.
                return jsonify(status="already_received", message=refused.detail), 200
            status = STATUS.get(refused.reason, 401)
            return jsonify(error=refused.reason, message=refused.detail), status
        session.commit()
    job_id = triage.enqueue_triage(store.redis, receipt)
    return jsonify(status="accepted", job=job_id, orders_linked=receipt.linked), 202
