"""A returned package names what is missing (issue 24): on the desk's receipt and on the
citizen's status page, each document by its name in the reader's language with the law that
allows asking for it, and what the desk had no right to ask for marked as such."""
from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest

from monitor.extensions import db
from monitor.services import returns
from monitor.stores.catalog import store_catalog
from services_catalog import BUNDLED_CATALOG, load_catalog

from .test_desk import visit_form
from .test_language_leaks import english_runs

ALMATY = dt.timezone(dt.timedelta(hours=5))
SERVICE = "701003"  # registration at a permanent address («прописка»)


def _visit(action: str, day: int, documents=()):
    return SimpleNamespace(action=action, called_at=dt.datetime(2026, 4, day, 10, tzinfo=ALMATY),
                           documents=tuple(documents))


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(BUNDLED_CATALOG)


def test_the_last_return_lists_each_document_with_what_the_law_says_of_it(catalog):
    visits = [_visit("submit", 6, ["APPLICATION"]),
              _visit("return", 7, ["APPLICATION", "ID_CARD", "TITLE_DOCUMENT", "ADDRESS_CERT",
                                   "Адресная справка с места жительства", "справка с работы"])]
    package = returns.returned_package(visits, SERVICE, catalog, ALMATY)
    found = {item.token: item for item in package.documents}
    assert list(found) == ["APPLICATION", "ID_CARD", "TITLE_DOCUMENT", "ADDRESS_CERT", "справка с работы"]
    assert found["APPLICATION"].status == returns.REQUIRED
    assert found["ID_CARD"].status == returns.ONE_OF
    assert [d.code for d in found["ID_CARD"].alternatives] == ["PASSPORT_RK"]
    assert found["TITLE_DOCUMENT"].status == returns.CONDITIONAL and found["TITLE_DOCUMENT"].when is not None
    # The address certificate, as a code or typed by its Russian name, is the office's to obtain.
    assert found["ADDRESS_CERT"].status == returns.OFFICE_OBTAINS
    assert found["справка с работы"].status == returns.NOT_PROVIDED_FOR and found["справка с работы"].document is None
    assert [d.token for d in package.lawful] == ["APPLICATION", "ID_CARD", "TITLE_DOCUMENT"]
    # The law: the version's official source for its required documents, in each language.
    assert package.version.effective_from == dt.date(2025, 11, 11)
    cited = {language: package.cited(language) for language in ("kk", "ru", "en")}
    assert "№ 267" in cited["ru"][0][0] and "Правил оказания государственных услуг" in cited["ru"][0][0]
    assert "№ 267 бұйрығы" in cited["kk"][0][0]
    assert "No. 267" in cited["en"][0][0]
    assert all(url.startswith("https://adilet.zan.kz/") for _, url in cited["ru"])


def test_only_a_case_whose_last_visit_is_a_return_has_a_returned_package(catalog):
    returned = _visit("return", 7, ["APPLICATION"])
    assert returns.returned_package([_visit("submit", 6)], SERVICE, catalog, ALMATY) is None
    assert returns.returned_package([], SERVICE, catalog, ALMATY) is None
    assert returns.returned_package([returned, _visit("resubmit", 8, ["APPLICATION"])], SERVICE, catalog,
                                    ALMATY) is None
    empty = returns.returned_package([_visit("return", 7)], SERVICE, catalog, ALMATY)
    assert empty is not None and empty.documents == ()


@pytest.fixture
def bundled(app):
    store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
    db.session.commit()


def returned_case(client, login, documents=("APPLICATION", "ID_CARD", "TITLE_DOCUMENT"), others=""):
    """A case of the desk: submitted on 6 April 2026, returned the next day for ``documents``."""
    login("desk1")
    saved = client.post("/desk/visits/new", data=visit_form(service_code=SERVICE, documents=["APPLICATION"]))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    receipt = client.get(saved.headers["Location"]).get_data(as_text=True)
    number = re.search(r'id="case-number">([^<]+)<', receipt).group(1)
    code = re.search(r'id="check-code">([A-Z0-9]{6})<', receipt).group(1)
    back = client.post("/desk/visits/new", data=visit_form(
        service_code=SERVICE, action="return", case_number=number, documents=list(documents),
        other_documents=others, called_at="2026-04-07T11:00", finished_at="2026-04-07T11:10", ticket_at="",
        override_reason="written down as the clerk said it" if others or not documents else ""))
    assert back.status_code == 302, back.get_data(as_text=True)
    return number, code, back.headers["Location"]


WORDS = {
    "kk": {"heading": "Не әкелу керек", "application": "Белгіленген нысандағы өтініш",
           "id": "Қазақстан Республикасы азаматының жеке куәлігі", "or": "немесе оның орнына:",
           "passport": "Қазақстан Республикасы азаматының паспорты", "law": "Құқықтық негіз:",
           "act": "Ішкі істер министрінің 2020 жылғы 30 наурыздағы № 267 бұйрығы", "only": "тек",
           "office": "бөлімше оны мемлекеттік ақпараттық жүйелерден өзі алады",
           "not_for": "бұл қызметтің қағидаларында ол көзделмеген"},
    "ru": {"heading": "Что принести", "application": "Заявление установленной формы",
           "id": "Удостоверение личности гражданина Республики Казахстан", "or": "или вместо него:",
           "passport": "Паспорт гражданина Республики Казахстан", "law": "Правовое основание:",
           "act": "приказ Министра внутренних дел от 30 марта 2020 года № 267", "only": "только",
           "office": "отделение получает его само из государственных информационных систем",
           "not_for": "правила этой услуги его не предусматривают"},
    "en": {"heading": "What to bring", "application": "Application in the prescribed form",
           "id": "Identity card of a citizen of the Republic of Kazakhstan", "or": "or instead:",
           "passport": "Passport of a citizen of the Republic of Kazakhstan", "law": "Legal basis:",
           "act": "Order of the Minister of Internal Affairs No. 267", "only": "only",
           "office": "the office obtains it itself from state information systems",
           "not_for": "the rules of this service do not provide for it"},
}


def _section(page: str) -> str:
    assert 'id="missing-documents"' in page, page
    return page.split('id="missing-documents"')[1].split("</section>")[0]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#34;", '"').replace("&#39;", "'").strip()


def _check(section: str, language: str) -> None:
    words, text = WORDS[language], _text(section)
    assert words["heading"] in text
    items = re.findall(r'<li data-document="([^"]+)">(.*?)</li>', section, flags=re.S)
    assert [token for token, _ in items[:3]] == ["APPLICATION", "ID_CARD", "TITLE_DOCUMENT"]
    application, identity, title = (_text(body) for _, body in items[:3])
    assert application.startswith(words["application"]) and words["law"] in application
    assert words["act"] in application
    assert identity.startswith(words["id"]) and f'{words["or"]} {words["passport"]}' in identity
    assert words["act"] in identity
    assert f'— {words["only"]} ' in title and words["act"] in title


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_receipt_and_the_status_page_name_what_is_missing_with_its_law(client, login, people, bundled,
                                                                           language):
    number, code, receipt_url = returned_case(client, login)
    receipt = client.get(f"{receipt_url}?lang={language}").get_data(as_text=True)
    _check(_section(receipt), language)
    client.post("/logout")
    # A phone types the number in lower case, with stray spaces.
    typed = f"  {number.lower()[:4]} {number.lower()[4:]} "
    status = client.post(f"/status?lang={language}", data={"case_number": typed, "check_code": code.lower()})
    page = status.get_data(as_text=True)
    assert status.status_code == 200 and 'id="status"' in page
    section = _section(page)
    _check(section, language)
    if language != "en":
        assert english_runs(f'<html lang="{language}"><body>{section}</body></html>')[0] == []


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_what_the_desk_had_no_right_to_ask_for_is_marked_not_to_bring(client, login, people, bundled, language):
    number, code, receipt_url = returned_case(
        client, login, documents=("APPLICATION",),
        others="Адресная справка с места жительства\nсправка с места работы")
    client.post("/logout")
    page = client.post(f"/status?lang={language}", data={"case_number": number, "check_code": code})
    section = _section(page.get_data(as_text=True))
    lawful = section.split('class="not-to-bring"')[0]
    unlawful = _text(section.split('class="not-to-bring"')[1])
    assert 'data-document="APPLICATION"' in lawful and "ADDRESS_CERT" not in lawful
    assert WORDS[language]["office"] in unlawful and WORDS[language]["not_for"] in unlawful
    assert "справка с места работы" in unlawful


def test_a_return_that_names_nothing_says_so_and_that_one_may_complain(client, login, people, bundled):
    number, code, _ = returned_case(client, login, documents=(), others="")
    client.post("/logout")
    page = client.post("/status?lang=ru", data={"case_number": number, "check_code": code}).get_data(as_text=True)
    assert "без указания того, чего не хватает" in _text(_section(page))
