"""Our requests and the sandbox's answers, checked against Amazon's official SP-API models.

The models (github amzn/selling-partner-api-models) reach us through PyPI ``amzn-sp-api``:
Amazon's SDK, generated from those model files (Reports 2021-06-30, Finances v0, Fulfillment
Inbound v0, Orders 2026-01-01 are all in it). Its API methods carry each operation's parameter
names, types and usage plan; its model classes refuse a missing required field or an unknown
enum value. So, for every request our client sends to the sandbox:

1. the same call is made with the official SDK, whose method refuses a parameter the
   operation does not have; both requests must reach the sandbox identical (path, query,
   JSON body), and the SDK must get its LWA token from the sandbox like ours did;
2. the sandbox's answer is deserialized with the SDK's models (required fields, enums,
   date-times), then serialized back: it must equal the JSON the sandbox sent, so the sandbox
   sends no field the model does not define;
3. error answers deserialize as each API's ``ErrorList``;
4. ``ratelimit.RATE_PLANS`` equals the usage-plan tables in the SDK's operation docs.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import dateutil  # noqa: F401 - the SDK parses date-times with it; without it, it skips them
import pytest
from amazon_support import SHIPMENT_STATUSES, client_for, running, small_seller

from connectors.amazon.client import AmazonClient
from connectors.amazon.ratelimit import RATE_PLANS
from connectors.amazon.sandbox import AmazonSandbox, RecordedRequest


def _import_sdk() -> SimpleNamespace:
    """Import the SDK without letting it reconfigure logging (it calls basicConfig)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from spapi import SPAPIClient, SPAPIConfig
        from spapi.api.finances_v0.finances_v0_api import FinancesV0Api
        from spapi.api.fulfillment_inbound_v0.fba_inbound_v0_api import FbaInboundV0Api
        from spapi.api.orders_v2026_01_01.get_order_api import GetOrderApi
        from spapi.api.orders_v2026_01_01.search_orders_api import SearchOrdersApi
        from spapi.api.reports_v2021_06_30.reports_api import ReportsApi
        from spapi.models.reports_v2021_06_30 import CreateReportSpecification
        from spapi.rest import ApiException
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return SimpleNamespace(
        SPAPIClient=SPAPIClient,
        SPAPIConfig=SPAPIConfig,
        ApiException=ApiException,
        CreateReportSpecification=CreateReportSpecification,
        apis={
            "reports": ReportsApi,
            "finances": FinancesV0Api,
            "inbound": FbaInboundV0Api,
            "search_orders": SearchOrdersApi,
            "get_order": GetOrderApi,
        },
    )


SDK = _import_sdk()

# operationId -> (SDK API, method, path template, models package)
OPERATIONS: dict[str, tuple[str, str, str, str]] = {
    "createReport": (
        "reports", "create_report", "/reports/2021-06-30/reports", "reports_v2021_06_30"
    ),
    "getReport": (
        "reports", "get_report", "/reports/2021-06-30/reports/{reportId}", "reports_v2021_06_30"
    ),
    "cancelReport": (
        "reports", "cancel_report", "/reports/2021-06-30/reports/{reportId}", "reports_v2021_06_30"
    ),
    "getReportDocument": (
        "reports", "get_report_document", "/reports/2021-06-30/documents/{reportDocumentId}",
        "reports_v2021_06_30",
    ),
    "listFinancialEvents": (
        "finances", "list_financial_events", "/finances/v0/financialEvents", "finances_v0"
    ),
    "getShipments": (
        "inbound", "get_shipments", "/fba/inbound/v0/shipments", "fulfillment_inbound_v0"
    ),
    "getShipmentItemsByShipmentId": (
        "inbound", "get_shipment_items_by_shipment_id",
        "/fba/inbound/v0/shipments/{shipmentId}/items", "fulfillment_inbound_v0",
    ),
    "getShipmentItems": (
        "inbound", "get_shipment_items", "/fba/inbound/v0/shipmentItems", "fulfillment_inbound_v0"
    ),
    "searchOrders": (
        "search_orders", "search_orders", "/orders/2026-01-01/orders", "orders_v2026_01_01"
    ),
    "getOrder": (
        "get_order", "get_order", "/orders/2026-01-01/orders/{orderId}", "orders_v2026_01_01"
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def seller_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_seller(tmp_path_factory.mktemp("seller"))


@pytest.fixture
def sandbox(seller_dir: Path) -> Iterator[AmazonSandbox]:
    yield from running(seller_dir, time_scale=1.0, page_size=2)


@pytest.fixture
def client(sandbox: AmazonSandbox) -> Iterator[AmazonClient]:
    with client_for(sandbox) as made:
        yield made


def sdk_client(sandbox: AmazonSandbox) -> Any:
    """The official SDK's ApiClient, its LWA and SP-API endpoints on the sandbox."""
    config = SDK.SPAPIConfig(
        client_id=sandbox.credentials.client_id,
        client_secret=sandbox.credentials.client_secret,
        refresh_token=sandbox.credentials.refresh_token,
        region="NA",
    )
    made = SDK.SPAPIClient(
        config, oauth_endpoint=f"{sandbox.url}/auth/o2/token", endpoint=sandbox.url
    )
    return made.api_client


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def documented_params(method: Any) -> dict[str, str]:
    """The operation's parameters and their types, from the SDK method's docstring."""
    found = re.findall(r":param (\S+) (\w+):", method.__doc__ or "")
    return {name: kind for kind, name in found if name != "async_req"}


def _moments(value: Any) -> Any:
    """Date-times compared as instants (the SDK writes +00:00 where Amazon writes Z)."""
    if isinstance(value, dict):
        return {k: _moments(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_moments(v) for v in value]
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


def replay(
    api_client: Any, sandbox: AmazonSandbox, ours: RecordedRequest, instead: dict[str, str]
) -> None:
    """Make our request again with the official SDK; check the request and the answer.

    ``instead`` swaps path ids for a call that cannot be made twice (cancelReport).
    """
    api_name, method_name, template, models = OPERATIONS[ours.operation]
    method = getattr(SDK.apis[api_name](api_client), method_name)
    params = documented_params(method)
    kwargs: dict[str, Any] = {}
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    match = re.fullmatch(pattern, ours.path)
    assert match, f"{ours.path} is not {template}"
    kwargs.update({snake(k): instead.get(v, v) for k, v in match.groupdict().items()})
    expected_path = ours.path
    for old, new in instead.items():
        expected_path = expected_path.replace(old, new)
    for name, values in ours.query.items():
        python_name = snake(name)
        assert python_name in params, f"{ours.operation} has no parameter {name}"
        kind = params[python_name]
        value = values[-1]
        kwargs[python_name] = (
            value.split(",") if kind.startswith("List[") else int(value) if kind == "int" else value
        )
    if ours.body is not None:
        attribute = {
            json_key: attr for attr, json_key in SDK.CreateReportSpecification.attribute_map.items()
        }
        unknown = set(ours.body) - set(attribute)
        assert not unknown, f"createReport body has {unknown}, not in CreateReportSpecification"
        kwargs["body"] = SDK.CreateReportSpecification(
            **{attribute[key]: value for key, value in ours.body.items()}
        )
    before = len(sandbox.requests)
    model = method(**kwargs)  # the SDK's models validate the answer here
    theirs = [r for r in sandbox.requests[before:] if r.operation != "lwa"]
    assert len(theirs) == 1
    sdk_request = theirs[0]
    assert (sdk_request.method, sdk_request.path, sdk_request.query) == (
        ours.method,
        expected_path,
        ours.query,
    )
    # (the SDK sends "{}" with a DELETE; the model has no body there, and neither do we)
    assert _moments(sdk_request.body or None) == _moments(ours.body)
    assert sdk_request.status == ours.status
    assert "x-amz-access-token" in sdk_request.headers
    raw = api_client.last_response.data
    if model is None:  # cancelReport: no body
        assert not raw
        return
    sent = json.loads(raw)
    assert _moments(api_client.sanitize_for_serialization(model)) == _moments(sent), (
        f"{ours.operation}: the sandbox sent fields the {models} models do not define"
    )


class Replayer:
    """After each of our calls, make the same requests with the SDK and compare."""

    def __init__(self, sandbox: AmazonSandbox):
        self.sandbox = sandbox
        self.api_client = sdk_client(sandbox)
        self.seen = 0
        self.operations: set[str] = set()

    def __call__(self, result: Any = None, instead: dict[str, str] | None = None) -> Any:
        ours = [r for r in self.sandbox.requests[self.seen :] if r.operation in OPERATIONS]
        for request in ours:
            replay(self.api_client, self.sandbox, request, instead or {})
            self.operations.add(request.operation)
        self.seen = len(self.sandbox.requests)
        return result


@pytest.fixture
def check(sandbox: AmazonSandbox) -> Replayer:
    return Replayer(sandbox)


def test_reports_requests_and_answers_follow_the_model(
    sandbox: AmazonSandbox, client: AmazonClient, check: Replayer
) -> None:
    report_id = check(
        client.create_report(
            "GET_LEDGER_DETAIL_VIEW_DATA",
            data_start=datetime(2026, 10, 1, tzinfo=UTC),
            data_end=datetime(2026, 10, 16, 12, 30, tzinfo=UTC),
            report_options={"eventType": "Adjustments"},
        )
    )
    check(client.get_report(report_id))  # IN_QUEUE
    queued = check(client.create_report("GET_FBA_REIMBURSEMENTS_DATA", marketplace_ids=["A1"]))
    for_the_sdk = client.create_report("GET_FBA_REIMBURSEMENTS_DATA", marketplace_ids=["A1"])
    check.seen = len(sandbox.requests)
    client.cancel_report(queued)
    check(instead={queued: for_the_sdk})  # a report can be cancelled once
    sandbox.advance(30)
    done = check(client.get_report(report_id))
    assert done.processing_status == "DONE" and done.report_document_id
    check(client.get_report(queued))  # CANCELLED
    check(client.get_report_document(done.report_document_id))
    assert check.operations == {"createReport", "getReport", "cancelReport", "getReportDocument"}


def test_finances_requests_and_answers_follow_the_model(
    client: AmazonClient, check: Replayer
) -> None:
    after, before = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC)
    pages = check(list(client.list_financial_events(after, before, max_results_per_page=2)))
    assert len(pages) == 3
    assert check.operations == {"listFinancialEvents"}


def test_inbound_requests_and_answers_follow_the_model(
    client: AmazonClient, check: Replayer
) -> None:
    september, october = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC)
    assert len(check(list(client.get_shipments("SHIPMENT", statuses=SHIPMENT_STATUSES)))) == 3
    check(list(client.get_shipments("SHIPMENT", shipment_ids=["FBA15ABC", "FBA15DEF"])))
    check(
        list(
            client.get_shipments(
                "DATE_RANGE",
                last_updated_after=september,
                last_updated_before=october,
                statuses=["CLOSED", "RECEIVING"],
            )
        )
    )
    check(client.get_shipment_items_by_shipment_id("FBA15ABC"))
    check(list(client.get_shipment_items(september, october)))
    assert check.operations == {
        "getShipments",
        "getShipmentItemsByShipmentId",
        "getShipmentItems",
    }


def test_orders_requests_and_answers_follow_the_model(
    client: AmazonClient, check: Replayer
) -> None:
    pages = check(
        list(
            client.search_orders(
                created_after=datetime(2026, 9, 1, tzinfo=UTC),
                created_before=datetime(2026, 10, 30, tzinfo=UTC),
                max_results_per_page=3,
                included_data=["FULFILLMENT", "PROCEEDS"],
            )
        )
    )
    assert [len(page.items) for page in pages] == [3, 3]
    check(
        list(
            client.search_orders(
                last_updated_after=datetime(2026, 9, 1, tzinfo=UTC),
                fulfillment_statuses=["SHIPPED", "CANCELLED"],
                fulfilled_by=["AMAZON"],
                marketplace_ids=["ATVPDKIKX0DER"],
            )
        )
    )
    check(client.get_order("114-7654321-7654321", included_data=["FULFILLMENT"]))
    check(client.get_order("114-0000001-0000001"))
    assert check.operations == {"searchOrders", "getOrder"}


def test_orders_with_buyer_and_packages_follow_the_model(
    sandbox: AmazonSandbox, client: AmazonClient, check: Replayer
) -> None:
    everything = ["BUYER", "FULFILLMENT", "PACKAGES", "PROCEEDS"]
    pages = check(
        list(
            client.search_orders(
                last_updated_after=datetime(2026, 9, 1, tzinfo=UTC),
                last_updated_before=datetime(2026, 10, 30, tzinfo=UTC),
                included_data=everything,
            )
        )
    )
    orders = [order for page in pages for order in page.items]
    assert all(order["buyer"]["buyerEmail"].endswith("@marketplace.amazon.com") for order in orders)
    shipped = [o for o in orders if o["fulfillment"]["fulfillmentStatus"] == "SHIPPED"]
    assert shipped and all(o["packages"] for o in shipped)
    assert all("packages" not in o for o in orders if o not in shipped)
    sandbox.advance(-400 * 86400)  # before the parcels left: every status PENDING
    early = check(client.get_order("114-7654321-7654321", included_data=everything))
    assert {p["packageStatus"]["status"] for p in early["packages"]} == {"PENDING"}
    sandbox.advance(400 * 86400)
    check(client.get_order("114-1234567-1234567", included_data=["PACKAGES", "BUYER"]))
    assert check.operations == {"searchOrders", "getOrder"}


@pytest.mark.parametrize(
    ("api_name", "method_name", "kwargs", "status", "models"),
    [
        ("reports", "get_report", {"report_id": "1"}, 404, "reports_v2021_06_30"),
        (
            "reports",
            "create_report",
            {"body": {"reportType": "GET_X", "marketplaceIds": ["A"]}},
            400,
            "reports_v2021_06_30",
        ),
        (
            "finances",
            "list_financial_events",
            {"posted_before": "2026-10-01T00:00:00Z"},
            400,
            "finances_v0",
        ),
        (
            "inbound",
            "get_shipments",
            {"query_type": "SHIPMENT", "marketplace_id": "ATVPDKIKX0DER"},
            400,
            "fulfillment_inbound_v0",
        ),
        ("get_order", "get_order", {"order_id": "114-9"}, 404, "orders_v2026_01_01"),
        (
            "search_orders",
            "search_orders",
            {"created_after": "2026-10-01T00:00:00Z", "last_updated_after": "2026-10-01"},
            400,
            "orders_v2026_01_01",
        ),
    ],
)
def test_error_answers_are_the_models_error_list(
    sandbox: AmazonSandbox,
    api_name: str,
    method_name: str,
    kwargs: dict[str, Any],
    status: int,
    models: str,
) -> None:
    api_client = sdk_client(sandbox)
    method = getattr(SDK.apis[api_name](api_client), method_name)
    with pytest.raises(SDK.ApiException) as failed:
        method(**kwargs)
    assert failed.value.status == status
    body = failed.value.body
    container = "ErrorList" if models in ("reports_v2021_06_30", "orders_v2026_01_01") else None
    api_client.api_models_module = f"spapi.models.{models}"
    if container is None:  # v0 APIs wrap errors in the operation's response
        container = {
            "finances_v0": "ListFinancialEventsResponse",
            "fulfillment_inbound_v0": "GetShipmentsResponse",
        }[models]
    parsed = api_client.deserialize(SimpleNamespace(data=body), container)
    errors = parsed.errors if hasattr(parsed, "errors") else parsed
    assert errors and errors[0].code and errors[0].message
    assert _moments(api_client.sanitize_for_serialization(parsed)) == json.loads(body)


def test_a_throttled_answer_is_the_models_error_list(sandbox: AmazonSandbox) -> None:
    sandbox.inject(429, 1, operation="getOrder")
    api_client = sdk_client(sandbox)
    with pytest.raises(SDK.ApiException) as throttled:
        SDK.apis["get_order"](api_client).get_order("114-1234567-1234567")
    assert throttled.value.status == 429
    assert throttled.value.headers["x-amzn-RateLimit-Limit"] == "0.5"
    api_client.api_models_module = "spapi.models.orders_v2026_01_01"
    parsed = api_client.deserialize(SimpleNamespace(data=throttled.value.body), "ErrorList")
    assert parsed.errors[0].code == "QuotaExceeded"


@pytest.mark.parametrize("operation", sorted(RATE_PLANS))
def test_rate_plans_match_the_official_usage_plans(operation: str) -> None:
    method_name = {
        "getReports": "get_reports",
    }.get(operation)
    if operation in OPERATIONS:
        api_name, method_name, _template, _models = OPERATIONS[operation]
    else:
        api_name = "reports"
    assert method_name is not None
    doc = getattr(SDK.apis[api_name], method_name).__doc__ or ""
    plan = re.search(r"\| ---- \| ---- \|\s*\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|", doc)
    assert plan, f"no usage plan in the SDK docs of {operation}"
    assert (RATE_PLANS[operation].rate, RATE_PLANS[operation].burst) == (
        float(plan[1]),
        int(plan[2]),
    )
