"""Claims kept by their stable identity (kind, reference_id, sku), run after run.

``save_claims`` takes a reconcile run's claims and says what is new, changed, unchanged, and
gone since the last run: the sync writes notes only for what changed. ``load_claims`` gives
the stored claims back as the engine's ``Claim`` objects.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from connectors.amazon.models import Source
from plugin.domain.claims import Claim, status_on
from plugin.store import queries
from plugin.store.models import ClaimRecord

# The Claim fields stored as columns of the same name (evidence is JSON).
_FIELDS = tuple(f.name for f in dataclasses.fields(Claim) if f.name != "evidence")


@dataclass(frozen=True)
class ClaimChanges:
    """How one run's claims compare with the stored ones.

    ``new``: identities never seen; ``changed``: stored, but different now (or back after
    being gone); ``unchanged``: the same as stored; ``gone``: stored and current, but not found
    by this run (as they were last stored).
    """

    new: list[Claim]
    changed: list[Claim]
    unchanged: list[Claim]
    gone: list[Claim]


def save_claims(
    session: Session, installation_id: int, claims: Sequence[Claim], now: datetime
) -> ClaimChanges:
    """Store one run's claims for an installation, upserting by identity.

    Raises:
        ValueError: two claims share an identity (the engine never makes such a list).
    """
    stored = {
        record_identity(record): record
        for record in queries.claims(session, installation_id, include_gone=True)
    }
    seen: set[tuple[str, str, str]] = set()
    new, changed, unchanged, upserts = [], [], [], []
    for claim in claims:
        if claim.identity in seen:
            raise ValueError(f"claim identity {claim.identity} appears twice")
        seen.add(claim.identity)
        values = claim_values(claim)
        record = stored.get(claim.identity)
        if record is None:
            new.append(claim)
        elif record.content_hash != values["content_hash"] or record.gone_at is not None:
            changed.append(claim)
        else:
            unchanged.append(claim)
            continue
        upserts.append({**values, "first_seen_at": now, "updated_at": now, "gone_at": None})
    queries.upsert_claims(session, installation_id, upserts)
    gone = [
        record
        for identity, record in stored.items()
        if identity not in seen and record.gone_at is None
    ]
    queries.mark_claims_gone(session, installation_id, [record.id for record in gone], now)
    return ClaimChanges(new, changed, unchanged, [to_claim(record) for record in gone])


def load_claims(
    session: Session, installation_id: int, *, as_of: date | None = None
) -> list[Claim]:
    """An installation's current claims, sorted by identity as ``find_claims`` sorts them.

    With ``as_of``, each dated claim's status is worked out again for that day from its
    window (``opens_on``, ``deadline``); flags and undated claims keep their status.
    """
    claims = [to_claim(record) for record in queries.claims(session, installation_id)]
    if as_of is not None:
        claims = [restate(claim, as_of) for claim in claims]
    return sorted(claims, key=lambda claim: claim.identity)


def restate(claim: Claim, as_of: date) -> Claim:
    """``claim`` with its status on ``as_of`` (only the window's dates decide it)."""
    if claim.opens_on is None or claim.deadline is None:
        return claim
    return dataclasses.replace(claim, status=status_on(as_of, claim.opens_on, claim.deadline))


def record_identity(record: ClaimRecord) -> tuple[str, str, str]:
    return (record.kind, record.reference_id, record.sku)


def claim_values(claim: Claim) -> dict[str, Any]:
    """The columns of a claim (without installation and timestamps), with its content hash."""
    values: dict[str, Any] = {name: getattr(claim, name) for name in _FIELDS}
    values["evidence"] = [
        {"file": source.file, "line": source.line, "path": source.path} for source in claim.evidence
    ]
    values["content_hash"] = content_hash(values)
    return values


def content_hash(values: dict[str, Any]) -> str:
    """A hash of every stored field: equal claims, equal hashes, in any process."""
    text = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def to_claim(record: ClaimRecord) -> Claim:
    """The engine's ``Claim`` back from its stored row."""
    values = {name: getattr(record, name) for name in _FIELDS}
    evidence = tuple(
        Source(entry["file"], entry.get("line"), entry.get("path")) for entry in record.evidence
    )
    return Claim(**values, evidence=evidence)
