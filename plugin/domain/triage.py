"""Ticket triage: which ODR-risk categories a message is about, how risky it is, and its SLA.

Pure. The rules are data (``triage_rules.json`` beside this module, read by
``plugin.services.triage.default_rules``; overridable per installation) so an admin can
change the wording without a release; ``load_rules`` validates a rules document and compiles it.

Matching, per pattern of every language (a French buyer may write "chargeback"):

- The text and the patterns are folded alike: NFKC, case-folded, accents dropped ("reçu" and
  "recu" match each other), typographic apostrophes made ``'``, whitespace collapsed.
- Languages written with spaces (``"boundary": "word"``) match whole words: a pattern is
  wrapped in ``(?<!\\w)…(?!\\w)`` and uses ``\\w*`` for endings. Chinese and Japanese
  (``"boundary": "none"``) match anywhere: they have no spaces between words.
- Negation, where cheap: a match of a negatable category is dropped when one of the language's
  ``negations_before`` ends one of the three words (or, without word boundaries, the four
  characters) before it in the same clause, or when ``negations_after`` starts right after it
  (Japanese puts negation at the end: 壊れていません). Never-arrived patterns carry their own
  negation ("has not arrived"); a threat stays a threat ("I don't want to open an A-to-z
  claim" is still one), so ``a_to_z`` and ``chargeback`` are not negatable.

Risk: each category has a level; the message's risk is the highest matched. The order's state
(late, return pending, refund issued) can raise it (``state_rules``), never lower it.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

A_TO_Z = "a_to_z"
CHARGEBACK = "chargeback"
DAMAGED = "damaged"
NEVER_ARRIVED = "never_arrived"
COUNTERFEIT = "counterfeit"
CANCELLATION = "cancellation"
WHERE_IS_MY_ORDER = "where_is_my_order"
CATEGORIES = (
    A_TO_Z,
    CHARGEBACK,
    DAMAGED,
    NEVER_ARRIVED,
    COUNTERFEIT,
    CANCELLATION,
    WHERE_IS_MY_ORDER,
)

HIGH = "high"
MEDIUM = "medium"
LOW = "low"
NONE = "none"
RISKS = (NONE, LOW, MEDIUM, HIGH)  # ascending
_RANK = {risk: rank for rank, risk in enumerate(RISKS)}

LATE = "late"
RETURN_PENDING = "return_pending"
REFUND_ISSUED = "refund_issued"
STATES = (LATE, RETURN_PENDING, REFUND_ISSUED)

WORD = "word"
NO_BOUNDARY = "none"
CJK = frozenset({"zh", "ja"})

# Amazon's clocks (research/fba.md): buyer messages answered within 24 hours; an A-to-z
# claim's notice answered within 48 hours.
AMAZON_RESPONSE = timedelta(hours=24)
A_TO_Z_RESPONSE = timedelta(hours=48)
# Internal targets per risk level (InstallationSetting "sla_targets", in hours; null: none).
DEFAULT_SLA_HOURS: Mapping[str, float | None] = {HIGH: 2, MEDIUM: 8, LOW: 24, NONE: None}
MAX_SLA_HOURS = 168.0

NEGATION_WINDOW_WORDS = 3
NEGATION_WINDOW_CHARS = 4
NEGATION_AFTER_CHARS = 6
MAX_TEXT = 20_000  # characters read: a pasted log is not a complaint
_CLAUSE_END = re.compile(r"[.!?;:,\n。！？；，、]|\bbut\b|\bmais\b|\baber\b|\bpero\b|\bma\b")
_SPACES = re.compile(r"\s+")
_ACCENTS = re.compile("[\u0300-\u036f]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORDS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


class RulesError(ValueError):
    """A triage rules document that cannot be used; the message names the place and the fix."""


@dataclass(frozen=True)
class Pattern:
    category: str
    language: str
    source: str  # as written in the rules
    regex: re.Pattern[str]


@dataclass(frozen=True)
class Language:
    code: str
    boundary: str
    markers: frozenset[str]
    negations_before: tuple[str, ...]
    negations_after: tuple[str, ...]


@dataclass(frozen=True)
class StateRule:
    state: str
    categories: frozenset[str]  # empty: whatever the message is about
    risk: str


@dataclass(frozen=True)
class Rules:
    """A compiled, valid rules document; ``version`` is a digest of its content."""

    version: str
    document: Mapping[str, Any]
    languages: Mapping[str, Language]
    category_risk: Mapping[str, str]
    negatable: frozenset[str]
    unless: Mapping[str, frozenset[str]]  # category -> categories that cancel it
    patterns: tuple[Pattern, ...]
    state_rules: tuple[StateRule, ...]


@dataclass(frozen=True)
class Match:
    category: str
    language: str
    pattern: str
    text: str  # the folded words that matched


@dataclass(frozen=True)
class Classification:
    """What a message is about, from its words alone."""

    language: str
    categories: tuple[str, ...]
    risk: str
    matches: tuple[Match, ...]
    negated: tuple[Match, ...] = ()

    @property
    def high_risk(self) -> bool:
        return self.risk == HIGH


@dataclass(frozen=True)
class OrderState:
    """What the store knows about the ticket's orders (gathered by the service)."""

    late: tuple[str, ...] = ()  # order ids whose parcel is past its estimate, not delivered
    return_pending: tuple[str, ...] = ()  # returns started, not received back
    refund_issued: tuple[str, ...] = ()

    def holds(self, state: str) -> tuple[str, ...]:
        return {LATE: self.late, RETURN_PENDING: self.return_pending}.get(state, self.refund_issued)


@dataclass(frozen=True)
class Decision:
    """The triage of a ticket: its risk, categories and the reasons, in order."""

    risk: str
    categories: tuple[str, ...]
    language: str
    reasons: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def high_risk(self) -> bool:
        return self.risk == HIGH


# --- text -----------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Text as the rules see it: NFKC, case-folded, no accents, plain apostrophes, one space.

    Only Latin combining accents (U+0300-U+036F) are dropped: a kana's voicing mark
    (が = か + U+3099) is meaning, not decoration.
    """
    normalized = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    return _SPACES.sub(" ", _strip_accents(normalized)).strip()


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _ACCENTS.sub("", decomposed))


def _fold_pattern(source: str) -> str:
    """A pattern folded like the text, except case (regex escapes such as ``\\W`` are case
    sensitive): the pattern is compiled case-insensitive instead."""
    normalized = unicodedata.normalize("NFKC", source).translate(_APOSTROPHES)
    return _strip_accents(normalized).replace("ß", "ss").replace("ẞ", "ss")


def detect_language(folded: str, rules: Rules) -> str:
    """The message's language: kana is Japanese, Han without kana Chinese; otherwise the
    language with the most marker words (English when none wins)."""
    if _KANA.search(folded):
        return "ja" if "ja" in rules.languages else "en"
    if _HAN.search(folded):
        return "zh" if "zh" in rules.languages else "en"
    words = _WORDS.findall(folded)
    best, best_count = "en", 0
    for code, language in rules.languages.items():
        if language.boundary != WORD:
            continue
        count = sum(1 for word in words if word in language.markers)
        if count > best_count:
            best, best_count = code, count
    return best


# --- classification -------------------------------------------------------------------------


def classify(text: str, *, rules: Rules) -> Classification:
    """The categories ``text`` is about, its language and its risk from the words alone."""
    folded = fold(text[:MAX_TEXT])
    language = detect_language(folded, rules)
    matches: list[Match] = []
    # A pattern's own language and the message's: "no quiero cancelar" meets the English
    # pattern "cancel…" with Spanish negations.
    negations = {
        code: _union(rules.languages[code], rules.languages[language]) for code in rules.languages
    }
    negated: list[Match] = []
    seen: set[str] = set()
    for pattern in rules.patterns:
        for found in pattern.regex.finditer(folded):
            match = Match(pattern.category, pattern.language, pattern.source, found.group(0))
            if pattern.category in rules.negatable and _negated(
                folded, found.start(), found.end(), negations[pattern.language]
            ):
                negated.append(match)
                continue
            matches.append(match)
            seen.add(pattern.category)
            break  # one match per pattern is enough to explain
    # "Tracking says delivered but nothing came" is never-arrived, not a where-is-my-order
    # question to auto-answer; "my bank will cancel the payment" is a chargeback.
    categories = tuple(
        c for c in rules.category_risk if c in seen and not rules.unless.get(c, set()) & seen
    )
    matches = [m for m in matches if m.category in categories]
    risk = max((rules.category_risk[c] for c in categories), key=_RANK.__getitem__, default=NONE)
    return Classification(language, categories, risk, tuple(matches), tuple(negated))


def _union(own: Language, message: Language) -> Language:
    if own.code == message.code:
        return own
    return Language(
        own.code,
        own.boundary,
        own.markers,
        own.negations_before + message.negations_before,
        own.negations_after + message.negations_after,
    )


def _negated(text: str, start: int, end: int, language: Language) -> bool:
    before = text[max(0, start - 80) : start]
    clause = _CLAUSE_END.split(before)[-1]
    if language.boundary == WORD:
        words = re.findall(r"[\w']+", clause)[-NEGATION_WINDOW_WORDS:]
        window = " " + " ".join(words) + " "
        for negation in language.negations_before:
            if negation.endswith("'"):
                if any(word.startswith(negation) for word in words):
                    return True
            elif f" {negation} " in window:
                return True
    else:
        window = clause[-NEGATION_WINDOW_CHARS:]
        if any(negation in window for negation in language.negations_before):
            return True
    after = text[end : end + NEGATION_AFTER_CHARS]
    return any(after.startswith(negation) for negation in language.negations_after)


def decide(classification: Classification, state: OrderState, rules: Rules) -> Decision:
    """The ticket's risk: the message's, raised by the order's state per ``state_rules``."""
    risk = classification.risk
    reasons: list[dict[str, Any]] = [
        {"rule": f"category:{m.category}", "language": m.language, "text": m.text}
        for m in classification.matches
    ]
    raised: dict[str, str] = {}  # state -> the highest risk a rule of it gave
    for rule in rules.state_rules:
        orders = state.holds(rule.state)
        if not orders:
            continue
        if rule.categories and not rule.categories & set(classification.categories):
            continue
        raised[rule.state] = higher(raised.get(rule.state, NONE), rule.risk)
    for name, level in raised.items():
        reasons.append({"rule": f"state:{name}", "orders": list(state.holds(name)), "risk": level})
        risk = higher(risk, level)
    return Decision(risk, classification.categories, classification.language, tuple(reasons))


def higher(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


# --- SLA ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaTargets:
    hours: Mapping[str, float | None]

    def target(self, risk: str) -> timedelta | None:
        hours = self.hours.get(risk)
        return None if hours is None else timedelta(hours=hours)


def parse_sla_targets(value: Any) -> SlaTargets:
    """Targets from the "sla_targets" setting (``{"high": 2, "medium": 8, …}`` hours; a risk
    left out keeps its default; ``null`` means no internal target).

    Raises:
        RulesError: not an object, an unknown risk level, or hours not in (0, 168].
    """
    if value is None:
        return SlaTargets(dict(DEFAULT_SLA_HOURS))
    if not isinstance(value, Mapping):
        raise RulesError('sla_targets must be an object such as {"high": 2, "medium": 8}')
    hours: dict[str, float | None] = dict(DEFAULT_SLA_HOURS)
    for risk, given in value.items():
        if risk not in _RANK:
            raise RulesError(f"sla_targets: unknown risk level {risk!r} (one of {RISKS})")
        if given is None:
            hours[risk] = None
            continue
        if isinstance(given, bool) or not isinstance(given, int | float):
            raise RulesError(f"sla_targets.{risk}: hours must be a number, not {given!r}")
        if not 0 < given <= MAX_SLA_HOURS:
            raise RulesError(f"sla_targets.{risk}: {given} hours is not in (0, {MAX_SLA_HOURS:g}]")
        hours[risk] = float(given)
    return SlaTargets(hours)


def sla_due(
    created_at: datetime, risk: str, categories: Sequence[str], targets: SlaTargets
) -> datetime | None:
    """When the first answer is due: the internal target for ``risk``, never later than
    Amazon's 24 hours for a buyer message. (An A-to-z claim's 48 hours run in Seller Central
    beside it: the clock shows them, the message must still be answered within 24.)"""
    target = targets.target(risk)
    if target is None:
        return None
    return created_at + min(target, AMAZON_RESPONSE)


@dataclass(frozen=True)
class SlaClock:
    """The clock the sidebar shows."""

    risk: str
    due_at: datetime | None
    amazon_due_at: datetime | None  # 24 h after the message
    a_to_z_due_at: datetime | None  # 48 h, when the ticket is an A-to-z claim
    answered_at: datetime | None
    remaining: timedelta | None  # negative when overdue; None when answered or no target

    @property
    def overdue(self) -> bool:
        return self.remaining is not None and self.remaining < timedelta(0)


def sla_clock(
    risk: str,
    categories: Sequence[str],
    created_at: datetime | None,
    due_at: datetime | None,
    answered_at: datetime | None,
    now: datetime,
) -> SlaClock:
    amazon = created_at + AMAZON_RESPONSE if created_at else None
    a_to_z = created_at + A_TO_Z_RESPONSE if created_at and A_TO_Z in categories else None
    remaining = None if answered_at or due_at is None else due_at - now
    return SlaClock(risk, due_at, amazon, a_to_z, answered_at, remaining)


# --- rules ----------------------------------------------------------------------------------


def rules_version(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def load_rules(document: Any) -> Rules:
    """Validate and compile a rules document.

    Raises:
        RulesError: the first problem found, with its place (``categories.damaged.patterns.fr[2]``).
    """
    if not isinstance(document, Mapping):
        raise RulesError("triage rules must be a JSON object")
    languages = _languages(document.get("languages"))
    raw_categories = document.get("categories")
    if not isinstance(raw_categories, Mapping) or not raw_categories:
        raise RulesError("categories: an object of category -> {risk, patterns} is required")
    category_risk: dict[str, str] = {}
    negatable: set[str] = set()
    unless: dict[str, frozenset[str]] = {}
    patterns: list[Pattern] = []
    for name, spec in raw_categories.items():
        place = f"categories.{name}"
        if name not in CATEGORIES:
            raise RulesError(f"{place}: unknown category (one of {', '.join(CATEGORIES)})")
        if not isinstance(spec, Mapping):
            raise RulesError(f"{place}: must be an object")
        risk = spec.get("risk")
        if risk not in _RANK:
            raise RulesError(f"{place}.risk: must be one of {', '.join(RISKS)}")
        category_risk[name] = risk
        if spec.get("negatable", True):
            negatable.add(name)
        cancelled_by = spec.get("unless", [])
        if not isinstance(cancelled_by, list) or any(c not in CATEGORIES for c in cancelled_by):
            raise RulesError(f"{place}.unless: a list of categories")
        unless[name] = frozenset(cancelled_by)
        by_language = spec.get("patterns")
        if not isinstance(by_language, Mapping):
            raise RulesError(f"{place}.patterns: an object of language -> [regex, …] is required")
        for code, sources in by_language.items():
            if code not in languages:
                raise RulesError(f"{place}.patterns.{code}: language not declared in languages")
            if not isinstance(sources, list):
                raise RulesError(f"{place}.patterns.{code}: must be a list of regular expressions")
            for index, source in enumerate(sources):
                patterns.append(
                    _compile(name, languages[code], source, f"{place}.patterns.{code}[{index}]")
                )
    state_rules = _state_rules(document.get("state_rules", []), category_risk)
    return Rules(
        version=rules_version(document),
        document=document,
        languages=languages,
        category_risk=category_risk,
        negatable=frozenset(negatable),
        unless=unless,
        patterns=tuple(patterns),
        state_rules=state_rules,
    )


def _languages(raw: Any) -> dict[str, Language]:
    if not isinstance(raw, Mapping) or not raw:
        raise RulesError("languages: an object of language code -> settings is required")
    languages = {}
    for code, spec in raw.items():
        place = f"languages.{code}"
        if not isinstance(code, str) or not re.fullmatch(r"[a-z]{2}(-[a-z]{2,4})?", code):
            raise RulesError(f"{place}: a language code such as 'en' or 'zh' is required")
        if not isinstance(spec, Mapping):
            raise RulesError(f"{place}: must be an object")
        boundary = spec.get("boundary", WORD)
        if boundary not in (WORD, NO_BOUNDARY):
            raise RulesError(f"{place}.boundary: 'word' or 'none'")
        lists = {}
        for key in ("markers", "negations_before", "negations_after"):
            values = spec.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                raise RulesError(f"{place}.{key}: must be a list of non-empty strings")
            lists[key] = tuple(fold(v) for v in values)
        languages[code] = Language(
            code,
            boundary,
            frozenset(lists["markers"]),
            lists["negations_before"],
            lists["negations_after"],
        )
    return languages


def _compile(category: str, language: Language, source: Any, place: str) -> Pattern:
    if not isinstance(source, str) or not source.strip():
        raise RulesError(f"{place}: must be a non-empty regular expression")
    body = _fold_pattern(source)
    if language.boundary == WORD:
        body = rf"(?<!\w)(?:{body})(?!\w)"
    try:
        regex = re.compile(body, re.IGNORECASE)
    except re.error as error:
        raise RulesError(f"{place}: not a valid regular expression ({error})") from None
    if regex.search(""):
        raise RulesError(f"{place}: matches the empty text (it would match every message)")
    return Pattern(category, language.code, source, regex)


def _state_rules(raw: Any, category_risk: Mapping[str, str]) -> tuple[StateRule, ...]:
    if not isinstance(raw, list):
        raise RulesError("state_rules: must be a list")
    rules = []
    for index, spec in enumerate(raw):
        place = f"state_rules[{index}]"
        if not isinstance(spec, Mapping):
            raise RulesError(f"{place}: must be an object")
        state = spec.get("state")
        if state not in STATES:
            raise RulesError(f"{place}.state: one of {', '.join(STATES)}")
        risk = spec.get("risk")
        if risk not in _RANK:
            raise RulesError(f"{place}.risk: one of {', '.join(RISKS)}")
        categories = spec.get("categories", [])
        if not isinstance(categories, list) or any(c not in category_risk for c in categories):
            raise RulesError(f"{place}.categories: a list of categories defined above")
        rules.append(StateRule(state, frozenset(categories), risk))
    return tuple(rules)
