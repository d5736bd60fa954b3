"""Triage rules: the labelled set in every language, overrides, validation and SLA clocks."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from plugin.domain import triage as t
from plugin.services.triage import default_document, default_rules

DATA = Path(__file__).parent / "data" / "labelled.jsonl"
LANGUAGES = ("en", "fr", "de", "es", "it", "zh", "ja")
TARGET = 0.9


def labelled() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]


def precision_recall(rows: list[dict[str, Any]], rules: t.Rules) -> tuple[float, float, int]:
    tp = fp = fn = 0
    for row in rows:
        predicted = t.classify(row["text"], rules=rules).high_risk
        tp += predicted and row["high_risk"]
        fp += predicted and not row["high_risk"]
        fn += (not predicted) and row["high_risk"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, len(rows)


def test_the_labelled_set_is_big_and_covers_every_language() -> None:
    rows = labelled()
    assert len(rows) >= 200
    for language in LANGUAGES:
        mine = [r for r in rows if r["language"] == language]
        assert len(mine) >= 25, language
        assert any(r["high_risk"] for r in mine) and any(not r["high_risk"] for r in mine)


def test_high_risk_precision_and_recall_overall() -> None:
    rules = default_rules()
    rows = labelled()
    print("\nhigh-risk class, default rules:")
    for language in LANGUAGES:
        p, r, n = precision_recall([x for x in rows if x["language"] == language], rules)
        print(f"  {language}: precision {p:.3f} recall {r:.3f} ({n} messages)")
    p, r, n = precision_recall(rows, rules)
    print(f"  overall: precision {p:.3f} recall {r:.3f} ({n} messages)")
    assert p >= TARGET and r >= TARGET


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language(language: str) -> None:
    rows = [x for x in labelled() if x["language"] == language]
    p, r, _ = precision_recall(rows, default_rules())
    assert p >= TARGET and r >= TARGET, (language, p, r)
    # The language is recognised, and the categories are the labelled ones, on most rows.
    rules = default_rules()
    right_language = sum(t.classify(x["text"], rules=rules).language == language for x in rows)
    right_categories = sum(
        set(t.classify(x["text"], rules=rules).categories) == set(x["categories"]) for x in rows
    )
    assert right_language / len(rows) >= 0.9
    assert right_categories / len(rows) >= 0.85


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("The parcel is not damaged at all, thanks", ()),
        ("Le colis n'est pas abîmé", ()),
        ("商品は届きました。傷はありません。", ()),
        ("东西没有损坏", ()),
        ("I don't want to open an A-to-z claim but I will", (t.A_TO_Z,)),  # a threat stays one
        ("ＡＭＡＺＯＮ says my order is ＬＯＳＴ", (t.NEVER_ARRIVED,)),  # full-width folded
        ("The box says amazon on it, the product is fine", ()),  # "az" inside a word
    ],
)
def test_negation_and_folding(text: str, categories: tuple[str, ...]) -> None:
    assert t.classify(text, rules=default_rules()).categories == categories


def test_order_state_raises_the_risk_and_says_why() -> None:
    rules = default_rules()
    wismo = t.classify("Where is my order? Any tracking number?", rules=rules)
    assert wismo.risk == t.LOW
    late = t.decide(wismo, t.OrderState(late=("111-1111111-1111111",)), rules)
    assert late.risk == t.HIGH
    assert {"rule": "state:late", "orders": ["111-1111111-1111111"], "risk": t.HIGH} in list(
        late.reasons
    )
    assert t.decide(wismo, t.OrderState(return_pending=("x",)), rules).risk == t.MEDIUM
    high = t.classify("It arrived broken", rules=rules)
    assert t.decide(high, t.OrderState(refund_issued=("x",)), rules).risk == t.HIGH  # never lower


def test_an_override_changes_the_outcome() -> None:
    document = copy.deepcopy(dict(default_document()))
    text = "The colour is a bit off compared to the photos"
    assert t.classify(text, rules=t.load_rules(document)).risk == t.NONE
    document["categories"]["damaged"]["patterns"]["en"].append(r"colou?r is (?:a bit )?off")
    changed = t.load_rules(document)
    assert t.classify(text, rules=changed).categories == (t.DAMAGED,)
    assert changed.version != default_rules().version
    document["categories"]["cancellation"]["risk"] = "high"
    assert t.classify("please cancel my order", rules=t.load_rules(document)).high_risk


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["categories"].update(refund={"risk": "high", "patterns": {}}), "unknown"),
        (lambda d: d["categories"]["damaged"].update(risk="severe"), "damaged.risk"),
        (
            lambda d: d["categories"]["damaged"]["patterns"]["en"].append("(broken"),
            "not a valid regular expression",
        ),
        (lambda d: d["categories"]["damaged"]["patterns"]["en"].append("x*"), "empty text"),
        (lambda d: d["categories"]["damaged"]["patterns"].update(pt=["x"]), "not declared"),
        (lambda d: d["state_rules"].append({"state": "lost", "risk": "high"}), "state_rules[4]"),
        (lambda d: d.pop("languages"), "languages"),
    ],
)
def test_invalid_rules_are_refused_with_the_place(edit: Any, message: str) -> None:
    document = copy.deepcopy(dict(default_document()))
    edit(document)
    with pytest.raises(t.RulesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        t.load_rules(document)


def test_sla_due_per_risk_and_amazon_limits() -> None:
    created = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    targets = t.parse_sla_targets(None)
    assert t.sla_due(created, t.HIGH, (t.DAMAGED,), targets) == created + timedelta(hours=2)
    assert t.sla_due(created, t.MEDIUM, (), targets) == created + timedelta(hours=8)
    assert t.sla_due(created, t.LOW, (), targets) == created + timedelta(hours=24)
    assert t.sla_due(created, t.NONE, (), targets) is None
    slow = t.parse_sla_targets({"high": 30, "low": None})
    # An internal target never passes Amazon's 24 h for a buyer message, A-to-z or not.
    assert t.sla_due(created, t.HIGH, (t.DAMAGED,), slow) == created + timedelta(hours=24)
    assert t.sla_due(created, t.HIGH, (t.A_TO_Z,), slow) == created + timedelta(hours=24)
    assert t.sla_due(created, t.LOW, (), slow) is None
    clock = t.sla_clock(
        t.HIGH,
        (t.A_TO_Z,),
        created,
        created + timedelta(hours=2),
        None,
        created + timedelta(hours=3),
    )
    assert clock.overdue and clock.remaining == timedelta(hours=-1)
    assert clock.a_to_z_due_at == created + timedelta(hours=48)
    assert clock.amazon_due_at == created + timedelta(hours=24)
    answered = t.sla_clock(t.HIGH, (), created, created, created, created + timedelta(days=1))
    assert not answered.overdue


@pytest.mark.parametrize(
    ("value", "message"),
    [([2], "object"), ({"urgent": 1}, "unknown risk"), ({"high": 0}, "not in"),
     ({"high": "2h"}, "number"), ({"high": 500}, "not in")],
)  # fmt: skip
def test_bad_sla_targets(value: Any, message: str) -> None:
    with pytest.raises(t.RulesError, match=message):
        t.parse_sla_targets(value)


def test_held_out_messages_written_after_the_rules() -> None:
    """42 messages written after the rules were tuned on the labelled set, never tuned on:
    an honest view of how the rules meet new phrasing (printed; a lower bar than the set)."""
    rows = [
        json.loads(line)
        for line in (DATA.parent / "holdout.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    rules = default_rules()
    print("\nhigh-risk class, held-out messages:")
    for language in LANGUAGES:
        p, r, n = precision_recall([x for x in rows if x["language"] == language], rules)
        print(f"  {language}: precision {p:.3f} recall {r:.3f} ({n} messages)")
    p, r, n = precision_recall(rows, rules)
    print(f"  overall: precision {p:.3f} recall {r:.3f} ({n} messages)")
    assert p >= 0.85 and r >= 0.85
