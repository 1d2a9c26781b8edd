"""Find services by what people type: names and keywords in kk/ru/en, any word form,
one typo, missing spaces or hyphens («прописка», «детскийсад», «несудимост», «балабақшаға»).

The one search of the portal, the desk and the API (``Catalog.search``, ``Service.matches``).
Russian and English words are reduced with the Snowball stemmers (``snowballstemmer``);
Kazakh, which Snowball lacks, by stripping its regular suffixes (agglutinative morphology:
plural, possessive and case endings stack in a fixed order).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_RUSSIAN = snowballstemmer.stemmer("russian")
_ENGLISH = snowballstemmer.stemmer("english")
_WORD = re.compile(r"[0-9a-zа-яёәғқңөұүһі]+")
# The same words in a browser (static/js/desk-warnings.js gets this pattern from the page).
WORD_PATTERN = _WORD.pattern
_KAZAKH_LETTERS = set("әғқңөұүһі")
_CYRILLIC = re.compile(r"[а-яёәғқңөұүһі]")

# Kazakh endings, longest first; stripped repeatedly (case after possessive after plural).
_KAZAKH_SUFFIXES = sorted({
    "лар", "лер", "дар", "дер", "тар", "тер",                          # plural
    "ның", "нің", "дың", "дің", "тың", "тің",                          # genitive
    "ға", "ге", "қа", "ке", "на", "не",                                # dative
    "ны", "ні", "ды", "ді", "ты", "ті",                                # accusative
    "да", "де", "та", "те", "нда", "нде",                              # locative
    "дан", "ден", "тан", "тен", "нан", "нен",                          # ablative
    "мен", "бен", "пен",                                               # instrumental
    "ым", "ім", "м", "ың", "ің", "ң", "сы", "сі", "ы", "і",            # possessive
    "мыз", "міз", "ымыз", "іміз", "сыз", "сіз",
    "лық", "лік", "дық", "дік", "тық", "тік",                          # -ness, -ship
    "шы", "ші", "у", "ау", "еу",                                       # agent, verbal noun
}, key=len, reverse=True)

# Words that say nothing about which service is meant; ignored when they match nothing.
_STOP_WORDS = frozenset("""
    и в во на о об от по для за с со к ко из у при после без через как где что мне нужно нужен
    нужна хочу можно получить
    получение оформить оформление сделать взять справку справка документ услуга услуги госуслуга
    the a an of for to in on at after how get i need my apply application service certificate
    және мен үшін қалай алу алуға керек маған туралы қызмет анықтама құжат беру рәсімдеу кейін
""".split())


def normalize(text: str) -> str:
    """Case-folded, ё as е, quotes and punctuation as spaces."""
    return text.casefold().replace("ё", "е")


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def _strip_kazakh(word: str) -> str:
    changed = True
    while changed:
        changed = False
        for suffix in _KAZAKH_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                word = word[: -len(suffix)]
                changed = True
                break
    return word


@lru_cache(maxsize=65536)
def stems(word: str) -> frozenset[str]:
    """Every reduced form of ``word`` (a Kazakh-looking word gets both treatments: texts mix)."""
    if not _CYRILLIC.search(word):
        return frozenset({word, _ENGLISH.stemWord(word)})
    found = {word, _RUSSIAN.stemWord(word), _strip_kazakh(word)}
    if _KAZAKH_LETTERS & set(word):
        found.add(_strip_kazakh(_RUSSIAN.stemWord(word)))
    return frozenset(s for s in found if s)


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


@dataclass
class _Index:
    """What a service can be found by: its words (name ones weigh less than keywords)."""

    text: str                      # code, names and keywords, normalized, spaces kept
    compact: str                   # the same without spaces and hyphens ("детскийсад")
    keyword_stems: frozenset[str]
    name_stems: frozenset[str]
    all_words: frozenset[str]
    phrases: frozenset[str]        # whole keywords and names, words joined by one space


def _build_index(service) -> _Index:
    names = [service.code, *service.name.as_dict().values()]
    keywords = list(service.keywords.all())
    text = " ".join(normalize(t) for t in names + keywords)
    name_words = {w for t in names for w in words(t)}
    keyword_words = {w for t in keywords for w in words(t)}
    return _Index(
        text=text, compact=re.sub(r"[\s\-‐–—]+", "", text),
        keyword_stems=frozenset(s for w in keyword_words for s in stems(w)),
        name_stems=frozenset(s for w in name_words for s in stems(w)),
        all_words=frozenset(name_words | keyword_words),
        phrases=frozenset(" ".join(words(t)) for t in keywords + names))


_INDEXES: dict[int, tuple[object, _Index]] = {}


def _index(service) -> _Index:
    # Services are frozen: their index is built once per object (the id is checked
    # against the object itself, so a new catalog never reuses an old index).
    entry = _INDEXES.get(id(service))
    if entry is None or entry[0] is not service:
        if len(_INDEXES) > 4096:
            _INDEXES.clear()
        entry = (service, _build_index(service))
        _INDEXES[id(service)] = entry
    return entry[1]


# Bounds that keep one search linear in the catalog whatever is typed:
# a query is read up to MAX_QUERY_LENGTH characters and MAX_QUERY_WORDS words, and only a word
# of at most MAX_SPLIT_LETTERS letters is tried as words run together (no real one is longer).
MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 12
MAX_SPLIT_LETTERS = 40


def _direct_score(word: str, index: _Index) -> float:
    """How well one typed word matches a service as it stands (not cut in two)."""
    forms = stems(word)
    if forms & index.keyword_stems:
        return 3.0
    if forms & index.name_stems:
        return 2.0
    if word in index.text:                         # a fragment: "7030", "регистр", "неке"
        return 1.5 if len(word) >= 3 or word.isdigit() else 0.5
    if len(word) >= 5:
        known = index.keyword_stems | index.name_stems
        for form in forms:
            if len(form) < 4:
                continue
            for candidate in known:
                # one typo in the word, or in a word the stem is the start of
                if _one_edit(form, candidate) or (
                        len(candidate) > len(form) and _one_edit(form, candidate[:len(form)])):
                    return 1.0
    if len(word) >= 6 and word in index.compact:   # "детскийсад", "жекекуәлік"
        return 1.0
    return 0.0


def _runs_together(word: str, index: _Index, scored: dict[str, float]) -> bool:
    """Whether ``word`` is two or more words run together, each found (pieces of 3 letters or
    more). Dynamic programming over the cut positions, each piece scored once (``scored``):
    O(n²) pieces for a word of n letters, where cutting it in two recursively took exponential
    time (a 30-letter word, 10 s; 50 letters, hours)."""
    def found(piece: str) -> bool:
        if piece not in scored:
            scored[piece] = _direct_score(piece, index)
        return scored[piece] >= 1
    size = len(word)
    reachable = [True] + [False] * size          # reachable[i]: word[:i] is found pieces
    for end in range(3, size + 1):
        reachable[end] = any(reachable[start] and found(word[start:end])
                             for start in range(0, end - 2) if start or end < size)
    return reachable[size]


def _word_score(word: str, index: _Index, scored: dict[str, float] | None = None) -> float:
    """How well one typed word matches a service: 0 (not at all) to 3 (a keyword)."""
    scored = {} if scored is None else scored
    if word not in scored:
        scored[word] = _direct_score(word, index)
    if scored[word] > 0:
        return scored[word]
    if 6 <= len(word) <= MAX_SPLIT_LETTERS and _runs_together(word, index, scored):
        return 1.0                                 # two words run together, each found
    return 0.0


def query_words(query: str) -> list[str]:
    """The words of a query that are searched: a bounded number from a bounded length."""
    return words(query[:MAX_QUERY_LENGTH])[:MAX_QUERY_WORDS]


def _match(service, query: str) -> tuple[float, int]:
    """(score, words of the query left unmatched); score 0 when ``query`` does not find it."""
    typed = query_words(query)
    if not typed:
        return 1.0, 0
    index = _index(service)
    total, counted, missed = 0.0, 0, 0
    scored: dict[str, float] = {}
    for word in typed:
        found = _word_score(word, index, scored)
        if found == 0:
            if word not in _STOP_WORDS:
                missed += 1
            continue
        total += found
        counted += found >= 1   # a two-letter fragment alone does not make a match
    # A long query may carry one word the catalog does not know («справка о несудимости для
    # работы»): it still finds the service when the other words do, with a lower score.
    if not counted or missed > (1 if counted >= 2 else 0):
        return 0.0, missed
    if " ".join(typed) in index.phrases:            # exactly a keyword: «мектеп», «рождение»
        total += 3.0
    return total, missed


def score(service, query: str) -> float:
    """0 when ``query`` does not find ``service``; higher is a better match.

    Every meaningful word must match, except one in a query of three words or more; a word
    that matches nothing is ignored when it is a stop word («как», «получить», «for», «алу»).
    An empty query finds everything.
    """
    return _match(service, query)[0]


def search(services: Iterable, query: str) -> list:
    """The services ``query`` finds, best first; ties keep the catalog's order. When some
    services match every word, those that miss one are left out ("service s2" finds S2 only)."""
    scored = [(*_match(service, query), position, service) for position, service in enumerate(services)]
    found = [item for item in scored if item[0] > 0]
    if any(missed == 0 for _, missed, _, _ in found):
        found = [item for item in found if item[1] == 0]
    return [service for *_, service in sorted(found, key=lambda item: (-item[0], item[2]))]


def nearest(services: Iterable, query: str, limit: int = 3) -> list:
    """When ``search`` finds nothing: the services that match most of the query's words,
    best first (at most ``limit``), so a citizen who typed «потерял паспорт» or «адресная
    справка» still has somewhere to go. Empty when no word of the query matches anything."""
    typed = [word for word in query_words(query) if word not in _STOP_WORDS]
    if not typed:
        return []
    ranked = []
    for position, service in enumerate(services):
        index, scored = _index(service), dict[str, float]()
        scores = [_word_score(word, index, scored) for word in typed]
        matched = sum(1 for value in scores if value >= 1)
        if matched:
            ranked.append((-matched, -sum(scores), position, service))
    return [service for *_, service in sorted(ranked, key=lambda item: item[:3])[:limit]]
