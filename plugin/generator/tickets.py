"""Support tickets for a generated seller: the Zendesk sandbox's seed (``sandbox_data.py``).

Buyers write about the seller's real orders (read from its All Orders files), in the language
of the marketplace or their own: English, French, German, Spanish, Italian, Chinese and
Japanese. The requester is the order's buyer as Amazon relays them (``buyer_email`` and
``buyer_name``), so a ticket can be matched to its order four ways, and the seed covers each:
the order id in the text, the id only in the Order ID field, only the requester's email, or
no order at all. A few tickets carry hostile text (markup and script in names, subjects and
bodies) that every page must show as text. Orders with planted claims come first, so their
tickets light up the sidebar's eligibility panel. The same seller and seed give the same file.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from connectors.amazon.models import OrderRow, ReportKind
from connectors.amazon.parse import normalize_header, open_bytes, read_report, sniff_kind
from connectors.amazon.sandbox_data import buyer_email, buyer_name, list_files
from connectors.errors import ReportError
from connectors.zendesk.sandbox_data import (
    DEFAULT_AGENTS,
    ORDER_ID_FIELD_ID,
    Comment,
    Seed,
    Ticket,
    TicketField,
    User,
    seed_document,
)

AMAZON_ORDER = re.compile(r"\d{3}-\d{7}-\d{7}")
LANGUAGES = ("en", "fr", "de", "es", "it", "zh", "ja")
_LOCALES = {
    "en": "en-US",
    "fr": "fr",
    "de": "de",
    "es": "es",
    "it": "it",
    "zh": "zh-cn",
    "ja": "ja",
}
_ZONES = {
    "en": "America/New_York",
    "fr": "Europe/Paris",
    "de": "Europe/Berlin",
    "es": "Europe/Madrid",
    "it": "Europe/Rome",
    "zh": "Asia/Shanghai",
    "ja": "Asia/Tokyo",
}
_CHANNEL_LANGUAGE = {
    "amazon.fr": "fr",
    "amazon.de": "de",
    "amazon.es": "es",
    "amazon.it": "it",
    "amazon.co.jp": "ja",
    "amazon.cn": "zh",
}

# How the ticket names its order: "text" (subject and body), "body", "field" (the Order ID
# field only), "email" (only the requester's relay address), in this rotation.
_REFERENCES = ("text", "field", "body", "email", "body", "field", "text", "email")


@dataclass(frozen=True)
class TicketSeedSummary:
    """What ``write_ticket_seed`` wrote."""

    path: Path
    tickets: int
    languages: tuple[str, ...]
    order_in_text: int  # tickets whose subject or body holds the order id
    order_in_field_only: int
    email_only: int  # tickets matched only by the requester's email
    without_order: int
    hostile: int
    orders: tuple[str, ...]  # the order ids the tickets are about, in ticket order


@dataclass(frozen=True)
class _Order:
    order_id: str
    status: str  # item-status of its first line: Shipped, Cancelled, Pending, Unshipped...
    channel: str  # sales-channel, e.g. Amazon.de
    product: str
    purchased: datetime | None


# --- texts

# Per language: how to name an order with and without its id.
_REF = {
    "en": ("order {id}", "my order"),
    "fr": ("la commande {id}", "ma commande"),
    "de": ("Bestellung {id}", "meine Bestellung"),
    "es": ("el pedido {id}", "mi pedido"),
    "it": ("l'ordine {id}", "il mio ordine"),
    "zh": ("订单 {id}", "我的订单"),
    "ja": ("注文 {id}", "私の注文"),
}

# scenario -> language -> (subject, body). {ref} names the order, {product} the item.
_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "never_arrived": {
        "en": (
            "Package never arrived",
            "Hi, {ref} ({product}) shows as delivered but nothing was left at my door and my "
            "neighbours have nothing either. Can you check with the carrier or send a "
            "replacement?",
        ),
        "fr": (
            "Colis jamais reçu",
            "Bonjour, {ref} ({product}) est indiquée comme livrée mais je n'ai rien reçu, ni "
            "dans ma boîte aux lettres ni chez les voisins. Pouvez-vous vérifier auprès du "
            "transporteur ?",
        ),
        "de": (
            "Paket nie angekommen",
            "Hallo, laut Sendungsverfolgung wurde {ref} ({product}) zugestellt, aber bei mir "
            "ist nichts angekommen. Bitte prüfen Sie das mit dem Versanddienstleister.",
        ),
        "es": (
            "El paquete nunca llegó",
            "Hola, {ref} ({product}) aparece como entregado pero no he recibido nada. "
            "¿Podéis revisar con la empresa de transporte?",
        ),
        "it": (
            "Pacco mai arrivato",
            "Buongiorno, {ref} ({product}) risulta consegnato ma non ho ricevuto nulla. "
            "Potete verificare con il corriere?",
        ),
        "zh": (
            "包裹一直没有收到",
            "您好，{ref}（{product}）显示已送达，但我根本没有收到包裹。请帮忙联系快递公司核实。",
        ),
        "ja": (
            "荷物が届いていません",
            "こんにちは。{ref}（{product}）が配達済みになっていますが、受け取っていません。"
            "配送業者に確認していただけますか。",
        ),
    },
    "damaged": {
        "en": (
            "Item arrived broken",
            "{ref} arrived today and the {product} is cracked, the box was crushed on one "
            "side. I have photos. I'd like a replacement or a refund.",
        ),
        "fr": (
            "Article arrivé cassé",
            "Bonjour, j'ai reçu {ref} aujourd'hui : {product} est cassé, le carton était "
            "écrasé. J'ai des photos. Je souhaite un remplacement ou un remboursement.",
        ),
        "de": (
            "Artikel beschädigt angekommen",
            "Guten Tag, {ref} kam heute an, aber {product} ist beschädigt und der Karton "
            "war eingedrückt. Fotos habe ich. Ich möchte Ersatz oder eine Erstattung.",
        ),
        "es": (
            "El artículo llegó roto",
            "Hola, recibí {ref} hoy y {product} está roto, la caja venía aplastada. "
            "Tengo fotos. Quiero un reemplazo o el reembolso.",
        ),
        "it": (
            "Articolo arrivato rotto",
            "Salve, ho ricevuto {ref} oggi ma {product} è rotto e la scatola era "
            "schiacciata. Ho delle foto. Vorrei una sostituzione o il rimborso.",
        ),
        "zh": (
            "收到的商品已损坏",
            "你好，今天收到{ref}，但{product}已经破损，外箱也被压坏了。我有照片，希望换货或退款。",
        ),
        "ja": (
            "商品が破損して届きました",
            "本日{ref}が届きましたが、{product}が割れていて、箱もつぶれていました。"
            "写真があります。交換か返金をお願いします。",
        ),
    },
    "return_refund": {
        "en": (
            "Where is my refund?",
            "I sent back {ref} ({product}) more than two weeks ago with the prepaid label "
            "and still have no refund. When will it be processed?",
        ),
        "fr": (
            "Remboursement non reçu",
            "Bonjour, j'ai renvoyé {ref} ({product}) il y a plus de deux semaines avec "
            "l'étiquette prépayée et je n'ai toujours pas été remboursé.",
        ),
        "de": (
            "Rückerstattung fehlt",
            "Hallo, ich habe {ref} ({product}) vor über zwei Wochen zurückgeschickt und noch "
            "keine Rückerstattung erhalten. Wann wird sie bearbeitet?",
        ),
        "es": (
            "¿Dónde está mi reembolso?",
            "Devolví {ref} ({product}) hace más de dos semanas y todavía no he recibido el "
            "reembolso.",
        ),
        "it": (
            "Rimborso non ricevuto",
            "Ho restituito {ref} ({product}) più di due settimane fa e non ho ancora "
            "ricevuto il rimborso.",
        ),
        "zh": (
            "退货后还没收到退款",
            "我两周前已经把{ref}（{product}）寄回了，到现在还没有收到退款，请问什么时候处理？",
        ),
        "ja": (
            "返金がまだです",
            "{ref}（{product}）を2週間以上前に返品しましたが、まだ返金されていません。",
        ),
    },
    "a_to_z": {
        "en": (
            "Opening an A-to-z claim",
            "This is my third message about {ref}. Nobody answers. If I don't hear back "
            "today I will file an A-to-z Guarantee claim with Amazon.",
        ),
        "fr": (
            "Réclamation A à Z",
            "Troisième message au sujet de {ref}, sans réponse. Sans nouvelles aujourd'hui, "
            "j'ouvre une réclamation au titre de la garantie A à Z d'Amazon.",
        ),
        "de": (
            "A-bis-z-Garantie",
            "Das ist meine dritte Nachricht zu {ref}. Wenn ich heute keine Antwort bekomme, "
            "stelle ich einen Antrag auf die A-bis-z-Garantie.",
        ),
        "es": (
            "Reclamación de la Garantía de la A a la Z",
            "Es mi tercer mensaje sobre {ref}. Si hoy no tengo respuesta abriré una "
            "reclamación de la Garantía de la A a la Z.",
        ),
        "it": (
            "Reclamo Garanzia dalla A alla Z",
            "È il mio terzo messaggio su {ref}. Se oggi non ricevo risposta apro un reclamo "
            "con la Garanzia dalla A alla Z.",
        ),
        "zh": (
            "我要申请亚马逊商城交易保障索赔",
            "关于{ref}我已经第三次联系你们了，一直没人回复。今天再不处理我就申请A-to-z索赔。",
        ),
        "ja": (
            "Amazonマーケットプレイス保証を申請します",
            "{ref}について3回目の連絡です。本日中に回答がなければAマーケットプレイス保証を申請します。",
        ),
    },
    "chargeback": {
        "en": (
            "Disputing the charge with my bank",
            "I was charged for {ref} but never got the {product}. I've contacted my bank "
            "and opened a chargeback.",
        ),
        "fr": (
            "Opposition bancaire",
            "J'ai été débité pour {ref} sans jamais recevoir {product}. J'ai contacté ma "
            "banque pour contester le paiement.",
        ),
        "de": (
            "Rückbuchung über meine Bank",
            "Mir wurde {ref} berechnet, {product} kam aber nie an. Ich habe bei meiner Bank "
            "eine Rückbuchung beantragt.",
        ),
        "es": (
            "Contracargo con mi banco",
            "Me cobraron {ref} y nunca recibí {product}. He pedido un contracargo a mi banco.",
        ),
        "it": (
            "Contestazione con la banca",
            "Mi è stato addebitato {ref} ma {product} non è mai arrivato. Ho aperto una "
            "contestazione con la mia banca.",
        ),
        "zh": (
            "我已向银行申请拒付",
            "{ref}已经扣款，但{product}一直没有收到。我已经联系银行申请拒付。",
        ),
        "ja": (
            "カード会社にチャージバックを申請しました",
            "{ref}の代金が請求されましたが、{product}は届いていません。カード会社に異議を申し立てました。",
        ),
    },
    "wrong_item": {
        "en": (
            "Wrong item received",
            "I ordered {product} but the box for {ref} contained a different colour. "
            "How do I exchange it?",
        ),
        "fr": (
            "Mauvais article reçu",
            "J'ai commandé {product} mais le colis de {ref} contenait une autre couleur. "
            "Comment faire l'échange ?",
        ),
        "de": (
            "Falscher Artikel geliefert",
            "Ich habe {product} bestellt, aber im Paket für {ref} war eine andere Farbe. "
            "Wie kann ich umtauschen?",
        ),
        "es": (
            "Artículo equivocado",
            "Pedí {product} pero en el paquete de {ref} venía otro color. ¿Cómo lo cambio?",
        ),
        "it": (
            "Articolo sbagliato",
            "Ho ordinato {product} ma nel pacco di {ref} c'era un altro colore. "
            "Come posso cambiarlo?",
        ),
        "zh": (
            "收到的商品不对",
            "我订购的是{product}，但{ref}的包裹里是另一个颜色。请问怎么换货？",
        ),
        "ja": (
            "違う商品が届きました",
            "{product}を注文しましたが、{ref}の箱には別の色が入っていました。交換方法を教えてください。",
        ),
    },
    "counterfeit": {
        "en": (
            "Is this genuine?",
            "The {product} from {ref} looks nothing like the photos, the logo is printed "
            "crooked. I think it is counterfeit.",
        ),
        "fr": (
            "Produit contrefait ?",
            "{product} reçu avec {ref} ne ressemble pas aux photos, le logo est mal imprimé. "
            "Je pense que c'est une contrefaçon.",
        ),
        "de": (
            "Fälschung?",
            "Der Artikel {product} ({ref}) sieht anders aus als auf den Fotos, das Logo ist "
            "schief. Ich halte es für eine Fälschung.",
        ),
        "es": (
            "¿Es original?",
            "{product} de {ref} no se parece a las fotos y el logo está torcido. Creo que "
            "es una falsificación.",
        ),
        "it": (
            "È originale?",
            "{product} di {ref} non assomiglia alle foto e il logo è storto. Credo sia "
            "contraffatto.",
        ),
        "zh": ("怀疑收到假货", "{ref}里的{product}和图片完全不一样，商标也印歪了，我怀疑是假货。"),
        "ja": (
            "偽物ではないですか",
            "{ref}の{product}は写真と全然違い、ロゴも曲がっています。偽物だと思います。",
        ),
    },
    "cancel": {
        "en": (
            "Please cancel my order",
            "I placed {ref} by mistake. It hasn't shipped yet, please cancel it.",
        ),
        "fr": (
            "Annulation de commande",
            "J'ai passé {ref} par erreur. Elle n'est pas encore expédiée, merci de l'annuler.",
        ),
        "de": (
            "Bitte Bestellung stornieren",
            "Ich habe {ref} aus Versehen aufgegeben. Sie ist noch nicht versandt, bitte "
            "stornieren.",
        ),
        "es": (
            "Cancelar pedido",
            "Hice {ref} por error. Aún no se ha enviado, por favor cancelad el pedido.",
        ),
        "it": (
            "Annullare l'ordine",
            "Ho effettuato {ref} per errore. Non è ancora stato spedito, per favore annullatelo.",
        ),
        "zh": ("请取消订单", "{ref}是我误下的，还没有发货，请帮我取消。"),
        "ja": (
            "注文をキャンセルしてください",
            "{ref}を間違えて注文しました。まだ発送されていないのでキャンセルをお願いします。",
        ),
    },
    "cancelled_refund": {
        "en": (
            "Cancelled but charged",
            "{ref} was cancelled but I still see the charge on my card.",
        ),
        "fr": (
            "Commande annulée mais débitée",
            "{ref} a été annulée mais le montant apparaît toujours sur ma carte.",
        ),
        "de": (
            "Storniert, aber belastet",
            "{ref} wurde storniert, aber die Belastung ist noch auf meiner Karte.",
        ),
        "es": (
            "Cancelado pero cobrado",
            "{ref} fue cancelado pero sigo viendo el cargo en mi tarjeta.",
        ),
        "it": (
            "Annullato ma addebitato",
            "{ref} è stato annullato ma vedo ancora l'addebito sulla carta.",
        ),
        "zh": ("订单已取消但仍被扣款", "{ref}已经取消了，但我的信用卡上仍有这笔扣款。"),
        "ja": (
            "キャンセルしたのに請求されています",
            "{ref}はキャンセルされたのに、カードの請求が残っています。",
        ),
    },
}
_GENERAL: dict[str, tuple[str, str]] = {
    "en": (
        "Question about sizes",
        "Hello, do you sell the 20 oz tumbler in a darker grey? I'd like to order two.",
    ),
    "fr": (
        "Question sur un produit",
        "Bonjour, proposez-vous ce mug en vert olive ? Je voudrais en offrir deux.",
    ),
    "de": (
        "Frage zur Rechnung",
        "Guten Tag, ich brauche für meine Firma eine Rechnung mit ausgewiesener MwSt.",
    ),
    "es": ("Pregunta sobre envío", "Hola, ¿enviáis a Canarias? No veo la opción al pagar."),
    "it": ("Informazioni sul prodotto", "Buongiorno, la borraccia va in lavastoviglie? Grazie."),
    "zh": ("请问有批发价吗", "您好，我们公司想采购五十个保温杯，请问有批发价格吗？"),
    "ja": ("在庫について", "こんにちは。ネイビーのマグカップはいつ再入荷しますか。"),
}
_AGENT_REPLY = {
    "en": "Thanks for getting in touch. We're looking into this now and will update you "
    "within 24 hours.",
    "fr": "Merci de nous avoir contactés. Nous vérifions et revenons vers vous sous 24 heures.",
    "de": "Danke für Ihre Nachricht. Wir prüfen das und melden uns innerhalb von 24 Stunden.",
    "es": "Gracias por escribirnos. Lo estamos revisando y te respondemos en 24 horas.",
    "it": "Grazie per averci scritto. Stiamo verificando e ti risponderemo entro 24 ore.",
    "zh": "感谢您的来信，我们正在核实，会在24小时内回复您。",
    "ja": "お問い合わせありがとうございます。確認のうえ24時間以内にご連絡いたします。",
}
_FOLLOW_UP = {
    "en": "Any news? It's been three days.",
    "fr": "Des nouvelles ? Cela fait trois jours.",
    "de": "Gibt es Neuigkeiten? Es sind schon drei Tage.",
    "es": "¿Alguna novedad? Ya han pasado tres días.",
    "it": "Novità? Sono passati tre giorni.",
    "zh": "有进展了吗？已经三天了。",
    "ja": "その後いかがでしょうか。もう3日経ちました。",
}
_HOSTILE_NAMES = ('<script>alert("name")</script>', 'Eve "><img src=x onerror=alert(1)>')
_HOSTILE_SUBJECTS = (
    '"><svg onload=alert(document.domain)> refund please',
    "Broken item </textarea><script>alert(3)</script>",
)
_HOSTILE_BODIES = (
    "Hi <img src=x onerror=alert('body')> my {ref} is late. {{ticket.id}} "
    "</script><script>alert(2)</script> javascript:alert(1)",
    '<iframe src="https://evil.example/"></iframe><a href="javascript:alert(4)">click</a> '
    "about {ref} &amp; &lt;b&gt;",
)


# --- reading the seller


def read_orders(seller_dir: Path) -> list[_Order]:
    """The seller's orders from its All Orders files (first line of each order), by date."""
    seen: dict[str, _Order] = {}
    for path in list_files(seller_dir):
        name = path.relative_to(seller_dir).as_posix()
        opener = _opener(path)
        try:
            if sniff_kind(opener, name) is not ReportKind.ORDERS:
                continue
            report = read_report(opener, name)
        except (ReportError, OSError):
            continue  # not an orders file, or unreadable: reconcile says why; we skip it
        extra = dict(_order_columns(path, name))
        for row in report.rows:
            assert isinstance(row, OrderRow)
            if row.order_id in seen:
                continue
            product, purchased = extra.get(row.source.line or 0, ("", None))
            seen[row.order_id] = _Order(
                row.order_id,
                row.item_status or "",
                row.sales_channel,
                product or row.sku,
                purchased,
            )
    return sorted(
        seen.values(), key=lambda o: (o.purchased or datetime.min.replace(tzinfo=UTC), o.order_id)
    )


def _opener(path: Path) -> Any:
    return lambda: path.open("rb")


def _order_columns(path: Path, name: str) -> Iterator[tuple[int, tuple[str, datetime | None]]]:
    """(line, (product-name, purchase-date)) of each row: columns the reader does not keep."""
    with open_bytes(_opener(path), name) as stream:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        header = text.readline()
        delimiter = "\t" if "\t" in header else ","
        quoted = delimiter == "," or '"' in header
        columns = [
            normalize_header(c)
            for c in next(csv.reader([header.rstrip("\r\n")], delimiter=delimiter))
        ]
        product = columns.index("productname") if "productname" in columns else None
        purchased = columns.index("purchasedate") if "purchasedate" in columns else None
        for line, fields in _records(text, delimiter, quoted):
            title = fields[product] if product is not None and product < len(fields) else ""
            moment = None
            if purchased is not None and purchased < len(fields):
                try:
                    moment = datetime.fromisoformat(fields[purchased].strip())
                    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
                except ValueError:
                    moment = None
            yield line, (title.strip(), moment)


def _records(
    text: io.TextIOWrapper, delimiter: str, quoted: bool
) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) of each record after the header, as the reader counts."""
    if not quoted:
        for number, line in enumerate(text, start=2):
            yield number, line.rstrip("\r\n").split("\t")
        return
    reader = csv.reader(text, delimiter=delimiter)
    while True:
        start = reader.line_num + 2
        try:
            fields = next(reader)
        except StopIteration:
            return
        yield start, fields


def _claim_orders(seller_dir: Path) -> list[str]:
    """Order ids with a planted claim (returns), so their tickets have something to show."""
    try:
        document = json.loads((seller_dir / ".planted" / "claims.json").read_text("utf-8"))
    except (OSError, ValueError):
        return []
    ids = [str(c.get("reference_id", "")) for c in document.get("claims", [])]
    return list(dict.fromkeys(i for i in ids if AMAZON_ORDER.fullmatch(i)))


def _as_of(seller_dir: Path, orders: list[_Order]) -> date:
    try:
        document = json.loads((seller_dir / ".planted" / "claims.json").read_text("utf-8"))
        return date.fromisoformat(document["as_of"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    dated = [o.purchased for o in orders if o.purchased]
    return (max(dated) + timedelta(days=3)).date() if dated else date.today()


# --- building the seed


def build_ticket_seed(seller_dir: Path, seed: int, *, tickets: int = 32) -> Seed:
    """The Zendesk seed for the seller in ``seller_dir`` (pure apart from reading it)."""
    rng = random.Random(f"{seed}:tickets")
    orders = read_orders(seller_dir)
    if not orders:
        raise ReportError(str(seller_dir), "no All Orders file with orders to write tickets about")
    as_of = _as_of(seller_dir, orders)
    end = datetime.combine(as_of, time(18, 0), UTC)
    by_id = {o.order_id: o for o in orders}
    claimed = [by_id[i] for i in _claim_orders(seller_dir) if i in by_id]
    others = [o for o in orders if o not in claimed]
    rng.shuffle(others)
    general = max(4, tickets // 7)
    chosen = (claimed[: max(1, (tickets - general) // 2)] + others)[: tickets - general - 1]
    users: dict[str, User] = {}
    agents = [User(**vars(a)) for a in DEFAULT_AGENTS]
    made: list[Ticket] = []
    comment_ids = iter(range(1, 1_000_000))

    def requester(email: str, name: str, language: str) -> User:
        if email not in users:
            users[email] = User(
                1000 + len(users) + 1, name, email, "end-user", _LOCALES[language], _ZONES[language]
            )
        return users[email]

    def add(
        subject: str,
        body: str,
        who: User,
        language: str,
        opened: datetime,
        fields: dict[int, str | None],
        tags: list[str],
        kind: str,
    ) -> None:
        opened = min(opened, end - timedelta(hours=2))
        comments = [Comment(next(comment_ids), who.id, body, None, True, opened)]
        turns = rng.random()
        if turns > 0.35:
            agent = agents[1] if language == "fr" else agents[2] if language == "zh" else agents[0]
            at = min(opened + timedelta(hours=rng.randint(2, 20)), end - timedelta(minutes=30))
            comments.append(
                Comment(next(comment_ids), agent.id, _AGENT_REPLY[language], None, True, at, "web")
            )
            if turns > 0.7:
                later = min(at + timedelta(days=rng.randint(1, 3)), end - timedelta(minutes=5))
                comments.append(
                    Comment(next(comment_ids), who.id, _FOLLOW_UP[language], None, True, later)
                )
        if kind in ("a_to_z", "chargeback") and rng.random() < 0.5:
            note = "Checked Seller Central: no A-to-z claim yet. Keep the tracking proof ready."
            at = comments[-1].created_at + timedelta(minutes=20)
            comments.append(
                Comment(next(comment_ids), agents[0].id, note, None, False, min(at, end), "web")
            )
        status = "new" if len(comments) == 1 else rng.choice(("open", "open", "pending"))
        made.append(
            Ticket(
                id=len(made) + 1,
                subject=subject,
                requester_id=who.id,
                created_at=opened,
                updated_at=max(c.created_at for c in comments),
                comments=comments,
                status=status,
                priority=rng.choice(("normal", "normal", None, "low")),
                tags=tags,
                custom_fields=fields,
                channel="email",
            )
        )

    for index, order in enumerate(chosen):
        language = _language(order, index)
        kind = _scenario(order, order in claimed, rng)
        mode = _REFERENCES[index % len(_REFERENCES)]
        with_id, without_id = _REF[language]
        ref = with_id.format(id=order.order_id) if mode in ("text", "body") else without_id
        subject, body = _TEXTS[kind][language]
        product = order.product or order.order_id
        body = body.format(ref=ref, product=product)
        body = body[0].upper() + body[1:]
        if mode == "text":
            subject = f"{subject} ({order.order_id})"
        hostile_here = index in (0, 2)
        name = buyer_name(order.order_id)
        if hostile_here:
            name = _HOSTILE_NAMES[index % len(_HOSTILE_NAMES)]
            subject = _HOSTILE_SUBJECTS[index % len(_HOSTILE_SUBJECTS)]
            english = _REF["en"][0].format(id=order.order_id)
            body = _HOSTILE_BODIES[index % len(_HOSTILE_BODIES)].replace("{ref}", english)
        if mode == "email":
            who = requester(buyer_email(order.order_id), name, language)
        else:  # buyers also write from their own address, not the relay
            email = buyer_email(order.order_id) if rng.random() < 0.5 else _own_email(order, rng)
            who = requester(email, name, language)
        fields: dict[int, str | None] = {
            ORDER_ID_FIELD_ID: order.order_id if mode == "field" else None
        }
        start = order.purchased or (end - timedelta(days=30))
        opened = start + timedelta(days=rng.randint(2, 25), minutes=rng.randint(0, 1439))
        channel_tag = "amazon_" + order.channel.lower().removeprefix("amazon.").replace(".", "_")
        add(subject, body, who, language, opened, fields, ["amazon", channel_tag], kind)

    for index in range(general):
        language = LANGUAGES[(index * 3 + 1) % len(LANGUAGES)]
        subject, body = _GENERAL[language]
        first = rng.choice(("sam", "lea", "jonas", "mei", "yuki", "marco", "sofia"))
        who = requester(f"{first}.{rng.randint(10, 99)}@example.net", first.capitalize(), language)
        opened = end - timedelta(days=rng.randint(1, 20), minutes=rng.randint(0, 1439))
        add(subject, body, who, language, opened, {ORDER_ID_FIELD_ID: None}, ["web"], "general")

    # One more hostile ticket with no order: script in the name, the subject and the body.
    who = requester("mallory@example.net", _HOSTILE_NAMES[0], "en")
    add(
        _HOSTILE_SUBJECTS[1],
        _HOSTILE_BODIES[0].replace("{ref}", "order"),
        who,
        "en",
        end - timedelta(days=1),
        {ORDER_ID_FIELD_ID: None},
        ["web"],
        "general",
    )

    made.sort(key=lambda t: t.created_at)
    for number, ticket in enumerate(made, start=1):
        ticket.id = number
    return Seed(
        users=agents + sorted(users.values(), key=lambda u: u.id),
        tickets=made,
        ticket_fields=[TicketField(ORDER_ID_FIELD_ID, "Order ID", "text", "order_id")],
    )


def write_ticket_seed(seller_dir: Path, out_file: Path, seed: int) -> TicketSeedSummary:
    """Write the Zendesk sandbox seed for the generated seller in ``seller_dir``."""
    document = build_ticket_seed(Path(seller_dir), seed)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    staging = out_file.with_name(f".{out_file.name}.tmp")
    staging.write_text(
        json.dumps(seed_document(document), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    staging.replace(out_file)
    return _summary(out_file, document)


def _summary(path: Path, seed: Seed) -> TicketSeedSummary:
    users = {u.id: u for u in seed.users}
    in_text = field_only = email_only = without = hostile = 0
    languages: set[str] = set()
    orders: list[str] = []
    for ticket in seed.tickets:
        text = ticket.subject + " " + ticket.comments[0].body
        found = AMAZON_ORDER.search(text)
        field = ticket.custom_fields.get(ORDER_ID_FIELD_ID)
        email = users[ticket.requester_id].email
        languages.add(users[ticket.requester_id].locale.split("-")[0])
        if "<" in text or "<" in users[ticket.requester_id].name:
            hostile += 1
        if found:
            in_text += 1
            orders.append(found[0])
        elif field:
            field_only += 1
            orders.append(field)
        elif email.endswith("@marketplace.amazon.com"):
            email_only += 1
        else:
            without += 1
    return TicketSeedSummary(
        path,
        len(seed.tickets),
        tuple(sorted(languages)),
        in_text,
        field_only,
        email_only,
        without,
        hostile,
        tuple(orders),
    )


def _language(order: _Order, index: int) -> str:
    """The marketplace's language; buyers on English marketplaces write in any of them."""
    local = _CHANNEL_LANGUAGE.get(order.channel.lower())
    if local is not None and index % 3 != 2:
        return local
    return ("en", "es", "zh", "ja", "it", "en", "fr", "de")[index % 8]


def _scenario(order: _Order, has_claim: bool, rng: random.Random) -> str:
    status = order.status.lower()
    if status == "cancelled":
        return "cancelled_refund"
    if status in ("pending", "unshipped"):
        return "cancel"
    if has_claim:
        return rng.choice(("return_refund", "return_refund", "damaged", "a_to_z"))
    return rng.choice(
        (
            "never_arrived",
            "never_arrived",
            "damaged",
            "wrong_item",
            "a_to_z",
            "chargeback",
            "counterfeit",
            "return_refund",
        )
    )


def _own_email(order: _Order, rng: random.Random) -> str:
    first, _, last = buyer_name(order.order_id).partition(" ")
    local = re.sub(r"[^a-z0-9.]", "", f"{first}.{last}".lower().replace("'", "")) or "buyer"
    domain = rng.choice(
        ("gmail.com", "outlook.com", "web.de", "orange.fr", "qq.com", "yahoo.co.jp")
    )
    return f"{local}{rng.randint(1, 99)}@{domain}"
