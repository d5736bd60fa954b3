"""The issue's first acceptance test: for a folder D, the sandbox serving D, ``connect``,
``costs D/costs.csv``, ``sync --wait`` and ``claims --json`` give the claims that
``reconcile D`` gives (identities, statuses, quantities, amounts, dates: all but evidence).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.amazon.sandbox import AmazonSandbox
from tests.sync.support import AS_OF, Backend, latest, prepare, store_of


def without_evidence(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in claim.items() if k != "evidence"} for claim in document["claims"]]


@pytest.mark.parametrize(("seed", "layout"), [(1, "tsv"), (2, "csv"), (5, "tsv")])
def test_synced_claims_are_the_claims_reconcile_finds(
    backend: Backend,
    seller: Callable[[int, str], Path],
    sandbox_for: Callable[[Path], AmazonSandbox],
    seed: int,
    layout: str,
) -> None:
    folder = seller(seed, layout)
    sandbox = sandbox_for(folder)
    prepare(backend, "shop", sandbox.url, folder)

    synced = backend.claimdesk("sync", "shop", "--wait", "--as-of", AS_OF.isoformat())
    assert synced.exit_code == 0, synced.output
    claims = backend.claimdesk("claims", "shop", "--json", "--as-of", AS_OF.isoformat())
    reconciled = backend.claimdesk("reconcile", str(folder), "--json", "--as-of", str(AS_OF))

    expected = without_evidence(json.loads(reconciled.output))
    assert expected, "the generated seller has planted claims"
    assert without_evidence(json.loads(claims.output)) == expected

    # One line of summary, no progress bar (not a terminal), every kind of row received.
    assert synced.output.count("\n") == 1 and "\r" not in synced.output
    assert f"claims {len(expected)} new, 0 changed, 0 unchanged, 0 gone" in synced.output
    store = store_of(backend)
    state = latest(store, "shop")
    store.close()
    assert state is not None and state.status == "done" and state.done == state.total
    assert all(count > 0 for count in state.counts["rows"].values())
    assert len(state.counts["rows"]) == 7
    # The client stayed inside the rate plans: no 429 at all.
    assert not [r for r in sandbox.requests if r.status == 429]
