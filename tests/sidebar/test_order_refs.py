"""Order references in ticket text: real ids found, look-alikes left alone."""

from __future__ import annotations

import pytest

from plugin.domain.order_refs import (
    AMAZON,
    DESCRIPTION,
    ORDER_FIELD,
    SHOPIFY,
    SUBJECT,
    TIKTOK,
    OrderRef,
    find_order_refs,
)


def ids(text: str) -> list[tuple[str | None, str]]:
    return [(ref.channel, ref.order_id) for ref in find_order_refs(description=text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where is my order 112-1234567-7654321?", [(AMAZON, "112-1234567-7654321")]),
        ("Commande n° 405-0000001-0000002 pas reçue", [(AMAZON, "405-0000001-0000002")]),
        ("我的订单号是111-9876543-2109876，还没收到", [(AMAZON, "111-9876543-2109876")]),
        ("Bestellung 302-1111111-2222222 beschädigt", [(AMAZON, "302-1111111-2222222")]),
        # Dashes from Word and Outlook, and full-width digits from Chinese input methods.
        ("order 112\u20131234567\u20137654321", [(AMAZON, "112-1234567-7654321")]),
        ("order 112\u20111234567\u20117654321", [(AMAZON, "112-1234567-7654321")]),
        ("order 112\u22121234567\u22127654321", [(AMAZON, "112-1234567-7654321")]),
        ("订单１１２－１２３４５６７－７６５４３２１", [(AMAZON, "112-1234567-7654321")]),
        ("(112-1234567-7654321).", [(AMAZON, "112-1234567-7654321")]),
        ("<b>112-1234567-7654321</b>", [(AMAZON, "112-1234567-7654321")]),
        # Shopify: #1001-style numbers.
        ("Hi, order #1001 arrived broken", [(SHOPIFY, "#1001")]),
        ("Order #12345 and order #12346", [(SHOPIFY, "#12345"), (SHOPIFY, "#12346")]),
        ("commande #4821 : colis vide", [(SHOPIFY, "#4821")]),
        ("订单#5532没有到", [(SHOPIFY, "#5532")]),
        ("Order # 2044", [(SHOPIFY, "#2044")]),
        ("Order#1001 is late", [(SHOPIFY, "#1001")]),
        ("Pedido #1043 no llegó", [(SHOPIFY, "#1043")]),
        ("Bestellung #2210 ist beschädigt", [(SHOPIFY, "#2210")]),
        ("注文番号 #3301 が届きません", [(SHOPIFY, "#3301")]),
        ("ご注文#3302", [(SHOPIFY, "#3302")]),
        ("my order #12 never came", [(SHOPIFY, "#12")]),
        ("commande n° #37", [(SHOPIFY, "#37")]),
        ("我的订单号#88", [(SHOPIFY, "#88")]),
        ("订单 ＃１００２", [(SHOPIFY, "#1002")]),
        # TikTok Shop: exactly 18 digits.
        ("TikTok order 576834291045783920 missing", [(TIKTOK, "576834291045783920")]),
        ("订单号：577123456789012345", [(TIKTOK, "577123456789012345")]),
        (
            "https://seller.tiktok.com/order/detail?order_no=576834291045783920",
            [(TIKTOK, "576834291045783920")],
        ),
        # Several channels in one message keep their order of appearance.
        (
            "#1001 then 112-1234567-7654321 then 576834291045783920",
            [(SHOPIFY, "#1001"), (AMAZON, "112-1234567-7654321"), (TIKTOK, "576834291045783920")],
        ),
    ],
)
def test_finds_real_references(text: str, expected: list[tuple[str, str]]) -> None:
    assert ids(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Thanks for your help!",
        # Not an Amazon id: wrong group sizes, inside longer ids, spaces instead of dashes.
        "112-123456-7654321",
        "1112-1234567-7654321",
        "112-1234567-76543210",
        "112-1234567-7654321-9",
        "9-112-1234567-7654321",
        "112 1234567 7654321",
        "1121234567765432",
        # Shopify look-alikes: tickets, apartments, colours, entities, short numbers alone.
        "Re: ticket #12345 follow-up",
        "Apt #1203, 5th Avenue",
        "Suite #2100 Main St",
        "Case #45678 with Amazon",
        "appartement #1204, Paris",
        "3号楼#1203",
        "房间#1024",
        "color: #123456;",
        "&#1234; is an entity",
        "hashtag#2024",
        "abc#1234",
        "Wohnung #1204, 3. Stock",
        "factura #20260012",
        "Call me at +1 (555) 123-4567 or 555-1234567",
        "Delivered on 2026-11-22 at 10:45",
        "UPS 1Z999AA10123456784",
        "Ticket #123456 (Re: Ticket #123455)",
        "we are #1 in the market",
        "item #42 of the catalog",
        "I called 3 times (#3)",
        "code #0042",
        # TikTok look-alikes: longer or shorter numbers.
        "5768342910457839201",
        "57683429104578392",
        "token=a576834291045783920b",
        "sha1 d41d8cd98f00b204e9800998ecf8427e576834291045783920",
        "IBAN FR7630006000011234567890189",
        "USPS 9400111899223817482935",
    ],
)
def test_leaves_look_alikes_alone(text: str) -> None:
    assert ids(text) == []


def test_each_order_once_with_the_most_authoritative_place() -> None:
    refs = find_order_refs(
        order_field="112-1234567-7654321",
        subject="Re: 112-1234567-7654321 and #1001",
        description="#1001, again #1001, and 576834291045783920",
    )
    assert refs == [
        OrderRef(AMAZON, "112-1234567-7654321", ORDER_FIELD),
        OrderRef(SHOPIFY, "#1001", SUBJECT),
        OrderRef(TIKTOK, "576834291045783920", DESCRIPTION),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("112-1234567-7654321", (AMAZON, "112-1234567-7654321")),
        ("  112-1234567-7654321 \n", (AMAZON, "112-1234567-7654321")),
        ("#1001", (SHOPIFY, "#1001")),
        ("1001", (SHOPIFY, "#1001")),  # a bare number in the field is a Shopify number
        ("#7", (SHOPIFY, "#7")),  # the field names an order: short numbers count there
        ("576834291045783920", (TIKTOK, "576834291045783920")),
        ("SO-2026-0042", (None, "SO-2026-0042")),  # kept as typed, looked up in any channel
    ],
)
def test_order_field(value: str, expected: tuple[str | None, str]) -> None:
    refs = find_order_refs(order_field=value)
    assert [(ref.channel, ref.order_id) for ref in refs] == [expected]
    assert refs[0].found_in == ORDER_FIELD


@pytest.mark.parametrize("value", ["", "   ", "n/a?", "<script>alert(1)</script>", "a b c"])
def test_order_field_without_an_id(value: str) -> None:
    assert find_order_refs(order_field=value) == []


def test_shopify_refs_are_looked_up_with_and_without_the_hash() -> None:
    (ref,) = find_order_refs(subject="order #1001")
    assert ref.lookup_ids == ("#1001", "1001")
    (amazon,) = find_order_refs(subject="112-1234567-7654321")
    assert amazon.lookup_ids == ("112-1234567-7654321",)


def test_script_in_text_is_just_text() -> None:
    text = '<script>fetch("/x?112-1234567-7654321")</script><img src=x onerror=alert(1)>'
    assert ids(text) == [(AMAZON, "112-1234567-7654321")]
