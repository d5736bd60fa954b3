"""The server-rendered page: the nav_bar launch, the standalone link, escaping, the wizard
without JavaScript, languages, and the ``claims-link`` command."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

from plugin.cli import main
from plugin.extensions import resources
from plugin.security.app_token import read_app_token
from plugin.services import cases as case_service
from plugin.services.zendesk_accounts import ZendeskCredentials, connect_zendesk
from tests.claims_view.conftest import NOW, SECRET, AddClaim, Web
from tests.security.test_launch import KEY_A, claims_for


def page_of(web: Web, installation_id: int, query: str = "") -> str:
    response = web.client.get(f"/claims/?token={web.token(installation_id)}{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_the_page_shows_cards_chart_table_and_cases_with_stable_ids(
    web: Web,
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    add_claim: AddClaim,
    add_reimbursement: Callable[..., None],
) -> None:
    acme = make_installation("acme")
    record = add_claim(acme, reference_id="482910331", sku="MUG-BLUE-12", quantity=2)
    add_claim(acme, "warehouse_damaged", reference_id="55", opens_in=-90, deadline_in=-1)
    add_reimbursement(acme, NOW.date(), "25.00")
    with sessions.begin() as session:
        case_service.open_case(
            session, acme, [(record.kind, record.reference_id, record.sku)], actor="agent:7",
            now=NOW, amazon_case_id="17012345678",
        )  # fmt: skip
    page = page_of(web, acme)
    for marker in ('id="summary"', 'id="chart"', 'id="claims-table"', 'id="wizard"',
                   'id="wizard-download"', 'id="case-text"', 'id="case-id-input"',
                   'id="case-id-save"', 'id="cases-table"'):  # fmt: skip
        assert marker in page, marker
    assert 'data-claim="warehouse_lost:482910331:MUG-BLUE-12"' in page
    assert '<svg class="chart"' in page and 'class="bar recovered"' in page
    assert 'data-value="25.00"' in page  # this month's reimbursement
    # One claim not expired ($17.80), filed: estimated, but nothing left to claim now.
    assert '<dd class="estimated"><span class="money">$17.80</span></dd>' in page
    assert '<p class="headline" title="Claimable now"><span class="money zero">' in page
    assert 'class="case-row"' in page and "17012345678" in page
    assert "expired 1 days ago" in page
    assert '<script src="/static/claims.js"' in page


def test_everything_customers_and_reports_write_is_escaped(
    web: Web, sessions: sessionmaker[Session], make_installation: Callable[[str], int],
    add_claim: AddClaim,
) -> None:  # fmt: skip
    acme = make_installation("acme")
    evil = '<script>alert("x")</script>'
    record = add_claim(acme, reference_id='R"1', sku=evil, status_reason="<img src=x onerror=1>")
    with sessions.begin() as session:
        found = case_service.open_case(
            session, acme, [(record.kind, record.reference_id, record.sku)], actor="agent:7",
            now=NOW,
        )  # fmt: skip
        case_service.close_case(session, acme, found.id, "<b>no</b>", actor="agent:7", now=NOW)
    page = page_of(web, acme, f"&q=%3Cscript&claim=warehouse_lost:R%221:{evil}")
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>no</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;no&lt;/b&gt;" in page
    assert 'data-claim="warehouse_lost:R&#34;1:&lt;script&gt;' in page


def test_the_wizard_renders_on_the_server_without_javascript(
    web: Web, make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme = make_installation("acme")
    one = add_claim(acme, reference_id="482910331", sku="MUG-1", quantity=2)
    two = add_claim(acme, reference_id="482910399", sku="MUG-1", quantity=1)
    keys = [f"{r.kind}:{r.reference_id}:{r.sku}" for r in (one, two)]
    page = page_of(web, acme, f"&claim={keys[0]}&claim={keys[1]}&case_lang=fr")
    wizard = page[page.index('<section id="wizard"') :]
    assert wizard.split(">", 1)[0].count("hidden") == 0
    text = re.search(r'<pre id="case-text"[^>]*>(.*?)</pre>', wizard, re.S)
    assert text and "482910331" in text.group(1) and "482910399" in text.group(1)
    download = re.search(r'id="wizard-download"[^>]*href="([^"]+)"', wizard, re.S)
    assert download is not None
    url = download.group(1).replace("&amp;", "&")
    assert url.startswith(f"/api/v1/claims/{keys[0]}/workbook?")
    assert "also=" in url and "lang=fr" in url and "token=" in url
    assert web.client.get(url).status_code == 200  # the link works as it is
    assert '<option value="fr" selected>' in wizard


def test_a_wizard_for_claims_of_two_skus_is_refused_with_a_message(
    web: Web, make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme = make_installation("acme")
    one, two = add_claim(acme, sku="A-1"), add_claim(acme, sku="B-2")
    keys = [f"{r.kind}:{r.reference_id}:{r.sku}" for r in (one, two)]
    page = page_of(web, acme, f"&claim={keys[0]}&claim={keys[1]}")
    assert "one SKU and one kind" in page
    response = web.client.get(
        f"/api/v1/claims/{keys[0]}/case-text?lang=en&also={keys[1]}", headers=web.headers(acme)
    )
    assert response.status_code == 400 and "one SKU and one kind" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("query", "accept", "title", "money"),
    [
        ("", "fr-FR,fr;q=0.9", "Remboursements", "17,80\u00a0$ US"),
        ("&lang=fr", "en-US", "Remboursements", "17,80\u00a0$ US"),
        ("&lang=en", "fr-FR", "Reimbursements", "$17.80"),
        ("&lang=xx", "de-DE", "Reimbursements", "$17.80"),
    ],
)
def test_the_page_speaks_the_sellers_language(
    web: Web,
    make_installation: Callable[[str], int],
    add_claim: AddClaim,
    query: str,
    accept: str,
    title: str,
    money: str,
) -> None:
    acme = make_installation("acme")
    add_claim(acme, amount="17.80")
    response = web.client.get(
        f"/claims/?token={web.token(acme)}{query}", headers={"Accept-Language": accept}
    )
    page = response.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in page and money in page


def test_the_nav_bar_launch_renders_the_page_with_a_fresh_app_token(
    web: Web, make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    found = resources(web.app)
    with found.session() as session:
        installation, _ = connect_zendesk(
            session, found.keyring, "acme", subdomain="acme", zendesk_installation_id=101,
            app_id=None, url=None, secrets=ZendeskCredentials(public_key_pem=KEY_A.public_pem),
            now=NOW,
        )  # fmt: skip
        acme = installation.id
    add_claim(acme, reference_id="LAUNCHED1")
    signed = KEY_A.sign(claims_for("acme", 101, user=42, location="nav_bar"))
    response = web.client.post("/claims/?origin=https://acme.zendesk.com", data={"token": signed})
    assert response.status_code == 200, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert "LAUNCHED1" in page
    token = re.search(r'<meta name="claimdesk-token" content="([^"]+)"', page)
    assert token is not None
    identity = read_app_token(SECRET, token.group(1), datetime.now(UTC))
    assert (identity.installation_id, identity.user_id, identity.location) == (acme, 42, "nav_bar")
    # A token Zendesk signed for the ticket sidebar does not open the nav_bar page.
    sidebar = KEY_A.sign(claims_for("acme", 101, location="ticket_sidebar"))
    refused = web.client.post("/claims/", data={"token": sidebar})
    assert refused.status_code == 401 and "LAUNCHED1" not in refused.get_data(as_text=True)
    assert web.client.post("/claims/", data={}).status_code == 401


def test_claims_link_prints_a_link_that_opens_the_page(
    web: Web, database_url: str, make_installation: Callable[[str], int], add_claim: AddClaim
) -> None:
    acme = make_installation("acme")
    add_claim(acme, reference_id="LINKED1")
    env = {
        "CLAIMDESK_DATABASE_URL": database_url,
        "CLAIMDESK_SECRET_KEY": SECRET,
        "CLAIMDESK_REDIS_URL": "",
    }
    result = CliRunner().invoke(
        main, ["claims-link", "acme", "--base-url", "https://claims.example.com/"], env=env
    )
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[0]
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "claims.example.com", "/claims/")
    token = parts.query.removeprefix("token=")
    identity = read_app_token(SECRET, token, datetime.now(UTC))
    assert identity.installation_id == acme and identity.user_id is None
    page = web.client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200 and "LINKED1" in page.get_data(as_text=True)

    unknown = CliRunner().invoke(main, ["claims-link", "nobody"], env=env)
    assert unknown.exit_code != 0 and "no installation named 'nobody'" in unknown.output
    no_secret = CliRunner().invoke(
        main, ["claims-link", "acme"], env={**env, "CLAIMDESK_SECRET_KEY": ""}
    )
    assert no_secret.exit_code != 0 and "CLAIMDESK_SECRET_KEY is not set" in no_secret.output


def test_reimbursement_totals_load_after_the_page_attributed_to_whom_they_are_owed(
    web: Web,
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    add_claim: AddClaim,
    add_reimbursement: Callable[..., None],
) -> None:
    acme, globex = make_installation("acme"), make_installation("globex")
    record = add_claim(acme, reference_id="482910331", quantity=2)
    with sessions.begin() as session:
        case_service.open_case(
            session, acme, [(record.kind, record.reference_id, record.sku)], actor="agent:7",
            now=NOW, amazon_case_id="17012345678",
        )  # fmt: skip
    add_reimbursement(acme, NOW.date(), "11.00")  # Amazon's own: no case
    add_reimbursement(acme, NOW.date(), "17.80", case_id="17012345678", quantity=2)  # ours
    add_reimbursement(acme, NOW.date(), "5.00", case_id="99999999999")  # filed elsewhere
    add_reimbursement(globex, NOW.date(), "777.00")  # another tenant's
    page = page_of(web, acme)
    link = re.search(r'id="reimbursement-totals" data-src="([^"]+)"', page)
    assert link is not None and "token=" in link.group(1)
    fragment = web.client.get(link.group(1).replace("&amp;", "&"))
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)

    def total(name: str) -> str:
        found = re.search(rf'data-attribution="{name}">.*?<dd>(.*?)</dd>', html, re.S)
        assert found is not None, name
        return " ".join(found.group(1).split())

    assert total("amazon_own") == "$11.00 <small>(1 units)</small>"
    assert total("ours") == "$17.80 <small>(2 units)</small>"
    assert total("elsewhere") == "$5.00 <small>(1 units)</small>"
    assert total("all") == "$33.80 <small>(4 units)</small>"
    assert "777" not in html
    assert web.client.get("/claims/totals").status_code == 401


def test_the_cases_table_lists_open_cases_first_with_claimed_totals(
    web: Web,
    sessions: sessionmaker[Session],
    make_installation: Callable[[str], int],
    add_claim: AddClaim,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acme = make_installation("acme")
    one = add_claim(acme, sku="A-1", quantity=2, amount="10.00")
    two = add_claim(acme, sku="A-1", quantity=3, amount="5.50")
    euro = add_claim(acme, sku="B-2", quantity=1, amount="4.00", currency="EUR")
    dollar = add_claim(acme, sku="B-2", quantity=1, amount="4.00")
    closed = add_claim(acme, sku="C-3", quantity=1)
    with sessions.begin() as session:

        def open_for(*records: Any) -> int:
            keys = [(r.kind, r.reference_id, r.sku) for r in records]
            return case_service.open_case(session, acme, keys, actor="agent:7", now=NOW).id

        first = open_for(closed)
        case_service.close_case(session, acme, first, "refused", actor="agent:7", now=NOW)
        second = open_for(one, two)
        third = open_for(euro, dollar)
    page = page_of(web, acme)
    rows = re.findall(r'<tr class="case-row" data-case="(\d+)"', page)
    assert rows == [str(third), str(second), str(first)]  # open (newest first), then closed
    row = page[page.index(f'<tr class="case-row" data-case="{second}"') :]
    row = row[: row.index("</tr>")]
    assert "5 units" in row and "$15.50" in row
    mixed = page[page.index(f'<tr class="case-row" data-case="{third}"') :]
    mixed = mixed[: mixed.index("</tr>")]
    assert "2 units" in mixed and "$" not in mixed and "€" not in mixed  # two currencies
    monkeypatch.setattr("plugin.services.claims_view.CASES_SHOWN", 2)
    capped = page_of(web, acme)
    assert len(re.findall(r'<tr class="case-row"', capped)) == 2
    assert "Show all 3 cases" in capped and "cases=all" in capped
    everything = page_of(web, acme, "&cases=all")
    assert len(re.findall(r'<tr class="case-row"', everything)) == 3
    assert "Show all" not in everything
