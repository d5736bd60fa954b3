"""Tickets for a generated seller: languages, the four ways to name an order, hostile text,
determinism; the sandbox serves the seed, and ``claimdesk sandbox zendesk`` runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import requests

from connectors.amazon.parse import read_report
from connectors.amazon.sandbox_data import buyer_email
from connectors.errors import ReportError
from connectors.zendesk.sandbox_data import ORDER_ID_FIELD_ID, SeedError, load_seed
from plugin.generator import generate_seller
from plugin.generator.tickets import LANGUAGES, write_ticket_seed

from .conftest import Start

AS_OF = date(2026, 10, 31)


@pytest.fixture(scope="module")
def seller(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("zendesk-seller") / "seller"
    generate_seller(folder, seed=11, as_of=AS_OF, skus=6, days=90, ledger_rows=800)
    return folder


def order_ids(seller: Path) -> set[str]:
    report = read_report(lambda: (seller / "all-orders.txt").open("rb"), "all-orders.txt")
    return {row.order_id for row in report.rows}


def test_seed_covers_languages_order_references_and_hostile_text(
    seller: Path, tmp_path: Path
) -> None:
    summary = write_ticket_seed(seller, tmp_path / "tickets.json", seed=5)
    assert 20 <= summary.tickets <= 40
    assert summary.languages == tuple(sorted(LANGUAGES))
    assert summary.order_in_text >= 5 and summary.order_in_field_only >= 3
    assert summary.email_only >= 3 and summary.without_order >= 3 and summary.hostile >= 2
    assert set(summary.orders) <= order_ids(seller)
    seed = load_seed(summary.path)
    assert len(seed.tickets) == summary.tickets
    users = {u.id: u for u in seed.users}
    relay = {buyer_email(o) for o in order_ids(seller)}
    email_only = [
        t
        for t in seed.tickets
        if not re.search(r"\d{3}-\d{7}-\d{7}", t.subject + t.comments[0].body)
        and not t.custom_fields.get(ORDER_ID_FIELD_ID)
        and users[t.requester_id].email in relay
    ]
    assert len(email_only) == summary.email_only
    assert all(t.created_at.date() <= AS_OF for t in seed.tickets)
    assert all(c.created_at >= t.created_at for t in seed.tickets for c in t.comments)
    assert {u.role for u in seed.users} == {"admin", "agent", "end-user"}


def test_claimed_orders_come_first(seller: Path, tmp_path: Path) -> None:
    claims = json.loads((seller / ".planted" / "claims.json").read_text())["claims"]
    claimed = {c["reference_id"] for c in claims}
    summary = write_ticket_seed(seller, tmp_path / "t.json", seed=5)
    assert claimed & set(summary.orders)


def test_same_seed_same_bytes(seller: Path, tmp_path: Path) -> None:
    write_ticket_seed(seller, tmp_path / "a.json", seed=5)
    write_ticket_seed(seller, tmp_path / "b.json", seed=5)
    write_ticket_seed(seller, tmp_path / "c.json", seed=6)
    a, b, c = ((tmp_path / n).read_bytes() for n in ("a.json", "b.json", "c.json"))
    assert a == b and a != c


def test_a_folder_without_orders_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="no All Orders file"):
        write_ticket_seed(tmp_path, tmp_path / "t.json", seed=1)
    assert not (tmp_path / "t.json").exists()


def test_the_sandbox_serves_the_generated_seed_escaped(
    seller: Path, tmp_path: Path, make_sandbox: Start
) -> None:
    summary = write_ticket_seed(seller, tmp_path / "tickets.json", seed=5)
    sandbox = make_sandbox(load_seed(summary.path))
    listing = requests.get(f"{sandbox.url}/agent").text
    assert listing.count('class="ticket"') == summary.tickets
    for ticket_id in sandbox.tickets:
        page = requests.get(f"{sandbox.url}/agent/tickets/{ticket_id}").text
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg" not in page


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("[]", "must be a JSON object"),
        ('{"tickets": [{"id": 1}]}', "created_at"),
        (
            '{"tickets": [{"id": 1, "subject": "s", "requester_id": 5, '
            '"created_at": "2026-01-01T00:00:00Z", "comments": [{"body": "b"}]}]}',
            "requester_id 5 is not a user",
        ),
        ('{"users": [{"id": 1, "name": "a", "email": "nope"}]}', "not an email address"),
        ("{not json", "is not JSON"),
    ],
)
def test_bad_seed_files_say_what_is_wrong(tmp_path: Path, document: str, reason: str) -> None:
    path = tmp_path / "seed.json"
    path.write_text(document)
    with pytest.raises(SeedError, match=re.escape(reason)):
        load_seed(path)


def test_cli_serves_and_prints_what_to_connect_with(seller: Path, tmp_path: Path) -> None:
    seed_file = write_ticket_seed(seller, tmp_path / "tickets.json", seed=5).path
    key = tmp_path / "keys" / "zendesk.pem"
    command = [
        sys.executable,
        "-c",
        "from plugin.cli import main; main()",
        "sandbox",
        "zendesk",
        "--seed",
        str(seed_file),
        "--subdomain",
        "shop",
        "--key-file",
        str(key),
        "--api-token",
        "tok-1",
        "--app-url",
        "http://127.0.0.1:5999",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(6)]
        served = re.search(r"at (http://\S+)", lines[0])
        assert served is not None
        assert requests.get(f"{served[1]}/agent", timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert "shop.zendesk.com" in lines[0]
    public = Path(re.search(r"public key: (\S+)", "".join(lines))[1])  # type: ignore[index]
    assert public.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert "--api-token tok-1" in "".join(lines)
    assert "http://127.0.0.1:5999/webhooks/zendesk" in "".join(lines)
    assert process.returncode in (0, -15)


def test_cli_writes_the_seed_from_a_seller_folder(seller: Path) -> None:
    command = [
        sys.executable,
        "-c",
        "from plugin.cli import main; main()",
        "sandbox",
        "zendesk",
        "--seller",
        str(seller),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        served = re.search(r"at (http://\S+)", first)
        assert served is not None
        page = requests.get(f"{served[1]}/agent", timeout=10).text
    finally:
        process.terminate()
        process.wait(timeout=10)
    seed = load_seed(seller / ".zendesk-seed.json")
    assert page.count('class="ticket"') == len(seed.tickets) >= 20


@pytest.mark.parametrize("both", [False, True])
def test_cli_needs_exactly_one_source(both: bool, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from plugin.cli import main

    seed_file = tmp_path / "x.json"
    seed_file.write_text("{}")
    arguments = ["--seed", str(seed_file), "--seller", str(tmp_path)] if both else []
    result = CliRunner().invoke(main, ["sandbox", "zendesk", *arguments])
    assert result.exit_code == 2
    assert "exactly one of --seed FILE and --seller DIR" in result.output
