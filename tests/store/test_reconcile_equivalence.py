"""Stored rows give the engine what the files give it: the same claims as ``reconcile``.

Every readable file of a folder is ingested as one document (as the sync will ingest each
downloaded report), then ``find_claims(load_inputs(...))`` is compared with
``reconcile_folder`` on the folder, claim by claim, evidence included.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from connectors.amazon.parse import read_report
from connectors.errors import ReportError
from plugin.domain.claims import find_claims
from plugin.services.claim_store import load_claims, save_claims
from plugin.services.ingest import ingest_report, load_inputs
from plugin.services.reconcile import list_input_files, reconcile_folder
from tests.store.conftest import NOW
from tests.store.folder import write_seller

AS_OF = date(2026, 10, 31)


def ingest_folder(
    sessions: sessionmaker[Session], installation_id: int, directory: Path
) -> list[str]:
    """Ingest every file reconcile can read (whole: no event or order filter), in its order.

    Returns the names of the files it could not read.
    """
    skipped = []
    for path in list_input_files(directory):
        name = path.relative_to(directory).as_posix()
        try:
            report = read_report(lambda path=path: path.open("rb"), name)  # type: ignore[misc]
        except ReportError:
            skipped.append(name)
            continue
        with sessions.begin() as session:
            ingest_report(session, installation_id, report, f"file:{name}", now=NOW)
    return skipped


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from plugin.generator import generate_seller

    directory = tmp_path_factory.mktemp("generated")
    generate_seller(directory, seed=3, as_of=AS_OF, ledger_rows=5000)
    return directory


def check_equivalence(
    sessions: sessionmaker[Session], installation_id: int, directory: Path
) -> int:
    expected = reconcile_folder(directory, AS_OF)
    skipped = ingest_folder(sessions, installation_id, directory)
    assert sorted(skipped) == sorted(entry.file for entry in expected.skipped_files)
    with sessions() as session:
        inputs = load_inputs(session, installation_id)
    assert find_claims(inputs, AS_OF) == expected.claims

    # Stored claims, restated for another day, equal a reconcile on that day.
    with sessions.begin() as session:
        save_claims(session, installation_id, expected.claims, NOW)
    later = AS_OF + timedelta(days=40)
    with sessions() as session:
        assert load_claims(session, installation_id, as_of=later) == (
            reconcile_folder(directory, later).claims
        )
    return len(expected.claims)


def test_handmade_folder(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
) -> None:
    directory = write_seller(tmp_path / "seller")
    count = check_equivalence(sessions, make_installation("handmade"), directory)
    assert count == 9  # every kind and every status is in there


def test_ingesting_the_folder_twice_changes_nothing(
    tmp_path: Path,
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
) -> None:
    directory = write_seller(tmp_path / "seller")
    seller = make_installation("twice")
    ingest_folder(sessions, seller, directory)
    with sessions() as session:
        once = load_inputs(session, seller)
    ingest_folder(sessions, seller, directory)
    with sessions() as session:
        assert load_inputs(session, seller) == once


@pytest.mark.slow
def test_generated_seller(
    generated: Path,
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
) -> None:
    count = check_equivalence(sessions, make_installation("generated"), generated)
    assert count > 10
