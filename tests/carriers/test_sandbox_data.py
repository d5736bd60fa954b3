"""The sandbox's parcels: seeds are checked entry by entry, a generated seller's parcels exist
at their carriers and agree with what Amazon's Orders API says about them, and ``claimdesk
sandbox carriers`` serves them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.amazon import sandbox_data as amazon
from connectors.carriers import client_for, models
from connectors.carriers.sandbox import start_sandbox
from connectors.carriers.sandbox_data import (
    DELIVERED,
    LABEL_CREATED,
    OUT_FOR_DELIVERY,
    SeedError,
    Shipment,
    load_seed,
    milestones,
    parse_seed,
    seed_from_seller,
    write_seed,
)
from plugin.generator import generate_seller

from .conftest import CARRIERS, ROOMY, settings_for

AS_OF = date(2026, 10, 31)


@pytest.fixture(scope="module")
def seller(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("carriers-seller")
    generate_seller(directory, seed=7, as_of=AS_OF, ledger_rows=3000)
    return directory


def entry(**changes: Any) -> dict[str, Any]:
    return {"carrier": "ups", "number": "1Z1", "shipped_at": "2026-11-20T10:00:00Z", **changes}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"carrier": "ontrac"}, "carrier must be one of"),
        ({"number": " "}, "number must be a non-empty string"),
        ({"shipped_at": "2026-11-20T10:00:00"}, "shipped_at must be an ISO time with a zone"),
        ({"shipped_at": "yesterday"}, "shipped_at must be an ISO time with a zone"),
        ({"transit_hours": 2}, "transit_hours must be a whole number"),
        ({"fate": "lost"}, "fate must be one of"),
        ({"origin": "Paris"}, 'origin must read "City, Region, CC"'),
        ({"recipient": 5}, "recipient must be a string"),
    ],
)
def test_a_bad_entry_is_named(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(SeedError) as raised:
        parse_seed({"shipments": [entry(), entry(**{"number": "1Z2", **changes})]}, "seed.json")
    assert raised.value.path == "shipments[1]"
    assert reason in str(raised.value)


def test_duplicates_and_bad_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="listed twice"):
        parse_seed({"shipments": [entry(), entry(number=" 1z1 ")]}, "seed.json")
    broken = tmp_path / "seed.json"
    broken.write_text("{not json")
    with pytest.raises(SeedError, match="is not JSON"):
        load_seed(broken)
    with pytest.raises(SeedError, match='"shipments" list'):
        parse_seed([], "seed.json")


def test_a_parcel_moves_through_its_stages() -> None:
    shipped = datetime(2026, 11, 20, 10, tzinfo=UTC)
    parcel = Shipment("usps", "9400", shipped, transit_hours=48)
    assert milestones(parcel, shipped - timedelta(hours=3)) == []  # unknown before its label
    assert [m.stage for m in milestones(parcel, shipped - timedelta(hours=1))] == [LABEL_CREATED]
    assert milestones(parcel, shipped + timedelta(hours=41))[-1].stage == OUT_FOR_DELIVERY
    done = milestones(parcel, shipped + timedelta(hours=48))
    assert done[-1].stage == DELIVERED and done[-1].time == shipped + timedelta(hours=48)
    assert [m.time for m in done] == sorted(m.time for m in done)


def test_a_sellers_parcels_exist_at_their_carriers_and_agree_with_amazon(
    seller: Path, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    seed = seed_from_seller(seller, now)
    assert {s.carrier for s in seed.shipments} >= {"ups", "usps"}  # FedEx ships FBM only
    copy = load_seed(write_seed(seed, tmp_path / "seed.json"))
    assert copy.shipments == seed.shipments  # the file keeps everything

    # What Amazon's Orders API says about each of these packages now.
    orders = amazon.group_orders(amazon.load_seller(seller).orders)
    amazon_says: dict[str, str] = {}
    for order_id, lines in orders.items():
        for package in amazon.packages_json(order_id, lines, now):
            amazon_says[package["trackingNumber"]] = package["packageStatus"]["detailedStatus"]
    agree = {
        "DELIVERED": {models.DELIVERED},
        "RETURNED_TO_SELLER": {models.RETURN_TO_SENDER},
        "RETURNING_TO_SELLER": {models.RETURN_TO_SENDER},
        "AT_DESTINATION_FC": {models.ON_HOLD},  # stuck: the carrier says why
        "OUT_FOR_DELIVERY": {models.OUT_FOR_DELIVERY},
        "AT_ORIGIN_FC": {models.IN_TRANSIT},
        "PICKED_UP": {models.PICKED_UP, models.IN_TRANSIT},
    }
    seen: Counter[str] = Counter()
    with start_sandbox(seed, plans=ROOMY) as server:
        for carrier in CARRIERS:
            numbers = [s.number for s in seed.shipments if s.carrier == carrier]
            if not numbers:
                continue
            client = client_for(carrier, settings_for(carrier, server))
            for tracking in client.track(numbers):
                assert tracking.found, tracking.number
                said = amazon_says[tracking.number]
                assert tracking.status in agree[said], (tracking.number, said, tracking.status)
                seen[tracking.status] += 1
    assert seen[models.DELIVERED] > 0 and sum(seen.values()) == len(seed.shipments)


def test_cli_serves_a_seed_file(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(
        json.dumps(
            {
                "shipments": [
                    {
                        "carrier": "dhl",
                        "number": "1234567895",
                        "shipped_at": (now - timedelta(days=5)).isoformat(),
                    }
                ]
            }
        )
    )
    command = [sys.executable, "-c", "from plugin.cli import main; main()"]
    process = subprocess.Popen(
        [*command, "sandbox", "carriers", "--seed", str(seed_file), "--plan", "dhl=2/1,5/60"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(6)]
    finally:
        process.terminate()
        process.wait(timeout=10)
    text = "".join(lines)
    assert "dhl 2/1s,5/60s" in text and "usps 60/3600s" in text
    assert "serving 1 parcels" in lines[0]
    dhl = re.search(r"dhl: --url (\S+) --api-key (\S+)", text)
    assert dhl is not None
    assert re.search(r"ups: --url http://127\.0\.0\.1:\d+/ups --client-id \S+", text)
    assert process.returncode in (0, -15)


def test_cli_serves_a_sellers_parcels(seller: Path) -> None:
    command = [sys.executable, "-c", "from plugin.cli import main; main()"]
    process = subprocess.Popen(
        [*command, "sandbox", "carriers", "--seller", str(seller)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
    finally:
        process.terminate()
        process.wait(timeout=10)
    written = load_seed(seller / ".carriers-seed.json")
    assert f"serving {len(written.shipments)} parcels from {seller}" in first
    assert len(written.shipments) > 10


def test_cli_answers_over_http(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from plugin.cli import main; main()"]
    process = subprocess.Popen([*command, "sandbox", "carriers"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        dhl = re.search(r"dhl: --url (\S+) --api-key (\S+)", "".join(lines))
        assert dhl is not None
        answer = requests.get(
            f"{dhl[1]}/track/shipments",
            params={"trackingNumber": "0000000000"},
            headers={"DHL-API-Key": dhl[2]},
            timeout=5,
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert answer.status_code == 404
    assert answer.json()["title"] == "No result found"


@pytest.mark.parametrize("plan", ["dhl", "dhl=x/5", "ontrac=1/5", "ups=0/1"])
def test_cli_refuses_a_bad_plan(plan: str) -> None:
    from click.testing import CliRunner

    from plugin.cli import main

    result = CliRunner().invoke(main, ["sandbox", "carriers", "--plan", plan])
    assert result.exit_code == 2
    assert "--plan" in result.output


def test_cli_refuses_two_sources(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from plugin.cli import main

    seed_file = tmp_path / "x.json"
    seed_file.write_text('{"shipments": []}')
    result = CliRunner().invoke(
        main, ["sandbox", "carriers", "--seed", str(seed_file), "--seller", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "at most one of --seed FILE and --seller DIR" in result.output


def test_cli_reports_a_bad_seed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from plugin.cli import main

    seed_file = tmp_path / "x.json"
    seed_file.write_text('{"shipments": [{"carrier": "ups"}]}')
    result = CliRunner().invoke(main, ["sandbox", "carriers", "--seed", str(seed_file)])
    assert result.exit_code == 1
    assert "shipments[0]: number must be a non-empty string" in result.output
