"""The desk's warning before saving (issue 24): the facts and the words the visit form's script
warns from, the same as the server's; documents typed by a catalog name; an exact service code
opens its form; the focus where the clerk types next."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import select

from monitor.extensions import db
from monitor.models import Finding, Visit
from monitor.services import front_desk
from monitor.services.front_desk import DeskWarning, DocumentFacts, document_facts, exact_service_code, name_key
from monitor.stores.catalog import store_catalog
from monitor.views import desk_words
from services_catalog import BUNDLED_CATALOG, load_catalog
from services_catalog.search import WORD_PATTERN
from tests.catalogs import DOCUMENTS, text, version, write_catalog

from .test_desk import visit_form

CATALOG = load_catalog(BUNDLED_CATALOG)
LATIN_WORDS = re.compile(r"\b[A-Za-z]{3,}\b")
# 701003, registration at the place of residence: the office obtains these itself.
REGISTRATION = "701003"


def in_force(code: str = REGISTRATION):
    return CATALOG.services[code].version_in_force(dt.date(2026, 12, 7))


def visible(html: str) -> str:
    """The words of a line, without what is quoted as typed (translate="no")."""
    return re.sub(r"<[^>]+>", "", re.sub(r'<span translate="no">.*?</span>', "", html))


def untagged(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


# ------------------------------------------------------------------ facts (services.front_desk)

def test_a_document_typed_by_its_name_or_a_shorter_form_is_its_code():
    facts = document_facts(in_force(), CATALOG)
    assert set(facts.obtained) == {"REAL_ESTATE_RIGHTS", "ADDRESS_CERT", "ID_COPY"}
    assert "APPLICATION" in facts.lawful and "ADDRESS_CERT" not in facts.lawful
    for typed in ("Адресная справка", "  адресная   СПРАВКА ", "Адресная справка с места жительства",
                  "мекенжай анықтамасы", "Address certificate", "address_cert", "ADDRESS_CERT"):
        assert facts.resolve(typed) == "ADDRESS_CERT", typed
    # Every full name, in the three languages, of a lawful document is its code.
    for language in ("kk", "ru", "en"):
        assert facts.resolve(CATALOG.documents["APPLICATION"].name.get(language).upper()) == "APPLICATION"
    # Anything else stays as typed (trimmed): a document the rules do not provide for.
    assert facts.resolve(" Справка с места работы ") == "Справка с места работы"
    assert facts.resolve("справка") == "справка"


def test_a_shorter_form_never_names_a_lawful_document_nor_two_documents(tmp_path):
    documents = DOCUMENTS + [
        {"code": "BIRTH_CERT_ABROAD", "name": text("Birth certificate issued abroad"), "state_system": None},
        {"code": "BIRTH_CERT", "name": text("Birth certificate registered here"), "state_system": "RPZAGS"},
        {"code": "DEATH_CERT", "name": text("Death certificate registered here"), "state_system": "RPZAGS"},
    ]
    catalog = load_catalog(write_catalog(tmp_path / "c", documents=documents, services=[{
        "code": "S9", "name": text("Service S9"), "provider": text("Ministry"), "versions": [version(
            required_documents=["APPLICATION", "BIRTH_CERT_ABROAD"],
            obtained_by_office=["ADDRESS_CERT", "BIRTH_CERT", "DEATH_CERT"])]}]))
    facts = document_facts(catalog.services["S9"].versions[0], catalog)
    names = facts.names
    assert names["birth certificate registered here"] == "BIRTH_CERT"  # a full name (en; kk, ru bare)
    assert names["birth certificate registered"] == names["birth certificate registered here kk"] == "BIRTH_CERT"
    assert names["address certificate"] == "ADDRESS_CERT"
    # "birth certificate" also starts a lawful document's name: it is not read as the office's one.
    assert "birth certificate" not in names
    # "certificate registered here" ends two of the office's documents: neither.
    assert "certificate registered here" not in names and "registered here" not in names
    lawful_words = {name_key(name) for code in facts.lawful
                    for name in catalog.documents[code].name.as_dict().values()} | {name_key(c) for c in facts.lawful}
    assert {key for key, code in names.items() if code in facts.lawful} == lawful_words


def test_facts_of_no_version_are_empty():
    assert document_facts(None, CATALOG) == DocumentFacts((), (), {})
    assert DocumentFacts((), (), {}).word_pattern == WORD_PATTERN


@pytest.mark.parametrize("typed, code", [("701003", "701003"), (" 701 003 ", "701003"), ("s1", None),
                                         ("70100", None), ("", None)])
def test_an_exact_service_code_in_any_case_and_with_stray_spaces(typed, code):
    assert exact_service_code(CATALOG, typed) == code


def test_an_exact_code_of_the_small_catalog_in_lower_case(tmp_path):
    assert exact_service_code(load_catalog(write_catalog(tmp_path / "c")), " s2 ") == "S2"


# ------------------------------------------------------------------ words (views.desk_words)

def _data(app, language: str, code: str = REGISTRATION):
    with app.test_request_context(), force_locale(language):
        return desk_words.document_data(document_facts(in_force(code), CATALOG), catalog=CATALOG, language=language)


def _items(app, language: str, warnings):
    with app.test_request_context(), force_locale(language):
        return [(rule, str(line)) for rule, line in desk_words.warning_items(warnings, catalog=CATALOG,
                                                                                 language=language)]


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_scripts_lines_are_the_servers_lines_in_the_readers_language(app, language):
    data = _data(app, language)
    assert data["rules"] == ["EXTRA_DOCUMENT", "STATE_SYSTEM_DOCUMENT", "UNFOUNDED_RETURN"]
    assert data["names"]["адресная справка"] == "ADDRESS_CERT" and "ADDRESS_CERT" not in data["lawful"]
    server = _items(app, language, [
        DeskWarning("EXTRA_DOCUMENT", "2.2.3", {"documents": ["FOREIGN_PASSPORT", "справка <с работы>"]}),
        DeskWarning("STATE_SYSTEM_DOCUMENT", "2.2.3", {"documents": ["ADDRESS_CERT", "REAL_ESTATE_RIGHTS"]}),
        DeskWarning("UNFOUNDED_RETURN", "2.2.3", {"documents": ["ADDRESS_CERT", "справка <с работы>"]}),
        DeskWarning("UNFOUNDED_RETURN", "2.2.3", {"documents": []}),
    ])

    def other(rule, name):  # as static/js/desk-warnings.js fills the template
        return data["other"][rule].replace(data["placeholder"], name)
    script = [
        ("EXTRA_DOCUMENT", other("EXTRA_DOCUMENT", data["catalog_names"]["FOREIGN_PASSPORT"])),
        ("EXTRA_DOCUMENT", other("EXTRA_DOCUMENT", str(escape("справка <с работы>")))),
        ("STATE_SYSTEM_DOCUMENT", data["lines"]["ADDRESS_CERT"]["STATE_SYSTEM_DOCUMENT"]),
        ("STATE_SYSTEM_DOCUMENT", data["lines"]["REAL_ESTATE_RIGHTS"]["STATE_SYSTEM_DOCUMENT"]),
        ("UNFOUNDED_RETURN", data["lines"]["ADDRESS_CERT"]["UNFOUNDED_RETURN"]),
        ("UNFOUNDED_RETURN", other("UNFOUNDED_RETURN", str(escape("справка <с работы>")))),
        ("UNFOUNDED_RETURN", data["empty_return"]),
    ]
    assert [(rule, untagged(line)) for rule, line in script] == [(rule, untagged(line)) for rule, line in server]
    assert script[1:] == server[1:]  # free text is quoted alike; a catalog name the same words
    for _rule, line in server:
        assert line.strip() and not LATIN_WORDS.search(visible(line)), (language, line)


@pytest.mark.parametrize("language, words, system", [
    ("ru", "этот документ отделение получает само", "Государственная база данных «Физические лица»"),
    ("kk", "бұл құжатты бөлімше өзі алады", "«Жеке тұлғалар» мемлекеттік деректер қоры"),
    ("en", "the office obtains this itself from", "State database “Individuals”"),
])
def test_a_state_system_document_says_the_office_obtains_it_itself_and_from_which_system(app, language, words,
                                                                                        system):
    line = _data(app, language)["lines"]["ADDRESS_CERT"]["STATE_SYSTEM_DOCUMENT"]
    assert words in line and system in line and "2.2.3" in line
    assert CATALOG.documents["ADDRESS_CERT"].name.get(language) in line


def test_the_data_is_json_that_cannot_close_its_script_element(app):
    data = _data(app, "ru")
    data["names"]["</script><script>alert(1)</script>"] = "X"
    text = str(desk_words.script_json(data))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data
    assert "Адресная" in text  # letters as they are


# ------------------------------------------------------------------ the desk (the test catalog and the bundled)

@pytest.fixture
def bundled(app):
    store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
    db.session.commit()


def test_the_visit_form_carries_the_data_and_a_hidden_reason(client, login, loaded_catalog):
    login("desk1")
    page = client.get("/desk/visits/new?service=S1&lang=kk").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="desk-documents">(.*?)</script>', page, re.S)
    data = json.loads(found.group(1))
    assert data["names"]["address certificate"] == "ADDRESS_CERT" and data["lawful"][0] == "APPLICATION"
    assert re.search(r'<div class="field" id="override" hidden>', page)
    assert re.search(r'<div class="warning" id="warnings" hidden>', page)
    # The action comes first and has the focus (no warning asks for a reason yet).
    assert [field for field in re.findall(r'<input[^>]*name="action"[^>]*>', page) if "autofocus" in field]
    # The office's own documents can be picked, so that an honest log can name them.
    assert 'name="documents" value="ADDRESS_CERT"' in page
    assert "desk-warnings.js" in page


@pytest.mark.parametrize("typed", ["address certificate", "ADDRESS certificate (kk)"])
def test_a_state_system_document_typed_by_name_is_worded_and_recorded_as_such(client, login, loaded_catalog, typed):
    login("desk1")
    response = client.post("/desk/visits/new?lang=ru", data=visit_form(other_documents=typed))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-rule="STATE_SYSTEM_DOCUMENT"' in page and 'data-rule="EXTRA_DOCUMENT"' not in page
    assert "этот документ отделение получает само" in page
    # The warning takes the focus to its reason, not to the top of the form.
    reason = re.search(r"<textarea[^>]*override_reason[^>]*>", page).group(0)
    assert "autofocus" in reason and 'aria-describedby="warnings"' in reason
    assert not [field for field in re.findall(r'<input[^>]*name="action"[^>]*>', page) if "autofocus" in field]
    response = client.post("/desk/visits/new", data=visit_form(other_documents=typed, override_reason="asked"))
    assert response.status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.documents_requested == "APPLICATION;MARRIAGE_CERT;ADDRESS_CERT"
    rules = set(db.session.scalars(select(Finding.rule).where(Finding.visit_pk == visit.id)))
    assert rules == {"STATE_SYSTEM_DOCUMENT"}


def test_adresnaya_spravka_at_the_registration_desk_is_the_offices_own_document(client, login, bundled):
    login("desk1")
    data = visit_form(service_code=REGISTRATION, documents=["APPLICATION", "ID_CARD"],
                      other_documents="Адресная справка\nСправка с места работы")
    page = client.post("/desk/visits/new?lang=kk", data=data).get_data(as_text=True)
    assert page.count('data-rule="STATE_SYSTEM_DOCUMENT"') == 1 and page.count('data-rule="EXTRA_DOCUMENT"') == 1
    assert "«Жеке тұлғалар» мемлекеттік деректер қоры" in page
    assert client.post("/desk/visits/new", data={**data, "override_reason": "asked"}).status_code == 302
    visit = db.session.scalar(select(Visit))
    assert visit.documents_requested == "APPLICATION;ID_CARD;ADDRESS_CERT;Справка с места работы"
    rules = set(db.session.scalars(select(Finding.rule).where(Finding.visit_pk == visit.id)))
    assert rules == {"STATE_SYSTEM_DOCUMENT", "EXTRA_DOCUMENT"}


@pytest.mark.parametrize("typed", [REGISTRATION, f"  {REGISTRATION} ", "701 003"])
def test_the_desk_search_opens_the_form_of_an_exact_code(client, login, bundled, typed):
    login("desk1")
    response = client.get("/desk/visits/new", query_string={"q": typed, "case": "OF1-1"})
    assert response.status_code == 302
    assert f"service={REGISTRATION}" in response.headers["Location"] and "case=OF1-1" in response.headers["Location"]


def test_a_lower_case_code_opens_its_form(client, login, loaded_catalog):
    login("desk1")
    response = client.get("/desk/visits/new", query_string={"q": "s3 "})
    assert response.status_code == 302 and "service=S3" in response.headers["Location"]


def test_the_sign_in_page_puts_the_cursor_in_the_login_field(client, people):
    page = client.get("/login").get_data(as_text=True)
    login_field = re.search(r'<input[^>]*name="login"[^>]*>', page).group(0)
    assert "autofocus" in login_field
    assert "autofocus" not in re.search(r'<input[^>]*name="password"[^>]*>', page).group(0)


def test_facts_resolve_for_the_server_as_for_the_script():
    """The script reads a typed name by ``WORD_PATTERN`` on the lower case: for Cyrillic, Kazakh
    and Latin letters that is what the server's case folding gives."""
    facts = document_facts(in_force(), CATALOG)
    pattern = re.compile(facts.word_pattern)
    for key in facts.names:
        assert " ".join(pattern.findall(key.lower().replace("ё", "е"))) == key
    assert front_desk.name_key("Ёлка  ӘҒҚ-ҢӨ") == "елка әғқ ңө"
