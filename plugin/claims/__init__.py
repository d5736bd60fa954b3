"""Blueprint ``claims``: the reimbursements view and its JSON API.

``POST /claims/`` is the Zendesk ``nav_bar`` location (a signed launch); ``GET /claims/?token=``
is the same page standalone, with an app token (``claimdesk claims-link NAME`` prints one).
``/api/v1/claims…`` and ``/api/v1/cases…`` are the JSON calls the page's script makes.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("claims", __name__)

from plugin.claims import api, views  # noqa: E402,F401  (routes register on bp)
