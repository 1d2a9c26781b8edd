"""Search that finds what people type (issue 13): keywords, word forms, one typo, missing
spaces and hyphens, in kk/ru/en; one search for the portal, the desk and the API."""
from __future__ import annotations

import pytest

from monitor.extensions import db
from monitor.stores.catalog import store_catalog
from services_catalog import BUNDLED_CATALOG, load_catalog
from services_catalog.search import normalize, stems, words

# (what a person types, the service they mean). Real queries: the words of the issue, word forms,
# typos, run-together words, Kazakh case endings, English.
QUERIES = [
    # Russian
    ("прописка", "701003"),
    ("прописку", "701003"),
    ("прописаться", "701003"),
    ("прописка ребенка", "701003"),
    ("несудимость", "704001"),
    ("справка о несудимости", "704001"),
    ("справку о несудимости", "704001"),
    ("справка о несудимости для работы", "704001"),
    ("несудимасть", "704001"),                    # one typo
    ("права", "705001"),
    ("поменять права", "705001"),
    ("водительское удостоверение", "705001"),
    ("пенсия", "702003"),
    ("пенсию", "702003"),
    ("пенсиия", "702003"),                        # one typo
    ("детский сад", "708001"),
    ("детскийсад", "708001"),                     # no space
    ("садик", "708001"),
    ("очередь в садик", "708001"),
    ("рождение", "703001"),
    ("свидетельство о рождении", "703001"),
    ("пособие на рождение ребенка", "702001"),
    ("декретные", "702001"),
    ("пособие по уходу", "702002"),
    ("паспорт", "701002"),
    ("пасспорт", "701002"),                       # one typo
    ("загранпаспорт", "701002"),
    ("удостоверение личности", "701001"),
    ("удостовериние личности", "701001"),         # one typo
    ("развод", "703003"),
    ("развестись", "703003"),
    ("свадьба", "703002"),
    ("свидетельство о браке", "703002"),
    ("свидетельство о смерти", "703004"),
    ("апостиль на справку о несудимости", "711001"),
    ("апостиль диплома", "711002"),
    ("очередь на жилье", "709001"),
    ("безработный", "710001"),
    ("многодетная семья", "702004"),
    ("ребенок инвалид", "702005"),
    ("первый класс", "712001"),
    ("записать в школу", "712001"),
    ("ИИН иностранцу", "701005"),
    ("смена фамилии после брака", "703005"),
    ("поставить машину на учет", "705002"),
    ("дубликат свидетельства о рождении", "703006"),
    ("справка о недвижимости", "706001"),
    # Kazakh
    ("балабақша", "708001"),
    ("балабақшаға", "708001"),                    # dative ending
    ("балабақшаға кезек", "708001"),
    ("балабакша", "708001"),                      # typed without Kazakh letters
    ("жеке куәлік", "701001"),
    ("жекекуәлік", "701001"),                     # no space
    ("жеке-куәлік", "701001"),                    # hyphen
    ("зейнетақы", "702003"),
    ("зейнетке шығу", "702003"),
    ("неке қию", "703002"),
    ("ажырасу", "703003"),
    ("қайтыс болу", "703004"),
    ("соттылық туралы анықтама", "704001"),
    ("жүргізуші куәлігі", "705001"),
    ("үй кезегі", "709001"),
    ("жұмыссыз", "710001"),
    ("көпбалалы", "702004"),
    ("мүгедек бала", "702005"),
    ("бірінші сынып", "712001"),
    ("ЖСН", "701005"),
    # English
    ("passport", "701002"),
    ("ID card", "701001"),
    ("driving licence", "705001"),
    ("kindergarten", "708001"),
    ("kindergarden", "708001"),                   # one typo
    ("pension", "702003"),
    ("birth certificate", "703001"),
    ("marriage", "703002"),
    ("divorce", "703003"),
    ("certificate of no criminal record", "704001"),
    ("housing queue", "709001"),
    ("unemployed", "710001"),
    ("school enrolment", "712001"),
    ("car registration", "705002"),
    ("apostille", "711001"),
]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(BUNDLED_CATALOG)


def test_there_are_enough_real_queries():
    assert len(QUERIES) >= 40
    assert {query for query, _ in QUERIES} == {query for query, _ in dict(QUERIES).items()}


@pytest.mark.parametrize(("query", "code"), QUERIES)
def test_a_real_query_finds_its_service_first(catalog, query, code):
    found = [service.code for service in catalog.search(query)]
    assert found and found[0] == code, f"{query!r} -> {found}"


@pytest.mark.parametrize("query", ["паспорт водитель", "пенсия права", "nothing like it", "zzzz", "детский права"])
def test_words_that_belong_to_different_services_find_nothing(catalog, query):
    assert catalog.search(query) == []


def test_typos_are_tolerated_once_not_twice(catalog):
    assert [s.code for s in catalog.search("пенсиия")][:1] == ["702003"]
    assert catalog.search("пнсиия") == []      # two edits away from every word


def test_an_empty_query_finds_everything_in_catalog_order(catalog):
    assert [s.code for s in catalog.search("  ")] == list(catalog.services)


def test_word_forms_meet_in_one_stem():
    assert stems("несудимости") & stems("несудимость")
    assert stems("балабақшаға") & stems("балабақша")
    assert stems("зейнетақысы") & stems("зейнетақы")
    assert stems("pensions") & stems("pension")
    assert normalize("Ёлка") == "елка"
    assert words("жеке-куәлік, «прописка»") == ["жеке", "куәлік", "прописка"]


# ------------------------------------------------------------------ the same search everywhere

@pytest.fixture
def bundled_in_db(app):
    store_catalog(db.session, load_catalog(BUNDLED_CATALOG))
    db.session.commit()


@pytest.mark.parametrize(("query", "code"), [("прописка", "701003"), ("балабақша", "708001"), ("права", "705001")])
def test_the_portal_and_the_api_find_the_same(client, bundled_in_db, query, code):
    page = client.get("/", query_string={"q": query, "lang": "ru"}).get_data(as_text=True)
    assert f"/services/{code}" in page
    listed = [s["code"] for s in client.get("/api/services", query_string={"q": query}).get_json()]
    assert listed[0] == code


def test_the_desk_search_goes_straight_to_the_one_service_found(client, bundled_in_db, login):
    login("desk1")
    response = client.get("/desk/visits/new", query_string={"q": "несудимость апостиль"})
    assert response.status_code == 302
    assert "service=711001" in response.headers["Location"]
    page = client.get("/desk/visits/new", query_string={"q": "детский сад"}, follow_redirects=True)
    assert page.status_code == 200


def test_services_matching_every_word_hide_those_that_miss_one(tmp_path):
    from tests.catalogs import write_catalog

    small = load_catalog(write_catalog(tmp_path / "c"))
    assert [s.code for s in small.search("service s2 (kk)")] == ["S2"]
    # ... while a long query with one unknown word still finds its service.
    assert [s.code for s in small.search("service s2 urgently")] == ["S2"]


# ------------------------------------------------------------------ bounded work

class _Budget:
    """Counts the words search reduces (``stems``) and stops a search that does too much work:
    cutting a word in two recursively took exponential time (30 letters, 10 s; 50, hours)."""

    def __init__(self, limit: int):
        self.limit, self.calls = limit, 0

    def wrap(self, original):
        def counted(word):
            self.calls += 1
            if self.calls > self.limit:
                raise AssertionError(f"search reduced more than {self.limit} words")
            return original(word)
        return counted


@pytest.mark.parametrize("query", [
    "а" * 30, "а" * 50, "пропискапропискапропискапрописка", "садсадсадсадсадсадсадсадсадсадсадсадсъ",
    "ab" * 1000, " ".join(["прописказ" * 4 + str(n) for n in range(300)]), "прописка" * 250])
def test_any_query_is_searched_with_bounded_work(catalog, monkeypatch, query):
    from services_catalog import search as module

    longest = module.MAX_SPLIT_LETTERS
    # At most every piece of every searched word, once per service (the word splitting is a DP).
    budget = _Budget(len(catalog.services) * module.MAX_QUERY_WORDS * (longest * (longest + 1) // 2 + 1))
    monkeypatch.setattr(module, "stems", budget.wrap(module.stems))
    catalog.search(query)
    assert budget.calls <= budget.limit
    # ... and far less for one word: pieces of one 30..40-letter word.
    if " " not in query and len(query) <= longest:
        assert budget.calls <= len(catalog.services) * (len(query) * (len(query) + 1) // 2 + 1)


def test_the_word_splitting_still_finds_words_run_together(catalog):
    assert [s.code for s in catalog.search("пропискаребенка")][:1] == ["701003"]
    assert [s.code for s in catalog.search("свидетельствоорождении")][:1] == ["703001"]


@pytest.mark.parametrize("path", ["/", "/api/services"])
def test_a_2000_character_query_is_answered(client, bundled_in_db, path, monkeypatch):
    from services_catalog import search as module

    budget = _Budget(100_000)
    monkeypatch.setattr(module, "stems", budget.wrap(module.stems))
    response = client.get(path, query_string={"q": "несудимость" * 180})
    assert response.status_code == 200 and budget.calls <= budget.limit


def test_the_desk_search_of_2000_characters_is_answered(client, bundled_in_db, login, monkeypatch):
    from services_catalog import search as module

    login("desk1")
    budget = _Budget(100_000)
    monkeypatch.setattr(module, "stems", budget.wrap(module.stems))
    response = client.get("/desk/visits/new", query_string={"q": "детскийсад" * 200})
    assert response.status_code in (200, 302) and budget.calls <= budget.limit


@pytest.mark.parametrize(("query", "code"), [("потерял паспорт", "701002"), ("lost passport", "701002"),
                                             ("жоғалған төлқұжат", "701002"),
                                             ("временная регистрация", "701003")])
def test_a_query_that_finds_nothing_still_has_somewhere_to_go(catalog, query, code):
    assert catalog.search(query) == []
    nearest = [service.code for service in catalog.nearest(query)]
    assert code in nearest and len(nearest) <= 3


def test_nothing_is_near_a_query_no_word_of_which_matches(catalog):
    assert catalog.nearest("xyzzy") == [] and catalog.nearest("   ") == []


def test_the_zero_results_page_suggests_the_nearest_services_and_the_contact_phone(app, client, bundled_in_db):
    page = client.get("/", query_string={"q": "потерял паспорт", "lang": "ru"}).get_data(as_text=True)
    assert "Возможно, вы ищете одну из этих услуг" in page and "/services/701002" in page
    assert "Позвоните" not in page  # no number configured, none shown
    app.config["CONTACT_PHONE"] = "1414"
    page = client.get("/", query_string={"q": "xyzzy", "lang": "kk"}).get_data(as_text=True)
    assert "1414 нөміріне қоңырау шалыңыз" in page and "барлық қызметтерді қараңыз" in page
