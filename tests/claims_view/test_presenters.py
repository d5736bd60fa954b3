"""Money, badges, the chart's scale and its SVG: pure functions, tables of cases."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from plugin.claims.chart import nice_step, render_chart
from plugin.claims.presenters import Translator, deadline_badge, format_money, pick_language
from plugin.services.claims_view import ClaimsViewError, MonthlySeries, parse_key

NB, NNB = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("amount", "currency", "language", "text"),
    [
        ("1234.5", "USD", "en", "$1,234.50"),
        ("1234.5", "USD", "fr", f"1{NNB}234,50{NB}$ US"),
        ("1234567.891", "EUR", "fr", f"1{NNB}234{NNB}567,89{NB}€"),
        ("0.005", "GBP", "en", "£0.01"),  # half up, once
        ("-20", "USD", "en", "-$20.00"),
        ("1500.5", "JPY", "en", "¥1,501"),  # no minor unit
        ("12", "SEK", "en", f"SEK{NB}12.00"),
        ("12", "SEK", "fr", f"12,00{NB}SEK"),
    ],
)
def test_money_is_formatted_per_currency_and_language(
    amount: str, currency: str, language: str, text: str
) -> None:
    assert format_money(Decimal(amount), currency, language) == text


def test_money_without_an_amount_or_currency_is_a_dash() -> None:
    assert format_money(None, "USD", "en") == "—"
    assert format_money(Decimal("1"), None, "en") == "—"


@pytest.mark.parametrize(
    ("status", "days_left", "days_to_open", "text", "tone"),
    [
        ("claimable", 0, -30, "last day", "urgent"),
        ("claimable", 1, -30, "1 day left", "urgent"),
        ("claimable", 7, -30, "7 days left", "urgent"),
        ("claimable", 8, -30, "8 days left", "soon"),
        ("claimable", 31, -5, "31 days left", "ok"),
        ("waiting", 40, 5, "opens in 5 days", "waiting"),
        ("expired", -3, -60, "expired 3 days ago", "expired"),
        ("waiting", None, None, "no deadline", "none"),
    ],
)
def test_deadline_badges(
    status: str, days_left: int | None, days_to_open: int | None, text: str, tone: str
) -> None:
    badge = deadline_badge(Translator("en"), status, days_left, days_to_open)
    assert (badge.text, badge.tone) == (text, tone)


def test_french_badges_and_fallback_to_english_for_unknown_keys() -> None:
    t = Translator("fr")
    assert deadline_badge(t, "claimable", 3, -1).text == "3 jours restants"
    assert t("no.such.key") == "no.such.key"
    assert t.kind("warehouse_lost") == "Perdu dans un centre de distribution"
    assert t.kind("removal_lost") == "removal_lost"  # a later kind, not translated yet


@pytest.mark.parametrize(
    ("asked", "accept", "language"),
    [("fr", [], "fr"), ("FR-ca", [], "fr"), (None, ["de-DE", "fr-FR"], "fr"), ("xx", [], "en")],
)
def test_language_choice(asked: str | None, accept: list[str], language: str) -> None:
    assert pick_language(asked, accept) == language


@pytest.mark.parametrize(
    ("maximum", "step"),
    [
        ("0", "1"),
        ("3", "1"),
        ("7.5", "2"),
        ("9", "2.5"),
        ("180", "50"),
        ("1234", "500"),
        ("40000", "10000"),
        ("0.04", "0.01"),
    ],  # fmt: skip
)
def test_gridline_steps_are_round_and_cover_the_maximum(maximum: str, step: str) -> None:
    found = nice_step(Decimal(maximum))
    assert found == Decimal(step)
    assert found * 4 >= Decimal(maximum)


def test_the_chart_draws_two_bars_per_month_to_scale_with_exact_titles() -> None:
    series = MonthlySeries(
        ["2026-09", "2026-10", "2026-11"],
        {"USD": {"2026-10": Decimal("400.00"), "2026-11": Decimal("100.00")}},
        {"USD": {"2026-09": Decimal("200.00")}},
    )
    svg = str(render_chart(series, "USD", Translator("en")))
    bars = re.findall(
        r'<rect class="bar (recovered|missed)" data-month="([\d-]+)" data-value="([\d.]+)" '
        r'x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)">',
        svg,
    )
    assert len(bars) == 6
    heights = {(kind, month): float(height) for kind, month, _, _, height in bars}
    assert heights[("recovered", "2026-10")] == pytest.approx(200.0)  # the full plot height
    assert heights[("missed", "2026-09")] == pytest.approx(100.0)
    assert heights[("recovered", "2026-11")] == pytest.approx(50.0)
    assert heights[("missed", "2026-11")] == 0.0
    assert "<title>Oct 2026, Recovered (reimbursements): $400.00</title>" in svg
    assert ">Sep<" in svg and ">$400.00<" in svg  # month label and top gridline


def test_claim_keys_keep_colons_in_the_sku() -> None:
    assert parse_key("warehouse_lost:482910331:MUG:BLUE") == (
        "warehouse_lost",
        "482910331",
        "MUG:BLUE",
    )
    with pytest.raises(ClaimsViewError, match="is not a claim key"):
        parse_key("warehouse_lost:482910331")
