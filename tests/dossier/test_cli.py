"""``claimdesk dossier NAME --order ID [--out FILE]`` on the real store (SQLite, PostgreSQL)."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.orm import Session, sessionmaker

from plugin.cli import main
from plugin.store import sidebar_queries as sq
from tests.sidebar.support import (
    AMAZON_ORDER,
    TRACKING_NUMBER,
    add_history,
    add_order,
    add_tracking,
)


@pytest.fixture
def claimdesk(database_url: str, tmp_path: Path) -> Callable[..., Result]:
    environment = {
        "CLAIMDESK_ENV": "development",
        "CLAIMDESK_DATABASE_URL": database_url,
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=environment)

    return run


@pytest.fixture
def shop(sessions: sessionmaker[Session], make_installation: Callable[[str], int]) -> int:
    installation_id = make_installation("shop")
    with sessions.begin() as session:
        add_order(session, installation_id)
        add_tracking(session, installation_id, fetched=datetime.now(UTC))
        add_history(session, installation_id)
    return installation_id


def document_of(path: Path) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        assert sorted(n.split("/", 1)[1] for n in archive.namelist()) == [
            "SCHEMA.md",
            "dossier.html",
            "dossier.json",
        ]
        name = next(n for n in archive.namelist() if n.endswith("dossier.json"))
        loaded: dict[str, object] = json.loads(archive.read(name))
        return loaded


def test_the_dossier_is_written_where_asked(
    claimdesk: Callable[..., Result], shop: int, tmp_path: Path
) -> None:
    out = tmp_path / "a-to-z.zip"
    result = claimdesk("dossier", "shop", "--order", AMAZON_ORDER, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: 0 ticket(s), 0 message(s), 1 parcel(s), 1 audit event(s)." in (
        result.output
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # customer data
    document = document_of(out)
    assert document["order"]["order_id"] == AMAZON_ORDER  # type: ignore[index]
    assert [p["tracking_number"] for p in document["tracking"]] == [TRACKING_NUMBER]  # type: ignore[attr-defined]
    assert not list(tmp_path.glob(".dossier-*"))  # no temporary file left


def test_the_default_file_is_named_after_the_order(
    claimdesk: Callable[..., Result], shop: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = claimdesk("dossier", "shop", "--order", AMAZON_ORDER, "--locale", "zh-cn")
    assert result.exit_code == 0, result.output
    document = document_of(tmp_path / f"dossier-{AMAZON_ORDER}.zip")
    assert document["locale"] == "zh-cn"


def test_a_missing_zendesk_part_is_said(
    claimdesk: Callable[..., Result], shop: int, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        sq.link_ticket(session, shop, 12, [("amazon", AMAZON_ORDER, "email")], datetime.now(UTC))
    out = tmp_path / "d.zip"
    result = claimdesk("dossier", "shop", "--order", AMAZON_ORDER, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "no Zendesk API credentials" in result.output
    assert document_of(out)["gaps"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dossier", "shop", "--order", "999-0000000-0000000"], "shop has no order"),
        (["dossier", "nobody", "--order", AMAZON_ORDER], "no installation named 'nobody'"),
        (["dossier", "shop", "--order", " "], "--order needs an order id"),
        (["dossier", "shop"], "Missing option '--order'"),
    ],
)
def test_bad_requests_say_why_and_write_nothing(
    claimdesk: Callable[..., Result],
    shop: int,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    out = tmp_path / "d.zip"
    result = claimdesk(*args, "--out", str(out))
    assert result.exit_code != 0
    assert message in result.output
    assert not out.exists()
