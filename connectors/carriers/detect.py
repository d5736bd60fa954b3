"""Which carrier a tracking number belongs to, whether its check digit holds, and its public
tracking page.

Pure: no I/O. Written from the published formats and check-digit algorithms (research
apis.md §1c, whose reference is jkeen/tracking_number_data v2.0.0; the dataset is not vendored)
and the links of §1d.

How a number is decided:

1. ``normalize``: spaces and dashes go, letters become upper case. Anything else left that is
   not a letter or digit means no carrier.
2. Every format whose shape (length, prefix, letters) fits is a candidate, in a fixed order of
   precedence. Formats with a check digit come first; the first whose check digit (and
   structure) holds decides, ``valid=True``.
3. When the shape of some check-digit format fits but no check digit holds, the number is the
   first such format's carrier with ``valid=False`` (a typo in a real number, most likely).
4. Only when no check-digit format fits at all are the formats without one tried (Amazon
   Logistics is exact enough to be tried with the first: ``TB[ACM]`` + 12 digits). They are
   ``valid=True``: there is nothing to check. DHL eCommerce's loose shapes are last, so a UPU
   S10 number whose check digit fails stays a (mistyped) S10 number.

Ambiguities, and how they are settled (all by check digit where one exists):

- 12 digits: only FedEx Express has a 12-digit format among our carriers.
- 20 digits: USPS, as either a 20-digit number (GS1 mod 10 over its 19 digits) or a legacy
  number printed without its ``91`` (GS1 mod 10 over ``91`` + the 19 digits).
- 22 digits: ``96`` is FedEx Ground 96; ``91`` to ``95`` is USPS (IMpb). FedEx SmartPost
  numbers (``92…``) are USPS IMpb since the dataset's v2.0.0, and so they are here.
- 30 and 34 digits starting ``420``: USPS with a ZIP routing code, tried as ZIP+4 then ZIP
  (``420`` + 9 + 22 or ``420`` + 5 + 26); a FedEx 34-digit barcode that starts ``420`` wins
  only when its check digit holds and USPS's does not.
- A letter and 10 digits: a UPS waybill when the letter is one of ``AHJKTV`` (check digit under
  the 1Z rule); Amazon's ``[AFC]`` + 10-digit international numbers have no check digit and
  are not recognized (they would shadow the waybills).
- UPU S10 numbers (``RB123456785US``) are given to USPS, whose tracking page follows
  international items into and out of the US, whichever post issued them.

Barcode forms that carry a shorter number are reduced to it (the number the carrier's site and
API index): FedEx 34-digit barcodes and FedEx ASTRA 32 become the 12-digit Express number,
USPS numbers lose their ``420`` + ZIP routing prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

UPS = "ups"
FEDEX = "fedex"
USPS = "usps"
DHL = "dhl"
AMAZON = "amazon"
CARRIERS = (UPS, FEDEX, USPS, DHL, AMAZON)

# Public tracking pages (research §1d). ``{n}`` is the number. DHL's unified page serves every
# DHL service, Express air waybills included, so §1d's legacy Express page is not used.
LINKS: Mapping[str, str] = {
    UPS: "https://www.ups.com/track?loc=en_US&tracknum={n}",
    FEDEX: "https://www.fedex.com/fedextrack/?trknbr={n}",
    USPS: "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
    DHL: "https://www.dhl.com/us-en/home/tracking/tracking-parcel.html?submit=1&tracking-id={n}",
    AMAZON: "https://track.amazon.com/tracking/{n}",
}

# UPS 1Z service codes (characters 9 and 10 of the number).
UPS_SERVICES: Mapping[str, str] = {
    "01": "UPS Next Day Air",
    "02": "UPS 2nd Day Air",
    "03": "UPS Ground",
    "12": "UPS 3 Day Select",
    "13": "UPS Next Day Air Saver",
    "15": "UPS Next Day Air Early",
    "22": "UPS Ground (returns)",
    "32": "UPS Next Day Air Early (COD)",
    "33": "UPS Next Day Air Early (Saturday, COD)",
    "41": "UPS Next Day Air Early (Saturday)",
    "42": "UPS Ground (signature required)",
    "44": "UPS Next Day Air (Saturday)",
    "66": "UPS Worldwide Express",
    "72": "UPS Ground (COD)",
    "78": "UPS Ground (returns)",
    "90": "UPS Ground (returns)",
    "A0": "UPS Next Day Air Early (adult signature)",
    "A1": "UPS Next Day Air Early (Saturday, adult signature)",
    "A2": "UPS Next Day Air (adult signature)",
    "A8": "UPS Ground (adult signature)",
    "A9": "UPS Next Day Air Early (adult signature, COD)",
    "AA": "UPS Next Day Air Early (Saturday, adult signature, COD)",
    "YW": "UPS SurePost (delivered by USPS)",
}

# UPS waybill service letters (the first character of the waybill number).
UPS_WAYBILL_SERVICES: Mapping[str, str] = {
    "J": "UPS Next Day Express",
    "K": "UPS Ground",
    "V": "UPS Worldwide Express Saver",
}

# USPS IMpb application identifiers (the first two digits of the number without routing).
USPS_IDENTIFIERS: Mapping[str, str] = {
    "91": "USPS (legacy confirmation number)",
    "92": "USPS commercial label",
    "93": "USPS commercial label",
    "94": "USPS online or vendor label",
    "95": "USPS Retail",
}

# UPU S10 service indicators, by first letter (S10 §5.1).
S10_SERVICES: Mapping[str, str] = {
    "E": "EMS",
    "L": "Letter Post Express",
    "M": "Letter Post M-bag",
    "Q": "Letter Post IBRS",
    "R": "Letter Post Registered",
    "U": "Letter Post",
    "V": "Letter Post Insured",
    "C": "Parcel Post",
    "H": "Parcel Post (e-commerce)",
}

# The issuing posts S10 numbers may name: UPU member countries, ISO 3166 alpha-2.
S10_COUNTRIES = frozenset(
    """
    AF AL DZ AO AG AR AM AU AT AZ BS BH BD BB BY BE BZ BJ BT BO BA BW BR BN BG BF BI KH CM CA
    CV CF TD CL CN HK CO KM CG CR HR CU CY CZ CI KP CD DK DJ DM DO EC EG SV GQ ER EE ET FJ FI
    FR GA GM GE DE GH GB GR GD GT GN GW GY HT HN HU IS IN ID IR IQ IE IL IT JM JP JO KZ KE KI
    KR KW KG LA LV LB LS LR LY LI LT LU MG MW MY MV ML MT MR MU MX MD MC MN ME MA MZ MM NA NR
    NP NL NZ NI NE NG NO OM PK PA PG PY PE PH PL PT QA RO RU RW KN LC VC WS SM ST SA SN RS SC
    SL SG SK SI SB SO ZA SS ES LK SD SR SZ SE CH SY TJ TZ TH MK TL TG TO TT TN TR TM TV UG UA
    AE US UY UZ VU VA VE VN YE ZM ZW
    """.split()
)

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—]+")
_ALNUM = re.compile(r"[0-9A-Z]+")
_UPS = re.compile(r"1Z[0-9A-Z]{15}[0-9]")
_UPS_WAYBILL = re.compile(r"[AHJKTV][0-9]{10}")
_S10 = re.compile(r"([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})")
_AMAZON = re.compile(r"TB[ACM][0-9]{12}")
_DHL_PIECE = re.compile(r"J[A-Z]{2,3}[0-9]{9,10}")
_DHL_ECOMMERCE = re.compile(r"(?:GM|LX|RX|UV|CN|SG|TH|IN|HK|MY)(?=[0-9A-Z]*[0-9])[0-9A-Z]{10,39}")
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Detection:
    """What a tracking number is.

    ``number`` is the normalized number (the one the carrier indexes); ``valid`` is whether
    its check digit holds (True for a format that has none); ``format`` names the format
    (``ups_1z``, ``fedex_express_12`` …) and ``checked`` says whether a check digit was
    verified. ``carrier`` is None when no format fits.
    """

    number: str
    carrier: str | None
    service: str | None
    valid: bool
    url: str | None
    format: str | None = None
    checked: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The five public fields, as ``claimdesk carrier --json`` prints them."""
        return {
            "number": self.number,
            "carrier": self.carrier,
            "service": self.service,
            "valid": self.valid,
            "url": self.url,
        }


@dataclass(frozen=True)
class _Candidate:
    """A format whose shape fits: what it would make of the number, and if its check holds."""

    carrier: str
    format: str
    number: str
    service: str
    valid: bool
    checked: bool = True


# --- check digits --------------------------------------------------------------------------


def ups_value(char: str) -> int:
    """A character's value in the UPS check: a digit is itself, a letter (code − 3) mod 10."""
    return int(char) if char.isdigit() else (ord(char) - 3) % 10


def ups_check_digit(body: str) -> int:
    """UPS 1Z check digit of the 15 characters after ``1Z``: from the left, weights 1, 2, 1 …;
    the digit that completes the sum to a multiple of 10."""
    total = sum(ups_value(char) * (2 if index % 2 else 1) for index, char in enumerate(body))
    return (10 - total % 10) % 10


def gs1_check_digit(digits: str) -> int:
    """GS1 mod 10 (USPS IMpb, SSCC, FedEx Ground): from the right, weights 3, 1, 3 …; the
    digit that completes the sum to a multiple of 10."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def fedex_check_digit(digits: str) -> int:
    """FedEx Express check digit: from the right, weights 1, 3, 7, 1, 3, 7 …; sum mod 11,
    then mod 10 (the 11 digits of a 12-digit number, or the 13 of a 34-digit barcode's)."""
    weights = (1, 3, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(reversed(digits)))
    return total % 11 % 10


def s10_check_digit(serial: str) -> int:
    """UPU S10 check digit of the 8-digit serial: weights 8, 6, 4, 2, 3, 5, 9, 7; 11 minus the
    sum mod 11, where 10 becomes 0 and 11 becomes 5."""
    total = sum(int(d) * w for d, w in zip(serial, (8, 6, 4, 2, 3, 5, 9, 7), strict=True))
    check = 11 - total % 11
    return {10: 0, 11: 5}.get(check, check)


def dhl_check_digit(serial: str) -> int:
    """DHL Express check digit: the serial (9 or 10 digits) as a number, mod 7."""
    return int(serial) % 7


# --- formats -------------------------------------------------------------------------------


def _ups(number: str) -> list[_Candidate]:
    if not _UPS.fullmatch(number):
        return []
    body, check = number[2:17], int(number[17])
    code = number[8:10]
    service = UPS_SERVICES.get(code, f"UPS (service {code})")
    return [_Candidate(UPS, "ups_1z", number, service, ups_check_digit(body) == check)]


def _ups_waybill(number: str) -> list[_Candidate]:
    """A UPS waybill: a service letter, 9 digits and a check digit under the 1Z rule."""
    if not _UPS_WAYBILL.fullmatch(number):
        return []
    valid = ups_check_digit(number[1:10]) == int(number[10])
    service = UPS_WAYBILL_SERVICES.get(number[0], "UPS")
    return [_Candidate(UPS, "ups_waybill", number, service, valid)]


def _fedex_express(number: str) -> list[_Candidate]:
    if len(number) != 12:
        return []
    valid = fedex_check_digit(number[:11]) == int(number[11])
    return [_Candidate(FEDEX, "fedex_express_12", number, "FedEx Express", valid)]


def _fedex_ground(number: str) -> list[_Candidate]:
    if len(number) != 15:
        return []
    valid = gs1_check_digit(number[:14]) == int(number[14])
    return [_Candidate(FEDEX, "fedex_ground_15", number, "FedEx Ground", valid)]


def _fedex_sscc(number: str) -> list[_Candidate]:
    """SSCC-18: extension digit, company prefix and serial, 17 digits under GS1 mod 10."""
    if len(number) != 18:
        return []
    valid = gs1_check_digit(number[:17]) == int(number[17])
    return [_Candidate(FEDEX, "fedex_ground_sscc_18", number, "FedEx Ground (SSCC-18)", valid)]


def _fedex_ground_96(number: str) -> list[_Candidate]:
    """``96`` + 2 + 3-digit service + 14-digit serial + check (GS1 over the serial only)."""
    if len(number) != 22 or not number.startswith("96"):
        return []
    valid = gs1_check_digit(number[7:21]) == int(number[21])
    return [_Candidate(FEDEX, "fedex_ground_96", number, "FedEx Ground", valid)]


def _fedex_34(number: str) -> list[_Candidate]:
    """The 34-digit barcodes: Express (first digit 0–8) and Ground GSN (``96`` + 22|32).

    Both end in a 13-digit serial and its check digit under the Express weights; a serial
    that starts with 0 is a 12-digit Express number, which is what the number becomes.
    """
    if len(number) != 34:
        return []
    if number.startswith(("9622", "9632")):
        form, service = "fedex_ground_gsn", "FedEx Ground"
    elif number[0] != "9":
        form, service = "fedex_express_34", "FedEx Express"
    else:
        return []
    valid = fedex_check_digit(number[20:33]) == int(number[33])
    reduced = number[22:] if number[20:22] == "00" else number
    return [_Candidate(FEDEX, form, reduced, service, valid)]


def _fedex_astra(number: str) -> list[_Candidate]:
    """FedEx ASTRA 32: ``3`` + 15 digits, the 12-digit Express number, 4 digits."""
    if len(number) != 32 or number[0] != "3":
        return []
    express = number[16:28]
    valid = fedex_check_digit(express[:11]) == int(express[11])
    return [_Candidate(FEDEX, "fedex_astra_32", express, "FedEx Express", valid)]


def _usps_body(body: str) -> _Candidate | None:
    """A USPS number without routing: 20 digits, or IMpb (22, 26, or 30 for ``94``) starting
    ``91``–``95``; GS1 mod 10 over every digit but the last.

    The Mailer ID after the identifier and 3-digit service code has 9 digits when it starts
    with 9, else 6; identifier ``92`` requires a 9-digit one and ``93`` a 6-digit one, and only
    ``94`` with a 9-digit Mailer ID has 30 digits. ``91`` (legacy) numbers have 22 digits; a
    20-digit legacy number is printed without its ``91`` and checked as if it had it.
    """
    if len(body) == 20:
        if gs1_check_digit("91" + body[:19]) == int(body[19]):
            return _Candidate(USPS, "usps_legacy", body, "USPS", True)
        valid = gs1_check_digit(body[:19]) == int(body[19])
        return _Candidate(USPS, "usps_20", body, "USPS", valid)
    identifier = body[:2]
    if identifier not in USPS_IDENTIFIERS or len(body) not in (22, 26, 30):
        return None
    nine_digit_mid = body[5] == "9"
    fits = {
        "91": len(body) == 22,
        "92": nine_digit_mid and len(body) in (22, 26),
        "93": not nine_digit_mid and len(body) in (22, 26),
        "94": len(body) in (22, 26) or nine_digit_mid,
        "95": len(body) in (22, 26),
    }[identifier]
    valid = fits and gs1_check_digit(body[:-1]) == int(body[-1])
    form = "usps_legacy" if identifier == "91" else "usps_impb"
    return _Candidate(USPS, form, body, USPS_IDENTIFIERS[identifier], valid)


def _usps(number: str) -> list[_Candidate]:
    """USPS numbers, with or without the ``420`` + ZIP (+4) routing prefix of the barcode."""
    found: list[_Candidate] = []
    if number.startswith("420"):
        for zip_length in (9, 5):  # ZIP+4 first, as the barcode reader would
            body = number[3 + zip_length :]
            if len(body) in (20, 22, 26):
                candidate = _usps_body(body)
                if candidate is not None:
                    found.append(candidate)
    candidate = _usps_body(number)
    if candidate is not None:
        found.append(candidate)
    return found


def _s10(number: str) -> list[_Candidate]:
    match = _S10.fullmatch(number)
    if match is None or match.group(4) not in S10_COUNTRIES:
        return []
    letters, serial, check, country = match.groups()
    kind = S10_SERVICES.get(letters[0], "International mail")
    valid = s10_check_digit(serial) == int(check)
    service = f"{kind} (UPU S10, {country})"
    return [_Candidate(USPS, "s10", number, service, valid)]


def _dhl_express(number: str) -> list[_Candidate]:
    if len(number) not in (10, 11):
        return []
    valid = dhl_check_digit(number[:-1]) == int(number[-1])
    return [_Candidate(DHL, "dhl_express", number, "DHL Express", valid)]


def _amazon(number: str) -> list[_Candidate]:
    if not _AMAZON.fullmatch(number):
        return []
    return [_Candidate(AMAZON, "amazon_logistics", number, "Amazon Logistics", True, False)]


def _dhl_unchecked(number: str) -> list[_Candidate]:
    """DHL formats without a check digit: Express piece ids (``JJD…``, ``JVGL…``), eCommerce
    numbers with a two-letter prefix, and 14-digit eCommerce numbers."""
    if _DHL_PIECE.fullmatch(number):
        return [_Candidate(DHL, "dhl_express_piece_id", number, "DHL Express", True, False)]
    if _DHL_ECOMMERCE.fullmatch(number):
        return [_Candidate(DHL, "dhl_ecommerce", number, "DHL eCommerce", True, False)]
    if len(number) == 14 and _DIGITS.fullmatch(number):
        return [_Candidate(DHL, "dhl_ecommerce_14", number, "DHL eCommerce", True, False)]
    return []


def _numeric(*formats: Callable[[str], list[_Candidate]]) -> Callable[[str], list[_Candidate]]:
    def only_digits(number: str) -> list[_Candidate]:
        if not _DIGITS.fullmatch(number):
            return []
        return [c for form in formats for c in form(number)]

    return only_digits


# Formats with a check digit (and Amazon's exact prefix), in order of precedence.
_CHECKED: Sequence[Callable[[str], list[_Candidate]]] = (
    _ups,
    _ups_waybill,
    _amazon,
    _s10,
    _numeric(
        _usps,
        _fedex_express,
        _fedex_ground,
        _fedex_sscc,
        _fedex_ground_96,
        _fedex_34,
        _fedex_astra,
        _dhl_express,
    ),
)
_UNCHECKED: Sequence[Callable[[str], list[_Candidate]]] = (_dhl_unchecked,)


# --- the public API ------------------------------------------------------------------------


def normalize(text: str) -> str:
    """The number without spaces or dashes, in upper case."""
    return _SEPARATORS.sub("", text).upper()


def detect(text: str) -> Detection:
    """What ``text`` is as a tracking number (see the module's docstring for the rules)."""
    number = normalize(text)
    if not number or not _ALNUM.fullmatch(number):
        return Detection(number, None, None, False, None)
    candidates = [c for form in _CHECKED for c in form(number)]
    if not candidates:
        candidates = [c for form in _UNCHECKED for c in form(number)]
    if not candidates:
        return Detection(number, None, None, False, None)
    chosen = next((c for c in candidates if c.valid), candidates[0])
    return Detection(
        number=chosen.number,
        carrier=chosen.carrier,
        service=chosen.service,
        valid=chosen.valid,
        url=link(chosen.carrier, chosen.number),
        format=chosen.format,
        checked=chosen.checked,
    )


def link(carrier: str, number: str) -> str | None:
    """The carrier's public tracking page for ``number`` (None for a carrier without one)."""
    cleaned = normalize(number)
    template = LINKS.get(carrier)
    if template is None or not cleaned:
        return None
    return template.format(n=_quote(cleaned))


def carrier_link(carrier: str, number: str) -> str | None:
    """The tracking page of a number whose carrier is already known (a carrier's API or the
    marketplace said so): the detected number and page when detection agrees on the carrier,
    else the carrier's page for the number as given."""
    found = detect(number)
    if found.carrier == carrier:
        return found.url
    return link(carrier, number)


def _quote(text: str) -> str:
    """Percent-encode all but ASCII letters and digits (what tracking numbers are made of)."""
    return "".join(
        char if char.isascii() and char.isalnum() else "".join(f"%{b:02X}" for b in char.encode())
        for char in text
    )
