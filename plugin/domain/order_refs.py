"""Order references in a ticket: which orders the customer is writing about.

Pure text rules, tuned to find real order ids and to skip look-alikes. A false hit costs more
than a miss: the sidebar would show another customer's order, so the rules are conservative.

- Amazon: ``NNN-NNNNNNN-NNNNNNN`` (3-7-7 digits), not inside a longer run of digits or dashes.
  Dashes pasted through word processors and mail clients (hyphen U+2010, non-breaking hyphen,
  figure dash, en/em dash, minus sign, full-width hyphen) count as ``-``; spaces do not (a
  spaced group of digits is too often a phone number).
- Shopify: ``#`` followed by 4 to 10 digits (Shopify numbers orders from #1001), not glued to
  a word (``abc#1234``; "Order#1234" is fine), not an HTML entity (``&#1234;``), no leading
  zero, and not right after a word that names something else: ticket, case, apartment, suite,
  room … (see ``NOT_ORDER_WORDS``). ``#`` with 1-3 digits counts only right after an order word
  ("order #12", "commande n°#12", "订单 #12").
- TikTok Shop: exactly 18 digits, not inside a longer number or a token of letters and digits.
- The Order ID field holds one id as the agent or a form typed it. It is read with the rules
  above, plus: a bare 4-10 digit number there is a Shopify number, and anything else that looks
  like an id (letters, digits, ``-``, ``#``) is kept as typed with no channel.

Text is NFKC-normalised first, so full-width digits (``１１１-…``) and the full-width ``＃``
match. Each order appears once, with the most authoritative place it was found (the field,
then the subject, then the description).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

AMAZON = "amazon"
SHOPIFY = "shopify"
TIKTOK = "tiktok"

ORDER_FIELD = "order_field"
SUBJECT = "subject"
DESCRIPTION = "description"
PLACES = (ORDER_FIELD, SUBJECT, DESCRIPTION)  # most authoritative first

# Dashes people paste in place of "-" (NFKC already maps the full-width hyphen-minus).
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212\ufe58\ufe63"
_DASH = f"[-{_DASHES}]"

_AMAZON = re.compile(
    rf"(?<![0-9{_DASHES}-])([0-9]{{3}}){_DASH}([0-9]{{7}}){_DASH}([0-9]{{7}})(?![0-9])"
)
_AMAZON_TAIL = re.compile(rf"{_DASH}[0-9]")  # right after an id: "…-1234567-8" is longer
# Not inside a longer number or a token ("abc576834…" in a URL key, a hash).
_TIKTOK = re.compile(r"(?<![0-9A-Za-z_])[0-9]{18}(?![0-9A-Za-z_])")
# "#" + digits; what precedes is checked in code (the word before it matters).
_HASH_NUMBER = re.compile(r"#\s?([0-9]{1,10})(?![0-9])")
_WORD_CHAR = re.compile(r"\w")

# Words (lower case) after which "#1234" names something that is not an order.
NOT_ORDER_WORDS = frozenset(
    {
        # en
        "ticket", "case", "request", "req", "issue", "ref", "invoice", "po", "apt", "apartment",
        "suite", "ste", "unit", "room", "rm", "floor", "fl", "box", "building", "bldg", "lot",
        "flat", "house", "store", "shop", "table", "seat", "gate", "track", "item", "sku",
        "model", "part", "serial", "pin", "account", "acct", "member", "phone", "tel", "ext",
        "color", "colour", "background", "fill",
        # fr
        "appartement", "appt", "chambre", "bureau", "étage", "bâtiment", "porte", "boîte",
        "facture", "dossier", "demande", "réclamation",
        # es / pt / de / it
        "caso", "solicitud", "piso", "habitación", "factura", "fatura", "quarto", "wohnung",
        "zimmer", "rechnung", "fall", "anfrage", "stanza", "fattura", "richiesta",
        # zh / ja (usually written without spaces: matched as suffixes, see _word_before)
        "工单", "房间", "室", "号楼", "单元", "发票", "案例", "チケット", "部屋",
    }
)  # fmt: skip
# Words after which a short "#12" is taken as an order number.
ORDER_WORDS = frozenset(
    {
        "order", "orders", "order no", "commande", "cde", "pedido", "bestellung", "ordine",
        "encomenda", "订单", "订单号", "注文", "注文番号", "주문",
    }
)  # fmt: skip
_NUMBER_SIGNS = ("n°", "no.", "no", "nr.", "nr", "num", "number", "numéro", "número", "号", ":")


@dataclass(frozen=True)
class OrderRef:
    """One order the ticket mentions: its channel (None: as typed, unknown) and id."""

    channel: str | None
    order_id: str
    found_in: str  # ORDER_FIELD, SUBJECT or DESCRIPTION

    @property
    def lookup_ids(self) -> tuple[str, ...]:
        """The ids to look up in the store (Shopify orders may be kept with or without #)."""
        if self.channel == SHOPIFY:
            return (self.order_id, self.order_id.lstrip("#"))
        return (self.order_id,)


def find_order_refs(
    *, order_field: str | None = None, subject: str | None = None, description: str | None = None
) -> list[OrderRef]:
    """Every distinct order reference, in the order found (field, subject, description)."""
    found: dict[tuple[str | None, str], OrderRef] = {}
    texts = ((ORDER_FIELD, order_field), (SUBJECT, subject), (DESCRIPTION, description))
    for place, text in texts:
        if not text:
            continue
        refs = _field_refs(text) if place == ORDER_FIELD else _text_refs(text)
        for channel, order_id in refs:
            found.setdefault((channel, order_id), OrderRef(channel, order_id, place))
    return list(found.values())


def _field_refs(value: str) -> list[tuple[str | None, str]]:
    text = unicodedata.normalize("NFKC", value).strip()
    refs = list(_text_refs(text, field=True))
    if refs:
        return refs
    if re.fullmatch(r"[0-9]{4,10}", text):
        return [(SHOPIFY, f"#{text}")]
    if re.fullmatch(r"[A-Za-z0-9#][A-Za-z0-9#_\-]{2,63}", text):
        return [(None, text)]
    return []


def _text_refs(value: str, *, field: bool = False) -> Iterator[tuple[str | None, str]]:
    text = unicodedata.normalize("NFKC", value)
    hits: list[tuple[int, str | None, str]] = []
    for match in _AMAZON.finditer(text):
        if _AMAZON_TAIL.match(text, match.end()):
            continue
        hits.append((match.start(), AMAZON, "-".join(match.groups())))
    for match in _TIKTOK.finditer(text):
        hits.append((match.start(), TIKTOK, match.group()))
    for match in _HASH_NUMBER.finditer(text):
        number = match.group(1)
        if _is_shopify(text, match.start(), number, field=field):
            hits.append((match.start(), SHOPIFY, f"#{int(number)}"))
    for _, channel, order_id in sorted(hits, key=lambda hit: hit[0]):
        yield channel, order_id


def _is_shopify(text: str, start: int, number: str, *, field: bool) -> bool:
    before = text[:start]
    if before.endswith("&") or number.startswith("0"):
        return False  # "&#1234;" is an HTML entity; Shopify numbers have no leading zero
    word = _word_before(before)
    is_order_word = word in ORDER_WORDS or any(word.endswith(w) for w in ORDER_WORDS)
    glued = bool(before) and bool(_WORD_CHAR.match(before[-1])) and not _is_cjk(before[-1])
    if glued and not is_order_word:
        return False  # "abc#1234": a tag or a hash, but "Order#1234" is an order
    if word in NOT_ORDER_WORDS or any(word.endswith(w) for w in NOT_ORDER_WORDS if _is_cjk(w)):
        return False
    return len(number) >= 4 or field or is_order_word


def _word_before(before: str) -> str:
    """The word right before a ``#`` (lower case), skipping "no."/"n°" and punctuation."""
    tail = before.rstrip().lower()
    for sign in sorted(_NUMBER_SIGNS, key=len, reverse=True):
        if tail.endswith(sign) and (sign in ("号", ":") or not _ends_inside_word(tail, sign)):
            tail = tail[: -len(sign)].rstrip()
            break
    tail = tail.rstrip(" :.,(-")
    if tail.endswith("order no"):
        return "order no"
    match = re.search(r"(\w+)\Z", tail)
    return match.group(1) if match else ""


def _ends_inside_word(tail: str, sign: str) -> bool:
    """True when ``sign`` is the end of a longer word ("casino" does not end in "no")."""
    rest = tail[: -len(sign)]
    return bool(rest) and bool(_WORD_CHAR.match(rest[-1]))


def _is_cjk(word: str) -> bool:
    return any(ord(char) > 0x2E80 for char in word)
