"""The reimbursements view's JSON API (``docs/claims-api.md``); the page's script uses it.

Every call needs an app token (``Authorization: Bearer``, or ``?token=`` for downloads); the
installation comes from that token, never from the request. Errors are JSON:
``{"error": code, "status": n, "message": text}``: 400 for bad input, 404 for an unknown claim
or case, 409 when the action conflicts with a case's state.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from flask import Response, jsonify, request, send_file

from plugin.claims import bp
from plugin.claims.views import today
from plugin.domain import casetext
from plugin.errors import PluginError
from plugin.extensions import resources
from plugin.security.web import app_token_required, current_identity
from plugin.services import cases as case_service
from plugin.services import claims_view, evidence
from plugin.services.claims_view import ClaimKey, ClaimsViewError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_CLAIMS = 200  # claims in one case, one workbook


class BadRequest(PluginError):
    status = 400


def _now() -> datetime:
    return datetime.now(UTC)


@bp.errorhandler(ClaimsViewError)
@bp.errorhandler(case_service.CaseError)
@bp.errorhandler(evidence.EvidenceError)
@bp.errorhandler(BadRequest)
def _refused(error: PluginError) -> tuple[Response, int]:
    status = int(getattr(error, "status", 400))
    body: dict[str, Any] = {
        "error": _code(type(error).__name__),
        "status": status,
        "message": str(error),
    }
    existing = getattr(error, "existing", None)
    if existing is not None:
        body["case_id"] = existing
    return jsonify(body), status


def _code(name: str) -> str:
    """``CaseAlreadyOpen`` -> ``case_already_open``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _installation() -> int:
    return current_identity().installation_id


def _language() -> str:
    """The case text's or workbook's language: every one they are written in (zh-cn too,
    though the page itself speaks en and fr only)."""
    language = (request.args.get("lang") or "en").strip().lower()
    if language not in casetext.LANGUAGES:
        raise BadRequest(f"lang must be one of {', '.join(casetext.LANGUAGES)}, not {language!r}")
    return language


def _keys(first: str) -> list[ClaimKey]:
    """The claim in the path plus any ``?also=KEY`` of the same SKU and kind."""
    texts = [first, *request.args.getlist("also")]
    if len(texts) > MAX_CLAIMS:
        raise BadRequest(f"at most {MAX_CLAIMS} claims at once, not {len(texts)}")
    return [claims_view.parse_key(text) for text in texts]


def _body() -> dict[str, Any]:
    found = request.get_json(silent=True)
    if not isinstance(found, dict):
        raise BadRequest("send a JSON object (Content-Type: application/json)")
    return found


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} is required, as text")
    return value


# --- claims -------------------------------------------------------------------------------


@bp.get("/api/v1/claims")
@app_token_required
def list_claims() -> Response:
    """A page of claims: filters ``kind``, ``status``, ``q``, ``within``, ``case``; paging."""
    filters = claims_view.read_filter(request.args)
    page, per_page = claims_view.read_paging(request.args)
    with resources().session() as session:
        found = claims_view.list_claims(
            session, _installation(), filters, today(), page=page, per_page=per_page
        )
    return jsonify(found.to_json())


@bp.get("/api/v1/claims/summary")
@app_token_required
def summary() -> Response:
    """The summary cards and the monthly recovered / missed series."""
    day = today()
    with resources().session() as session:
        cards = claims_view.summarize(session, _installation(), day)
        series = claims_view.monthly_series(session, _installation(), day)
    return jsonify({**cards.to_json(), "monthly": series.to_json()})


@bp.get("/api/v1/claims/<path:key>/case-text")
@app_token_required
def case_text(key: str) -> Response:
    """Step 2 of the wizard: the case text, Seller Central link and attachment checklist."""
    keys, language = _keys(key), _language()
    with resources().session() as session:
        wizard = claims_view.prepare_wizard(session, _installation(), keys, today(), language)
    return jsonify(wizard.to_json())


@bp.get("/api/v1/claims/<path:key>/workbook")
@app_token_required
def workbook(key: str) -> Response:
    """Step 1 of the wizard: the evidence workbook (.xlsx) of the claim(s)."""
    keys, language = _keys(key), _language()
    with resources().session() as session:
        ids = claims_view.claim_ids(session, _installation(), keys)
        data = evidence.build_workbook(session, _installation(), ids, language)
    kind, _, sku = keys[0]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"claim-{kind}-{sku}").strip("-")[:120]
    response = send_file(
        io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name=f"{name}.xlsx"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- cases --------------------------------------------------------------------------------


@bp.get("/api/v1/cases")
@app_token_required
def list_cases() -> Response:
    """Cases (``?status=open|reimbursed|closed``) with the reimbursement totals."""
    status = request.args.get("status") or None
    with resources().session() as session:
        found = case_service.list_cases(session, _installation(), status=status)
        totals = case_service.reimbursement_totals(session, _installation())
    return jsonify({"cases": [case.to_json() for case in found], "totals": totals.to_json()})


@bp.post("/api/v1/cases")
@app_token_required
def open_case() -> tuple[Response, int]:
    """Open a case for claims of one SKU and kind: ``{claims: [KEY…], amazon_case_id?}``."""
    body = _body()
    texts = body.get("claims")
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise BadRequest("claims must be a non-empty list of claim keys KIND:REFERENCE:SKU")
    if len(texts) > MAX_CLAIMS:
        raise BadRequest(f"at most {MAX_CLAIMS} claims in one case, not {len(texts)}")
    amazon = body.get("amazon_case_id")
    if amazon is not None and not isinstance(amazon, str):
        raise BadRequest("amazon_case_id must be text")
    keys = [claims_view.parse_key(text) for text in texts]
    with resources().session() as session:
        found = case_service.open_case(
            session,
            _installation(),
            keys,
            actor=current_identity().actor,
            now=_now(),
            amazon_case_id=amazon or None,
        )
    return jsonify(found.to_json()), 201


@bp.post("/api/v1/cases/<int:case_id>/case-id")
@app_token_required
def record_case_id(case_id: int) -> Response:
    """Record the case ID Seller Central gave: ``{amazon_case_id}``."""
    amazon = _text(_body(), "amazon_case_id")
    with resources().session() as session:
        found = case_service.record_case_id(
            session, _installation(), case_id, amazon, actor=current_identity().actor, now=_now()
        )
    return jsonify(found.to_json())


@bp.post("/api/v1/cases/<int:case_id>/close")
@app_token_required
def close_case(case_id: int) -> Response:
    """Close an open case without reimbursement: ``{reason}``."""
    reason = _text(_body(), "reason")
    with resources().session() as session:
        found = case_service.close_case(
            session, _installation(), case_id, reason, actor=current_identity().actor, now=_now()
        )
    return jsonify(found.to_json())


@bp.delete("/api/v1/cases/<int:case_id>")
@app_token_required
def delete_case(case_id: int) -> Response:
    """Delete a case recorded by mistake; its claims are free again, as they were."""
    with resources().session() as session:
        case_service.delete_case(
            session, _installation(), case_id, actor=current_identity().actor, now=_now()
        )
    return jsonify({"deleted": case_id})
