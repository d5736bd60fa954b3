"""An independent implementation of the published check digits and formats, for the tests.

Written from the algorithms as published (research apis.md §1c; jkeen/tracking_number_data
``CHECKSUM_ALGORITHMS.md`` and ``couriers/*.json``), in the shape they are published in
(weights from the left, letter tables spelled out), not from ``connectors.carriers.detect``.
Each ``make_*`` returns a random valid number, as printed, and what detection should say.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

# UPS: letters take the values 2, 3 … 9, 0, 1, 2 … from A to Z (ASCII code minus 3, last digit).
UPS_LETTERS = dict(zip(string.ascii_uppercase, "23456789012345678901234567", strict=True))
FEDEX_12_WEIGHTS = (3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1)  # over the 11 digits, from the left
FEDEX_34_WEIGHTS = (1, 7, 3, 1, 7, 3, 1, 7, 3, 1, 7, 3, 1)  # over the 13-digit serial
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
S10_SAMPLE_COUNTRIES = ("US", "GB", "CN", "DE", "FR", "JP", "CA", "AU", "NL", "HK")
ALNUM = string.digits + string.ascii_uppercase


@dataclass(frozen=True)
class Sample:
    """A generated number and what detection must make of it."""

    text: str  # as printed
    carrier: str
    number: str  # the normalized (and reduced) number
    form: str  # the detection format expected
    fixed: int  # leading characters that are structure, not data (never mutated)
    check_at: tuple[int, ...]  # positions in ``text`` of its check digits (-1: the last)


def ups_check(body: str) -> int:
    """mod10, evens multiplier 1, odds multiplier 2, from the left; 10 - remainder."""
    total = 0
    for index, char in enumerate(body):
        value = int(char) if char.isdigit() else int(UPS_LETTERS[char])
        total += value * 2 if index % 2 == 1 else value
    remainder = total % 10
    return 0 if remainder == 0 else 10 - remainder


def mod10(sequence: str, *, evens: int, odds: int, reverse: bool = False) -> int:
    """jkeen's ``mod10``: index parity from the left (or right if ``reverse``)."""
    chars = sequence[::-1] if reverse else sequence
    total = 0
    for index, char in enumerate(chars):
        total += int(char) * (odds if index % 2 == 1 else evens)
    remainder = total % 10
    return 0 if remainder == 0 else 10 - remainder


def sum_product(sequence: str, weights: tuple[int, ...]) -> int:
    """jkeen's ``sum_product_with_weightings_and_modulo`` with modulo1 11, modulo2 10."""
    return sum(int(d) * w for d, w in zip(sequence, weights, strict=True)) % 11 % 10


def s10_check(serial: str) -> int:
    remainder = sum(int(d) * w for d, w in zip(serial, S10_WEIGHTS, strict=True)) % 11
    if remainder == 1:
        return 0
    if remainder == 0:
        return 5
    return 11 - remainder


def dhl_check(serial: str) -> int:
    return int(serial) % 7


def digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


# --- generators, one per format ------------------------------------------------------------


def make_ups(rng: random.Random) -> Sample:
    shipper = "".join(rng.choice(ALNUM) for _ in range(6))
    service = rng.choice(("01", "02", "03", "12", "YW", "A8", rng.choice(ALNUM) + "7"))
    body = shipper + service + digits(rng, 7)
    number = f"1Z{body}{ups_check(body)}"
    return Sample(number, "ups", number, "ups_1z", 2, (-1,))


def make_ups_waybill(rng: random.Random) -> Sample:
    serial = digits(rng, 9)
    number = rng.choice("AHJKTV") + serial + str(ups_check(serial))
    return Sample(number, "ups", number, "ups_waybill", 1, (-1,))


def make_fedex_12(rng: random.Random) -> Sample:
    serial = digits(rng, 11)
    number = serial + str(sum_product(serial, FEDEX_12_WEIGHTS))
    return Sample(number, "fedex", number, "fedex_express_12", 0, (-1,))


def make_fedex_ground(rng: random.Random) -> Sample:
    serial = digits(rng, 14)
    number = serial + str(mod10(serial, evens=1, odds=3))
    return Sample(number, "fedex", number, "fedex_ground_15", 0, (-1,))


def make_fedex_sscc(rng: random.Random) -> Sample:
    # GS1 SSCC: the check covers all 17 digits (container type included), weights 3, 1 …
    # from the left over 17 digits, which is 3 at the rightmost.
    body = rng.choice(("00", "01", "02", "04")) + digits(rng, 15)
    number = body + str(mod10(body, evens=3, odds=1))
    return Sample(number, "fedex", number, "fedex_ground_sscc_18", 2, (-1,))


def make_fedex_96(rng: random.Random) -> Sample:
    serial = digits(rng, 14)
    head = "96" + digits(rng, 2) + digits(rng, 3)
    number = head + serial + str(mod10(serial, evens=1, odds=3))
    return Sample(number, "fedex", number, "fedex_ground_96", 2, (-1,))


def make_fedex_34(rng: random.Random) -> Sample:
    while True:
        head = rng.choice("012356780") + digits(rng, 14) + digits(rng, 5)
        if not head.startswith("420"):  # those are tried as USPS first (a test of its own)
            break
    serial = "00" + digits(rng, 11)
    number = head + serial + str(sum_product(serial, FEDEX_34_WEIGHTS))
    return Sample(number, "fedex", number[22:], "fedex_express_34", 3, (-1,))


def make_fedex_gsn(rng: random.Random) -> Sample:
    serial = "00" + digits(rng, 11)
    head = "96" + rng.choice(("22", "32")) + digits(rng, 5) + digits(rng, 10) + digits(rng, 1)
    number = head + serial + str(sum_product(serial, FEDEX_34_WEIGHTS))
    return Sample(number, "fedex", number[22:], "fedex_ground_gsn", 4, (-1,))


def make_fedex_astra(rng: random.Random) -> Sample:
    serial = digits(rng, 11)
    express = serial + str(sum_product(serial, FEDEX_12_WEIGHTS))
    number = "3" + digits(rng, 15) + express + digits(rng, 4)
    return Sample(number, "fedex", express, "fedex_astra_32", 1, (27,))


def make_usps_20(rng: random.Random) -> Sample:
    while True:
        serial = digits(rng, 19)
        check = mod10(serial, evens=3, odds=1)
        # A number that is also a valid legacy number (checked with 91 in front) is one.
        if mod10("91" + serial, evens=3, odds=1) != check:
            break
    number = serial + str(check)
    return Sample(number, "usps", number, "usps_20", 0, (-1,))


def make_usps_legacy(rng: random.Random) -> Sample:
    serial = "91" + digits(rng, 19)
    number = serial + str(mod10(serial, evens=3, odds=1))
    return Sample(number, "usps", number, "usps_legacy", 2, (-1,))


def _impb_body(rng: random.Random, identifier: str, length: int) -> str:
    """An IMpb serial (all but the check digit): identifier, service code, Mailer ID, package."""
    if identifier == "92":
        nine = True
    elif identifier == "93":
        nine = False
    elif identifier == "94" and length == 30:
        nine = True
    else:
        nine = rng.random() < 0.5
    mid = "9" + digits(rng, 8) if nine else rng.choice("012345678") + digits(rng, 5)
    package = digits(rng, length - 1 - 2 - 3 - len(mid))
    return identifier + digits(rng, 3) + mid + package


def make_usps_impb(rng: random.Random) -> Sample:
    identifier = rng.choice(("92", "93", "94", "95"))
    length = 30 if identifier == "94" and rng.random() < 0.25 else rng.choice((22, 26))
    serial = _impb_body(rng, identifier, length)
    # IMpb N is published with reverse=true, IMpb C without; for these odd-length serials
    # both put weight 3 on the digit next to the check digit.
    number = serial + str(mod10(serial, evens=3, odds=1, reverse=identifier == "94"))
    return Sample(number, "usps", number, "usps_impb", 6, (-1,))


def usps_valid(body: str) -> bool:
    """A USPS number without routing passes: 20 digits (as is, or with 91 in front), or an
    IMpb number of the published shapes (the Mailer ID after ``9x`` + 3 digits is 9 digits
    when it starts with 9, else 6; ``92`` needs 9, ``93`` needs 6; 30 digits only ``94`` with
    a 9-digit Mailer ID; ``91`` only 22 digits) whose GS1 check digit holds."""
    if not body.isdigit():
        return False
    if len(body) == 20:
        return mod10(body[:19], evens=3, odds=1) == int(body[19]) or mod10(
            "91" + body[:19], evens=3, odds=1
        ) == int(body[19])
    identifier, nine = body[:2], body[5:6] == "9"
    shapes = {
        "91": {22},
        "92": {22, 26} if nine else set(),
        "93": set() if nine else {22, 26},
        "94": {22, 26, 30} if nine else {22, 26},
        "95": {22, 26},
    }
    if len(body) not in shapes.get(identifier, set()):
        return False
    return mod10(body[:-1], evens=3, odds=1) == int(body[-1])


def routed_valid(text: str) -> bool:
    """``420`` + a 5- or 9-digit ZIP + a valid USPS number."""
    return text.startswith("420") and (usps_valid(text[8:]) or usps_valid(text[12:]))


def make_usps_routed(rng: random.Random) -> Sample:
    while True:
        zip_code = digits(rng, rng.choice((5, 9)))
        length = 22 if len(zip_code) == 9 else rng.choice((22, 26))
        serial = _impb_body(rng, rng.choice(("92", "93", "94", "95")), length)
        body = serial + str(mod10(serial, evens=3, odds=1))
        text = "420" + zip_code + body
        if len(zip_code) == 9 or not usps_valid(text[12:]):  # one reading only
            break
    return Sample(text, "usps", body, "usps_routed", 3 + len(zip_code) + 6, (-1,))


def make_s10(rng: random.Random) -> Sample:
    serial = digits(rng, 8)
    letters = rng.choice("ELRCVU") + rng.choice(string.ascii_uppercase)
    number = letters + serial + str(s10_check(serial)) + rng.choice(S10_SAMPLE_COUNTRIES)
    return Sample(number, "usps", number, "s10", 2, (10,))


def make_dhl_express(rng: random.Random) -> Sample:
    serial = rng.choice("123456789") + digits(rng, rng.choice((8, 9)))
    number = serial + str(dhl_check(serial))
    return Sample(number, "dhl", number, "dhl_express", 0, (-1,))


def make_amazon(rng: random.Random) -> Sample:
    number = "TB" + rng.choice("ACM") + digits(rng, 12)
    return Sample(number, "amazon", number, "amazon_logistics", 3, ())


CHECKED_FORMATS = {
    "ups_1z": make_ups,
    "ups_waybill": make_ups_waybill,
    "fedex_express_12": make_fedex_12,
    "fedex_ground_15": make_fedex_ground,
    "fedex_ground_sscc_18": make_fedex_sscc,
    "fedex_ground_96": make_fedex_96,
    "fedex_express_34": make_fedex_34,
    "fedex_ground_gsn": make_fedex_gsn,
    "fedex_astra_32": make_fedex_astra,
    "usps_20": make_usps_20,
    "usps_legacy": make_usps_legacy,
    "usps_impb": make_usps_impb,
    "usps_routed": make_usps_routed,
    "s10": make_s10,
    "dhl_express": make_dhl_express,
}


def expected(form: str, text: str) -> tuple[str, bool]:
    """The carrier and validity a mutated number of ``form`` (as printed, digits only but for
    its letters) must get: its format's check decides, except where the published precedence
    lets another format's check decide (34 digits starting 420: USPS, else FedEx)."""
    n = text
    carrier = {"ups": "ups", "fed": "fedex", "usp": "usps", "s10": "usps", "dhl": "dhl"}[form[:3]]
    if form == "ups_1z":
        return carrier, ups_check(n[2:17]) == int(n[17])
    if form == "ups_waybill":
        return carrier, ups_check(n[1:10]) == int(n[10])
    if form == "fedex_express_12":
        return carrier, sum_product(n[:11], FEDEX_12_WEIGHTS) == int(n[11])
    if form == "fedex_ground_15":
        return carrier, mod10(n[:14], evens=1, odds=3) == int(n[14])
    if form == "fedex_ground_sscc_18":
        return carrier, mod10(n[:17], evens=3, odds=1) == int(n[17])
    if form == "fedex_ground_96":
        return carrier, mod10(n[7:21], evens=1, odds=3) == int(n[21])
    if form in ("fedex_express_34", "fedex_ground_gsn"):
        return carrier, sum_product(n[20:33], FEDEX_34_WEIGHTS) == int(n[33])
    if form == "fedex_astra_32":
        return carrier, sum_product(n[16:27], FEDEX_12_WEIGHTS) == int(n[27])
    if form == "usps_20":
        return carrier, usps_valid(n)
    if form in ("usps_legacy", "usps_impb"):
        return carrier, usps_valid(n)
    if form == "usps_routed":
        if routed_valid(n):
            return "usps", True
        if len(n) == 34 and sum_product(n[20:33], FEDEX_34_WEIGHTS) == int(n[33]):
            return "fedex", True
        return "usps", False
    if form == "s10":
        return carrier, s10_check(n[2:10]) == int(n[10])
    if form == "dhl_express":
        return carrier, dhl_check(n[:-1]) == int(n[-1])
    raise ValueError(form)
