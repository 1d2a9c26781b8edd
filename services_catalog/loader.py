"""Read a catalog folder (catalog-format.md) into the model, validating every rule.

Validation never stops at the first problem: a catalog author gets the whole list,
each naming the file, service, version and field, and the reason.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import yaml

from .model import (
    CHANNELS,
    DEADLINE_UNITS,
    LANGUAGES,
    SERVICE_CODE,
    SOURCED_FACTS,
    Catalog,
    Deadline,
    Document,
    Fee,
    FeeExemption,
    Keywords,
    MrpRate,
    Provenance,
    RefusalGround,
    RequiredDocument,
    Service,
    ServiceVersion,
    Source,
    Text,
)

DOCUMENT_CODE = re.compile(r"^[A-Z0-9_]{2,40}$")
SOURCE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,60}$")


@dataclass(frozen=True)
class CatalogProblem:
    file: str
    reason: str
    service: str | None = None
    version: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.service:
            where.append(f"service {self.service}")
        if self.version:
            where.append(f"version {self.version}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.reason}"


class CatalogError(Exception):
    """A catalog that must not be loaded; ``problems`` lists every reason."""

    def __init__(self, problems: list[CatalogProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _CatalogYamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps codes such as ``00101`` as strings.

    YAML 1.1 reads ``00101`` as an octal number and ``1_0`` as 10; a service code
    must stay exactly as written, so only plain decimal integers become numbers.
    """


_CatalogYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:int"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_CatalogYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*))$"), list("-+0123456789"))


# Bounds on what one catalog file may be: the largest bundled file is a
# few KB and a few levels deep. Aliases (*name, which the exporter writes for a source named
# twice) are kept, but a file whose aliases expand it past MAX_VALUES values ("a billion
# laughs") is refused before anything walks it.
MAX_FILE_BYTES = 1024 * 1024
MAX_NESTING = 32
MAX_VALUES = 100_000


class RefusedFile(yaml.YAMLError):
    """A catalog file refused before or while it is read, with the reason in words."""


def _compose_bounded(self, parent, index):
    self.nesting = getattr(self, "nesting", 0) + 1
    try:
        if self.nesting > MAX_NESTING:
            raise RefusedFile(f"line {self.peek_event().start_mark.line + 1}: nested deeper than "
                              f"{MAX_NESTING} levels")
        return yaml.SafeLoader.compose_node(self, parent, index)
    finally:
        self.nesting -= 1


def _expanded(node, known: dict, level: int = 1) -> tuple[int, int]:
    """(values, depth) of ``node`` with every alias written out; each node is counted once
    (``known``), so this costs the size of the file, not of its expansion."""
    if level > MAX_NESTING + 1:
        raise RefusedFile(f"line {node.start_mark.line + 1}: nested deeper than {MAX_NESTING} levels "
                          "through its aliases")
    if id(node) not in known:
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else []
        sizes = [_expanded(child, known, level + 1) for child in children]
        known[id(node)] = (1 + sum(size for size, _ in sizes), 1 + max((depth for _, depth in sizes), default=0))
    values, depth = known[id(node)]
    if values > MAX_VALUES:
        raise RefusedFile(f"line {node.start_mark.line + 1}: its aliases (*name) expand it past {MAX_VALUES} values")
    if level + depth > MAX_NESTING + 1:
        raise RefusedFile(f"line {node.start_mark.line + 1}: nested deeper than {MAX_NESTING} levels "
                          "through its aliases")
    return values, depth


def _compose_document_bounded(self):
    node = yaml.SafeLoader.compose_document(self)
    if node is not None:
        _expanded(node, {})
    return node


# setattr: mypy refuses assigning to a method, and these replace two of SafeLoader's on our subclass.
setattr(_CatalogYamlLoader, "compose_node", _compose_bounded)  # noqa: B010
setattr(_CatalogYamlLoader, "compose_document", _compose_document_bounded)  # noqa: B010

try:
    from yaml._yaml import CParser
except ImportError:  # pragma: no cover - a PyYAML built without libyaml
    _LibyamlCatalogLoader: type | None = None
else:
    class _LibyamlCatalogLoader(_CatalogYamlLoader, CParser):  # type: ignore[no-redef]
        """_CatalogYamlLoader on libyaml's scanner and parser: the catalog is read several times
        faster (`flask analyze` reads it at every start). The nodes are still composed by the
        Python composer with the bounds above (it comes first in the method order: CParser's
        own composer is never used)."""

        def __init__(self, stream):
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        # The event methods are libyaml's, not the pure-Python parser's.
        check_event = CParser.check_event
        peek_event = CParser.peek_event
        get_event = CParser.get_event
        dispose = CParser.dispose


def _load_yaml(raw: bytes):
    """The file's data; on any problem the pure-Python reader reads it again, so that a problem
    is worded (line, byte, nesting) the same whichever parser PyYAML was built with."""
    if _LibyamlCatalogLoader is not None:
        try:
            return yaml.load(raw, Loader=_LibyamlCatalogLoader)  # nosec B506 - a SafeLoader, as below
        except yaml.YAMLError:
            pass
    # _CatalogYamlLoader is a SafeLoader: it builds no arbitrary objects.
    return yaml.load(raw, Loader=_CatalogYamlLoader)  # nosec B506


def read_yaml(path: Path, root: Path | None = None):
    """One catalog file: a regular file inside the catalog folder ``root`` (a link out of it is
    refused), at most MAX_FILE_BYTES, in UTF-8 (or UTF-16 with its byte-order mark)."""
    if not path.is_file():
        raise RefusedFile("not a regular file")
    if root is not None and not path.resolve().is_relative_to(root.resolve()):
        raise RefusedFile("a link to a file outside the catalog folder")
    with path.open("rb") as stream:
        raw = stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        raise RefusedFile(f"larger than {MAX_FILE_BYTES // 1024} KB")
    try:
        return _load_yaml(raw)
    except yaml.reader.ReaderError as error:
        line = raw[:max(error.position, 0)].count(b"\n") + 1
        character = f"byte 0x{error.character:02X}" if isinstance(error.character, int) else \
            f"character {error.character!r}"
        raise RefusedFile(f"line {line}: not UTF-8 text ({character}); save the file as UTF-8") from None


def _yaml_problem(error: yaml.YAMLError) -> str:
    """PyYAML's message on one line, with where it happened."""
    if isinstance(error, RefusedFile):
        return f"refused: {error}"
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"not valid YAML{where}: {' '.join(str(getattr(error, 'problem', None) or error).split())}"


class _Collector:
    """Collects problems for one file, remembering which service/version is being read."""

    def __init__(self, file: str, problems: list[CatalogProblem]):
        self.file = file
        self.problems = problems
        self.service: str | None = None
        self.version: str | None = None

    def add(self, field: str | None, reason: str) -> None:
        self.problems.append(CatalogProblem(self.file, reason, self.service, self.version, field))

    def text(self, data, field: str) -> Text | None:
        if not isinstance(data, dict):
            self.add(field, "must be a mapping with kk, ru and en texts")
            return None
        missing = [lang for lang in LANGUAGES
                   if not isinstance(data.get(lang), str) or not str(data.get(lang)).strip()]
        for lang in missing:
            self.add(f"{field}.{lang}", f"the {lang} text is missing or empty")
        extra = sorted(set(data) - set(LANGUAGES))
        if extra:
            self.add(field, f"unknown languages {', '.join(map(str, extra))} (only kk, ru, en)")
        if missing:
            return None
        return Text(**{lang: data[lang] for lang in LANGUAGES})

    def code(self, value, field: str) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.add(field, "a code is required")
            return None
        return value.strip()

    def date(self, value, field: str, nullable: bool) -> dt.date | None:
        if value is None and nullable:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.add(field, f"{value!r} is not a date (YYYY-MM-DD{' or null' if nullable else ''})")
        return None

    def whole_number(self, value, field: str, minimum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            relation = "a whole number >= 0" if minimum == 0 else "a whole number > 0"
            self.add(field, f"{value!r} must be {relation}")
            return None
        return value


def load_documents(path: Path, problems: list[CatalogProblem]) -> dict[str, Document]:
    check = _Collector(path.name, problems)
    if not path.exists():
        check.add(None, "documents.yaml is missing from the catalog folder")
        return {}
    try:
        data = read_yaml(path, path.parent)
    except yaml.YAMLError as error:
        check.add(None, _yaml_problem(error))
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        check.add("documents", "the file must hold a list under 'documents'")
        return {}
    documents: dict[str, Document] = {}
    for index, entry in enumerate(data["documents"], start=1):
        field = f"documents[{index}]"
        if not isinstance(entry, dict):
            check.add(field, "must be a mapping with code, name and state_system")
            continue
        code = check.code(entry.get("code"), f"{field}.code")
        if code is None:
            continue
        field = f"documents[{code}]"
        if not DOCUMENT_CODE.match(code):
            check.add(f"{field}.code", f"{code!r} must match [A-Z0-9_]{{2,40}}")
        if code in documents:
            check.add(f"{field}.code", f"document code {code} is defined twice")
            continue
        name = check.text(entry.get("name"), f"{field}.name")
        state_system = entry.get("state_system")
        if state_system is not None and not isinstance(state_system, str):
            check.add(f"{field}.state_system", "must be the name of a state system or null")
            state_system = None
        if name is not None:
            documents[code] = Document(code, name, state_system or None)
    return documents


def _required_entries(check: _Collector, raw, field: str) -> tuple[RequiredDocument, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        check.add(field, "must be a list")
        return ()
    entries = []
    for index, item in enumerate(raw, start=1):
        item_field = f"{field}[{index}]"
        if isinstance(item, (str, int)) and not isinstance(item, bool):
            code = check.code(item, item_field)
            if code:
                entries.append(RequiredDocument((code,)))
        elif isinstance(item, dict) and "any_of" in item:
            group = item["any_of"]
            if not isinstance(group, list) or len(group) < 2:
                check.add(f"{item_field}.any_of", "must list at least two document codes")
                continue
            codes = tuple(c for c in (check.code(c, f"{item_field}.any_of") for c in group) if c)
            when = check.text(item["when"], f"{item_field}.when") if "when" in item else None
            entries.append(RequiredDocument(codes, any_of=True, when=when))
        elif isinstance(item, dict) and "code" in item:
            code = check.code(item["code"], f"{item_field}.code")
            if "when" not in item:
                check.add(f"{item_field}.when", "a conditional document needs its 'when' text")
                continue
            when = check.text(item["when"], f"{item_field}.when")
            if code and when:
                entries.append(RequiredDocument((code,), when=when))
        else:
            check.add(item_field, "must be a code, {any_of: [...]} or {code: ..., when: {...}}")
    return tuple(entries)


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _tenge(value: float) -> float:
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


def _mrp_amount(check: _Collector, field: str, mrp_figure: float, effective_from, effective_to,
                mrp: dict[int, MrpRate]) -> float | None:
    """mrp × the МРП of the version's year; a version must not span two МРП years."""
    if effective_from is None:
        return None
    year = effective_from.year
    if year not in mrp:
        check.add(field, f"a fee in МРП needs the МРП of {year} in mrp.yaml")
        return None
    if effective_to is not None and effective_to.year != year:
        check.add(field, f"a fee in МРП changes every 1 January: end this version on {year}-12-31 "
                         f"and start a new one (the МРП of each year is in mrp.yaml)")
        return None
    if effective_to is None and any(known > year for known in mrp):
        check.add(field, f"a fee in МРП with an open end must start in the latest МРП year "
                         f"({max(mrp)}): end this version on {year}-12-31")
        return None
    return _tenge(mrp_figure * mrp[year].amount)


def _fee(check: _Collector, raw_fee, effective_from, effective_to, mrp) -> Fee:
    """``{amount, currency}`` (base format) or ``{mrp: N}``, each with optional exemptions."""
    usage = "must be {amount: a number >= 0, currency: KZT} or {mrp: a number >= 0}"
    if not isinstance(raw_fee, dict):
        check.add("fee", usage)
        return Fee(0, "KZT")
    unknown = sorted(set(raw_fee) - {"amount", "currency", "mrp", "exemptions"})
    if unknown:
        check.add("fee", f"unknown keys {', '.join(map(str, unknown))}")
    mrp_figure = raw_fee.get("mrp")
    amount = raw_fee.get("amount")
    currency = str(raw_fee.get("currency") or "KZT")
    if mrp_figure is not None:
        if amount is not None:
            check.add("fee", "give either amount (tenge) or mrp, not both")
            return Fee(0, "KZT")
        if not _number(mrp_figure):
            check.add("fee.mrp", f"{mrp_figure!r} must be a number >= 0")
            return Fee(0, "KZT")
        if currency != "KZT":
            check.add("fee.currency", "a fee in МРП is paid in KZT")
        amount = _mrp_amount(check, "fee.mrp", mrp_figure, effective_from, effective_to, mrp)
        if amount is None:
            return Fee(0, "KZT")
    elif not _number(amount):
        check.add("fee", usage)
        return Fee(0, "KZT")
    exemptions = []
    raw_exemptions = raw_fee.get("exemptions") or []
    if not isinstance(raw_exemptions, list):
        check.add("fee.exemptions", "must be a list of {when: {kk, ru, en}, amount: N | mrp: N}")
        raw_exemptions = []
    for index, entry in enumerate(raw_exemptions, start=1):
        field = f"fee.exemptions[{index}]"
        if not isinstance(entry, dict) or "when" not in entry:
            check.add(field, "must be {when: {kk, ru, en}, amount: N} or {when: ..., mrp: N}")
            continue
        when = check.text(entry["when"], f"{field}.when")
        if entry.get("mrp") is not None:
            if not _number(entry["mrp"]) or "amount" in entry:
                check.add(field, "give mrp (a number >= 0) or amount, not both")
                continue
            value = _mrp_amount(check, f"{field}.mrp", entry["mrp"], effective_from, effective_to, mrp)
            if when and value is not None:
                exemptions.append(FeeExemption(when, value, entry["mrp"]))
        elif _number(entry.get("amount", 0)):
            if when:
                exemptions.append(FeeExemption(when, float(entry.get("amount", 0))))
        else:
            check.add(f"{field}.amount", f"{entry.get('amount')!r} must be a number >= 0")
    return Fee(cast(float, amount), currency, mrp_figure, tuple(exemptions))  # a number, checked above


def _source(check: _Collector, raw, field: str) -> Source | None:
    if not isinstance(raw, dict):
        check.add(field, "must be {id, title, url, retrieved, act_number?, act_date?, secondary?}")
        return None
    unknown = sorted(set(raw) - {"id", "title", "url", "retrieved", "act_number", "act_date", "secondary"})
    if unknown:
        check.add(field, f"unknown keys {', '.join(map(str, unknown))}")
    source_id = raw.get("id")
    if not isinstance(source_id, str) or not SOURCE_ID.match(source_id):
        check.add(f"{field}.id", f"{source_id!r} must be a short id of letters, digits, _ . -")
        source_id = None
    title, title_text = raw.get("title"), None
    if isinstance(title, dict):  # the title in kk, ru and en: citizens read it in their language
        title_text = check.text(title, f"{field}.title")
        title = title_text.en.strip() if title_text else None
    elif not isinstance(title, str) or not title.strip():
        check.add(f"{field}.title", "the title of the source is required (a text, or {kk, ru, en})")
    url = raw.get("url")
    if not isinstance(url, str) or not re.match(r"^https?://\S+$", url):
        check.add(f"{field}.url", f"{url!r} must be an http(s) address")
    retrieved = check.date(raw.get("retrieved"), f"{field}.retrieved", nullable=False)
    act_number = raw.get("act_number")
    if isinstance(act_number, int) and not isinstance(act_number, bool):
        act_number = str(act_number)
    if act_number is not None and (not isinstance(act_number, str) or not act_number.strip()):
        check.add(f"{field}.act_number", "must be the act's number as text, or left out")
        act_number = None
    act_date = check.date(raw.get("act_date"), f"{field}.act_date", nullable=True)
    secondary = raw.get("secondary", False)
    if not isinstance(secondary, bool):
        check.add(f"{field}.secondary", "must be true (a press or aggregator page) or left out")
        secondary = False
    if source_id is None or retrieved is None or not isinstance(title, str) or not title.strip() \
            or not isinstance(url, str):
        return None
    return Source(source_id, title.strip(), url, retrieved, act_number, act_date, secondary, title_text)


def _sources(check: _Collector, raw, field: str = "sources") -> tuple[Source, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        check.add(field, "must be a non-empty list of sources (or left out: unverified)")
        return ()
    found: list[Source] = []
    for index, item in enumerate(raw, start=1):
        source = _source(check, item, f"{field}[{index}]")
        if source is None:
            continue
        if any(s.id == source.id for s in found):
            check.add(f"{field}[{index}].id", f"source id {source.id} is used twice")
            continue
        found.append(source)
    return tuple(found)


def _provenance(check: _Collector, raw, sources: tuple[Source, ...]) -> tuple[Provenance, ...]:
    """Each fact names its source ids, or is ``assumed`` with a note (docs/catalog.md)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        check.add("provenance", "must map each fact to {source: ID} or {assumed: true, note: ...}")
        return ()
    for key in sorted(set(raw) - set(SOURCED_FACTS), key=str):
        check.add(f"provenance.{key}", f"unknown fact (facts: {', '.join(SOURCED_FACTS)})")
    known = {s.id for s in sources}
    secondary = {s.id for s in sources if s.secondary}
    found = []
    for fact in SOURCED_FACTS:
        field = f"provenance.{fact}"
        entry = raw.get(fact)
        if entry is None:
            if sources:
                check.add(field, f"the fact {fact} names no source and is not marked assumed "
                                 f"(give {{source: ID}} or {{assumed: true, note: ...}})")
            continue
        if not isinstance(entry, dict):
            check.add(field, "must be {source: ID} or {assumed: true, note: ...}")
            continue
        unknown = sorted(set(entry) - {"source", "assumed", "note"})
        if unknown:
            check.add(field, f"unknown keys {', '.join(map(str, unknown))}")
        note = entry.get("note")
        if note is not None and (not isinstance(note, str) or not note.strip()):
            check.add(f"{field}.note", "must be a text")
            note = None
        assumed = entry.get("assumed", False)
        if not isinstance(assumed, bool):
            check.add(f"{field}.assumed", "must be true or false")
            continue
        ids = entry.get("source")
        ids = [ids] if isinstance(ids, str) else ids
        if assumed:
            if ids:
                check.add(field, "a fact is either sourced or assumed, not both")
                continue
            if not note:
                check.add(f"{field}.note", "an assumed fact needs a note saying why and on what basis")
                continue
            found.append(Provenance(fact, (), True, note.strip()))
            continue
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            check.add(f"{field}.source", f"the fact {fact} names no source id "
                                         f"(give {{source: ID}} or {{assumed: true, note: ...}})")
            continue
        for source_id in ids:
            if source_id not in known:
                check.add(f"{field}.source", f"source {source_id} is not in this version's sources")
        if ids and all(source_id in secondary for source_id in ids):
            check.add(f"{field}.source", f"the fact {fact} names only secondary sources (press or aggregator "
                                         f"pages): give an official source beside them or mark it assumed")
        found.append(Provenance(fact, tuple(ids), False, note.strip() if note else None))
    return tuple(found)


def _keywords(check: _Collector, raw) -> Keywords:
    if raw is None:
        return Keywords()
    if not isinstance(raw, dict) or set(raw) - set(LANGUAGES):
        check.add("keywords", "must be {kk: [words], ru: [words], en: [words]}")
        return Keywords()
    lists = {}
    for lang in LANGUAGES:
        value = raw.get(lang) or []
        if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
            check.add(f"keywords.{lang}", "must be a list of words or phrases")
            value = []
        lists[lang] = tuple(w.strip() for w in value)
    return Keywords(**lists)


def _version(check: _Collector, raw: dict, documents: dict,
             mrp: dict[int, MrpRate] | None = None) -> ServiceVersion | None:
    mrp = mrp or {}
    before = len(check.problems)
    effective_from = check.date(raw.get("effective_from"), "effective_from", nullable=False)
    effective_to = check.date(raw.get("effective_to"), "effective_to", nullable=True)
    if effective_from and effective_to and effective_from > effective_to:
        check.add("effective_to", f"effective_from {effective_from} is after effective_to {effective_to}")
    legal_basis = raw.get("legal_basis")
    legal_basis_text = None
    if isinstance(legal_basis, dict):  # extended format: {kk, ru, en}
        legal_basis_text = check.text(legal_basis, "legal_basis")
        legal_basis = legal_basis_text.en if legal_basis_text else None
    elif not isinstance(legal_basis, str) or not legal_basis.strip():
        check.add("legal_basis", "the legal basis is required (a text, or {kk, ru, en})")
    deadline = None
    raw_deadline = raw.get("deadline")
    if not isinstance(raw_deadline, dict):
        check.add("deadline", "must be {value: N, unit: ...}")
    else:
        value = check.whole_number(raw_deadline.get("value"), "deadline.value", minimum=0)
        unit = raw_deadline.get("unit")
        if unit not in DEADLINE_UNITS:
            check.add("deadline.unit", f"{unit!r} is not one of {', '.join(DEADLINE_UNITS)}")
        elif value is not None:
            deadline = Deadline(value, unit)
    max_wait = check.whole_number(raw.get("max_wait_minutes"), "max_wait_minutes", minimum=1)
    max_service = check.whole_number(raw.get("max_service_minutes"), "max_service_minutes", minimum=1)
    fee = _fee(check, raw.get("fee", {"amount": 0, "currency": "KZT"}), effective_from,
               effective_to, mrp)
    required = _required_entries(check, raw.get("required_documents"), "required_documents")
    obtained_raw = raw.get("obtained_by_office") or []
    if not isinstance(obtained_raw, list):
        check.add("obtained_by_office", "must be a list of document codes")
        obtained_raw = []
    obtained = tuple(c for c in (check.code(c, "obtained_by_office") for c in obtained_raw) if c)
    grounds = []
    raw_grounds = raw.get("refusal_grounds") or []
    if not isinstance(raw_grounds, list):
        check.add("refusal_grounds", "must be a list of {code, text}")
        raw_grounds = []
    seen_grounds = set()
    for index, ground in enumerate(raw_grounds, start=1):
        field = f"refusal_grounds[{index}]"
        if not isinstance(ground, dict):
            check.add(field, "must be {code: ..., text: {kk, ru, en}}")
            continue
        code = check.code(ground.get("code"), f"{field}.code")
        if code in seen_grounds:
            check.add(f"{field}.code", f"refusal ground {code} is listed twice")
        seen_grounds.add(code)
        text = check.text(ground.get("text"), f"{field}.text")
        if code and text:
            grounds.append(RefusalGround(code, text))
    _check_version_documents(check, required, obtained, documents)
    result = check.text(raw.get("result"), "result")
    channels = raw.get("channels") or ["front_desk"]
    if not isinstance(channels, list) or any(c not in CHANNELS for c in channels):
        check.add("channels", f"must be a list of {', '.join(CHANNELS)}")
        channels = ["front_desk"]
    sources = _sources(check, raw.get("sources"))
    provenance = _provenance(check, raw.get("provenance"), sources)
    if len(check.problems) > before or effective_from is None or deadline is None or max_wait is None \
            or max_service is None or result is None or legal_basis is None:
        return None
    return ServiceVersion(
        effective_from=effective_from, effective_to=effective_to,
        legal_basis=legal_basis.strip() if legal_basis_text is None else legal_basis,
        deadline=deadline, max_wait_minutes=max_wait, max_service_minutes=max_service, fee=fee,
        required_documents=required, obtained_by_office=obtained, refusal_grounds=tuple(grounds),
        result=result, channels=tuple(channels), sources=sources, provenance=provenance,
        legal_basis_text=legal_basis_text)


def _check_version_documents(check: _Collector, required: tuple[RequiredDocument, ...],
                             obtained: tuple[str, ...], documents: dict) -> None:
    for entry in required:
        for code in entry.codes:
            if code not in documents:
                check.add("required_documents", f"document {code} is not in documents.yaml")
    for code in obtained:
        if code not in documents:
            check.add("obtained_by_office", f"document {code} is not in documents.yaml")
    lawful = {code for entry in required for code in entry.codes}
    for code in sorted(lawful & set(obtained)):
        check.add("obtained_by_office", f"document {code} is both required and obtained by the office")


def load_service(path: Path, documents: dict, problems: list[CatalogProblem],
                 mrp: dict[int, MrpRate] | None = None) -> Service | None:
    check = _Collector(f"services/{path.name}", problems)
    try:
        data = read_yaml(path, path.parent.parent)
    except yaml.YAMLError as error:
        check.add(None, _yaml_problem(error))
        return None
    return parse_service(data, f"services/{path.name}", documents, problems, mrp)


def parse_service(data, file: str, documents: dict, problems: list[CatalogProblem],
                  mrp: dict[int, MrpRate] | None = None) -> Service | None:
    """One service from its mapping (a YAML file's, or a steward's draft placed among the
    versions in force): every rule of the format, problems named by ``file`` and field."""
    check = _Collector(file, problems)
    if not isinstance(data, dict):
        check.add(None, "the file must hold one service as a mapping")
        return None
    before = len(problems)
    code = check.code(data.get("code"), "code")
    if code is not None and not SERVICE_CODE.match(code):
        check.add("code", f"{code!r} must match [A-Za-z0-9][A-Za-z0-9_-]{{0,39}} (letters, digits, _ and -)")
    check.service = code
    name = check.text(data.get("name"), "name")
    provider = check.text(data.get("provider"), "provider")
    keywords = _keywords(check, data.get("keywords"))
    raw_versions = data.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        check.add("versions", "a service needs at least one version")
        raw_versions = []
    versions = []
    for index, raw in enumerate(raw_versions, start=1):
        check.version = f"{index} (from {raw.get('effective_from')})" if isinstance(raw, dict) else str(index)
        if not isinstance(raw, dict):
            check.add(None, "a version must be a mapping")
            continue
        version = _version(check, raw, documents, mrp)
        if version is not None:
            versions.append((check.version, version))
    check.version = None
    ordered = sorted(versions, key=lambda item: item[1].effective_from)
    for position, (_, earlier) in enumerate(ordered):
        for label, later in ordered[position + 1:]:  # every pair: a long version may span several
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                check.version = label
                check.add("effective_from",
                          f"overlaps the version in force from {earlier.effective_from} "
                          f"to {earlier.effective_to or 'open end'}")
    if len(problems) > before or code is None or name is None or provider is None:
        return None
    return Service(code, name, provider, tuple(version for _, version in ordered), keywords)


def load_mrp(path: Path, problems: list[CatalogProblem]) -> dict[int, MrpRate]:
    """``mrp.yaml``: the МРП of each year with its source. Optional: without it no fee may be
    written in МРП (base-format catalogs have none)."""
    if not path.exists():
        return {}
    check = _Collector(path.name, problems)
    try:
        data = read_yaml(path, path.parent)
    except yaml.YAMLError as error:
        check.add(None, _yaml_problem(error))
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("mrp"), list):
        check.add("mrp", "the file must hold a list under 'mrp' of {year, amount, source}")
        return {}
    rates: dict[int, MrpRate] = {}
    for index, entry in enumerate(data["mrp"], start=1):
        field = f"mrp[{index}]"
        if not isinstance(entry, dict):
            check.add(field, "must be {year, amount, source: {...}}")
            continue
        year = entry.get("year")
        if isinstance(year, bool) or not isinstance(year, int) or not 1992 <= year <= 2200:
            check.add(f"{field}.year", f"{year!r} is not a year")
            continue
        field = f"mrp[{year}]"
        if year in rates:
            check.add(f"{field}.year", f"the МРП of {year} is given twice")
            continue
        amount = check.whole_number(entry.get("amount"), f"{field}.amount", minimum=1)
        source = _source(check, entry.get("source"), f"{field}.source")
        if amount is not None and source is not None:
            rates[year] = MrpRate(year, amount, source)
    return dict(sorted(rates.items()))


def load_catalog(folder: str | Path) -> Catalog:
    """Load and validate a catalog folder; raise CatalogError listing every problem."""
    folder = Path(folder)
    problems: list[CatalogProblem] = []
    if not folder.is_dir():
        raise CatalogError([CatalogProblem(str(folder), "not a catalog folder")])
    documents = load_documents(folder / "documents.yaml", problems)
    mrp = load_mrp(folder / "mrp.yaml", problems)
    services: dict[str, Service] = {}
    files: dict[str, str] = {}
    service_files = sorted((folder / "services").glob("*.y*ml")) if (folder / "services").is_dir() else []
    if not service_files:
        problems.append(CatalogProblem("services/", "the catalog has no service files"))
    for path in service_files:
        service = load_service(path, documents, problems, mrp)
        if service is None:
            continue
        if service.code in services:
            problems.append(CatalogProblem(
                f"services/{path.name}", f"service code {service.code} is also used by {files[service.code]}",
                service.code, None, "code"))
            continue
        services[service.code] = service
        files[service.code] = f"services/{path.name}"
    if problems:
        raise CatalogError(problems)
    return Catalog(documents=documents, services=services, mrp=mrp)


def unverified_versions(catalog: Catalog) -> list[tuple[str, ServiceVersion]]:
    """(service code, version) of every version with no sources: loaded, shown as not checked."""
    return [(service.code, version) for service in catalog.services.values()
            for version in service.versions if not version.verified]
