"""Case text for every claim kind, in English and French, for a generated seller's claims."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from plugin.domain import casetext
from plugin.domain.casetext import CaseTextError, ClaimFacts
from plugin.services import cases as service
from plugin.services.cases import ClaimNotFound
from tests.cases.conftest import Seller

AMAZON_NAMES = {
    "en": {
        "warehouse_lost": "Fulfillment center operations claim",
        "warehouse_damaged": "Fulfillment center operations claim",
        "return_not_received": "FBA customer returns claim",
        "return_damaged_by_amazon": "FBA customer returns claim",
        "return_disputed_grading": "FBA customer returns claim",
        "inbound_shortage": "Shipment to Amazon claim",
    },
    "fr": {
        "warehouse_lost": "Réclamation pour les opérations du centre de distribution",
        "warehouse_damaged": "Réclamation pour les opérations du centre de distribution",
        "return_not_received": "Réclamation pour les retours clients FBA",
        "return_damaged_by_amazon": "Réclamation pour les retours clients FBA",
        "return_disputed_grading": "Réclamation pour les retours clients FBA",
        "inbound_shortage": "Réclamation pour un envoi à Amazon",
    },
    "zh-cn": {
        "warehouse_lost": "运营中心操作索赔",
        "warehouse_damaged": "运营中心操作索赔",
        "return_not_received": "亚马逊物流买家退货索赔",
        "return_damaged_by_amazon": "亚马逊物流买家退货索赔",
        "return_disputed_grading": "亚马逊物流买家退货索赔",
        "inbound_shortage": "发往亚马逊的货件索赔",
    },
}
UNITS = {"en": ("unit", "units"), "fr": ("unité", "unités"), "zh-cn": ("件", "件")}
DATES = {"en": "%Y-%m-%d", "fr": "%d/%m/%Y", "zh-cn": "%Y-%m-%d"}
GREETINGS = {"en": "Hello,", "fr": "Bonjour,", "zh-cn": "您好："}


@pytest.mark.parametrize("language", ["en", "fr", "zh-cn"])
def test_every_kind_names_its_claim_type_ids_quantities_and_dates(
    sessions: sessionmaker[Session], seller: Seller, language: str
) -> None:
    kinds = sorted({claim.kind for claim in seller.claims})
    assert kinds == sorted(casetext.KINDS)  # the generator plants every kind
    for kind in kinds:
        claim = next(c for c in seller.claims if c.kind == kind and c.event_date is not None)
        with sessions() as session:
            found = service.case_text(session, seller.installation_id, claim.identity, language)
        assert found.language == language
        assert found.claim_type == AMAZON_NAMES[language][kind]
        assert found.title.startswith(found.claim_type)
        for value in (claim.reference_id, claim.sku, claim.fnsku, claim.asin):
            assert value and value in found.body, (kind, value)
        assert claim.sku in found.title
        one, many = UNITS[language]
        assert f"{claim.quantity} {one if claim.quantity == 1 else many}" in found.body
        day = claim.event_date.strftime(DATES[language])
        assert day in found.body
        if claim.deadline is not None:
            deadline = claim.deadline.strftime(DATES[language])
            assert deadline in found.body
        assert found.checklist == casetext.checklist(kind, language)
        assert len(found.checklist) == len(casetext.CHECKLISTS[kind])
        host = casetext.SELLER_CENTRAL_HOSTS.get(
            claim.marketplace or "", "sellercentral.amazon.com"
        )
        assert found.seller_central_url.startswith(f"https://{host}/")
        assert found.body.startswith(GREETINGS[language])


def test_translated_checklists_differ_but_match_item_for_item() -> None:
    for kind in casetext.KINDS:
        english = casetext.checklist(kind, "en")
        for language in ("fr", "zh-cn"):
            other = casetext.checklist(kind, language)
            assert len(english) == len(other) and set(english).isdisjoint(other)
    for language, table in casetext.LANGUAGES.items():  # every language is complete
        assert set(table) == set(casetext.ENGLISH), language
        for key in ("claim_types", "titles", "intro", "lines", "checklist"):
            assert set(table[key]) == set(casetext.ENGLISH[key]), (language, key)
    assert any("shipment ID" in item for item in casetext.checklist("inbound_shortage", "en"))
    assert any("Proof of delivery" in item for item in casetext.checklist("inbound_shortage", "en"))
    assert any("LPN" in item for item in casetext.checklist("return_disputed_grading", "en"))


def facts(**changes: object) -> ClaimFacts:
    base: dict[str, object] = {
        "kind": "warehouse_lost",
        "reference_id": "482910331",
        "sku": "MUG-BLUE-12",
        "fnsku": "X00AB12CD3",
        "asin": "B0CDEF1234",
        "marketplace": "DE",
        "quantity": 1,
        "event_date": date(2026, 9, 20),
        "deadline": date(2026, 11, 19),
    }
    base.update(changes)
    return ClaimFacts(**base)  # type: ignore[arg-type]


def test_several_claims_of_a_case_are_listed_oldest_first() -> None:
    text = casetext.case_text(
        [
            facts(reference_id="2", quantity=2, event_date=date(2026, 9, 21)),
            facts(reference_id="1", event_date=date(2026, 9, 20), deadline=date(2026, 11, 18)),
        ],
        "en",
    )
    assert "3 units of SKU MUG-BLUE-12 (FNSKU X00AB12CD3, ASIN B0CDEF1234)" in text.body
    assert text.body.index("Reference ID 1:") < text.body.index("Reference ID 2:")
    assert "1 unit, reported on 2026-09-20" in text.body
    assert "ends on 2026-11-18" in text.body  # the earliest deadline
    assert text.seller_central_url == "https://sellercentral.amazon.de/cu/contact-us"


def test_languages_fall_back_to_english_and_tags_are_read_loosely() -> None:
    assert casetext.language_of("fr-CA") == "fr"
    assert casetext.language_of("FR") == "fr"
    assert casetext.language_of("zh-CN") == "zh-cn"
    assert casetext.language_of("zh") == "zh-cn"
    assert casetext.language_of("zh-tw") == "en"
    assert casetext.language_of(None) == "en"
    assert casetext.case_text([facts()], "de").language == "en"


def test_unknown_facts_are_left_out_and_unknown_marketplaces_use_the_us_site() -> None:
    text = casetext.case_text(
        [facts(kind="inbound_shortage", reference_id="FBA15X", fnsku=None, asin=None,
               marketplace=None, event_date=None, deadline=None)],
        "fr",
    )  # fmt: skip
    assert "FNSKU" not in text.body and "ASIN" not in text.body
    assert "une date inconnue" in text.body
    assert text.seller_central_url == "https://sellercentral.amazon.com/fba/inbound-queue"


def test_a_case_text_covers_one_kind_and_sku() -> None:
    with pytest.raises(CaseTextError):
        casetext.case_text([facts(), facts(sku="OTHER")], "en")
    with pytest.raises(CaseTextError):
        casetext.case_text([facts(kind="removal_lost")], "en")
    with pytest.raises(CaseTextError):
        casetext.case_text([], "en")


def test_unknown_claim_key(sessions: sessionmaker[Session], seller: Seller) -> None:
    with sessions() as session, pytest.raises(ClaimNotFound):
        service.case_text(session, seller.installation_id, ("warehouse_lost", "1", "X"), "en")
