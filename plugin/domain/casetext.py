"""Case text for Seller Central: per claim kind, per language, from data (issue 7, step 2).

Amazon has no API for filing; the seller pastes this text. It names the claim type the way
Amazon's policy pages do (research fba.md §1.1 and §4.6: "Fulfillment center operations",
"FBA customer returns", "Shipment to Amazon"), and lists the IDs, quantities and dates of
each claim. The attachments Amazon asks for per kind follow fba.md §1.3.

Everything a seller reads is in ``LANGUAGES``: a new language is one more entry (missing
keys fall back to English). Seller Central hosts and the page to file from are in
``SELLER_CENTRAL_HOSTS`` and ``FILING_PAGES``; Amazon moves pages, so they are data too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from plugin.domain.policy import (
    INBOUND_SHORTAGE,
    RETURN_DAMAGED_BY_AMAZON,
    RETURN_DISPUTED_GRADING,
    RETURN_NOT_RECEIVED,
    WAREHOUSE_DAMAGED,
    WAREHOUSE_LOST,
)

KINDS = (
    WAREHOUSE_LOST,
    WAREHOUSE_DAMAGED,
    RETURN_NOT_RECEIVED,
    RETURN_DAMAGED_BY_AMAZON,
    INBOUND_SHORTAGE,
    RETURN_DISPUTED_GRADING,
)

# Amazon's claim types (the policy's sub-pages, fba.md §1.1).
FC_OPERATIONS = "fc_operations"
CUSTOMER_RETURN = "customer_return"
SHIPMENT_TO_AMAZON = "shipment_to_amazon"

CLAIM_TYPES: dict[str, str] = {
    WAREHOUSE_LOST: FC_OPERATIONS,
    WAREHOUSE_DAMAGED: FC_OPERATIONS,
    RETURN_NOT_RECEIVED: CUSTOMER_RETURN,
    RETURN_DAMAGED_BY_AMAZON: CUSTOMER_RETURN,
    RETURN_DISPUTED_GRADING: CUSTOMER_RETURN,
    INBOUND_SHORTAGE: SHIPMENT_TO_AMAZON,
}

# Seller Central per marketplace; an unknown marketplace uses the US site.
SELLER_CENTRAL_HOSTS: dict[str, str] = {
    "US": "sellercentral.amazon.com",
    "CA": "sellercentral.amazon.ca",
    "MX": "sellercentral.amazon.com.mx",
    "BR": "sellercentral.amazon.com.br",
    "GB": "sellercentral.amazon.co.uk",
    "DE": "sellercentral.amazon.de",
    "FR": "sellercentral.amazon.fr",
    "IT": "sellercentral.amazon.it",
    "ES": "sellercentral.amazon.es",
    "NL": "sellercentral.amazon.nl",
    "BE": "sellercentral.amazon.com.be",
    "IE": "sellercentral.amazon.ie",
    "SE": "sellercentral.amazon.se",
    "PL": "sellercentral.amazon.pl",
    "TR": "sellercentral.amazon.com.tr",
    "JP": "sellercentral.amazon.co.jp",
    "AU": "sellercentral.amazon.com.au",
    "IN": "sellercentral.amazon.in",
    "SG": "sellercentral.amazon.sg",
    "AE": "sellercentral.amazon.ae",
    "SA": "sellercentral.amazon.sa",
    "EG": "sellercentral.amazon.eg",
    "ZA": "sellercentral.amazon.co.za",
}
DEFAULT_HOST = SELLER_CENTRAL_HOSTS["US"]

# Where each claim type is filed: FC-operations and customer-return claims through Contact Us
# (older policy pages: "open a claim through the Contact Us page"), inbound shortages from the
# shipment's Reconcile tab in the shipping queue (fba.md §1.3, P11, P15).
FILING_PAGES: dict[str, str] = {
    FC_OPERATIONS: "/cu/contact-us",
    CUSTOMER_RETURN: "/cu/contact-us",
    SHIPMENT_TO_AMAZON: "/fba/inbound-queue",
}

# The attachments and facts Amazon asks for, per kind (fba.md §1.3 "Evidence Amazon asks for").
CHECKLISTS: dict[str, tuple[str, ...]] = {
    WAREHOUSE_LOST: ("workbook", "fnsku_reference", "date_fc", "cost_invoice"),
    WAREHOUSE_DAMAGED: ("workbook", "fnsku_reference", "date_fc", "cost_invoice"),
    RETURN_NOT_RECEIVED: ("workbook", "order_fnsku_quantity", "refund_date", "no_return"),
    RETURN_DAMAGED_BY_AMAZON: ("workbook", "order_fnsku_quantity", "return_row_lpn", "refund_date"),
    RETURN_DISPUTED_GRADING: (
        "workbook",
        "order_fnsku_quantity",
        "return_row_lpn",
        "photos_difference",
        "lpn_label_photo",
        "proof_of_origin",
    ),
    INBOUND_SHORTAGE: (
        "workbook",
        "shipment_id",
        "shipped_received",
        "proof_of_ownership",
        "proof_of_delivery",
    ),
}

ENGLISH: dict[str, Any] = {
    "date_format": "%Y-%m-%d",
    "units": {"one": "{n} unit", "other": "{n} units"},
    "claim_types": {
        FC_OPERATIONS: "Fulfillment center operations claim",
        CUSTOMER_RETURN: "FBA customer returns claim",
        SHIPMENT_TO_AMAZON: "Shipment to Amazon claim",
    },
    "titles": {
        WAREHOUSE_LOST: "{claim_type}: {units} of {sku} lost in the fulfillment center",
        WAREHOUSE_DAMAGED: "{claim_type}: {units} of {sku} damaged in the fulfillment center",
        RETURN_NOT_RECEIVED: "{claim_type}: refunded, not returned, {units} of {sku}",
        RETURN_DAMAGED_BY_AMAZON: "{claim_type}: {units} of {sku} returned damaged",
        RETURN_DISPUTED_GRADING: "{claim_type}: grading of {units} of {sku} returned as defective",
        INBOUND_SHORTAGE: "{claim_type}: {units} of {sku} missing from {reference}",
    },
    "intro": {
        WAREHOUSE_LOST: (
            "Hello,\n\nThe Inventory Ledger shows {units} of {product} reported lost "
            "(misplaced) in your fulfillment centers. These units have not been found or "
            "reimbursed since. Please research them and reimburse the units still missing."
        ),
        WAREHOUSE_DAMAGED: (
            "Hello,\n\nThe Inventory Ledger shows {units} of {product} damaged in your "
            "fulfillment centers while sellable (reason E). These units have not been "
            "reimbursed. Please reimburse them under the FBA inventory reimbursement policy."
        ),
        RETURN_NOT_RECEIVED: (
            "Hello,\n\nThe customer was refunded for {units} of {product}, but no return of "
            "these units reached your fulfillment centers and no reimbursement was made. "
            "Please charge the customer or reimburse me for these units."
        ),
        RETURN_DAMAGED_BY_AMAZON: (
            "Hello,\n\n{units} of {product} came back to your fulfillment centers and were "
            "graded damaged by Amazon or the carrier. These units have not been reimbursed. "
            "Please reimburse them."
        ),
        RETURN_DISPUTED_GRADING: (
            "Hello,\n\n{units} of {product} were returned by customers as defective or "
            "damaged, but were graded sellable and put back on sale. Please inspect these "
            "units and move them to unfulfillable inventory, or reimburse them if they are "
            "damaged."
        ),
        INBOUND_SHORTAGE: (
            "Hello,\n\nShipment {reference} is closed, and fewer units of {product} were "
            "received than were shipped: {units} are missing. Please research the shipment "
            "and reimburse the missing units."
        ),
    },
    "lines": {
        WAREHOUSE_LOST: "- Reference ID {reference}: {units}, reported on {event_date}",
        WAREHOUSE_DAMAGED: "- Reference ID {reference}: {units}, reported on {event_date}",
        RETURN_NOT_RECEIVED: "- Order {reference}: {units}, refunded on {event_date}",
        RETURN_DAMAGED_BY_AMAZON: "- Order {reference}: {units}, dated {event_date}",
        RETURN_DISPUTED_GRADING: "- Order {reference}: {units}, returned on {event_date}",
        INBOUND_SHORTAGE: "- Shipment {reference}: {units} missing, received on {event_date}",
    },
    "undated": "an unknown date",
    "product": "SKU {sku}",
    "fnsku": "FNSKU {fnsku}",
    "asin": "ASIN {asin}",
    "details": "Details:",
    "deadline": "Amazon's window for this claim ends on {deadline}.",
    "attached": "The attached workbook lists the report rows behind each figure.",
    "closing": "Thank you.",
    "checklist": {
        "workbook": "The claimdesk workbook (source report rows for every unit claimed)",
        "fnsku_reference": "The FNSKU and the Reference ID of each ledger adjustment",
        "date_fc": "The date and fulfillment center of each loss or damage",
        "cost_invoice": (
            "A supplier invoice showing your manufacturing cost (Amazon values units lost "
            "before a customer order at manufacturing cost since 2025-03-10)"
        ),
        "order_fnsku_quantity": "The order ID, FNSKU and quantity of each return",
        "refund_date": "The refund date of each order",
        "no_return": "The customer returns report showing no return received for the order",
        "return_row_lpn": (
            "The customer returns report row with its disposition and license plate number (LPN)"
        ),
        "photos_difference": "Photos showing the damage or the difference from your product",
        "lpn_label_photo": "A photo of the LPN label on the returned unit",
        "proof_of_origin": ("Proof the unit came from your inventory (invoice or serial number)"),
        "shipment_id": "The Amazon shipment ID",
        "shipped_received": "Units shipped and received per SKU",
        "proof_of_ownership": (
            "Proof of ownership: a supplier invoice or receipt with the purchase date, product "
            "names and quantities (a manufacturer may use a signed packing slip)"
        ),
        "proof_of_delivery": (
            "Proof of delivery: carrier tracking IDs, or for LTL/FTL a bill of lading with box "
            "count and weight, signed by Amazon"
        ),
    },
}

FRENCH: dict[str, Any] = {
    "date_format": "%d/%m/%Y",
    "units": {"one": "{n} unité", "other": "{n} unités"},
    "claim_types": {
        FC_OPERATIONS: "Réclamation pour les opérations du centre de distribution",
        CUSTOMER_RETURN: "Réclamation pour les retours clients FBA",
        SHIPMENT_TO_AMAZON: "Réclamation pour un envoi à Amazon",
    },
    "titles": {
        WAREHOUSE_LOST: "{claim_type} : {units} de {sku} perdues au centre de distribution",
        WAREHOUSE_DAMAGED: (
            "{claim_type} : {units} de {sku} endommagées au centre de distribution"
        ),
        RETURN_NOT_RECEIVED: "{claim_type} : remboursées, non retournées, {units} de {sku}",
        RETURN_DAMAGED_BY_AMAZON: "{claim_type} : {units} de {sku} retournées endommagées",
        RETURN_DISPUTED_GRADING: (
            "{claim_type} : classement de {units} de {sku} retournées comme défectueuses"
        ),
        INBOUND_SHORTAGE: "{claim_type} : {units} de {sku} manquantes dans {reference}",
    },
    "intro": {
        WAREHOUSE_LOST: (
            "Bonjour,\n\nLe registre d'inventaire indique {units} de {product} déclarées "
            "perdues (égarées) dans vos centres de distribution. Ces unités n'ont depuis été "
            "ni retrouvées ni remboursées. Merci de les rechercher et de rembourser les unités "
            "toujours manquantes."
        ),
        WAREHOUSE_DAMAGED: (
            "Bonjour,\n\nLe registre d'inventaire indique {units} de {product} endommagées "
            "dans vos centres de distribution alors qu'elles étaient vendables (motif E). Ces "
            "unités n'ont pas été remboursées. Merci de les rembourser selon la politique de "
            "remboursement des stocks FBA."
        ),
        RETURN_NOT_RECEIVED: (
            "Bonjour,\n\nLe client a été remboursé pour {units} de {product}, mais aucun "
            "retour de ces unités n'est arrivé dans vos centres de distribution et aucun "
            "remboursement n'a été effectué. Merci de facturer le client ou de me rembourser "
            "ces unités."
        ),
        RETURN_DAMAGED_BY_AMAZON: (
            "Bonjour,\n\n{units} de {product} sont revenues dans vos centres de distribution "
            "et ont été classées endommagées par Amazon ou le transporteur. Ces unités n'ont "
            "pas été remboursées. Merci de les rembourser."
        ),
        RETURN_DISPUTED_GRADING: (
            "Bonjour,\n\n{units} de {product} ont été retournées par des clients comme "
            "défectueuses ou endommagées, mais ont été classées vendables et remises en vente. "
            "Merci d'inspecter ces unités et de les placer en stock invendable, ou de les "
            "rembourser si elles sont endommagées."
        ),
        INBOUND_SHORTAGE: (
            "Bonjour,\n\nL'envoi {reference} est clôturé et moins d'unités de {product} ont "
            "été reçues qu'expédiées : {units} manquent. Merci d'examiner l'envoi et de "
            "rembourser les unités manquantes."
        ),
    },
    "lines": {
        WAREHOUSE_LOST: "- ID de référence {reference} : {units}, signalées le {event_date}",
        WAREHOUSE_DAMAGED: "- ID de référence {reference} : {units}, signalées le {event_date}",
        RETURN_NOT_RECEIVED: "- Commande {reference} : {units}, remboursées le {event_date}",
        RETURN_DAMAGED_BY_AMAZON: "- Commande {reference} : {units}, datées du {event_date}",
        RETURN_DISPUTED_GRADING: "- Commande {reference} : {units}, retournées le {event_date}",
        INBOUND_SHORTAGE: ("- Envoi {reference} : {units} manquantes, réceptionné le {event_date}"),
    },
    "undated": "une date inconnue",
    "product": "SKU {sku}",
    "fnsku": "FNSKU {fnsku}",
    "asin": "ASIN {asin}",
    "details": "Détails :",
    "deadline": "Le délai d'Amazon pour cette réclamation se termine le {deadline}.",
    "attached": "Le classeur joint liste les lignes de rapport derrière chaque chiffre.",
    "closing": "Merci.",
    "checklist": {
        "workbook": "Le classeur claimdesk (lignes de rapport pour chaque unité réclamée)",
        "fnsku_reference": "Le FNSKU et l'ID de référence de chaque ajustement du registre",
        "date_fc": "La date et le centre de distribution de chaque perte ou dommage",
        "cost_invoice": (
            "Une facture fournisseur indiquant votre coût de fabrication (Amazon rembourse au "
            "coût de fabrication les unités perdues avant une commande client depuis le "
            "10/03/2025)"
        ),
        "order_fnsku_quantity": "Le numéro de commande, le FNSKU et la quantité de chaque retour",
        "refund_date": "La date de remboursement de chaque commande",
        "no_return": "Le rapport des retours clients ne montrant aucun retour pour la commande",
        "return_row_lpn": (
            "La ligne du rapport des retours clients avec son classement et son numéro de "
            "plaque d'immatriculation (LPN)"
        ),
        "photos_difference": "Des photos montrant le dommage ou la différence avec votre produit",
        "lpn_label_photo": "Une photo de l'étiquette LPN de l'unité retournée",
        "proof_of_origin": (
            "Une preuve que l'unité provient de votre stock (facture ou numéro de série)"
        ),
        "shipment_id": "L'ID d'envoi Amazon",
        "shipped_received": "Les unités expédiées et reçues par SKU",
        "proof_of_ownership": (
            "Une preuve de propriété : facture ou reçu du fournisseur avec la date d'achat, "
            "le nom des produits et les quantités (un fabricant peut fournir un bordereau "
            "d'expédition signé)"
        ),
        "proof_of_delivery": (
            "Une preuve de livraison : numéros de suivi du transporteur, ou pour un envoi "
            "LTL/FTL une lettre de voiture avec le nombre de colis et le poids, signée par "
            "Amazon"
        ),
    },
}

CHINESE: dict[str, Any] = {
    "date_format": "%Y-%m-%d",
    "units": {"one": "{n} 件", "other": "{n} 件"},
    "claim_types": {
        FC_OPERATIONS: "运营中心操作索赔",
        CUSTOMER_RETURN: "亚马逊物流买家退货索赔",
        SHIPMENT_TO_AMAZON: "发往亚马逊的货件索赔",
    },
    "titles": {
        WAREHOUSE_LOST: "{claim_type}：{sku} 在运营中心丢失 {units}",
        WAREHOUSE_DAMAGED: "{claim_type}：{sku} 在运营中心损坏 {units}",
        RETURN_NOT_RECEIVED: "{claim_type}：{sku} 已退款但未退回 {units}",
        RETURN_DAMAGED_BY_AMAZON: "{claim_type}：{sku} 退回时已损坏 {units}",
        RETURN_DISPUTED_GRADING: "{claim_type}：{sku} 以缺陷退回的 {units} 的评级",
        INBOUND_SHORTAGE: "{claim_type}：{reference} 中 {sku} 缺少 {units}",
    },
    "intro": {
        WAREHOUSE_LOST: (
            "您好：\n\n库存分类账显示 {product} 共 {units} 在运营中心被报告丢失（放错位置），"
            "此后既未找到也未获得赔偿。请调查并赔偿仍然缺少的商品。"
        ),
        WAREHOUSE_DAMAGED: (
            "您好：\n\n库存分类账显示 {product} 共 {units} 在可售状态下于运营中心损坏（原因 E），"
            "尚未获得赔偿。请根据亚马逊物流库存赔偿政策进行赔偿。"
        ),
        RETURN_NOT_RECEIVED: (
            "您好：\n\n买家已就 {product} 的 {units} 获得退款，但这些商品没有退回运营中心，"
            "也没有获得赔偿。请向买家收费或向我赔偿这些商品。"
        ),
        RETURN_DAMAGED_BY_AMAZON: (
            "您好：\n\n{product} 的 {units} 退回运营中心后被评为亚马逊或承运人造成的损坏，"
            "尚未获得赔偿。请赔偿这些商品。"
        ),
        RETURN_DISPUTED_GRADING: (
            "您好：\n\n{product} 的 {units} 被买家以缺陷或损坏为由退回，但被评为可售并重新上架。"
            "请检查这些商品并将其转为不可售库存；如已损坏，请进行赔偿。"
        ),
        INBOUND_SHORTAGE: (
            "您好：\n\n货件 {reference} 已关闭，{product} 的接收数量少于发货数量：缺少 {units}。"
            "请调查该货件并赔偿缺少的商品。"
        ),
    },
    "lines": {
        WAREHOUSE_LOST: "- 参考编号 {reference}：{units}，报告日期 {event_date}",
        WAREHOUSE_DAMAGED: "- 参考编号 {reference}：{units}，报告日期 {event_date}",
        RETURN_NOT_RECEIVED: "- 订单 {reference}：{units}，退款日期 {event_date}",
        RETURN_DAMAGED_BY_AMAZON: "- 订单 {reference}：{units}，日期 {event_date}",
        RETURN_DISPUTED_GRADING: "- 订单 {reference}：{units}，退回日期 {event_date}",
        INBOUND_SHORTAGE: "- 货件 {reference}：缺少 {units}，接收日期 {event_date}",
    },
    "undated": "未知日期",
    "product": "SKU {sku}",
    "fnsku": "FNSKU {fnsku}",
    "asin": "ASIN {asin}",
    "details": "详情：",
    "deadline": "亚马逊对此索赔的申请期限截至 {deadline}。",
    "attached": "随附的工作簿列出了每个数字所依据的报告行。",
    "closing": "谢谢。",
    "checklist": {
        "workbook": "claimdesk 工作簿（每件索赔商品的来源报告行）",
        "fnsku_reference": "每条分类账调整的 FNSKU 和参考编号",
        "date_fc": "每次丢失或损坏的日期和运营中心",
        "cost_invoice": (
            "显示制造成本的供应商发票（自 2025-03-10 起，买家下单前丢失的商品按制造成本赔偿）"
        ),
        "order_fnsku_quantity": "每笔退货的订单编号、FNSKU 和数量",
        "refund_date": "每个订单的退款日期",
        "no_return": "显示该订单未收到退货的买家退货报告",
        "return_row_lpn": "买家退货报告中该行的处置结果和车牌号（LPN）",
        "photos_difference": "显示损坏或与您的商品不同之处的照片",
        "lpn_label_photo": "退回商品上 LPN 标签的照片",
        "proof_of_origin": "证明该商品来自您库存的文件（发票或序列号）",
        "shipment_id": "亚马逊货件编号",
        "shipped_received": "每个 SKU 的发货数量和接收数量",
        "proof_of_ownership": (
            "所有权证明：包含采购日期、商品名称和数量的供应商发票或收据（制造商可使用已签收的装箱单）"
        ),
        "proof_of_delivery": (
            "配送证明：承运人追踪编号；零担或整车货件需提供亚马逊签收的提单，注明箱数和重量"
        ),
    },
}

LANGUAGES: dict[str, dict[str, Any]] = {"en": ENGLISH, "fr": FRENCH, "zh-cn": CHINESE}
DEFAULT_LANGUAGE = "en"


class CaseTextError(ValueError):
    """Claims that cannot share one case text (several kinds or SKUs), or an unknown kind."""


@dataclass(frozen=True)
class ClaimFacts:
    """What the text needs of a claim (the stored claim's fields)."""

    kind: str
    reference_id: str
    sku: str
    fnsku: str | None
    asin: str | None
    marketplace: str | None
    quantity: int
    event_date: date | None
    deadline: date | None
    estimated_amount: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class CaseText:
    language: str  # the language used (an unknown one falls back to English)
    claim_type: str  # Amazon's name for the claim type, in that language
    title: str
    body: str
    seller_central_url: str
    checklist: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "claim_type": self.claim_type,
            "title": self.title,
            "body": self.body,
            "seller_central_url": self.seller_central_url,
            "checklist": list(self.checklist),
        }


def language_of(language: str | None) -> str:
    """The supported language for a tag such as ``fr``, ``fr-CA``, ``zh-CN``; else English."""
    tag = (language or "").strip().lower().replace("_", "-")
    if tag in LANGUAGES:
        return tag
    base, _, region = tag.partition("-")
    if base == "zh":  # Simplified Chinese only, as plugin.i18n.locale_of
        return "zh-cn" if region in ("", "cn", "sg", "hans") else DEFAULT_LANGUAGE
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def text(language: str, key: str) -> Any:
    """One entry of a language's table, English when that language lacks it."""
    return LANGUAGES[language].get(key, ENGLISH[key])


def units(language: str, count: int) -> str:
    forms: Mapping[str, str] = text(language, "units")
    one = count == 1 or (language == "fr" and count == 0)
    return (forms["one"] if one else forms["other"]).format(n=count)


def format_date(language: str, day: date | None) -> str:
    if day is None:
        return str(text(language, "undated"))
    return day.strftime(text(language, "date_format"))


def seller_central_url(kind: str, marketplace: str | None) -> str:
    """The Seller Central page to file ``kind`` from, on the marketplace's own site."""
    host = SELLER_CENTRAL_HOSTS.get(marketplace or "", DEFAULT_HOST)
    return f"https://{host}{FILING_PAGES[claim_type_of(kind)]}"


def claim_type_of(kind: str) -> str:
    if kind not in CLAIM_TYPES:
        raise CaseTextError(f"no case text for claim kind {kind!r}")
    return CLAIM_TYPES[kind]


def checklist(kind: str, language: str) -> tuple[str, ...]:
    """The attachments Amazon asks for with a claim of ``kind``, in ``language``."""
    language = language_of(language)
    claim_type_of(kind)
    items: Mapping[str, str] = {**ENGLISH["checklist"], **text(language, "checklist")}
    return tuple(items[item] for item in CHECKLISTS[kind])


def case_text(claims: Sequence[ClaimFacts], language: str) -> CaseText:
    """The case text for claims of one kind and SKU (a case), in ``language``."""
    if not claims:
        raise CaseTextError("no claims to write a case text for")
    kinds = {(claim.kind, claim.sku) for claim in claims}
    if len(kinds) > 1:
        raise CaseTextError("one case text covers claims of one kind and one SKU")
    language = language_of(language)
    first = claims[0]
    kind = first.kind
    claim_type = str(text(language, "claim_types")[claim_type_of(kind)])
    total = units(language, sum(claim.quantity for claim in claims))
    product = str(text(language, "product")).format(sku=first.sku)
    ids = [
        str(text(language, name)).format(**{name: value})
        for name, value in (("fnsku", first.fnsku), ("asin", first.asin))
        if value
    ]
    if ids:
        product = f"{product} ({', '.join(ids)})"
    references = ", ".join(claim.reference_id for claim in claims)
    title = str(text(language, "titles")[kind]).format(
        claim_type=claim_type, units=total, sku=first.sku, reference=references
    )
    lines = [
        str(text(language, "lines")[kind]).format(
            reference=claim.reference_id,
            units=units(language, claim.quantity),
            event_date=format_date(language, claim.event_date),
        )
        for claim in sorted(claims, key=lambda c: (c.event_date or date.max, c.reference_id))
    ]
    parts = [
        str(text(language, "intro")[kind]).format(
            units=total, product=product, reference=references
        ),
        "\n".join([str(text(language, "details")), *lines]),
    ]
    deadlines = [claim.deadline for claim in claims if claim.deadline is not None]
    if deadlines:
        parts.append(
            str(text(language, "deadline")).format(deadline=format_date(language, min(deadlines)))
        )
    parts.append(str(text(language, "attached")))
    parts.append(str(text(language, "closing")))
    return CaseText(
        language=language,
        claim_type=claim_type,
        title=title,
        body="\n\n".join(parts),
        seller_central_url=seller_central_url(kind, first.marketplace),
        checklist=checklist(kind, language),
    )
