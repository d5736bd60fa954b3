"""The monthly chart, drawn on the server as inline SVG: no chart library, readable without JS.

Two bars per month (recovered, missed) on a shared scale with round gridlines; each bar has a
``<title>`` with the exact amount, so hovering (or a screen reader) gives the figure.
"""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from plugin.claims.presenters import Translator
from plugin.services.claims_view import MonthlySeries

WIDTH = 720
HEIGHT = 240
LEFT = 64  # room for the axis labels
RIGHT = 8
TOP = 12
BOTTOM = 28
GRIDLINES = 4


def nice_step(maximum: Decimal, lines: int = GRIDLINES) -> Decimal:
    """A round gridline step (1, 2, 2.5 or 5 times a power of ten) that covers ``maximum``."""
    if maximum <= 0:
        return Decimal(1)
    raw = maximum / lines
    power = Decimal(10) ** max(raw.adjusted(), -2)  # cents at the finest
    for factor in (1, 2, Decimal("2.5"), 5):
        step = power * factor
        if step * lines >= maximum:
            return step
    return power * 10


def render_chart(series: MonthlySeries, currency: str, t: Translator) -> Markup:
    """One currency's bars: recovered (green) and missed (red) per month."""
    recovered = [series.recovered.get(currency, {}).get(m, Decimal(0)) for m in series.months]
    missed = [series.missed.get(currency, {}).get(m, Decimal(0)) for m in series.months]
    peak = max([*recovered, *missed, Decimal(0)])
    step = nice_step(peak)
    top = step * GRIDLINES
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / len(series.months)
    bar = slot * 0.36

    def y(value: Decimal) -> float:
        return TOP + plot_h - float(max(value, Decimal(0)) / top) * plot_h

    label = escape(t("chart.label", currency=currency))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{label}" data-currency="{escape(currency)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{label}</title>",
    ]
    for line in range(GRIDLINES + 1):
        value = step * line
        at = y(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" y2="{at:.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{at + 4:.1f}" text-anchor="end">'
            f"{escape(t.money(value, currency))}</text>"
        )
    for index, month in enumerate(series.months):
        x = LEFT + index * slot + (slot - 2 * bar) / 2
        for offset, value, name, css in (
            (0.0, recovered[index], t("chart.recovered"), "recovered"),
            (bar, missed[index], t("chart.missed"), "missed"),
        ):
            height = (TOP + plot_h) - y(value)
            tip = f"{t.month(month)} {month[:4]}, {name}: {t.money(value, currency)}"
            parts.append(
                f'<rect class="bar {css}" data-month="{month}" data-value="{value:.2f}" '
                f'x="{x + offset:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}"><title>{escape(tip)}</title></rect>'
            )
        parts.append(
            f'<text class="axis" x="{LEFT + index * slot + slot / 2:.1f}" y="{HEIGHT - 10}" '
            f'text-anchor="middle">{escape(t.month(month))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
