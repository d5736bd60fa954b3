"""Marketplace codes, names and currencies (spec §1 "Marketplace")."""

from __future__ import annotations

# Amazon sales channels / MarketplaceName values -> two-letter marketplace code.
_CHANNELS: dict[str, str] = {
    "amazon.com": "US",
    "amazon.ca": "CA",
    "amazon.com.mx": "MX",
    "amazon.com.br": "BR",
    "amazon.co.uk": "GB",
    "amazon.de": "DE",
    "amazon.fr": "FR",
    "amazon.it": "IT",
    "amazon.es": "ES",
    "amazon.nl": "NL",
    "amazon.com.be": "BE",
    "amazon.ie": "IE",
    "amazon.se": "SE",
    "amazon.pl": "PL",
    "amazon.com.tr": "TR",
    "amazon.co.jp": "JP",
    "amazon.com.au": "AU",
    "amazon.in": "IN",
    "amazon.sg": "SG",
    "amazon.ae": "AE",
    "amazon.sa": "SA",
    "amazon.eg": "EG",
    "amazon.co.za": "ZA",
}

CURRENCIES: dict[str, str] = {
    "US": "USD",
    "CA": "CAD",
    "MX": "MXN",
    "BR": "BRL",
    "GB": "GBP",
    "DE": "EUR",
    "FR": "EUR",
    "IT": "EUR",
    "ES": "EUR",
    "NL": "EUR",
    "BE": "EUR",
    "IE": "EUR",
    "AT": "EUR",
    "PT": "EUR",
    "FI": "EUR",
    "LU": "EUR",
    "GR": "EUR",
    "SE": "SEK",
    "PL": "PLN",
    "TR": "TRY",
    "JP": "JPY",
    "AU": "AUD",
    "IN": "INR",
    "SG": "SGD",
    "AE": "AED",
    "SA": "SAR",
    "EG": "EGP",
    "ZA": "ZAR",
}

# The UK and the EU member states use the EU-style customer-return windows.
EUROPE: frozenset[str] = frozenset(
    {
        "GB",
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)


def normalize_marketplace(value: str | None) -> str | None:
    """Return the two-letter code for a Country, sales-channel or MarketplaceName value.

    ``UK`` is written ``GB``; ``Non-Amazon``, empty and unknown names give ``None``.
    """
    if not value:
        return None
    text = value.strip()
    if not text:
        return None
    lowered = text.lower()
    if lowered in _CHANNELS:
        return _CHANNELS[lowered]
    if len(text) == 2 and text.isalpha():
        code = text.upper()
        return "GB" if code == "UK" else code
    return None


def currency_of(marketplace: str | None) -> str | None:
    """Return the marketplace's own currency; an unknown marketplace has none."""
    if marketplace is None:
        return None
    return CURRENCIES.get(marketplace)


def region_of(marketplace: str | None) -> str:
    """Return ``"EU"`` for the UK and EU countries, else ``"US"`` (US-style windows)."""
    return "EU" if marketplace in EUROPE else "US"
