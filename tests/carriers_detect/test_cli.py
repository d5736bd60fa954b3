"""``claimdesk carrier NUMBER [--json]``: the five fields as JSON, or lines for a person."""

from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner, Result

from plugin.cli import main
from tests.carriers_detect import reference
from tests.carriers_detect.reference import CHECKED_FORMATS


def claimdesk(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("form", sorted(CHECKED_FORMATS))
def test_json_names_the_carrier_of_a_computed_number(form: str) -> None:
    sample = CHECKED_FORMATS[form](random.Random(f"cli:{form}"))
    result = claimdesk("carrier", sample.text, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) == {"number", "carrier", "service", "valid", "url"}
    assert (printed["number"], printed["carrier"], printed["valid"]) == (
        sample.number,
        sample.carrier,
        True,
    )
    assert printed["url"].endswith(sample.number)


def test_the_number_may_come_in_pieces_with_spaces_and_dashes() -> None:
    body = "X7W21A" + "03" + "1234567"
    number = f"1Z{body}{reference.ups_check(body)}"
    pieces = ["1z", "X7W-21A", "03", "123 4567", number[-1]]
    result = claimdesk("carrier", "--json", *pieces)
    assert json.loads(result.output)["number"] == number
    quoted = claimdesk("carrier", " ".join(pieces), "--json")
    assert json.loads(quoted.output) == json.loads(result.output)


def test_a_wrong_check_digit_is_valid_false_with_the_likely_carrier() -> None:
    serial = "12345678901"
    right = reference.sum_product(serial, reference.FEDEX_12_WEIGHTS)
    result = claimdesk("carrier", f"{serial}{(right + 1) % 10}", "--json")
    printed = json.loads(result.output)
    assert (printed["carrier"], printed["valid"]) == ("fedex", False)


def test_an_unknown_number_is_null_carrier() -> None:
    result = claimdesk("carrier", "HELLO-WORLD", "--json")
    assert result.exit_code == 0
    assert json.loads(result.output) == {
        "number": "HELLOWORLD",
        "carrier": None,
        "service": None,
        "valid": False,
        "url": None,
    }
    human = claimdesk("carrier", "HELLO-WORLD")
    assert human.exit_code == 0 and "no known carrier" in human.output


def test_human_output_says_carrier_service_validity_and_link() -> None:
    serial = "98765432"
    number = f"EA{serial}{reference.s10_check(serial)}US"
    result = claimdesk("carrier", number)
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        number,
        "  carrier:  USPS",
        "  service:  EMS (UPU S10, US)",
        "  valid:    yes (check digit valid)",
        f"  tracking: https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    ]
    wrong = claimdesk("carrier", number[:10] + str((int(number[10]) + 1) % 10) + "US")
    assert "valid:    no (check digit WRONG (mistyped?))" in wrong.output
    amazon = claimdesk("carrier", "TBA123456789012")
    assert "valid:    yes (format has no check digit)" in amazon.output


def test_no_number_is_a_usage_error() -> None:
    assert claimdesk("carrier").exit_code == 2
    blank = claimdesk("carrier", " - ")
    assert blank.exit_code == 2 and "NUMBER is empty" in blank.output
