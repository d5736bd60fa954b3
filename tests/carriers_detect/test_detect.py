"""Carrier detection on numbers generated with check digits computed here (``reference``),
then mutated: every format, valid and invalid, printed with spaces, dashes and lower case."""

from __future__ import annotations

import random
import string

import pytest

from connectors.amazon.sandbox_data import tracking_number
from connectors.carriers.detect import LINKS, Detection, carrier_link, detect, link, normalize
from tests.carriers_detect import reference
from tests.carriers_detect.reference import CHECKED_FORMATS, Sample, expected

PER_FORMAT = 400
# Formats a number may be read in two ways, each with its own check digit: 20-digit USPS
# numbers (as is, or with the legacy 91 in front), and 34-digit routed USPS numbers (ZIP+4 and
# 22 digits, or ZIP and 26).
TWO_READINGS = frozenset({"usps_20", "usps_routed"})


def samples(form: str, count: int = PER_FORMAT) -> list[Sample]:
    rng = random.Random(f"detect:{form}")
    return [CHECKED_FORMATS[form](rng) for _ in range(count)]


def printed(text: str, rng: random.Random) -> str:
    """``text`` as someone might paste it: spaces and dashes anywhere, letters in any case."""
    out = []
    for char in text:
        out.append(char.lower() if rng.random() < 0.3 else char)
        if rng.random() < 0.15:
            out.append(rng.choice((" ", "-", "  ", " - ")))
    return " " * rng.randint(0, 2) + "".join(out) + " " * rng.randint(0, 2)


def mutate(text: str, position: int, rng: random.Random) -> str:
    """``text`` with the character at ``position`` replaced by another of its kind."""
    old = text[position]
    pool = string.digits if old.isdigit() else string.ascii_uppercase
    if old.isdigit() and text.startswith("1Z") and 2 <= position < 10:
        pool = reference.ALNUM  # UPS shipper and service characters may be letters or digits
    new = rng.choice([c for c in pool if c != old])
    return text[:position] + new + text[position + 1 :]


@pytest.mark.parametrize("form", sorted(CHECKED_FORMATS))
def test_generated_numbers_are_detected_and_valid(form: str) -> None:
    rng = random.Random(form)
    for sample in samples(form):
        found = detect(printed(sample.text, rng))
        assert (found.carrier, found.valid, found.number) == (
            sample.carrier,
            True,
            sample.number,
        ), sample
        assert found.format == ("usps_impb" if form == "usps_routed" else form), sample
        assert found.checked
        assert found.url == LINKS[sample.carrier].format(n=sample.number)


@pytest.mark.parametrize("form", sorted(CHECKED_FORMATS))
def test_a_wrong_check_digit_is_invalid_with_the_carrier_kept(form: str) -> None:
    rng = random.Random(f"check:{form}")
    tried = 0
    for sample in samples(form, 150):
        for at in sample.check_at:
            position = at % len(sample.text)
            for digit in string.digits:
                if digit == sample.text[position]:
                    continue
                text = sample.text[:position] + digit + sample.text[position + 1 :]
                carrier, valid = expected(form, text)
                found = detect(printed(text, rng))
                assert (found.carrier, found.valid) == (carrier, valid), (sample, text)
                if carrier == sample.carrier and form not in TWO_READINGS:
                    assert not valid, text  # a check digit is one digit: only one holds
                tried += 1
    assert tried >= 150 * 9


@pytest.mark.parametrize("form", sorted(CHECKED_FORMATS))
def test_one_changed_character_is_judged_by_the_published_check(form: str) -> None:
    """Most single changes break the check; the few the algorithm cannot see (a digit moved
    by 5 under UPS's weight 2, by 7 under DHL's mod 7 …) must pass exactly when the published
    algorithm says so."""
    rng = random.Random(f"mutate:{form}")
    caught = total = 0
    for sample in samples(form, 300):
        end = len(sample.text) - (2 if form == "s10" else 0)  # S10 countries: a test of its own
        position = rng.randrange(sample.fixed, end)
        text = mutate(sample.text, position, rng)
        carrier, valid = expected(form, text)
        found = detect(text)
        assert (found.carrier, found.valid) == (carrier, valid), (sample, text)
        total += 1
        caught += not valid
    # Digits outside the checked part (FedEx 96/34/ASTRA headers) change nothing; elsewhere
    # the checks catch most changes.
    floor = {"fedex_ground_96": 0.5, "fedex_express_34": 0.3, "fedex_ground_gsn": 0.3}
    assert caught / total >= floor.get(form, 0.75 if form != "fedex_astra_32" else 0.25)


def test_published_examples_of_the_reference_dataset() -> None:
    """A few numbers printed in jkeen/tracking_number_data v2.0.0 (research §1c) agree."""
    examples = {
        "1Z5R89390357567127": ("ups", True),
        "1Z879E930346834440": ("ups", True),
        "1ZXX3150YW44070023": ("ups", True),
        "986578788855": ("fedex", True),
        "996578788855": ("fedex", False),
        "0414 4176 0228 964": ("fedex", True),
        "9611020987654312345672": ("fedex", True),
        "9622001560001234567100794808390594": ("fedex", True),
        "32971514560102447849175802862014": ("fedex", True),
        "9400 1112 0108 0805 4830 16": ("usps", True),
        "420 22153 9101026837331000039521": ("usps", True),
        "4201028200009261290113185417468510": ("usps", True),
        "7196 9010 7560 0307 7385": ("usps", True),
        "RB123456785GB": ("usps", True),
        "RB123456786US": ("usps", False),
        "3318810025": ("dhl", True),
        "73891051146": ("dhl", True),
        "3318810034": ("dhl", False),
        "TBM502887274000": ("amazon", True),
    }
    for text, (carrier, valid) in examples.items():
        found = detect(text)
        assert (found.carrier, found.valid) == (carrier, valid), text


def test_barcode_forms_reduce_to_the_number_the_carrier_indexes() -> None:
    found = detect("9622001560001234567100794808390594")
    assert found.number == "794808390594"
    assert found.url == "https://www.fedex.com/fedextrack/?trknbr=794808390594"
    assert detect("3 29715 145 6010244 784917580286 2014").number == "784917580286"
    assert detect("420 22153 9101026837331000039521").number == "9101026837331000039521"
    routed = detect("4201028200009261290113185417468510")
    assert routed.number == "9261290113185417468510"
    assert routed.url == (
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=9261290113185417468510"
    )


def test_34_digits_starting_420_are_usps_unless_only_fedex_checks() -> None:
    rng = random.Random("420")
    made = 0
    while made < 50:
        serial = "00" + reference.digits(rng, 11)
        text = "420" + reference.digits(rng, 17) + serial
        text += str(reference.sum_product(serial, reference.FEDEX_34_WEIGHTS))
        if reference.routed_valid(text):
            continue
        found = detect(text)
        assert (found.carrier, found.valid, found.format) == ("fedex", True, "fedex_express_34")
        assert found.number == text[22:]
        made += 1
    usps = reference.make_usps_routed(random.Random(7))
    assert detect(usps.text).carrier == "usps"


def test_twenty_digit_legacy_numbers_are_checked_with_their_91() -> None:
    rng = random.Random("legacy20")
    for _ in range(200):
        serial = reference.digits(rng, 19)
        text = serial + str(reference.mod10("91" + serial, evens=3, odds=1))
        found = detect(text)
        assert (found.carrier, found.valid) == ("usps", True)
        assert found.number == text  # printed without its 91, tracked as printed


def test_ups_service_codes_are_named() -> None:
    body = "XX3150" + "03" + "4407002"
    found = detect(f"1Z{body}{reference.ups_check(body)}")
    assert found.service == "UPS Ground"
    body = "XX3150" + "YW" + "4407002"
    assert detect(f"1Z{body}{reference.ups_check(body)}").service == (
        "UPS SurePost (delivered by USPS)"
    )
    body = "XX3150" + "Q7" + "4407002"
    assert detect(f"1Z{body}{reference.ups_check(body)}").service == "UPS (service Q7)"


def test_s10_numbers_need_a_known_issuing_country() -> None:
    serial = "12345678"
    check = reference.s10_check(serial)
    assert detect(f"RR{serial}{check}US").service == "Letter Post Registered (UPU S10, US)"
    assert detect(f"EE{serial}{check}CN").valid
    unknown = detect(f"RR{serial}{check}XX")
    assert (unknown.carrier, unknown.valid) == (None, False)


def test_formats_without_a_check_digit_are_valid_by_shape() -> None:
    for text, carrier, form in (
        ("TBA123456789012", "amazon", "amazon_logistics"),
        ("tbc 1234 5678 9012", "amazon", "amazon_logistics"),
        ("JJD0099999999", "dhl", "dhl_express_piece_id"),
        ("JVGL0999999990", "dhl", "dhl_express_piece_id"),
        ("GM2951173225174494", "dhl", "dhl_ecommerce"),
        ("5108 7693037816", "dhl", "dhl_ecommerce_14"),
    ):
        found = detect(text)
        assert (found.carrier, found.valid, found.format, found.checked) == (
            carrier,
            True,
            form,
            False,
        ), text
    assert detect("TBB123456789012").carrier is None
    assert detect("TBA12345678901").carrier is None  # 11 digits


def test_a_mistyped_s10_number_stays_s10_not_dhl_ecommerce() -> None:
    serial = "87654321"
    wrong = (reference.s10_check(serial) + 1) % 10
    found = detect(f"LX{serial}{wrong}CN")  # LX is also a DHL eCommerce prefix
    assert (found.carrier, found.valid, found.format) == ("usps", False, "s10")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "-", "1Z<script>", "ABC", "12345", "1Z12345E020527168", "9" * 40, "TBA€"],
)
def test_what_no_format_fits_has_no_carrier(text: str) -> None:
    found = detect(text)
    assert (found.carrier, found.service, found.valid, found.url) == (None, None, False, None)


def test_normalize_drops_spaces_and_dashes_and_upper_cases() -> None:
    assert normalize(" 1z-999 aa1\t01 2345 6784 ") == "1Z999AA10123456784"
    assert normalize("9400\u20131112") == "94001112"  # an en dash pasted from a document


def test_as_dict_has_the_five_public_fields() -> None:
    found = detect("1Z 999 AA1 01 2345 6784")
    assert found.as_dict() == {
        "number": "1Z999AA10123456784",
        "carrier": "ups",
        "service": "UPS Next Day Air",
        "valid": True,
        "url": "https://www.ups.com/track?loc=en_US&tracknum=1Z999AA10123456784",
    }
    assert isinstance(found, Detection)


def test_links_follow_research_1d() -> None:
    assert link("ups", "1z999") == "https://www.ups.com/track?loc=en_US&tracknum=1Z999"
    assert link("fedex", "123") == "https://www.fedex.com/fedextrack/?trknbr=123"
    assert link("usps", "9400") == "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400"
    assert link("dhl", "12") == (
        "https://www.dhl.com/us-en/home/tracking/tracking-parcel.html?submit=1&tracking-id=12"
    )
    assert link("amazon", "TBA1") == "https://track.amazon.com/tracking/TBA1"
    assert link("other", "X") is None
    assert link("ups", " ") is None
    assert (
        link("ups", "1Z&x=<b>") == "https://www.ups.com/track?loc=en_US&tracknum=1Z%26X%3D%3CB%3E"
    )


def test_carrier_link_uses_the_detected_number_when_the_carrier_agrees() -> None:
    routed = "420 22153 9101026837331000039521"
    assert carrier_link("usps", routed) == link("usps", "9101026837331000039521")
    assert carrier_link("ups", routed) == link("ups", routed)  # the carrier said otherwise


@pytest.mark.parametrize("carrier", ["UPS", "USPS", "FedEx", "DHL", "AMZN_US"])
def test_the_sp_api_sandbox_makes_numbers_detection_accepts(carrier: str) -> None:
    code = {"UPS": "ups", "USPS": "usps", "FedEx": "fedex", "DHL": "dhl", "AMZN_US": "amazon"}
    for index in range(300):
        number = tracking_number(carrier, f"111-{index:07d}-{index * 7 % 10**7:07d}", index % 2)
        found = detect(number)
        assert (found.carrier, found.valid, found.number) == (code[carrier], True, number)
