"""The evidence workbook a seller attaches to a case (issue 7, wizard step 1).

A Summary sheet with one row per claim, then one sheet per claim: the claim's facts, the
report rows behind it (each stored row a claim's ``evidence`` names by file and line or JSON
path, with its IDs, dates and quantities) and the attachments Amazon asks for with that kind.

Written with openpyxl in normal mode: write-only mode's temporary file per sheet costs more
than it saves for many small sheets (500 claims take about 2 s, the budget is 5 s). Every
text cell is written as text: a value starting with ``=``, ``+``, ``-``, ``@``, tab or CR gets
a leading apostrophe, so neither Excel nor a CSV export ever runs it as a formula.
Labels are in ``LABELS`` per language (English fallback); source-row headers keep the report
column names Amazon prints, so the seller can find each row in the original file.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from plugin.domain import casetext
from plugin.errors import PluginError
from plugin.services.cases import ClaimKey, format_claim_key
from plugin.store import case_queries
from plugin.store.models import (
    ClaimRecord,
    CostRecord,
    InboundItemRecord,
    InboundShipmentRecord,
    LedgerRecord,
    OrderRowRecord,
    RefundEventRecord,
    ReimbursementRecord,
    ReturnRecord,
)

MAX_CLAIMS = 5_000


class EvidenceError(PluginError):
    status = 400


@dataclass(frozen=True)
class SourceTable:
    """How rows of one stored table are shown: a title key and ``(header, column)`` pairs."""

    model: type[Any]
    title: str
    columns: tuple[tuple[str, str], ...]


SOURCES: tuple[SourceTable, ...] = (
    SourceTable(
        LedgerRecord,
        "ledger",
        (
            ("Date", "date"),
            ("Event Type", "event_type"),
            ("Reference ID", "reference_id"),
            ("MSKU", "msku"),
            ("FNSKU", "fnsku"),
            ("ASIN", "asin"),
            ("Quantity", "quantity"),
            ("Fulfillment Center", "fulfillment_center"),
            ("Disposition", "disposition"),
            ("Reason", "reason"),
            ("Country", "country"),
            ("Unreconciled Quantity", "unreconciled_quantity"),
        ),
    ),
    SourceTable(
        ReimbursementRecord,
        "reimbursements",
        (
            ("approval-date", "approval_date"),
            ("reimbursement-id", "reimbursement_id"),
            ("case-id", "case_id"),
            ("amazon-order-id", "amazon_order_id"),
            ("reason", "reason"),
            ("sku", "sku"),
            ("fnsku", "fnsku"),
            ("currency-unit", "currency"),
            ("amount-total", "amount_total"),
            ("quantity-reimbursed-cash", "quantity_cash"),
            ("quantity-reimbursed-inventory", "quantity_inventory"),
            ("quantity-reimbursed-total", "quantity_total"),
            ("original-reimbursement-id", "original_reimbursement_id"),
        ),
    ),
    SourceTable(
        ReturnRecord,
        "returns",
        (
            ("return-date", "return_date"),
            ("order-id", "order_id"),
            ("sku", "sku"),
            ("fnsku", "fnsku"),
            ("asin", "asin"),
            ("quantity", "quantity"),
            ("fulfillment-center-id", "fulfillment_center"),
            ("detailed-disposition", "disposition"),
            ("reason", "reason"),
            ("status", "status"),
            ("license-plate-number", "license_plate_number"),
        ),
    ),
    SourceTable(
        RefundEventRecord,
        "refunds",
        (
            ("AmazonOrderId", "order_id"),
            ("PostedDate", "posted_date"),
            ("MarketplaceName", "marketplace_name"),
            ("SellerSKU x QuantityShipped (Principal)", "items"),
        ),
    ),
    SourceTable(
        OrderRowRecord,
        "orders",
        (
            ("amazon-order-id", "order_id"),
            ("sku", "sku"),
            ("asin", "asin"),
            ("quantity", "quantity"),
            ("currency", "currency"),
            ("item-price", "item_price"),
            ("item-status", "item_status"),
            ("sales-channel", "sales_channel"),
        ),
    ),
    SourceTable(
        InboundShipmentRecord,
        "shipments",
        (("ShipmentId", "shipment_id"), ("ShipmentStatus", "status"), ("FC", "destination_fc")),
    ),
    SourceTable(
        InboundItemRecord,
        "items",
        (
            ("ShipmentId", "shipment_id"),
            ("SellerSKU", "sku"),
            ("FulfillmentNetworkSKU", "fnsku"),
            ("QuantityShipped", "quantity_shipped"),
            ("QuantityReceived", "quantity_received"),
        ),
    ),
    SourceTable(
        CostRecord,
        "costs",
        (("sku", "sku"), ("unit_cost", "unit_cost"), ("currency", "currency")),
    ),
)

LABELS: dict[str, dict[str, Any]] = {
    "en": {
        "summary": "Summary",
        "title": "claimdesk evidence workbook",
        "sheet": "Sheet",
        "estimate_note": (
            "Estimated values are estimates, not what Amazon will pay. Refunded-principal "
            "values ignore the fees Amazon deducts."
        ),
        "claim": "Claim",
        "facts": (
            "Kind",
            "Claim type",
            "Reference",
            "SKU",
            "FNSKU",
            "ASIN",
            "Marketplace",
            "Units",
            "Estimated value",
            "Currency",
            "Valuation basis",
            "Event date",
            "Opens on",
            "Deadline",
            "Status",
        ),
        "status_reason": "Status reason",
        "sources": "Source rows",
        "file": "File",
        "line": "Line or path",
        "missing": "Not in the store any more (the report was replaced):",
        "checklist": "Attachments Amazon asks for",
        "sections": {
            "ledger": "Inventory Ledger",
            "reimbursements": "FBA Reimbursements",
            "returns": "FBA Customer Returns",
            "refunds": "Finances refund events",
            "orders": "All Orders",
            "shipments": "Inbound shipments",
            "items": "Inbound shipment items",
            "costs": "Seller costs",
        },
    },
    "fr": {
        "summary": "Résumé",
        "title": "Classeur de preuves claimdesk",
        "sheet": "Feuille",
        "estimate_note": (
            "Les valeurs sont des estimations, pas ce qu'Amazon paiera. Les valeurs fondées "
            "sur le prix remboursé ne déduisent pas les frais d'Amazon."
        ),
        "claim": "Réclamation",
        "facts": (
            "Type",
            "Type de réclamation",
            "Référence",
            "SKU",
            "FNSKU",
            "ASIN",
            "Marché",
            "Unités",
            "Valeur estimée",
            "Devise",
            "Base d'évaluation",
            "Date de l'événement",
            "Ouverture",
            "Date limite",
            "Statut",
        ),
        "status_reason": "Motif du statut",
        "sources": "Lignes sources",
        "file": "Fichier",
        "line": "Ligne ou chemin",
        "missing": "Absentes du stockage (le rapport a été remplacé) :",
        "checklist": "Pièces demandées par Amazon",
        "sections": {
            "ledger": "Registre d'inventaire",
            "reimbursements": "Remboursements FBA",
            "returns": "Retours clients FBA",
            "refunds": "Remboursements (Finances)",
            "orders": "Toutes les commandes",
            "shipments": "Envois entrants",
            "items": "Articles des envois entrants",
            "costs": "Coûts du vendeur",
        },
    },
    "zh-cn": {
        "summary": "摘要",
        "title": "claimdesk 证据工作簿",
        "sheet": "工作表",
        "estimate_note": (
            "估计价值仅为估算，并非亚马逊将支付的金额。按退款本金估算的价值未扣除亚马逊的费用。"
        ),
        "claim": "索赔",
        "facts": (
            "类型",
            "索赔类型",
            "参考编号",
            "SKU",
            "FNSKU",
            "ASIN",
            "商城",
            "数量",
            "估计价值",
            "币种",
            "估值依据",
            "事件日期",
            "开始日期",
            "截止日期",
            "状态",
        ),
        "status_reason": "状态原因",
        "sources": "来源行",
        "file": "文件",
        "line": "行号或路径",
        "missing": "已不在存储中（报告已被替换）：",
        "checklist": "亚马逊要求的附件",
        "sections": {
            "ledger": "库存分类账",
            "reimbursements": "亚马逊物流赔偿",
            "returns": "亚马逊物流买家退货",
            "refunds": "财务退款事件",
            "orders": "所有订单",
            "shipments": "入库货件",
            "items": "入库货件商品",
            "costs": "卖家成本",
        },
    },
}

# Short sheet-name prefixes per kind.
KIND_TAGS: dict[str, str] = {
    "warehouse_lost": "lost",
    "warehouse_damaged": "damaged",
    "return_not_received": "not returned",
    "return_damaged_by_amazon": "return damaged",
    "inbound_shortage": "inbound",
    "return_disputed_grading": "grading",
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\']")
_BOLD = Font(bold=True)


def build_workbook(
    session: Session, installation_id: int, claim_ids: Sequence[int], language: str
) -> bytes:
    """The workbook (xlsx bytes) for these stored claims, in ``language`` (en fallback).

    Raises:
        EvidenceError: no claims, too many, or an id that is not this installation's claim.
    """
    ids = list(dict.fromkeys(claim_ids))
    if not ids:
        raise EvidenceError("choose at least one claim for the workbook")
    if len(ids) > MAX_CLAIMS:
        raise EvidenceError(f"{len(ids)} claims; a workbook holds at most {MAX_CLAIMS}")
    records = case_queries.claims_by_id(session, installation_id, ids)
    missing = [claim_id for claim_id in ids if claim_id not in records]
    if missing:
        raise EvidenceError(f"no claim with id {missing[0]} for this installation")
    claims = [records[claim_id] for claim_id in ids]
    return write_workbook(claims, _source_rows(session, installation_id, claims), language)


def claim_ids_for(session: Session, installation_id: int, keys: Iterable[ClaimKey]) -> list[int]:
    """The stored ids of claims named by key, in order; an unknown key is an error."""
    keys = list(keys)
    found = case_queries.claims_by_identity(session, installation_id, keys)
    ids = []
    for key in keys:
        record = found.get(key)
        if record is None:
            raise EvidenceError(f"no claim {format_claim_key(key)} for this installation")
        ids.append(record.id)
    return ids


Where = tuple[str | None, int | None, str | None]  # (file, line, JSON path)
Located = dict[Where, list[tuple[SourceTable, Any]]]


def _source_rows(session: Session, installation_id: int, claims: Sequence[ClaimRecord]) -> Located:
    """Stored rows by ``(file, line, path)`` for every evidence entry of these claims."""
    wanted = {
        (entry.get("file"), entry.get("line"), entry.get("path"))
        for claim in claims
        for entry in claim.evidence
    }
    files = {file for file, _, _ in wanted if file}
    lines = {line for _, line, _ in wanted if line is not None}
    paths = {path for _, _, path in wanted if path}
    located: Located = {}
    for table in SOURCES:
        for record in case_queries.rows_at_sources(
            session, installation_id, table.model, files, lines, paths
        ):
            where = (record.source_file, record.source_line, getattr(record, "source_path", None))
            if where in wanted:
                located.setdefault(where, []).append((table, record))
    return located


def write_workbook(claims: Sequence[ClaimRecord], located: Located, language: str) -> bytes:
    """Write the workbook from claims and their located source rows (no database)."""
    language = casetext.language_of(language)
    labels = {**LABELS["en"], **LABELS.get(language, {})}
    book = Workbook()
    styles = _Styles(book)
    summary = book.active
    summary.title = labels["summary"]
    names = sheet_names(claims, reserved={labels["summary"]})
    _append(summary, styles, [labels["title"]], bold=True)
    _append(summary, styles, [labels["estimate_note"]])
    _append(summary, styles, [])
    _append(summary, styles, (labels["sheet"], *labels["facts"]), bold=True)
    for claim, name in zip(claims, names, strict=True):
        _append(summary, styles, (name, *_facts(claim, language)))
    for claim, name in zip(claims, names, strict=True):
        _claim_sheet(book.create_sheet(name), styles, claim, located, labels, language)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _claim_sheet(
    sheet: Worksheet,
    styles: _Styles,
    claim: ClaimRecord,
    located: Located,
    labels: dict[str, Any],
    language: str,
) -> None:
    title = f"{labels['claim']} {format_claim_key((claim.kind, claim.reference_id, claim.sku))}"
    _append(sheet, styles, [title], bold=True)
    facts = zip(
        (*labels["facts"], labels["status_reason"]),
        (*_facts(claim, language), claim.status_reason),
        strict=True,
    )
    for label, value in facts:
        _append(sheet, styles, [label, value], bold=True, bold_cells=1)
    _append(sheet, styles, [])
    _append(sheet, styles, [labels["sources"]], bold=True)
    by_table: dict[str, list[tuple[Where, Any]]] = {}
    tables: dict[str, SourceTable] = {}
    absent = []
    for entry in claim.evidence:
        where = (entry.get("file"), entry.get("line"), entry.get("path"))
        found = located.get(where)
        if not found:
            absent.append(where)
            continue
        for table, record in found:
            tables[table.title] = table
            by_table.setdefault(table.title, []).append((where, record))
    for key, entries in by_table.items():
        table = tables[key]
        _append(sheet, styles, [labels["sections"][table.title]], bold=True)
        headers = [labels["file"], labels["line"], *(header for header, _ in table.columns)]
        _append(sheet, styles, headers, bold=True)
        for (file, line, path), record in entries:
            row: list[Any] = [file, line if line is not None else path]
            row.extend(_column(record, column) for _, column in table.columns)
            _append(sheet, styles, row)
        _append(sheet, styles, [])
    if absent:
        _append(sheet, styles, [labels["missing"]], bold=True)
        for file, line, path in absent:
            _append(sheet, styles, [file, line if line is not None else path])
        _append(sheet, styles, [])
    _append(sheet, styles, [labels["checklist"]], bold=True)
    for item in casetext.checklist(claim.kind, language):
        _append(sheet, styles, ["[ ]", item])


def _facts(claim: ClaimRecord, language: str) -> tuple[Any, ...]:
    """A claim's facts, in the order of ``LABELS[...]["facts"]`` (summary row and claim sheet)."""
    claim_type = casetext.text(language, "claim_types")[casetext.claim_type_of(claim.kind)]
    return (
        claim.kind, claim_type, claim.reference_id, claim.sku, claim.fnsku, claim.asin,
        claim.marketplace, claim.quantity, claim.estimated_amount, claim.currency,
        claim.valuation_basis, claim.event_date, claim.opens_on, claim.deadline, claim.status,
    )  # fmt: skip


def _column(record: Any, column: str) -> Any:
    value = getattr(record, column)
    if column == "items" and isinstance(value, list):
        return "; ".join(
            f"{item.get('sku')} x {item.get('quantity')} ({item.get('principal')} "
            f"{item.get('currency')})"
            for item in value
        )
    return value


def sheet_names(claims: Sequence[ClaimRecord], reserved: Iterable[str] = ()) -> list[str]:
    """Valid, unique sheet names: ``001 lost 482910331`` (≤ 31 chars, no ``[]:*?/\\'``)."""
    taken = {name.lower() for name in reserved}
    names = []
    for index, claim in enumerate(claims, start=1):
        tag = KIND_TAGS.get(claim.kind, claim.kind)
        base = _SHEET_FORBIDDEN.sub("_", f"{index:03d} {tag} {claim.reference_id}")[:31].strip()
        name, suffix = base, 1
        while name.lower() in taken:
            suffix += 1
            name = f"{base[: 31 - len(str(suffix)) - 1]}~{suffix}"
        taken.add(name.lower())
        names.append(name)
    return names


def safe_text(value: str) -> str:
    """Text that no spreadsheet runs as a formula (CSV/Excel injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


class _Styles:
    """Bold and money styles made once per workbook, then shared by every cell.

    Setting ``cell.font`` hashes the font for every cell; copying a ready style array does
    not (a third of the time for 500 claims).
    """

    def __init__(self, book: Workbook):
        sheet = book.active
        bold = Cell(sheet)  # never added to a sheet: only its style is kept
        bold.font = _BOLD
        money = Cell(sheet)
        money.number_format = "0.00"
        self.bold = bold._style
        self.money = money._style


def _append(
    sheet: Worksheet,
    styles: _Styles,
    values: Iterable[Any],
    *,
    bold: bool = False,
    bold_cells: int = 0,
) -> None:
    """Append one row; text is made safe first, and the row (or its first ``bold_cells``
    cells) set in bold."""
    cells = []
    for index, value in enumerate(values):
        value = _value(value)
        if bold and (not bold_cells or index < bold_cells):
            cells.append(Cell(sheet, value=value, style_array=styles.bold))
        elif isinstance(value, Decimal):
            cells.append(Cell(sheet, value=value, style_array=styles.money))
        else:
            cells.append(Cell(sheet, value=value))
    sheet.append(cells)


def _value(value: Any) -> Any:
    """A cell value: safe text, naive datetimes (Excel has no zones), the rest as is."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value
