"""Reply wording: the default in every language, placeholders, escaping, the relay rule and
the checks that keep an admin's template renderable."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from plugin.domain import replies
from plugin.domain.tracking import STATUSES, tracking_url

NUMBER = "1Z999AA10123456784"
URL = tracking_url("ups", NUMBER)
PARCEL = replies.ParcelFacts(
    order_id="112-1234567-7654321",
    carrier="ups",
    tracking_number=NUMBER,
    status="in_transit",
    url=URL,
    estimated_delivery=datetime(2026, 11, 4, 23, 30, tzinfo=UTC),
    customer_name="Léa Dubois",
)
PARIS = ZoneInfo("Europe/Paris")


class _Tags(HTMLParser):
    """The tags and attributes of an HTML fragment, to check what it would run."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("kind", replies.KINDS)
@pytest.mark.parametrize("language", replies.LANGUAGES)
def test_every_default_renders_fully_in_its_language(kind: str, language: str) -> None:
    body = replies.default_body(kind, language)
    assert replies.check_template(body) == body  # the defaults pass the admins' checks
    out = replies.render_reply(body, PARCEL, language, PARIS, links=True)
    for text in (out.text, out.html):
        assert "{" not in text and "}" not in text
        assert PARCEL.order_id in text and NUMBER in text and "UPS" in text
    assert replies.STATUS_WORDS[language]["in_transit"] in out.text
    assert URL is not None and URL in out.text
    expected_name = "Léa Dubois" if language in ("zh-cn", "ja") else "Léa"
    assert expected_name in out.text
    # The estimate is the day in the customer's zone: 23:30 UTC is the 5th in Paris.
    assert "5" in replies.format_day(PARCEL.estimated_delivery, language, PARIS)  # type: ignore[arg-type]
    assert replies.format_day(PARCEL.estimated_delivery, language, PARIS) in out.text  # type: ignore[arg-type]
    links = [attrs for tag, attrs in tags_of(out.html) if tag == "a"]
    assert links == [{"href": URL}]


def test_the_defaults_differ_per_language_and_kind() -> None:
    bodies = [replies.default_body(k, lang) for k in replies.KINDS for lang in replies.LANGUAGES]
    assert len(set(bodies)) == len(bodies)
    for language in replies.LANGUAGES:
        auto = replies.default_body(replies.WISMO_AUTO_REPLY, language)
        assert auto.startswith(replies.default_body(replies.TRACKING_INSERT, language))


@pytest.mark.parametrize("language", replies.LANGUAGES)
def test_every_status_has_its_own_words(language: str) -> None:
    words = replies.STATUS_WORDS[language]
    assert set(words) == set(STATUSES)
    assert len(set(words.values())) == len(STATUSES)


def test_english_reads_as_written() -> None:
    out = replies.render_reply(
        replies.default_body(replies.TRACKING_INSERT, "en"), PARCEL, "en", PARIS, links=True
    )
    assert out.text == (
        "Hello Léa,\n\n"
        "Thank you for your message. Here is the latest on your order 112-1234567-7654321:\n"
        f"Carrier: UPS, tracking number {NUMBER}\n"
        "Status: in transit\n"
        "Expected delivery: Thursday, November 5, 2026\n"
        f"Follow your parcel: {URL}"
    )
    assert out.html.startswith("<p>Hello Léa,</p><p>Thank you for your message.")
    assert out.html.count("<br>") == 4


def test_customer_text_is_escaped_in_html_and_kept_in_text() -> None:
    hostile = replies.ParcelFacts(
        order_id='<img src=x onerror="alert(1)">',
        carrier="ups",
        tracking_number='"><script>alert(2)</script>',
        status="in_transit",
        url='https://track.example/?a=1&b="><script>alert(3)</script>',
        customer_name="<b>Mallory</b>",
    )
    body = "Hi {first_name} {order_id} {tracking_number} <i>{{ok}}</i>\n{link}"
    out = replies.render(body, replies.values_for(hostile, "ja", PARIS, links=True))
    assert [tag for tag, _ in tags_of(out.html)] == ["p", "br", "a"]  # nothing else runs
    anchor = next(attrs for tag, attrs in tags_of(out.html) if tag == "a")
    assert anchor["href"] == hostile.url  # the attribute holds the URL, quotes escaped
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in out.html and "&lt;i&gt;{ok}&lt;/i&gt;" in out.html
    assert "<b>Mallory</b>" in out.text and "<i>{ok}</i>" in out.text  # text is text


def test_a_link_that_is_not_a_web_link_is_left_out() -> None:
    parcel = replies.ParcelFacts("1", "ups", "N1", "in_transit", "javascript:alert(1)")
    out = replies.render(
        "Number {tracking_number}\nTrack: {link}",
        replies.values_for(parcel, "en", PARIS, links=True),
    )
    assert out.text == "Number N1" and "javascript" not in out.html


@pytest.mark.parametrize(
    ("email", "relay"),
    [
        ("3k8x2m9q7w1zt5@marketplace.amazon.com", True),
        ("abc@marketplace.amazon.de", True),
        ("ABC@Marketplace.Amazon.co.uk", True),
        ("abc@marketplace.amazon.co.jp", True),
        ("lea@example.net", False),
        ("amazon@marketplace.example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_marketplace_relay_addresses_get_no_link(email: str | None, relay: bool) -> None:
    assert replies.is_marketplace_relay(email) is relay
    assert replies.links_allowed(email) is not relay
    body = replies.default_body(replies.WISMO_AUTO_REPLY, "de")
    out = replies.render_reply(body, PARCEL, "de", PARIS, links=replies.links_allowed(email))
    assert (URL in out.text) is not relay
    assert ("<a " in out.html) is not relay
    assert NUMBER in out.text  # the tracking number stays, as plain text
    assert "Sendung verfolgen" in out.text if not relay else "Sendung verfolgen" not in out.text


def test_unknown_values_leave_out_their_lines_and_keep_the_text_tidy() -> None:
    parcel = replies.ParcelFacts("7", "other", "N1", "unknown", None)
    values = replies.values_for(parcel, "en", PARIS, links=True)
    assert values["eta"] == "" and values["link"] == "" and values["first_name"] == ""
    out = replies.render_reply(
        replies.default_body(replies.TRACKING_INSERT, "en"), parcel, "en", PARIS, links=True
    )
    assert out.text.startswith("Hello,\n\n")  # no "Hello ,"
    assert "Expected delivery" not in out.text and "Follow your parcel" not in out.text
    assert "Carrier: —, tracking number N1" in out.text
    assert "Status: no update from the carrier yet" in out.text
    japanese = replies.render_reply(
        replies.default_body(replies.TRACKING_INSERT, "ja"), parcel, "ja", PARIS, links=True
    )
    assert japanese.text.startswith("お客様\n")  # "{first_name}様" with no name
    italian = replies.values_for(parcel, "it", PARIS, links=True)
    assert italian["first_name"] == "cliente"  # "Gentile cliente,"


def test_a_delivered_parcel_says_when_and_a_cancelled_one_gives_no_estimate() -> None:
    delivered = replies.ParcelFacts(
        "1",
        "usps",
        "9400",
        "delivered",
        None,
        estimated_delivery=datetime(2026, 11, 9, tzinfo=UTC),
        delivered_at=datetime(2026, 11, 2, 15, tzinfo=UTC),
    )
    assert replies.values_for(delivered, "fr", PARIS, links=True)["eta"] == "lundi 2 novembre 2026"
    cancelled = replies.ParcelFacts(
        "1", "usps", "9400", "cancelled", None, estimated_delivery=datetime(2026, 11, 9, tzinfo=UTC)
    )
    assert replies.values_for(cancelled, "fr", PARIS, links=True)["eta"] == ""


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("fr-CA", "fr"),
        ("de", "de"),
        ("es-MX", "es"),
        ("it_IT", "it"),
        ("ja-JP", "ja"),
        ("zh", "zh-cn"),
        ("zh-CN", "zh-cn"),
        ("zh-Hans", "zh-cn"),
        ("zh-TW", "en"),
        ("pt-BR", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_reply_language(tag: str | None, language: str) -> None:
    assert replies.reply_language(tag) == language


def test_first_names() -> None:
    assert replies.first_name("  Léa   Dubois ", "fr") == "Léa"
    assert replies.first_name("山田 太郎", "ja") == "山田 太郎"
    assert replies.first_name("王小明", "zh-cn") == "王小明"
    assert replies.first_name("lea@example.net", "en") == ""
    assert replies.first_name("X" * 200, "en") == "X" * replies.MAX_NAME


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Hello {name}, {link}", r"unknown placeholder \{name\} \(line 1\)"),
        (
            "{link}\n{Order_ID} { eta } {etaa}",
            r"unknown placeholders \{Order_ID\} \(line 2\), \{etaa\} \(line 2\);",
        ),
        ("Hi {first_name}\nTrack {link", r"line 2: a lone '\{' at column 7"),
        ("Hi } {link}", r"line 1: a lone '\}'"),
        ("Hello {first_name}, your order {order_id}", r"must name the parcel"),
        ("   \n\n", r"the template is empty"),
        ("{link}" + "x" * replies.MAX_LENGTH, r"at most 4000"),
        ("{link}\x07", r"control character"),
    ],
)
def test_unusable_templates_are_refused_with_a_clear_reason(body: str, message: str) -> None:
    with pytest.raises(replies.TemplateError, match=message):
        replies.check_template(body)


def test_the_refusal_lists_every_placeholder_one_may_use() -> None:
    with pytest.raises(replies.TemplateError) as raised:
        replies.check_template("{tracking_no}")
    for name in replies.PLACEHOLDERS:
        assert f"{{{name}}}" in str(raised.value)


def test_a_checked_template_keeps_its_words_and_braces() -> None:
    body = "Bonjour {first_name} !\r\n\r\nSuivi : {link}  \r\n{{pas un champ}}\n"
    checked = replies.check_template(body)
    assert checked == "Bonjour {first_name} !\n\nSuivi : {link}\n{{pas un champ}}"
    out = replies.render_reply(checked, PARCEL, "fr", PARIS, links=True)
    assert out.text == f"Bonjour Léa !\n\nSuivi : {URL}\n{{pas un champ}}"


def test_unknown_kinds_and_languages_are_refused() -> None:
    with pytest.raises(replies.TemplateError, match="unknown reply kind"):
        replies.default_body("welcome", "en")
    with pytest.raises(replies.TemplateError, match="one of en, fr, de, es, it, zh-cn, ja"):
        replies.default_body(replies.TRACKING_INSERT, "pt")


def test_blank_lines_collapse_when_optional_lines_go() -> None:
    out = replies.render("A {tracking_number}\n\n{link}\n\n\nB", {"tracking_number": "N"})
    assert out.text == "A N\n\nB"
    assert out.html == "<p>A N</p><p>B</p>"
    assert not re.search(r"<p></p>", out.html)
