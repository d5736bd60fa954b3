"""Replies about a parcel, in the customer's language: the "Insert tracking" text an agent puts
into a reply, and the automatic answer to "where is my order?".

Pure: no I/O. A template is plain text with placeholders (``{first_name}``, ``{order_id}``,
``{carrier}``, ``{tracking_number}``, ``{status}``, ``{eta}``, ``{link}``); ``{{`` and ``}}``
write a brace. Admins may reword a template per language (``plugin.services.reply_templates``
stores it); ``check_template`` refuses what could not render, before it is stored.

One template renders two ways: HTML (every character of the template and of the values escaped;
``{link}`` becomes an ``<a>``; blank lines make paragraphs) and plain text. A line whose
``{eta}`` or ``{link}`` has nothing to say is left out, so no reply reads "Track it: ".

Amazon's buyer-seller messaging rules forbid links to other websites (research/zendesk.md §6:
"Amazon's restrictions on links … in buyer messages"; Seller Central's communication
guidelines): when the customer writes through a marketplace relay address, ``{link}`` is left
out and the carrier and tracking number stay, as plain text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

TRACKING_INSERT = "tracking_insert"  # the sidebar's "Insert tracking"
WISMO_AUTO_REPLY = "wismo_auto_reply"  # the automatic answer to "where is my order?"
KINDS = (TRACKING_INSERT, WISMO_AUTO_REPLY)

DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "fr", "de", "es", "it", "zh-cn", "ja")

PLACEHOLDERS: Mapping[str, str] = {
    "first_name": "the customer's first name (a polite word when it is not known)",
    "order_id": "the order's id, e.g. 112-1234567-7654321",
    "carrier": "the carrier's name, e.g. UPS",
    "tracking_number": "the parcel's tracking number",
    "status": "the parcel's status, in the template's language",
    "eta": "the expected (or actual) delivery day; its line is left out when unknown",
    "link": "the carrier's tracking page; its line is left out when there is none, or when "
    "the customer writes through a marketplace relay address (no links allowed there)",
}
# A line holding one of these, when it has nothing to say, is left out of the reply.
OPTIONAL = frozenset({"eta", "link"})
# A template must name the parcel somehow.
PARCEL_PLACEHOLDERS = ("tracking_number", "link")
MAX_LENGTH = 4000  # characters of a template (a reply, not a newsletter)
MAX_NAME = 60  # characters of a first name kept

CARRIER_NAMES: Mapping[str, str] = {
    "ups": "UPS",
    "fedex": "FedEx",
    "usps": "USPS",
    "dhl": "DHL",
    "amazon": "Amazon Logistics",
}
UNNAMED_CARRIER = "—"  # a carrier we have no name for ("other")
_FINAL = frozenset({"delivered", "cancelled"})
_RELAY = re.compile(r"@marketplace\.amazon\.[a-z]{2,3}(\.[a-z]{2})?$", re.IGNORECASE)
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}|[{}]")
_NAME = re.compile(r"[a-z_]+")
_WEB_LINK = re.compile(r"https?://[^/?#\s@]+(?:[/?#]\S*)?", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_PUNCTUATION = frozenset(",.;:!?，。、！？：；)")


class TemplateError(ValueError):
    """A template that cannot be used; the message says what to change, and where."""


# --- the words -------------------------------------------------------------------------------

STATUS_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "pending": "label created, waiting for the carrier to pick it up",
        "picked_up": "picked up by the carrier",
        "in_transit": "in transit",
        "out_for_delivery": "out for delivery",
        "delivered": "delivered",
        "delivery_failed": "a delivery attempt failed",
        "on_hold": "held by the carrier",
        "return_to_sender": "on its way back to us",
        "ready_for_pickup": "ready for pickup",
        "cancelled": "shipment cancelled",
        "unknown": "no update from the carrier yet",
    },
    "fr": {
        "pending": "étiquette créée, en attente de prise en charge par le transporteur",
        "picked_up": "pris en charge par le transporteur",
        "in_transit": "en cours d'acheminement",
        "out_for_delivery": "en cours de livraison",
        "delivered": "livré",
        "delivery_failed": "une tentative de livraison a échoué",
        "on_hold": "retenu par le transporteur",
        "return_to_sender": "en retour vers nous",
        "ready_for_pickup": "disponible au point de retrait",
        "cancelled": "envoi annulé",
        "unknown": "pas encore d'information du transporteur",
    },
    "de": {
        "pending": "Versandetikett erstellt, wartet auf Abholung durch den Versanddienstleister",
        "picked_up": "vom Versanddienstleister abgeholt",
        "in_transit": "unterwegs",
        "out_for_delivery": "in Zustellung",
        "delivered": "zugestellt",
        "delivery_failed": "ein Zustellversuch ist fehlgeschlagen",
        "on_hold": "beim Versanddienstleister angehalten",
        "return_to_sender": "auf dem Rückweg zu uns",
        "ready_for_pickup": "zur Abholung bereit",
        "cancelled": "Sendung storniert",
        "unknown": "noch keine Information vom Versanddienstleister",
    },
    "es": {
        "pending": "etiqueta creada, a la espera de que el transportista lo recoja",
        "picked_up": "recogido por el transportista",
        "in_transit": "en tránsito",
        "out_for_delivery": "en reparto",
        "delivered": "entregado",
        "delivery_failed": "un intento de entrega no se pudo completar",
        "on_hold": "retenido por el transportista",
        "return_to_sender": "en devolución hacia nosotros",
        "ready_for_pickup": "listo para recoger",
        "cancelled": "envío cancelado",
        "unknown": "aún sin información del transportista",
    },
    "it": {
        "pending": "etichetta creata, in attesa del ritiro da parte del corriere",
        "picked_up": "ritirato dal corriere",
        "in_transit": "in transito",
        "out_for_delivery": "in consegna",
        "delivered": "consegnato",
        "delivery_failed": "un tentativo di consegna non è riuscito",
        "on_hold": "in giacenza presso il corriere",
        "return_to_sender": "in restituzione a noi",
        "ready_for_pickup": "pronto per il ritiro",
        "cancelled": "spedizione annullata",
        "unknown": "nessun aggiornamento dal corriere per ora",
    },
    "zh-cn": {
        "pending": "已创建运单，等待承运商揽收",
        "picked_up": "承运商已揽收",
        "in_transit": "运输中",
        "out_for_delivery": "派送中",
        "delivered": "已签收",
        "delivery_failed": "派送未成功",
        "on_hold": "承运商暂扣",
        "return_to_sender": "正在退回给我们",
        "ready_for_pickup": "可以取件",
        "cancelled": "运单已取消",
        "unknown": "承运商暂无更新",
    },
    "ja": {
        "pending": "送り状作成済み（配送業者の集荷待ち）",
        "picked_up": "配送業者が集荷済み",
        "in_transit": "輸送中",
        "out_for_delivery": "配達中",
        "delivered": "配達済み",
        "delivery_failed": "配達できませんでした",
        "on_hold": "配送業者にて保管中",
        "return_to_sender": "当店へ返送中",
        "ready_for_pickup": "お受け取り可能",
        "cancelled": "発送はキャンセルされました",
        "unknown": "配送業者からの更新待ち",
    },
}

# Said instead of the name when the customer's name is unknown ("お客様" for "{first_name}様").
FIRST_NAME_FALLBACK: Mapping[str, str] = {
    "en": "",
    "fr": "",
    "de": "",
    "es": "",
    "it": "cliente",
    "zh-cn": "",
    "ja": "お客",
}

_MONTHS: Mapping[str, Sequence[str]] = {
    "en": "January February March April May June July August September October November "
    "December".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre".split(),
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November "
    "Dezember".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre".split(),
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
    "novembre dicembre".split(),
}
_WEEKDAYS: Mapping[str, Sequence[str]] = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split(),
    "es": "lunes martes miércoles jueves viernes sábado domingo".split(),
    "it": "lunedì martedì mercoledì giovedì venerdì sabato domenica".split(),
    "zh-cn": "星期一 星期二 星期三 星期四 星期五 星期六 星期日".split(),
    "ja": "月 火 水 木 金 土 日".split(),
}


def format_day(moment: datetime, language: str, zone: ZoneInfo) -> str:
    """The day of ``moment`` in ``zone``, written the way ``language`` writes a date."""
    day = moment.astimezone(zone).date()
    weekday = _WEEKDAYS[language][day.weekday()]
    if language == "zh-cn":
        return f"{day.year}年{day.month}月{day.day}日（{weekday}）"
    if language == "ja":
        return f"{day.year}年{day.month}月{day.day}日（{weekday}）"
    month = _MONTHS[language][day.month - 1]
    if language == "en":
        return f"{weekday}, {month} {day.day}, {day.year}"
    if language == "de":
        return f"{weekday}, {day.day}. {month} {day.year}"
    if language == "es":
        return f"{weekday}, {day.day} de {month} de {day.year}"
    return f"{weekday} {day.day} {month} {day.year}"  # fr, it


# --- the default wording ---------------------------------------------------------------------

_INSERT = {
    "en": (
        "Hello {first_name},\n\n"
        "Thank you for your message. Here is the latest on your order {order_id}:\n"
        "Carrier: {carrier}, tracking number {tracking_number}\n"
        "Status: {status}\n"
        "Expected delivery: {eta}\n"
        "Follow your parcel: {link}"
    ),
    "fr": (
        "Bonjour {first_name},\n\n"
        "Merci pour votre message. Voici les dernières nouvelles de votre commande "
        "{order_id} :\n"
        "Transporteur : {carrier}, numéro de suivi {tracking_number}\n"
        "Statut : {status}\n"
        "Livraison prévue : {eta}\n"
        "Suivre votre colis : {link}"
    ),
    "de": (
        "Guten Tag {first_name},\n\n"
        "vielen Dank für Ihre Nachricht. Hier ist der aktuelle Stand Ihrer Bestellung "
        "{order_id}:\n"
        "Versanddienstleister: {carrier}, Sendungsnummer {tracking_number}\n"
        "Status: {status}\n"
        "Voraussichtliche Zustellung: {eta}\n"
        "Sendung verfolgen: {link}"
    ),
    "es": (
        "Hola {first_name}:\n\n"
        "Gracias por su mensaje. Esta es la información más reciente de su pedido "
        "{order_id}:\n"
        "Transportista: {carrier}, número de seguimiento {tracking_number}\n"
        "Estado: {status}\n"
        "Entrega prevista: {eta}\n"
        "Siga su paquete: {link}"
    ),
    "it": (
        "Gentile {first_name},\n\n"
        "grazie per il suo messaggio. Ecco le ultime notizie sul suo ordine {order_id}:\n"
        "Corriere: {carrier}, numero di tracciamento {tracking_number}\n"
        "Stato: {status}\n"
        "Consegna prevista: {eta}\n"
        "Segua il suo pacco: {link}"
    ),
    "zh-cn": (
        "{first_name}您好！\n\n"
        "感谢您的来信。以下是您的订单 {order_id} 的最新物流信息：\n"
        "承运商：{carrier}，运单号 {tracking_number}\n"
        "状态：{status}\n"
        "预计送达：{eta}\n"
        "查看物流：{link}"
    ),
    "ja": (
        "{first_name}様\n\n"
        "お問い合わせいただきありがとうございます。ご注文 {order_id} の最新の配送状況を"
        "お知らせいたします。\n"
        "配送業者：{carrier}（追跡番号 {tracking_number}）\n"
        "配送状況：{status}\n"
        "お届け予定日：{eta}\n"
        "配送状況の確認：{link}"
    ),
}

_AUTO_CLOSING = {
    "en": (
        "If you need anything else, simply reply to this message and a member of our team "
        "will get back to you.\n\nKind regards,\nCustomer service (automatic reply)"
    ),
    "fr": (
        "Pour toute autre question, répondez simplement à ce message : un membre de notre "
        "équipe vous répondra.\n\nBien cordialement,\nLe service client (réponse automatique)"
    ),
    "de": (
        "Wenn Sie noch etwas brauchen, antworten Sie einfach auf diese Nachricht; jemand aus "
        "unserem Team meldet sich bei Ihnen.\n\nMit freundlichen Grüßen\n"
        "Ihr Kundenservice (automatische Antwort)"
    ),
    "es": (
        "Si necesita algo más, responda a este mensaje y una persona de nuestro equipo le "
        "atenderá.\n\nUn saludo cordial,\nAtención al cliente (respuesta automática)"
    ),
    "it": (
        "Per qualsiasi altra necessità, risponda semplicemente a questo messaggio e una "
        "persona del nostro team la ricontatterà.\n\nCordiali saluti,\n"
        "Il servizio clienti (risposta automatica)"
    ),
    "zh-cn": (
        "如有其他问题，请直接回复此邮件，我们的客服人员会尽快联系您。\n\n此致\n客服团队（自动回复）"
    ),
    "ja": (
        "ほかにご不明な点がございましたら、このメッセージにご返信ください。担当者より"
        "ご連絡いたします。\n\n今後ともよろしくお願いいたします。\nカスタマーサービス（自動返信）"
    ),
}

DEFAULTS: Mapping[str, Mapping[str, str]] = {
    TRACKING_INSERT: dict(_INSERT),
    WISMO_AUTO_REPLY: {lang: f"{_INSERT[lang]}\n\n{_AUTO_CLOSING[lang]}" for lang in LANGUAGES},
}


def default_body(kind: str, language: str) -> str:
    """The built-in wording of ``kind`` in ``language`` (one of ``LANGUAGES``)."""
    check_kind(kind)
    return DEFAULTS[kind][check_language(language)]


# --- names, languages, addresses -------------------------------------------------------------


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise TemplateError(f"unknown reply kind {kind!r} (one of {', '.join(KINDS)})")
    return kind


def check_language(language: str) -> str:
    """``language`` if we have words for it (as ``reply_language`` spells it)."""
    if language not in LANGUAGES:
        raise TemplateError(
            f"no reply wording for language {language!r} (one of {', '.join(LANGUAGES)})"
        )
    return language


def reply_language(tag: str | None) -> str:
    """Our language for a Zendesk locale or a classifier's language (``fr-CA`` → ``fr``,
    ``zh``/``zh-Hans`` → ``zh-cn``, ``ja-JP`` → ``ja``); English when we have no words for it.
    Traditional Chinese falls back to English, as the app's own translations do."""
    value = (tag or "").strip().lower().replace("_", "-")
    if value in LANGUAGES:
        return value
    language, _, region = value.partition("-")
    if language == "zh":
        return "zh-cn" if region in ("", "cn", "sg", "hans", "hans-cn") else DEFAULT_LANGUAGE
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def is_marketplace_relay(email: str | None) -> bool:
    """True for an Amazon buyer-seller messaging relay address (``…@marketplace.amazon.de``)."""
    return bool(email) and _RELAY.search((email or "").strip()) is not None


def links_allowed(requester_email: str | None) -> bool:
    """Whether a reply to this requester may carry a link (not through Amazon's relay)."""
    return not is_marketplace_relay(requester_email)


def first_name(full_name: str | None, language: str) -> str:
    """The name to greet: the first word of a Western name; the whole name in Chinese and
    Japanese (family name first, and the polite suffix follows it). Empty for an address."""
    name = " ".join((full_name or "").split())
    if not name or "@" in name:
        return ""
    if language not in ("zh-cn", "ja"):
        name = name.split(" ")[0]
    return name[:MAX_NAME]


# --- templates -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placeholder:
    name: str


Part = str | Placeholder
Lines = tuple[tuple[Part, ...], ...]


def parse_template(body: str) -> Lines:
    """The template's lines, each a sequence of text and placeholders.

    Raises:
        TemplateError: an unknown placeholder (all of them are named, with their lines) or a
            brace that opens or closes nothing.
    """
    lines: list[tuple[Part, ...]] = []
    unknown: list[str] = []
    for number, line in enumerate(body.split("\n"), start=1):
        parts: list[Part] = []
        position = 0
        for match in _TOKEN.finditer(line):
            if match.start() > position:
                parts.append(line[position : match.start()])
            token = match.group(0)
            position = match.end()
            if token in ("{{", "}}"):
                parts.append(token[0])
            elif token in ("{", "}"):
                raise TemplateError(
                    f"line {number}: a lone {token!r} at column {match.start() + 1} "
                    "(write {{ or }} for a brace in the text)"
                )
            else:
                name = (match.group(1) or "").strip()
                if name not in PLACEHOLDERS:
                    unknown.append(f"{{{match.group(1)}}} (line {number})")
                parts.append(Placeholder(name))
        if position < len(line):
            parts.append(line[position:])
        lines.append(tuple(_merge(parts)))
    if unknown:
        allowed = ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
        raise TemplateError(
            f"unknown placeholder{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"a reply may use {allowed}"
        )
    return tuple(lines)


def _merge(parts: list[Part]) -> list[Part]:
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def check_template(body: str) -> str:
    """The template as it will be stored (line ends normalized, outer blank lines dropped).

    Raises:
        TemplateError: it is empty or too long, holds control characters, an unknown
            placeholder or a lone brace, or names no parcel ({tracking_number} or {link}).
    """
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if not text.strip():
        raise TemplateError("the template is empty")
    if len(text) > MAX_LENGTH:
        raise TemplateError(f"the template is {len(text)} characters long (at most {MAX_LENGTH})")
    control = _CONTROL.search(text)
    if control:
        line = text[: control.start()].count("\n") + 1
        raise TemplateError(f"line {line}: a control character ({control.group(0)!r})")
    lines = parse_template(text)
    used = {part.name for line in lines for part in line if isinstance(part, Placeholder)}
    if not used.intersection(PARCEL_PLACEHOLDERS):
        raise TemplateError(
            "the reply must name the parcel: use {tracking_number} or {link} (or both)"
        )
    return "\n".join(line.rstrip() for line in text.split("\n"))


# --- rendering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParcelFacts:
    """What a reply says about one parcel (from a tracking snapshot and its order)."""

    order_id: str
    carrier: str  # our code: ups, fedex, usps, dhl, amazon, other
    tracking_number: str
    status: str  # plugin.domain.tracking.STATUSES
    url: str | None
    estimated_delivery: datetime | None = None
    delivered_at: datetime | None = None
    customer_name: str = ""  # the requester's full name, as Zendesk has it


@dataclass(frozen=True)
class Rendered:
    html: str
    text: str


def safe_link(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) link (never a ``javascript:`` one)."""
    return url if url and _WEB_LINK.fullmatch(url) else None


def values_for(facts: ParcelFacts, language: str, zone: ZoneInfo, *, links: bool) -> dict[str, str]:
    """Each placeholder's text in ``language`` (empty where there is nothing to say)."""
    check_language(language)
    words = STATUS_WORDS[language]
    eta = ""
    if facts.status == "delivered" and facts.delivered_at is not None:
        eta = format_day(facts.delivered_at, language, zone)
    elif facts.status not in _FINAL and facts.estimated_delivery is not None:
        eta = format_day(facts.estimated_delivery, language, zone)
    name = first_name(facts.customer_name, language) or FIRST_NAME_FALLBACK[language]
    return {
        "first_name": name,
        "order_id": facts.order_id,
        "carrier": CARRIER_NAMES.get(facts.carrier, UNNAMED_CARRIER),
        "tracking_number": facts.tracking_number,
        "status": words.get(facts.status, words["unknown"]),
        "eta": eta,
        "link": (safe_link(facts.url) or "") if links else "",
    }


def render(body: str, values: Mapping[str, str]) -> Rendered:
    """``body`` filled with ``values``, as HTML (all escaped) and as plain text.

    Raises:
        TemplateError: the template does not parse (a stored one always does).
    """
    kept = _fill(parse_template(body), values)
    text = "\n".join("".join(value for value, _ in line) for line in kept)
    blocks: list[list[str]] = [[]]
    for line in kept:
        if not line:
            if blocks[-1]:
                blocks.append([])
            continue
        blocks[-1].append("".join(_html(value, link) for value, link in line))
    html = "".join(f"<p>{'<br>'.join(block)}</p>" for block in blocks if block)
    return Rendered(html=html, text=text)


def _html(value: str, link: bool) -> str:
    if link:
        return f'<a href="{escape(value, quote=True)}">{escape(value, quote=False)}</a>'
    return escape(value, quote=False)


def _fill(lines: Lines, values: Mapping[str, str]) -> list[list[tuple[str, bool]]]:
    """Lines of (text, is_link) pieces: optional lines with nothing to say dropped, a space
    before an empty value's punctuation dropped, runs of blank lines made one."""
    kept: list[list[tuple[str, bool]]] = []
    for line in lines:
        if any(
            isinstance(p, Placeholder) and p.name in OPTIONAL and not values.get(p.name)
            for p in line
        ):
            continue
        pieces: list[tuple[str, bool]] = []
        for index, part in enumerate(line):
            if isinstance(part, str):
                pieces.append((part, False))
                continue
            value = values.get(part.name, "")
            if value:
                pieces.append((value, part.name == "link"))
                continue
            following = line[index + 1] if index + 1 < len(line) else ""
            after = following if isinstance(following, str) else ""
            if pieces and pieces[-1][0].endswith(" ") and (not after or after[0] in _PUNCTUATION):
                pieces[-1] = (pieces[-1][0][:-1], False)
        while pieces and not pieces[-1][1] and pieces[-1][0] != pieces[-1][0].rstrip():
            pieces[-1] = (pieces[-1][0].rstrip(), False)
        line_text = "".join(text for text, _ in pieces)
        if not line_text.strip():
            if kept and kept[-1]:
                kept.append([])
            continue
        kept.append([piece for piece in pieces if piece[0]])
    while kept and not kept[-1]:
        kept.pop()
    return kept


def render_reply(
    body: str, facts: ParcelFacts, language: str, zone: ZoneInfo, *, links: bool
) -> Rendered:
    """``body`` (a checked template in ``language``) about ``facts``."""
    return render(body, values_for(facts, language, zone, links=links))
